// What each TLS figure is compared with: the primitives it cannot avoid, measured alone in the
// same run. A stack's ceiling uses its crypto library (noble for the default provider,
// node:crypto for nodeCryptoProvider and node:tls, whose OpenSSL node:crypto also exposes).
import type { Aead, Library, Primitive, PrimitiveResult, RecordSize } from './primitives.js';
import type { Stack } from './stacks.js';
import type { Credentials } from './credentials.js';

export const AEAD_OF_SUITE: Record<string, Aead> = {
  'ECDHE-ECDSA-AES128-GCM-SHA256': 'AES-128-GCM',
  'ECDHE-ECDSA-CHACHA20-POLY1305': 'CHACHA20-POLY1305',
  'PSK-AES128-GCM-SHA256': 'AES-128-GCM',
};

export class Ceilings {
  constructor(private readonly primitives: readonly PrimitiveResult[]) {}

  static libraryOf(stack: Stack): Library {
    return stack === 'noble' ? 'noble' : 'node:crypto';
  }

  /** A primitive's rate; RSA falls back to node:crypto, which both providers use for it. */
  rate(lib: Library, primitive: Primitive): number {
    const r = this.primitives.find((p) => p.primitive === primitive);
    const v = r?.values[lib] ?? r?.values['node:crypto'];
    if (v === undefined) throw new Error(`no measurement of ${primitive}`);
    return v;
  }

  /** Bulk, MiB/s: in one process the same thread seals and opens every record, so the ceiling
   *  is 1 / (1/seal + 1/open); in two processes each side does one of them: the slower. */
  bulk(stack: Stack, suite: string, size: RecordSize, processes: 1 | 2): number {
    const lib = Ceilings.libraryOf(stack);
    const aead = AEAD_OF_SUITE[suite];
    if (aead === undefined) throw new Error(`no AEAD known for ${suite}`);
    const seal = this.rate(lib, `seal ${aead} ${size}`);
    const open = this.rate(lib, `open ${aead} ${size}`);
    return processes === 1 ? 1 / (1 / seal + 1 / open) : Math.min(seal, open);
  }

  /** Full ECDHE handshakes/s with both ends on one thread: two key exchanges (each a key pair
   *  and a shared secret), one signature and its verification (RFC 5246 §7.4.3). */
  fullHandshake(stack: Stack, cert: Credentials['kind'], group: 'X25519' | 'P-256'): number {
    const lib = Ceilings.libraryOf(stack);
    const kex = this.rate(lib, group === 'X25519' ? 'X25519' : 'P-256 ECDH');
    const signOps = this.rate(lib, cert === 'rsa-2048' ? 'RSA-2048 sign' : 'ECDSA P-256 sign');
    const verifyOps = this.rate(lib, cert === 'rsa-2048' ? 'RSA-2048 verify' : 'ECDSA P-256 verify');
    return 1 / (2 / kex + 1 / signOps + 1 / verifyOps);
  }
}
