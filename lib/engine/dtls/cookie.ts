// Stateless HelloVerifyRequest cookies (RFC 6347 §4.2.1): HMAC over the client's transport
// address and the ClientHello's fixed fields, with a secret that rotates; the previous secret
// is still accepted so a rotation does not break a handshake in flight.
//
// Servers that must accept each other's cookies (workers of one port) are given one shared
// secret: the secret of each rotation period is then HMAC(shared, label || period number), the
// same in every process that has the shared secret and the same clock, with no message between
// them. (§4.2.1 suggests Cookie = HMAC(Secret, Client-IP, Client-Parameters) and a secret
// changed now and then; nothing in the cookie says which process made it.)
import type { CryptoProvider, RandomSource } from '../../crypto/provider.js';
import { concatBytes } from '../../concat-bytes.js';
import { constantTimeEqual } from '../../constant-time.js';
import type { ClientHello } from '../handshake/message-types.js';
import { secretBytes } from '../../crypto/secret-bytes.js';

export class CookieJar {
  private secret: Uint8Array;
  private previous: Uint8Array | undefined;
  private rotatedAt: number;
  /** With a shared secret: the period number `secret` belongs to. */
  private period = 0;
  private readonly shared: Uint8Array | undefined;

  constructor(
    private readonly provider: CryptoProvider,
    private readonly random: RandomSource,
    private readonly now: () => number,
    /** Rotate the secret this often (ms). */
    private readonly rotateEvery = 300_000,
    /** A secret shared with other servers (at least 16 bytes); default: one of this jar's own. */
    shared?: Uint8Array,
  ) {
    this.shared = shared === undefined ? undefined : secretBytes(shared, true);
    if (this.shared) {
      this.period = Math.floor(now() / rotateEvery);
      this.secret = this.periodSecret(this.period);
      this.previous = this.periodSecret(this.period - 1);
    } else {
      this.secret = secretBytes(random(32), true);
    }
    this.rotatedAt = now();
  }

  /** The secret of rotation period `n`, derived from the shared secret. */
  private periodSecret(n: number): Uint8Array {
    return secretBytes(this.provider.hmac('sha256', this.shared!, new TextEncoder().encode(`dtls cookie period ${n}`)), true);
  }

  private rotate(): void {
    if (this.shared) {
      // Periods follow the clock, not this jar's age, so every holder of the shared secret
      // changes secret at the same moment.
      const n = Math.floor(this.now() / this.rotateEvery);
      if (n === this.period) return;
      this.previous = n === this.period + 1 ? this.secret : this.periodSecret(n - 1);
      this.period = n;
      this.secret = this.periodSecret(n);
      return;
    }
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
