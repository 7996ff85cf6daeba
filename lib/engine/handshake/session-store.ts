// The server's memory of sessions, shared by all connections of one server: a session-ID cache
// (RFC 5246 §7.4.1.2 / §F.1.4) and RFC 5077 session tickets (the server keeps nothing; the
// client holds the sealed state).
//
// Ticket keys mirror node:tls's 48-byte `ticketKeys` Buffer: bytes 0..15 are the key name, the
// 32 bytes after it the secret. node/OpenSSL split those 32 bytes into an HMAC-SHA256 key and an
// AES-128-CBC key (RFC 5077 §4's recommended construction); we use the 32 bytes as one
// AES-256-GCM key instead (an AEAD gives the same confidentiality + integrity in one primitive):
//
//   ticket = key_name[16] || nonce[12] || AES-256-GCM(key, nonce, aad = key_name, encodeSession(state))
//
// The nonce is random per ticket; rotate keys (setTicketKeys) well before 2^32 tickets per key.
// Rotation keeps the previous key for decryption: a ticket under it is still accepted, and the
// server then issues a fresh ticket under the current key (RFC 5077 §3.3 renewal).
import type { CryptoProvider, RandomSource } from '../../crypto/provider.js';
import { TlsError, ErrorCode } from '../../errors.js';
import { constantTimeEqual } from '../../constant-time.js';
import { secretBytes } from '../../crypto/secret-bytes.js';
import { decodeSession, encodeSession, type SessionState } from './session.js';
import { toHex } from '../../hex.js';

/** node:tls default `sessionTimeout` (seconds). */
export const DEFAULT_SESSION_TIMEOUT = 300;
/** OpenSSL's SSL_SESSION_CACHE_MAX_SIZE_DEFAULT (1024 * 20): session-ID cache entries. */
export const DEFAULT_SESSION_CACHE_SIZE = 20_480;
/** node:tls ticketKeys length: 16 name + 32 key bytes. */
export const TICKET_KEYS_LENGTH = 48;

const NAME_LENGTH = 16;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
/** RFC 5077 §3.3: opaque ticket<0..2^16-1>. */
const MAX_TICKET = 0xffff;

export interface SessionStoreOptions {
  provider: CryptoProvider;
  random: RandomSource;
  /** Milliseconds, like Date.now(). */
  now: () => number;
  /** Seconds a session stays resumable (node:tls sessionTimeout), default 300. */
  timeout?: number;
  /** Most session-ID cache entries; the oldest go first. Default 20 480; 0 disables the cache. */
  cacheSize?: number;
  /** 48 bytes (node:tls ticketKeys); default random. */
  ticketKeys?: Uint8Array;
  /** Issue and accept RFC 5077 tickets (default true). */
  tickets?: boolean;
}

interface TicketKey {
  name: Uint8Array;
  raw: Uint8Array;
  seal: (nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array) => Uint8Array;
  open: (nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array) => Uint8Array | null;
}

export class SessionStore {
  /** Seconds a session stays resumable. */
  timeout: number;
  readonly cacheSize: number;
  tickets: boolean;
  /** Called with each session saved under a session ID (node:tls 'newSession'). */
  onSave: ((s: SessionState) => void) | undefined;
  private readonly provider: CryptoProvider;
  private readonly random: RandomSource;
  private readonly now: () => number;
  /** Insertion order = age order, so the first entry is the oldest (evicted first). */
  private readonly cache = new Map<string, SessionState>();
  /** [current, previous?]: tickets are sealed with the first, opened with either. */
  private keys: TicketKey[] = [];

  constructor(o: SessionStoreOptions) {
    this.provider = o.provider;
    this.random = o.random;
    this.now = o.now;
    this.timeout = checkTimeout(o.timeout ?? DEFAULT_SESSION_TIMEOUT);
    this.cacheSize = o.cacheSize ?? DEFAULT_SESSION_CACHE_SIZE;
    this.tickets = o.tickets ?? true;
    this.keys = [this.makeKey(o.ticketKeys ?? this.random(TICKET_KEYS_LENGTH))];
  }

  // --- ticket keys (node:tls getTicketKeys / setTicketKeys) ----------------------------------

  /** The current 48 ticket-key bytes (a copy). */
  getTicketKeys(): Uint8Array {
    return this.keys[0]!.raw.slice();
  }

  /** New current keys; the current ones are kept (only) to open tickets issued under them. */
  setTicketKeys(keys: Uint8Array): void {
    const k = this.makeKey(keys);
    if (constantTimeEqual(k.raw, this.keys[0]!.raw)) return;
    this.keys = [k, this.keys[0]!];
  }

  /** Rotate to fresh random keys (the current ones become the previous). */
  rotateTicketKeys(): void {
    this.setTicketKeys(this.random(TICKET_KEYS_LENGTH));
  }

