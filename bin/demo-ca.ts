// The CLI's local demo CA, standing in for the certs/ca-cert.pem of the wolfSSL examples: a
// server started without -c/-k gets a fresh leaf signed by it, and a client started without -A
// (and without -d) trusts it in addition to Node's bundled roots, so the examples' command lines
// (`server -M -m -d -N` with `client -R -i scr-app-data -N`) verify each other. It lives in the
// user's cache directory (SECURE_DUPLEX_HOME overrides), is made on first use, and is only ever
// trusted by this CLI, never by the library.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';

function home(): string {
  if (process.env.SECURE_DUPLEX_HOME) return process.env.SECURE_DUPLEX_HOME;
  // An empty XDG_CACHE_HOME counts as unset (XDG Base Directory spec).
  const base = process.env.XDG_CACHE_HOME || (homedir() ? join(homedir(), '.cache') : tmpdir());
  return join(base, 'secure-duplex');
}

export function demoCaPath(): string {
  return join(home(), 'demo-ca.pem');
}

/** The demo CA's certificate, if it exists. */
export function readDemoCa(): string | undefined {
  const p = demoCaPath();
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

/** The demo CA (certificate and key), made on first use. */
export function ensureDemoCa(): { certPem: string; keyPem: string; path: string } {
  const dir = home();
  const certPath = demoCaPath();
  const keyPath = join(dir, 'demo-ca.key');
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const ca = generateCertificate({
      keyType: 'ec-p256', commonName: 'secure-duplex demo CA', isCA: true, altNames: [],
      notAfter: new Date(Date.now() + 10 * 365 * 86400_000),
    });
    writeFileSync(keyPath, ca.keyPem, { mode: 0o600 });
    writeFileSync(certPath, ca.certPem);
  }
  return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8'), path: certPath };
}

/** A fresh server leaf for localhost / 127.0.0.1 / ::1 signed by the demo CA. */
export function demoServerCertificate(): { cert: string; key: string; fingerprint256: string; caPath: string } {
  const ca = ensureDemoCa();
  const leaf = generateCertificate({
    keyType: 'ec-p256', commonName: 'localhost', altNames: ['localhost', '127.0.0.1', '::1'],
    issuer: { certPem: ca.certPem, keyPem: ca.keyPem },
  });
  return { cert: leaf.certPem, key: leaf.keyPem, fingerprint256: leaf.fingerprint256, caPath: ca.path };
}
