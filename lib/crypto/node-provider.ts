// An optional CryptoProvider that runs the record-layer AEADs and the hashes on node:crypto
// (OpenSSL, with AES-NI where the CPU has it), and everything else as the noble provider does.
// Not the default: DESIGN.md keeps noble as the reference implementation; pass
// `cryptoProvider: nodeCryptoProvider` to connect()/createServer() for throughput.
import { createCipheriv, createDecipheriv, createHash, createHmac, type CipherGCMTypes } from 'node:crypto';
import { NobleCryptoProvider } from './noble-provider.js';
import type { Aead, AeadAlgorithm, HashAlgorithm, IncrementalHash } from './provider.js';

const CIPHERS: Record<AeadAlgorithm, CipherGCMTypes | 'chacha20-poly1305'> = {
  'AES-128-GCM': 'aes-128-gcm',
  'AES-256-GCM': 'aes-256-gcm',
  'CHACHA20-POLY1305': 'chacha20-poly1305',
};

const TAG = 16;

class NodeAead implements Aead {
  readonly tagLength = TAG;
  private readonly cipher: string;
  /** Private (#): never shown by util.inspect or JSON.stringify. */
  readonly #key: Buffer;

  constructor(alg: AeadAlgorithm, key: Uint8Array) {
    this.cipher = CIPHERS[alg];
    this.#key = Buffer.from(key);
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const c = createCipheriv(this.cipher as CipherGCMTypes, this.#key, nonce, { authTagLength: TAG });
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const out = Buffer.allocUnsafe(plaintext.length + TAG);
    const n = c.update(plaintext).copy(out, 0);
    c.final();
    c.getAuthTag().copy(out, n);
    return out;
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    if (ciphertextAndTag.length < TAG) return null;
    const ctLen = ciphertextAndTag.length - TAG;
    try {
      const d = createDecipheriv(this.cipher as CipherGCMTypes, this.#key, nonce, { authTagLength: TAG });
      d.setAAD(aad, { plaintextLength: ctLen });
      d.setAuthTag(ciphertextAndTag.subarray(ctLen));
      const pt = d.update(ciphertextAndTag.subarray(0, ctLen));
      d.final(); // throws when the tag does not authenticate
      return pt;
    } catch {
      return null;
    }
  }
}

class NodeHash implements IncrementalHash {
  constructor(private readonly h: ReturnType<typeof createHash>) {}
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  clone(): IncrementalHash {
    return new NodeHash(this.h.copy());
  }
  digest(): Uint8Array {
    return this.h.copy().digest();
  }
}

export class NodeCryptoProvider extends NobleCryptoProvider {
  override readonly name: string = 'node';

  override hash(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
    return createHash(alg).update(data).digest();
  }

  override createHash(alg: HashAlgorithm): IncrementalHash {
    return new NodeHash(createHash(alg));
  }

  override hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    return createHmac(alg, key).update(data).digest();
  }

  override aead(alg: AeadAlgorithm, key: Uint8Array): Aead {
    return new NodeAead(alg, key);
  }
}

export const nodeCryptoProvider = new NodeCryptoProvider();
