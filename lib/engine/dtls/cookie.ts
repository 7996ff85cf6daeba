// Stateless HelloVerifyRequest cookies (RFC 6347 §4.2.1): HMAC over the client's transport
// address and the ClientHello's fixed fields, with a secret that rotates; the previous secret
// is still accepted so a rotation does not break a handshake in flight.
import type { CryptoProvider, RandomSource } from '../../crypto/provider.js';
import { concatBytes } from '../../concat-bytes.js';
import { constantTimeEqual } from '../../constant-time.js';
import type { ClientHello } from '../handshake/message-types.js';
import { secretBytes } from '../../crypto/secret-bytes.js';

export class CookieJar {
  private secret: Uint8Array;
  private previous: Uint8Array | undefined;
  private rotatedAt: number;

  constructor(
    private readonly provider: CryptoProvider,
    private readonly random: RandomSource,
    private readonly now: () => number,
    /** Rotate the secret this often (ms). */
    private readonly rotateEvery = 300_000,
  ) {
    this.secret = secretBytes(random(32), true);
    this.rotatedAt = now();
  }

  private rotate(): void {
    if (this.now() - this.rotatedAt < this.rotateEvery) return;
    this.previous = this.secret;
    this.secret = secretBytes(this.random(32), true);
    this.rotatedAt = this.now();
  }

  private mac(secret: Uint8Array, peer: string, ch: ClientHello): Uint8Array {
    // §4.2.1: the cookie binds the client's address and the hello parameters (not the cookie).
    const suites = new Uint8Array(ch.cipherSuites.length * 2);
    ch.cipherSuites.forEach((s, i) => { suites[2 * i] = s >>> 8; suites[2 * i + 1] = s & 0xff; });
    const head = new TextEncoder().encode(`${peer}|${ch.version}|`);
    return this.provider.hmac('sha256', secret, concatBytes(head, ch.random, ch.sessionId, suites)).subarray(0, 20);
  }

  make(peer: string, ch: ClientHello): Uint8Array {
    this.rotate();
    return this.mac(this.secret, peer, ch);
  }

  verify(peer: string, ch: ClientHello): boolean {
    this.rotate();
    const c = ch.cookie;
    if (!c || c.length === 0) return false;
    if (constantTimeEqual(c, this.mac(this.secret, peer, ch))) return true;
    return this.previous !== undefined && constantTimeEqual(c, this.mac(this.previous, peer, ch));
  }
}
