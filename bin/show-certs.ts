// --showcerts: the certificate chain as the peer sent it, in the shape of
// `openssl s_client -showcerts`: for each certificate its position, subject (s:), issuer (i:),
// validity (v:) and the PEM.
import { X509Certificate } from 'node:crypto';
import type { SecureDuplex } from '../lib/index.js';
import type { Reporter } from './status.js';

/** "CN=localhost\nO=x" (node's multi-line form) → "CN = localhost, O = x" (OpenSSL's one-line form). */
function oneLine(name: string): string {
  return name.split('\n').filter((l) => l !== '').map((l) => l.replace('=', ' = ')).join(', ');
}

export function showCertificates(socket: SecureDuplex, reporter: Reporter): void {
  const chain = socket.engine.session?.peerChain ?? [];
  reporter.record({ status: 'certificate chain', length: chain.length }, [`certificate chain: ${chain.length}`]);
  chain.forEach((der, i) => {
    const cert = new X509Certificate(der);
    const subject = oneLine(cert.subject);
    const issuer = oneLine(cert.issuer);
    const pem = cert.toString();
    reporter.record({ status: 'certificate', index: i, subject, issuer, notBefore: cert.validFrom, notAfter: cert.validTo, pem }, [
      ` ${i} s:${subject}`,
      `   i:${issuer}`,
      `   v:NotBefore: ${cert.validFrom}; NotAfter: ${cert.validTo}`,
      ...pem.trimEnd().split('\n'),
    ]);
  });
}
