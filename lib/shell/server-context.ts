// What a TLS Server and a DtlsServer share: the options (node:tls setSecureContext()), the
// engine options every connection starts from, the session-ID cache and ticket keys
// (getTicketKeys() / setTicketKeys()), and the SNI certificate choice (addContext()).
import type { EngineOptions } from '../engine/engine.js';
import { SessionStore, TICKET_KEYS_LENGTH } from '../engine/handshake/session-store.js';
import { TlsError, ErrorCode } from '../errors.js';
import { serverEngineOptions, ticketsEnabled } from './engine-options.js';
import type { SecureContext, SecureContextOptions } from './secure-context.js';
import type { ServerOptions } from './server.js';
import { SniSelector } from './sni.js';

/** node:tls checks of sessionTimeout and ticketKeys (same codes and wording). */
function checkSessionOptions(o: ServerOptions): void {
  const t = o.sessionTimeout;
  if (t !== undefined) {
    if (typeof t !== 'number') {
      throw new TlsError('ERR_INVALID_ARG_TYPE', `The "options.sessionTimeout" property must be of type number. Received type ${typeof t}`);
    }
    if (!Number.isInteger(t) || t < 0 || t > 2147483647) {
      throw new TlsError('ERR_OUT_OF_RANGE', `The value of "options.sessionTimeout" is out of range. It must be >= 0 && <= 2147483647. Received ${t}`);
    }
  }
  const k = o.ticketKeys;
  if (k !== undefined) {
    if (!(k instanceof Uint8Array)) {
      throw new TlsError('ERR_INVALID_ARG_TYPE', 'The "options.ticketKeys" property must be an instance of Buffer, TypedArray, or DataView.');
    }
    if (k.length !== TICKET_KEYS_LENGTH) {
      throw new TlsError(ErrorCode.INVALID_ARG, `The property 'options.ticketKeys' must be exactly 48 bytes. Received ${k.length}`);
    }
  }
}

export class ServerContext {
  /** The options as given, merged with every setSecureContext() since. */
  options: ServerOptions;
  /** What each new connection's engine starts from. */
  engineOptions: EngineOptions;
  /** Session-ID cache and ticket keys shared by the server's connections. */
  readonly sessionStore: SessionStore;
  /** SNICallback / addContext(). */
  readonly sni: SniSelector;

  /** `transportOptions`: engine options of the transport (DTLS: transport and timers). */
  constructor(options: ServerOptions, private readonly transportOptions: Partial<EngineOptions> = {}) {
    checkSessionOptions(options);
    this.options = options;
    this.sni = new SniSelector(options.SNICallback);
    const engine = serverEngineOptions(options);
    this.sessionStore = new SessionStore({
      provider: engine.provider,
      random: engine.random,
      now: engine.now,
      timeout: options.sessionTimeout,
      ticketKeys: options.ticketKeys,
      tickets: ticketsEnabled(options),
    });
    this.engineOptions = { ...engine, ...transportOptions, sessionStore: this.sessionStore };
  }

  /** node:tls setSecureContext(): new connections use the new options. The session cache
   *  stays (sessions of the old context resume only with a suite the new one allows); new
   *  sessionTimeout / ticketKeys apply from now on. */
  setSecureContext(options: ServerOptions): void {
    checkSessionOptions(options);
    const merged = { ...this.options, ...options };
    const engine = serverEngineOptions(merged);
    if (options.sessionTimeout !== undefined) this.sessionStore.timeout = options.sessionTimeout;
    if (options.ticketKeys !== undefined) this.sessionStore.setTicketKeys(options.ticketKeys);
    this.sessionStore.tickets = ticketsEnabled(merged);
    this.options = merged;
    this.engineOptions = { ...engine, ...this.transportOptions, sessionStore: this.sessionStore };
  }

  /** node:tls getTicketKeys(): the current 48 bytes (16 name + 32 key). */
  getTicketKeys(): Buffer {
    return Buffer.from(this.sessionStore.getTicketKeys());
  }

  /**
   * node:tls setTicketKeys(): new keys for tickets issued from now on. Unlike node (which
   * forgets the old keys), the previous keys are kept for decryption: tickets issued under them
   * still resume, and are replaced by a ticket under the new keys (RFC 5077 §3.3).
   */
  setTicketKeys(keys: Uint8Array): void {
    if (!(keys instanceof Uint8Array)) {
      throw new TlsError('ERR_INVALID_ARG_TYPE', `The "buffer" argument must be an instance of Buffer, TypedArray, or DataView. Received type ${typeof keys}`);
    }
    if (keys.length !== TICKET_KEYS_LENGTH) {
      throw new TlsError(ErrorCode.INVALID_ARG, `Session ticket keys must be a ${TICKET_KEYS_LENGTH}-byte buffer. Received ${keys.length} bytes`);
    }
    this.sessionStore.setTicketKeys(keys);
  }

  /** node:tls addContext(): clients whose SNI name matches `hostname` ('*' matches one label,
   *  as in node) get this context's certificate. Without an SNICallback option. */
  addContext(hostname: string, context: SecureContext | SecureContextOptions): void {
    this.sni.add(hostname, context);
  }
}