  private makeKey(raw: Uint8Array): TicketKey {
    if (!(raw instanceof Uint8Array) || raw.length !== TICKET_KEYS_LENGTH) {
      throw new TlsError(ErrorCode.INVALID_ARG, `session ticket keys must be a ${TICKET_KEYS_LENGTH}-byte buffer`);
    }
    const copy = secretBytes(raw.slice());
    const aead = this.provider.aead('AES-256-GCM', copy.subarray(NAME_LENGTH));
    return {
      name: copy.subarray(0, NAME_LENGTH),
      raw: copy,
      seal: (n, a, p) => aead.seal(n, a, p),
      open: (n, a, c) => aead.open(n, a, c),
    };
  }

  // --- lifetime ------------------------------------------------------------------------------

  /** Seconds `s` has left before it stops being resumable (0 when expired). */
  secondsLeft(s: SessionState): number {
    const left = this.timeout * 1000 - (this.now() - s.createdAt);
    return left > 0 ? Math.floor(left / 1000) : 0;
  }

  private live(s: SessionState): boolean {
    const age = this.now() - s.createdAt;
    return age >= 0 && age <= this.timeout * 1000;
  }

  // --- session-ID cache ----------------------------------------------------------------------

  /** Keep a completed session under its session_id (it must have one). `announce` false: a
   *  session coming back from an external cache (no onSave). */
  save(s: SessionState, announce = true): void {
    if (this.cacheSize <= 0 || s.sessionId.length === 0) return;
    const key = toHex(s.sessionId);
    this.cache.delete(key);
    while (this.cache.size >= this.cacheSize) {
      // Oldest first; it is also the first to expire.
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
    this.cache.set(key, s);
    if (announce) this.onSave?.(s);
  }

  /** The live session cached under `id`; expired entries are dropped. */
  lookup(id: Uint8Array): SessionState | undefined {
    if (id.length === 0) return undefined;
    const key = toHex(id);
    const s = this.cache.get(key);
    if (s && !this.live(s)) {
      this.cache.delete(key);
      return undefined;
    }
    return s;
  }

  remove(id: Uint8Array): void {
    this.cache.delete(toHex(id));
  }

  /** Number of cached sessions (including expired ones not yet looked up). */
  get size(): number {
    return this.cache.size;
  }

  // --- RFC 5077 tickets ----------------------------------------------------------------------

  /** Seal `s` (without its session_id / ticket fields) under the current key; undefined when
   *  it cannot fit a ticket (RFC 5077 §3.3: at most 65 535 bytes). */
  sealTicket(s: SessionState): Uint8Array | undefined {
    const plain = encodeSession({ ...s, sessionId: new Uint8Array(0), ticket: new Uint8Array(0), ticketLifetime: 0 });
    if (NAME_LENGTH + NONCE_LENGTH + plain.length + TAG_LENGTH > MAX_TICKET) return undefined;
    const k = this.keys[0]!;
    const nonce = this.random(NONCE_LENGTH);
    const sealed = k.seal(nonce, k.name, plain);
    const out = new Uint8Array(NAME_LENGTH + NONCE_LENGTH + sealed.length);
    out.set(k.name, 0);
    out.set(nonce, NAME_LENGTH);
    out.set(sealed, NAME_LENGTH + NONCE_LENGTH);
    return out;
  }

  /**
   * Open a ticket: the live session in it, and whether it should be renewed (sealed under the
   * previous key). Unknown key name, failed authentication, malformed contents or an expired
   * session → undefined (the server falls back to a full handshake, RFC 5077 §3.4).
   */
  openTicket(ticket: Uint8Array): { state: SessionState; renew: boolean } | undefined {
    if (ticket.length < NAME_LENGTH + NONCE_LENGTH + TAG_LENGTH) return undefined;
    const name = ticket.subarray(0, NAME_LENGTH);
    const index = this.keys.findIndex((k) => constantTimeEqual(k.name, name));
    if (index < 0) return undefined;
    const k = this.keys[index]!;
    const plain = k.open(ticket.subarray(NAME_LENGTH, NAME_LENGTH + NONCE_LENGTH), k.name, ticket.subarray(NAME_LENGTH + NONCE_LENGTH));
    if (!plain) return undefined;
    let state: SessionState;
    try {
      state = decodeSession(plain);
    } catch {
      return undefined;
    }
    if (!this.live(state)) return undefined;
    return { state, renew: index > 0 };
  }
}

function checkTimeout(t: number): number {
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
    throw new TlsError(ErrorCode.INVALID_ARG, `sessionTimeout must be a non-negative number of seconds, got ${String(t)}`);
  }
  return t;
}
