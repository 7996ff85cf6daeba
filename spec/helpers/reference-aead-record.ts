// A record's protected fragment as RFC 5246 §6.2.3.3 defines it (AEAD: nonce per RFC 5288 §3 or
// RFC 7905 §2 (CCM as GCM, RFC 6655 §3), additional data = seq_num + type + version + length), computed with node:crypto
// from first principles: the reference the record layers are compared with.
import { createCipheriv } from 'node:crypto';
import type { CipherSuite } from '../../lib/engine/cipher-suites.js';

const nodeCipher = {
  'AES-128-GCM': 'aes-128-gcm', 'AES-256-GCM': 'aes-256-gcm', 'CHACHA20-POLY1305': 'chacha20-poly1305',
  'AES-128-CCM': 'aes-128-ccm', 'AES-256-CCM': 'aes-256-ccm', 'AES-128-CCM-8': 'aes-128-ccm', 'AES-256-CCM-8': 'aes-256-ccm',
} as const;

/** The record fragment for 64-bit sequence number `seq` (DTLS: epoch << 48 | sequence number,
 *  RFC 6347 §4.1.2.1). */
export function referenceFragment(suite: CipherSuite, key: Uint8Array, fixedIv: Uint8Array, seq: bigint,
  type: number, version: number, plaintext: Uint8Array): Buffer {
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigUInt64BE(seq);
  let nonce: Buffer;
  if (suite.explicitNonceLength === 8) {
    nonce = Buffer.concat([fixedIv, seqBytes]); // RFC 5288 §3: salt || nonce_explicit (= seq here)
  } else {
    nonce = Buffer.from(fixedIv); // RFC 7905 §2: IV XOR (0^32 || seq)
    for (let i = 0; i < 8; i++) nonce[4 + i]! ^= seqBytes[i]!;
  }
  const aad = Buffer.concat([seqBytes, Buffer.from([type, version >> 8, version & 0xff, plaintext.length >> 8, plaintext.length & 0xff])]);
  const c = createCipheriv(nodeCipher[suite.aead!], key, nonce, { authTagLength: suite.aead!.endsWith('-8') ? 8 : 16 } as never) as unknown as
    { setAAD(a: Buffer, o?: object): void; update(b: Uint8Array): Buffer; final(): Buffer; getAuthTag(): Buffer };
  c.setAAD(aad, { plaintextLength: plaintext.length });
  const body = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  return suite.explicitNonceLength === 8 ? Buffer.concat([seqBytes, body]) : body;
}
