// A throwaway self-signed certificate made by the openssl CLI, for the peers.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export interface TestCert {
  cert: string;
  key: string;
}

/**
 * Self-signed P-256 certificate for CN=localhost, SAN DNS:localhost + IP:127.0.0.1, valid 2
 * days, made with the openssl CLI into `dir` as NAME.pem / NAME.key. Doubles as its own CA.
 */
export function generateCert(dir: string, name = 'server', cn = 'localhost'): TestCert {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}.key`);
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`,
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '2', '-keyout', key, '-out', cert],
    { encoding: 'utf8', timeout: 20_000 },
  );
  if (r.error || r.status !== 0) throw new Error(`openssl req failed: ${r.error?.message ?? ''}\n${r.stderr}`);
  return { cert, key };
}
