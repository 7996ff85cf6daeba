// node:tls getPeerX509Certificate(): the peer's leaf as a node:crypto X509Certificate whose
// `issuerCertificate` is the next certificate the peer sent, and so on down the chain as sent
// (node's X509Certificate::GetPeerCert links SSL_get_peer_cert_chain in order, without checking
// who issued whom, and adds nothing from the trust store).
import { X509Certificate } from 'node:crypto';

/** The chain as sent (DER, leaf first), each X509Certificate's `issuerCertificate` the next one
 *  (undefined at the last, as node's). */
export function peerX509Chain(chain: readonly Uint8Array[]): X509Certificate | undefined {
  let issuer: X509Certificate | undefined;
  for (let i = chain.length - 1; i >= 0; i--) {
    const cert = new X509Certificate(Buffer.from(chain[i]!));
    // An own property in place of the prototype's getter (which reads node's native handle).
    if (issuer !== undefined) Object.defineProperty(cert, 'issuerCertificate', { value: issuer, enumerable: false });
    issuer = cert;
  }
  return issuer;
}
