// Certificates made by the `openssl` CLI (req / x509 with an extension section), so that what
// is tested is what OpenSSL itself issues, and `openssl verify`'s verdict on them, parsed.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface OpensslCert {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
}

export interface OpensslCertOptions {
  /** `-subj` form, e.g. '/O=Org/CN=leaf'. */
  subject: string;
  /** Lines of the extension section, e.g. ['basicConstraints = critical, CA:true']. */
  extensions: readonly string[];
  /** Issuer; absent: self-signed. */
  issuer?: OpensslCert;
}

function run(args: readonly string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}${r.error?.message ?? ''}`);
}

/** A folder for one test run's certificates, removed when the process exits. */
export class OpensslCa {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-duplex-openssl-ca-'));
  private count = 0;

  constructor() {
    process.once('exit', () => fs.rmSync(this.dir, { recursive: true, force: true }));
  }

  /** Issues a P-256 certificate valid from a day ago for 30 days. */
  issue(opts: OpensslCertOptions): OpensslCert {
    const base = path.join(this.dir, `c${++this.count}`);
    const keyPath = `${base}.key`;
    const certPath = `${base}.crt`;
    const cfg = `${base}.cnf`;
    fs.writeFileSync(cfg, ['[req]', 'distinguished_name = dn', '[dn]', '[ext]', ...opts.extensions, ''].join('\n'));
    run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath]);
    const serial = `0x${(this.count + 0x1000).toString(16)}${Date.now().toString(16)}`;
    if (opts.issuer === undefined) {
      run(['req', '-new', '-x509', '-key', keyPath, '-subj', opts.subject, '-config', cfg, '-extensions', 'ext',
        '-set_serial', serial, '-days', '30', '-out', certPath]);
    } else {
      const csr = `${base}.csr`;
      run(['req', '-new', '-key', keyPath, '-subj', opts.subject, '-config', cfg, '-out', csr]);
      run(['x509', '-req', '-in', csr, '-CA', opts.issuer.certPath, '-CAkey', opts.issuer.keyPath,
        '-set_serial', serial, '-days', '30', '-extfile', cfg, '-extensions', 'ext', '-out', certPath]);
    }
    return { certPem: fs.readFileSync(certPath, 'utf8'), keyPem: fs.readFileSync(keyPath, 'utf8'), certPath, keyPath };
  }

  /** Writes PEM text to a file of this folder and returns its path. */
  file(pem: string): string {
    const p = path.join(this.dir, `f${++this.count}.pem`);
    fs.writeFileSync(p, pem);
    return p;
  }
}

export interface OpensslVerdict {
  ok: boolean;
  /** The first error `openssl verify` reported: its X509_V_ERR number, depth and text. */
  error?: { number: number; depth: number; message: string };
  output: string;
}

/** `openssl verify -purpose ... -CAfile root [-untrusted chain] leaf` (extra args before the
 *  leaf, e.g. ['-policy_check']). */
export function opensslVerify(
  leafPath: string,
  opts: { caPath: string; untrustedPath?: string; purpose: 'sslserver' | 'sslclient'; extra?: readonly string[] },
): OpensslVerdict {
  const args = ['verify', '-purpose', opts.purpose, '-CAfile', opts.caPath, ...(opts.extra ?? [])];
  if (opts.untrustedPath !== undefined) args.push('-untrusted', opts.untrustedPath);
  const r = spawnSync('openssl', [...args, leafPath], { encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  const m = /error (\d+) at (\d+) depth lookup: ?(.*)/.exec(output);
  return {
    ok: r.status === 0,
    ...(m === null ? {} : { error: { number: Number(m[1]), depth: Number(m[2]), message: m[3]!.trim() } }),
    output,
  };
}
