// The handshake transcript: every handshake message's bytes, in order, as sent or received
// (RFC 5246 §7.4.9 "handshake_messages"). TLS 1.2 needs it hashed with the PRF hash (Finished,
// RFC 7627 session_hash) and signed whole with the CertificateVerify scheme's hash (§7.4.8), and
// the PRF hash is not known until the ServerHello, so the raw bytes are kept (a full handshake
// is a few KiB) and digests are computed when asked.
import type { CryptoProvider, HashAlgorithm } from '../../crypto/provider.js';

export class Transcript {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  add(raw: Uint8Array): void {
    this.parts.push(raw);
    this.size += raw.length;
  }

  /** All messages so far, concatenated. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  hash(provider: CryptoProvider, alg: HashAlgorithm): Uint8Array {
    const h = provider.createHash(alg);
    for (const p of this.parts) h.update(p);
    return h.digest();
  }
}
