// The sans-IO TLS 1.2 engine (DESIGN.md): bytes in, bytes/events out. No sockets, no timers,
// no streams. The shell calls receive()/write()/renegotiate()/close() and then drains
// takeOutput() (bytes for the transport) and takeEvents() (plaintext and state changes).
import { TlsError, ErrorCode } from '../errors.js';
import { AlertDescription, AlertLevel, alertName, DEFAULT_MAX_WARNING_ALERTS_IN_ROW } from './alerts.js';
import type { CipherSuite } from './cipher-suites.js';
import type { EngineConfig, LocalIdentity } from './config.js';
import { concatBytes } from '../concat-bytes.js';
import { constantTimeEqual } from '../constant-time.js';
import { ContentType, handshakeTypeName, HandshakeType, ProtocolVersion } from './constants.js';
import { ClientHandshake } from './handshake/client-handshake.js';
import { sessionStateOf, type HandshakeHost, type HandshakeResult, type RenegotiationBinding } from './handshake/handshake-host.js';
import type { SessionState } from './handshake/session.js';
import { decodeBody, encodeBody } from './handshake/messages.js';
import type { HandshakeMessage } from './handshake/message-types.js';
import { ServerHandshake, type ServerHandshakeOptions } from './handshake/server-handshake.js';
import type { ClientHelloInfo } from './handshake/client-hello-info.js';
import { retainedSession } from './retained-session.js';
import type { RecordProtection } from './record/record-protection.js';
import { TlsChannel } from './record/tls-channel.js';
import type { RecordChannel } from './record-channel.js';
import { DtlsChannel, type DtlsChannelOptions } from './dtls/dtls-channel.js';

export type EngineEvent =
  /** A handshake finished: the first one, or a renegotiation; `resumed`: an abbreviated
   *  handshake resumed a session (RFC 5246 §7.3). */
  | { type: 'handshake'; renegotiation: boolean; initiator: 'local' | 'peer'; resumed: boolean }
  /** Decrypted application data, in order. `duringRenegotiation` marks data that arrived while a
   *  renegotiation was in progress. */
  | { type: 'data'; data: Uint8Array; duringRenegotiation: boolean }
  /** The peer sent close_notify: no more data will come. */
  | { type: 'peer-closed' }
  /** A renegotiation we asked for was refused or failed without ending the connection. */
  | { type: 'renegotiation-refused'; error: TlsError }
  /** A warning alert other than close_notify. */
  | { type: 'warning'; alert: string }
  /** The peer started a renegotiation that allowRenegotiation: false declined (no_renegotiation
   *  sent; the connection goes on). */
  | { type: 'renegotiation-declined' }
  /** This handshake's master secret is known (NSS key log: CLIENT_RANDOM line). */
  | { type: 'keylog'; clientRandom: Uint8Array; masterSecret: Uint8Array }
  /** Server with awaitClientHello: the initial ClientHello has arrived; the handshake waits for
   *  acceptClientHello() (or abort()). */
  | { type: 'client-hello'; hello: ClientHelloInfo }
  /** Server with ocspStapling: the client asked for an OCSP staple for `chain` (leaf first);
   *  answer with respondOcsp(). The handshake waits. */
  | { type: 'ocsp-request'; chain: readonly Uint8Array[] }
  /** Client with requestOcsp, first full handshake: the server's flight is in, with this staple
   *  (null: none); our answer to it is in the output, not yet sent (OpenSSL's status callback). */
  | { type: 'ocsp-response'; response: Uint8Array | null }
  /** Fatal: the connection is over. The fatal alert (if any) is already in the output. */
  | { type: 'error'; error: TlsError };

/**
 * When application data we write may go out during a renegotiation.
 * - 'eager': at every point RFC 5246 allows (nothing is held in this engine, since our
 *   ChangeCipherSpec and Finished are always sent together).
 * - 'conservative': also hold writes while the peer is past the point where it accepts
 *   application data in OpenSSL (`ossl_statem_app_data_allowed`): a client holds from its
 *   ClientHello, a server from its ServerHello, until the handshake completes.
 */
export type RenegotiationSendPolicy = 'eager' | 'conservative';

export interface EngineOptions extends EngineConfig {
  /** Accept renegotiations the peer starts (server: ClientHello; client: HelloRequest). */
  allowRenegotiation?: boolean;
  /** Peer-initiated renegotiations allowed per window (node:tls CLIENT_RENEG_LIMIT = 3). */
  renegotiationLimit?: number;
  /** Window in ms (node:tls CLIENT_RENEG_WINDOW = 600 s). */
  renegotiationWindow?: number;
  /** Allow the peer's certificate to change in a renegotiation (triple-handshake defence off). */
  allowPeerIdentityChange?: boolean;
  sendPolicy?: RenegotiationSendPolicy;
  /** Server: the initial ClientHello waits for the application (event 'client-hello'), which
   *  answers with acceptClientHello() or ends the connection with abort(). */
  awaitClientHello?: boolean;
  /** Warning alerts accepted in a row; the next is fatal (unexpected_message,
   *  ERR_SSL_TOO_MANY_WARN_ALERTS). Default DEFAULT_MAX_WARNING_ALERTS_IN_ROW (4), as OpenSSL. */
  maxWarningAlertsInRow?: number;
  /** DTLS: MTU, retransmission timers, handshake timeout, invalid-record limit. */
  dtls?: Omit<DtlsChannelOptions, 'role' | 'now'>;
}

export interface RenegotiateOptions {
  /** Server: ask the client for a certificate in this renegotiation. */
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  /** Cipher suites for this renegotiation (client: offered; server: preference), e.g. to
   *  change the suite. Default: the connection's. */
  cipherSuites?: readonly CipherSuite[];
  /** Client: offer the connection's current session, for an abbreviated renegotiation
   *  (RFC 5246 §7.3 figure 2; the server may still choose a full handshake). */
  resume?: boolean;
}

type Handshake = ClientHandshake | ServerHandshake;

/** DTLS: datagrams kept while the ClientHello waits for the application (the rest are dropped;
 *  the client retransmits). */
const MAX_DATAGRAMS_WHILE_HELLO_WAITS = 32;

/** Where the connection is, as one value; each phase holds the data valid in it. */
type Phase =
  /** No handshake yet: a client before start(), a server before the first ClientHello. */
  | { kind: 'idle' }
  /** A handshake runs (the first, or a renegotiation once `session` is set). `closeAfter`:
   *  close() was called during a renegotiation; close_notify follows its completion. */
  | { kind: 'handshaking'; hs: Handshake; initiator: 'local' | 'peer'; closeAfter: boolean }
  /** Server: we sent HelloRequest and wait for the client's ClientHello. */
  | { kind: 'hello-requested' }
  | { kind: 'established' }
  /** A fatal alert was sent or received: nothing more is read or written. */
  | { kind: 'failed' };

/** The TLS channel options of each side: one object for every connection. */
const CLIENT_CHANNEL = Object.freeze({ role: 'client' as const });
const SERVER_CHANNEL = Object.freeze({ role: 'server' as const });

// The phases without data of their own: one object each for every connection.
const IDLE: Phase = Object.freeze({ kind: 'idle' });
const HELLO_REQUESTED: Phase = Object.freeze({ kind: 'hello-requested' });
const ESTABLISHED: Phase = Object.freeze({ kind: 'established' });
const FAILED: Phase = Object.freeze({ kind: 'failed' });

export class Engine implements HandshakeHost {
  /** node:tls enableTrace(): one line per handshake message, ChangeCipherSpec and alert, sent
   *  or received (the shell prints them). Undefined: no tracing. */
  declare trace: ((line: string) => void) | undefined;
  /** The options. The shell may put a layer of the connection's own over them (read through to
   *  the shared ones) when it changes one (setServername(), disableRenegotiation()). */
  config: EngineOptions;
  private currentIdentities: readonly LocalIdentity[];
  protected readonly channel: RecordChannel;
  private phase: Phase = IDLE;
  /** close_notify sent / received (RFC 5246 §7.2.1); either can happen in any phase. */
  private sentCloseNotify = false;
  private receivedCloseNotify = false;
  // `declare`d fields: a property exists only once something sets it (absent reads as
  // undefined, a boolean as false), so an idle connection does not carry them.
  /** setIdentities() after a handshake: the next one (a renegotiation) must be full. */
  private declare identitiesChanged: boolean;
  /** Server: the options of the next handshake, when a renegotiation we asked for set them
   *  (else the config's, read when it starts). */
  private declare serverHandshakeOptions: ServerHandshakeOptions | undefined;
  private output: Uint8Array[] = [];
  private events: EngineEvent[] = [];
  /** Application data written while it may not be sent yet (initial handshake, held window). */
  private declare heldWrites: Uint8Array[] | undefined;
  private heldBytes = 0;
  /** DTLS: application data of the new epoch that overtook the peer's Finished. */
  private declare earlyAppData: Uint8Array[] | undefined;
  /** When the peer started its recent renegotiations (ms). These lists and heldWrites exist
   *  while they hold something: an idle connection keeps none. */
  private declare peerRenegotiations: number[] | undefined;
  /** The last completed handshake; undefined until the first completes. */
  session: HandshakeResult | undefined;
  /** Warning alerts received since the last non-empty record of another type. */
  private warningAlertsInRow = 0;
  /** While the application answers the ClientHello: what came after it, read once it has. */
  private declare helloWait: { messages: { type: number; body: Uint8Array; raw: Uint8Array }[]; input: Uint8Array[] } | undefined;

  constructor(options: EngineOptions, channel?: RecordChannel) {
    this.config = options;
    this.currentIdentities = options.identities;
    this.channel = channel ?? (options.transport === 'dtls'
      ? new DtlsChannel({ role: options.role, now: options.now, ...options.dtls })
      : new TlsChannel(options.role === 'server' ? SERVER_CHANNEL : CLIENT_CHANNEL));
  }

  /** The running handshake, if any. */
  private get handshake(): Handshake | null {
    return this.phase.kind === 'handshaking' ? this.phase.hs : null;
  }

  private startHandshake<H extends Handshake>(hs: H, initiator: 'local' | 'peer'): H {
    this.phase = { kind: 'handshaking', hs, initiator, closeAfter: false };
    return hs;
  }

  /** No handshake runs any more: established once a session exists, idle before. */
  private endHandshake(): void {
    if (this.phase.kind !== 'failed') this.phase = this.session ? ESTABLISHED : IDLE;
  }

  // --- inputs --------------------------------------------------------------------------------

  /** Client: send the ClientHello. */
  start(): void {
    if (this.config.role !== 'client' || this.handshake || this.session) return;
    this.guard(() => {
      // DTLS: the handshake clock starts now, not when the engine was made.
      this.channel.beginHandshake?.();
      this.startHandshake(new ClientHandshake(this, { session: this.config.session }), 'local').start();
    });
  }

  /** Bytes from the transport. */
  receive(bytes: Uint8Array): void {
    if (this.phase.kind === 'failed' || this.receivedCloseNotify) return;
    const wait = this.helloWait;
    if (wait) {
      // The ClientHello waits for the application: what comes next is read after its answer
      // (a stream transport is paused by the shell; over datagrams a bounded number wait, the
      // peer retransmits the rest).
      if (!this.channel.dtls || wait.input.length < MAX_DATAGRAMS_WHILE_HELLO_WAITS) wait.input.push(bytes);
      return;
    }
    this.guard(() => {
      this.channel.push(bytes);
      this.readRecords();
    });
  }

  private readRecords(): void {
    for (;;) {
      if (this.phase.kind === 'failed' || this.receivedCloseNotify || this.helloWait) return;
      const rec = this.channel.nextRecord();
      if (!rec) return;
      this.onRecord(rec.type, rec.data);
    }
  }

  /** The handshake waits for the application's answer to the ClientHello ('client-hello'). */
  get awaitsClientHelloAnswer(): boolean {
    return this.helloWait !== undefined;
  }

  /**
   * Server: the application's answer to a 'client-hello' event: the handshake goes on (with
   * the certificates its selectIdentities hook gives now), then whatever arrived meanwhile.
   * To refuse the ClientHello, abort() instead.
   */
  acceptClientHello(): void {
    const wait = this.helloWait;
    const hs = this.handshake;
    if (!wait || !(hs instanceof ServerHandshake)) return;
    this.helloWait = undefined;
    this.guard(() => {
      hs.acceptClientHello();
      this.flushHandshake();
      for (const m of wait.messages) {
        if (this.phase.kind === 'failed' || this.helloWait) break;
        this.onHandshakeMessage(m.type, m.body, m.raw);
      }
      this.readRecords();
    });
    for (const bytes of wait.input) this.receive(bytes);
  }

  /** Application data to send. Never refused while open; held when it may not go out yet. */
  write(data: Uint8Array): void {
    if (this.phase.kind === 'failed' || this.sentCloseNotify) {
      throw new TlsError('ERR_STREAM_WRITE_AFTER_END', 'write after the TLS connection was closed');
    }
    if (data.length === 0) return;
    if (this.mustHoldWrites()) {
      (this.heldWrites ??= []).push(data);
      this.heldBytes += data.length;
      return;
    }
    this.output.push(...this.channel.encode(ContentType.application_data, data));
  }

  /** DTLS timers: call at or after nextDeadline. */
  tick(now: number): void {
    if (this.phase.kind === 'failed') return;
    this.guard(() => {
      this.output.push(...this.channel.tick(now));
    });
  }

  /** When tick() next has work (ms, like now()), or undefined. */
  get nextDeadline(): number | undefined {
    return this.phase.kind === 'failed' ? undefined : this.channel.nextDeadline;
  }

  /** close() was called during a renegotiation; close_notify follows its completion. */
  get closePending(): boolean {
    return this.phase.kind === 'handshaking' && this.phase.closeAfter;
  }

  /** write() would hold its data now, not seal it at once (before the first handshake
   *  completes, or in a renegotiation's window between ChangeCipherSpec and Finished). */
  get holdsWrites(): boolean {
    return this.phase.kind !== 'failed' && this.mustHoldWrites();
  }

  /** Bytes of application data held back (initial handshake or renegotiation window). */
  get heldWriteBytes(): number {
    return this.heldBytes;
  }

  /**
   * Start a renegotiation (RFC 5746). Client: a new ClientHello; server: a HelloRequest.
   * Returns false when one cannot start now (handshake in progress, not established, peer did
   * not signal secure renegotiation, connection closed).
   */
  renegotiate(opts: RenegotiateOptions = {}): boolean {
    if (this.phase.kind !== 'established' || this.sentCloseNotify || this.receivedCloseNotify) return false;
    // RFC 5746 §4.2/§4.4: never renegotiate with a peer that did not signal support.
    if (!this.session!.secureRenegotiation) return false;
    if (this.config.role === 'client') {
      this.guard(() => {
        this.channel.beginHandshake?.();
        this.startHandshake(new ClientHandshake(this, {
          binding: this.binding(),
          suites: opts.cipherSuites,
          reuseRandom: this.dtlsRandomReuse(),
          session: opts.resume ? this.sessionState : undefined,
        }), 'local').start();
        this.flushHandshake();
      });
    } else {
      this.serverHandshakeOptions = {
        requestCert: opts.requestCert ?? this.config.requestCert,
        rejectUnauthorized: opts.rejectUnauthorized ?? this.config.rejectUnauthorized,
        cipherSuites: opts.cipherSuites,
      };
      // RFC 5246 §7.4.1.1: HelloRequest asks the client to begin a new handshake; it is not
      // part of any handshake transcript.
      this.phase = HELLO_REQUESTED;
      this.channel.beginHandshake?.();
      this.sendHandshake({ type: 'hello_request' });
      this.flushHandshake();
    }
    return true;
  }

  /** Send close_notify (RFC 5246 §7.2.1). Held writes are sent first. */
  close(): void {
    if (this.sentCloseNotify || this.phase.kind === 'failed') return;
    if (this.phase.kind === 'handshaking' && this.session && !this.receivedCloseNotify) {
      // A renegotiation is in progress: close_notify now would leave it half done (the peer
      // stops reading handshake messages and keeps its held writes). Finish it first.
      this.phase.closeAfter = true;
      return;
    }
    if (this.phase.kind === 'hello-requested') this.endHandshake();
    this.flushHeldWrites(true);
    this.sentCloseNotify = true;
    this.sendAlert(AlertLevel.warning, AlertDescription.close_notify);
  }

  // --- outputs -------------------------------------------------------------------------------

  /** Bytes for the transport, in order; empties the queue. */
  takeOutput(): Uint8Array[] {
    const out = this.output;
    this.output = [];
    return out;
  }

  takeEvents(): EngineEvent[] {
    const ev = this.events;
    this.events = [];
    return ev;
  }

  get handshaking(): boolean {
    return this.phase.kind === 'handshaking' || this.phase.kind === 'hello-requested';
  }

  get established(): boolean {
    return this.session !== undefined;
  }

  get failed(): boolean {
    return this.phase.kind === 'failed';
  }

  get cipherSuite(): CipherSuite | undefined {
    return this.session?.suite;
  }

  /** The current session as resumable state (getSession()), or undefined before the first
   *  handshake. */
  get sessionState(): SessionState | undefined {
    if (!this.session) return undefined;
    return sessionStateOf(this.session, this.channel.dtls ? ProtocolVersion.DTLS1_2 : ProtocolVersion.TLS1_2);
  }

  /** setMaxSendFragment(): largest plaintext per record we send (512..16384). */
  setMaxSendFragment(size: number): boolean {
    if (!Number.isInteger(size) || size < 512 || size > 16384) return false;
    this.channel.maxFragment = size;
    return true;
  }

  // --- HandshakeHost -------------------------------------------------------------------------

  get identities(): readonly LocalIdentity[] {
    return this.currentIdentities;
  }

  sendHandshake(msg: HandshakeMessage): Uint8Array {
    const body = encodeBody(msg, this.channel.dtls);
    this.trace?.(`Sent handshake: ${msg.type} (${body.length} bytes)`);
    return this.channel.queueHandshake(HandshakeType[msg.type], body);
  }

  setPendingStates(read: RecordProtection, write: RecordProtection): void {
    this.channel.setPending(read, write);
  }

  masterSecretReady(clientRandom: Uint8Array, masterSecret: Uint8Array): void {
    this.events.push({ type: 'keylog', clientRandom, masterSecret });
  }

  clientHelloReceived(hello: ClientHelloInfo): boolean {
    if (!this.config.awaitClientHello) return false;
    this.helloWait = { messages: [], input: [] };
    this.events.push({ type: 'client-hello', hello });
    return true;
  }

  requestOcspResponse(chain: readonly Uint8Array[]): void {
    this.events.push({ type: 'ocsp-request', chain });
  }

  ocspResponseReceived(response: Uint8Array | null): void {
    this.events.push({ type: 'ocsp-response', response });
  }

  sendChangeCipherSpec(): void {
    this.trace?.('Sent ChangeCipherSpec');
    this.output.push(...this.channel.changeCipherSpec());
  }

  // --- internals -----------------------------------------------------------------------------

  private binding(): RenegotiationBinding {
    const s = this.session!;
    return { clientVerifyData: s.clientVerifyData, serverVerifyData: s.serverVerifyData, encryptThenMac: s.encryptThenMac };
  }

  /** Run `fn`; a TlsError ends the connection with its alert, flushing queued handshake bytes. */
  private guard(fn: () => void): void {
    try {
      fn();
      this.flushHandshake();
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    const err = e instanceof TlsError ? e : new TlsError(ErrorCode.INTERNAL, `internal error: ${(e as Error)?.message ?? e}`, 'internal_error');
    if (!(e instanceof TlsError) && e instanceof Error) err.stack = e.stack;
    if (this.phase.kind === 'failed') return;
    this.abort(err.alert);
    this.events.push({ type: 'error', error: err });
  }

  /**
   * Fail the connection now, with a fatal alert when `alert` is given (RFC 5246 §7.2.2), and no
   * 'error' event: the caller reports its own error (the shell refusing a ClientHello whose
   * SNICallback failed). Held writes are dropped.
   */
  abort(alert?: number): void {
    if (this.phase.kind === 'failed') return;
    this.helloWait = undefined;
    if (alert !== undefined && !this.sentCloseNotify) {
      try {
        this.sendAlert(AlertLevel.fatal, alert);
      } catch {
        /* the alert itself could not be encoded; nothing more to send */
      }
    }
    this.phase = FAILED;
    if (this.heldWrites) this.heldWrites = undefined;
    this.heldBytes = 0;
  }

  private sendAlert(level: number, description: number): void {
    this.trace?.(`Sent alert: ${level === AlertLevel.fatal ? 'fatal' : 'warning'} ${alertName(description)}`);
    this.flushHandshake();
    this.output.push(...this.channel.encode(ContentType.alert, new Uint8Array([level, description])));
  }

  /** Put queued handshake messages into records (one burst for a whole flight). */
  private flushHandshake(): void {
    this.output.push(...this.channel.flush());
  }

  private mustHoldWrites(): boolean {
    if (!this.session) return true; // RFC 5246 §7.3: no application data before the first Finished
    const hs = this.handshake;
    if (!hs || this.config.sendPolicy === 'eager') return false;
    return hs.holdsWrites;
  }

  private flushHeldWrites(force = false): void {
    const held = this.heldWrites;
    if (held === undefined || (!force && this.mustHoldWrites())) return;
    this.heldWrites = undefined;
    this.heldBytes = 0;
    if (this.channel.dtls) {
      // RFC 6347: each write is its own record (datagram boundaries are kept).
      for (const h of held) this.output.push(...this.channel.encode(ContentType.application_data, h));
      return;
    }
    // TLS: one burst, concatenated, then split into full records by the record layer.
    this.output.push(...this.channel.encode(ContentType.application_data, concatBytes(...held)));
  }

  private onRecord(type: number, data: Uint8Array): void {
    // As OpenSSL: a non-empty record that is not an alert ends a run of warning alerts.
    if (type !== ContentType.alert && data.length > 0) this.warningAlertsInRow = 0;
    switch (type) {
      case ContentType.handshake:
        if (data.length === 0) {
          // RFC 5246 §6.2.1: zero-length fragments of handshake type are not allowed.
          throw new TlsError(ErrorCode.DECODE, 'empty handshake record', 'decode_error');
        }
        for (const m of this.channel.handshakeIn(data)) {
          // Messages after a ClientHello that waits for the application wait with it.
          if (this.helloWait) this.helloWait.messages.push(m);
          else this.onHandshakeMessage(m.type, m.body, m.raw);
        }
        return;
      case ContentType.change_cipher_spec:
        this.onChangeCipherSpec(data);
        return;
      case ContentType.alert:
        this.onAlert(data);
        return;
      case ContentType.application_data:
        this.onApplicationData(data);
        return;
    }
  }

  private onChangeCipherSpec(data: Uint8Array): void {
    // RFC 5246 §7.1: one byte of value 1, and never in the middle of a handshake message. Any
    // other body is a message that cannot come here: unexpected_message (OpenSSL answers the
    // same, SSL_R_BAD_CHANGE_CIPHER_SPEC), not decode_error.
    if (data.length !== 1 || data[0] !== 1) {
      throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, `malformed ChangeCipherSpec (${data.length} bytes)`, 'unexpected_message');
    }
    this.trace?.('Received ChangeCipherSpec');
    const hs = this.handshake;
    if (this.channel.dtls && (!hs || !hs.expectsChangeCipherSpec)) {
      // RFC 6347 §4.2.4: a ChangeCipherSpec from a retransmitted flight; the handshake layer
      // answers the flight's other messages by resending our last flight.
      return;
    }
    if (!hs || !hs.expectsChangeCipherSpec || this.channel.handshakePartial) {
      throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, 'unexpected ChangeCipherSpec', 'unexpected_message');
    }
    this.channel.activateRead();
    hs.onChangeCipherSpec();
  }

  private onAlert(data: Uint8Array): void {
    // RFC 5246 §7.2: two bytes; a record may in theory hold several alerts. An empty or odd
    // record is not an alert: unexpected_message, as OpenSSL (SSL_R_INVALID_ALERT).
    if (data.length === 0 || data.length % 2 !== 0) {
      throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, `malformed alert record (${data.length} bytes)`, 'unexpected_message');
    }
    for (let i = 0; i < data.length; i += 2) {
      const level = data[i]!;
      const desc = data[i + 1]!;
      this.trace?.(`Received alert: ${level === AlertLevel.fatal ? 'fatal' : level === AlertLevel.warning ? 'warning' : `level ${level}`} ${alertName(desc)}`);
      if (desc === AlertDescription.close_notify) {
        // RFC 5246 §7.2.1: the peer will send nothing more.
        this.receivedCloseNotify = true;
        const closeAfter = this.phase.kind === 'handshaking' && this.phase.closeAfter;
        this.abandonRenegotiation('peer closed the connection during the renegotiation');
        this.events.push({ type: 'peer-closed' });
        if (closeAfter) this.close();
        return;
      }
      if (level === AlertLevel.fatal || level !== AlertLevel.warning) {
        const err = new TlsError(ErrorCode.ALERT_RECEIVED, `peer sent fatal alert ${alertName(desc)} (${desc})`);
        err.alertReceived = alertName(desc);
        this.phase = FAILED;
        this.events.push({ type: 'error', error: err });
        return;
      }
      this.checkWarningAlert(desc);
      if (desc === AlertDescription.no_renegotiation) {
        this.onNoRenegotiation();
        continue;
      }
      this.events.push({ type: 'warning', alert: alertName(desc) });
    }
  }

  /**
   * A warning alert (not close_notify) arrived. Warnings cost the peer two bytes and us a record
   * each, so they are bounded (CVE-2016-8610):
   * - a server takes none before it has answered the first ClientHello: no handshake is running
   *   that a warning could be about (as OpenSSL and node:tls: unexpected_message);
   * - after that, at most maxWarningAlertsInRow in a row; the next is fatal.
   */
  private checkWarningAlert(desc: number): void {
    if (this.config.role === 'server' && !this.session && (!this.handshake || this.handshake.awaitsFirstPeerMessage)) {
      throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, `warning alert ${alertName(desc)} before the handshake began`, 'unexpected_message');
    }
    const limit = this.config.maxWarningAlertsInRow ?? DEFAULT_MAX_WARNING_ALERTS_IN_ROW;
    if (++this.warningAlertsInRow > limit) {
      throw new TlsError(ErrorCode.TOO_MANY_WARN_ALERTS, `too many warning alerts in a row (${this.warningAlertsInRow}, limit ${limit})`, 'unexpected_message');
    }
  }

  /** RFC 5246 §7.2.2 no_renegotiation (warning): the peer declined our renegotiation. */
  private onNoRenegotiation(): void {
    const hs = this.handshake;
    const waiting = this.config.role === 'client'
      ? hs !== null && hs.awaitsFirstPeerMessage && this.session !== undefined
      : this.phase.kind === 'hello-requested';
    if (!waiting) {
      if (!this.session) {
        throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'peer refused the handshake (no_renegotiation)', 'handshake_failure');
      }
      this.events.push({ type: 'warning', alert: 'no_renegotiation' });
      return;
    }
    this.endHandshake();
    this.channel.cancelHandshake?.();
    this.events.push({
      type: 'renegotiation-refused',
      error: new TlsError(ErrorCode.RENEGOTIATION_REFUSED, 'peer refused to renegotiate (no_renegotiation alert)'),
    });
    this.flushHeldWrites();
  }

  private onApplicationData(data: Uint8Array): void {
    const hs = this.handshake;
    if (hs && hs.awaitsPeerFinished && this.channel.dtls) {
      // RFC 6347 §4.1: datagrams reorder, so data of the new epoch (authenticated under the
      // keys this handshake agreed) may overtake the peer's Finished, in the first handshake as
      // in a renegotiation; keep it until the Finished arrives (bounded; beyond that it is
      // lost, as UDP is). If the Finished never verifies, the handshake fails and it is dropped.
      const early = (this.earlyAppData ??= []);
      if (early.length < 64) early.push(data);
      return;
    }
    if (!this.session) {
      // RFC 5246 §7.3: no application data before the first handshake completes.
      throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, 'application data before the handshake completed', 'unexpected_message');
    }
    // RFC 5246 §7.4.9: Finished is the first thing after ChangeCipherSpec; data between is illegal.
    if (hs && hs.awaitsPeerFinished) {
      throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, 'application data between ChangeCipherSpec and Finished', 'unexpected_message');
    }
    // RFC 5246 §6.2.1: zero-length application data fragments may be sent (traffic analysis).
    if (data.length === 0) return;
    this.events.push({ type: 'data', data, duringRenegotiation: this.handshaking });
  }

  private onHandshakeMessage(type: number, body: Uint8Array, raw: Uint8Array): void {
    this.trace?.(`Received handshake: ${handshakeTypeName(type) ?? `type ${type}`} (${body.length} bytes)`);
    if (type === HandshakeType.hello_request) {
      // RFC 5246 §7.2.2: the state check comes first (a server never takes a HelloRequest,
      // whatever its body), then the body (empty, §7.4.1.1).
      if (this.config.role !== 'client') {
        throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, 'HelloRequest sent to a server', 'unexpected_message');
      }
      decodeBody(type, body, this.channel.dtls);
      this.onHelloRequest();
      return;
    }
    if (!this.handshake && this.session) {
      if (this.config.role === 'server' && type === HandshakeType.client_hello) {
        if (!this.acceptPeerRenegotiation()) return;
      } else {
        throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, `unexpected handshake message ${type} after the handshake`, 'unexpected_message');
      }
    }
    if (!this.handshake && this.config.role === 'server' && !this.session) {
      this.startHandshake(new ServerHandshake(this, this.configuredServerHandshake()), 'peer');
    }
    const hs = this.handshake;
    // RFC 5246 §7.2.2 / §7.3: a message the current state does not take is unexpected_message,
    // decided on its type before its body is decoded (a ClientHello body under another type is
    // not a decode_error).
    if (!hs || !hs.accepts(type)) {
      const state = hs ? ` in state ${hs.stateName}` : '';
      throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, `unexpected handshake message ${handshakeTypeName(type) ?? `type ${type}`}${state}`, 'unexpected_message');
    }
    hs.handle(decodeBody(type, body, this.channel.dtls), raw);
    this.flushHandshake();
    if (hs.result) this.onHandshakeComplete(hs.result);
  }

  /** Server, established: a ClientHello arrived. Returns whether a new handshake starts. */
  private acceptPeerRenegotiation(): boolean {
    const c = this.config;
    const weAsked = this.phase.kind === 'hello-requested';
    this.endHandshake();
    // RFC 5746 §4.4: never renegotiate with a client that did not signal support; RFC 5246
    // §7.2.2: a declined renegotiation gets a no_renegotiation warning.
    if (!this.session!.secureRenegotiation || (!weAsked && c.allowRenegotiation === false)) {
      this.channel.cancelHandshake?.();
      this.sendAlert(AlertLevel.warning, AlertDescription.no_renegotiation);
      if (this.session!.secureRenegotiation) this.events.push({ type: 'renegotiation-declined' });
      return false;
    }
    if (!weAsked) {
      this.countPeerRenegotiation();
      this.serverHandshakeOptions = undefined;
    }
    const o = this.serverHandshakeOptions ?? this.configuredServerHandshake();
    this.serverHandshakeOptions = undefined;
    // One literal, no spread: V8 keeps one hidden class for it.
    const options: ServerHandshakeOptions = { requestCert: o.requestCert, rejectUnauthorized: o.rejectUnauthorized, cipherSuites: o.cipherSuites, fullHandshake: this.identitiesChanged };
    this.startHandshake(new ServerHandshake(this, options, this.binding()), weAsked ? 'local' : 'peer');
    return true;
  }

  /** Server: the handshake options of the connection's config (node:tls requestCert and
   *  rejectUnauthorized), for a handshake the client starts. */
  private configuredServerHandshake(): ServerHandshakeOptions {
    return { requestCert: this.config.requestCert, rejectUnauthorized: this.config.rejectUnauthorized };
  }

  /**
   * Server: the application's answer to an 'ocsp-request' event: a DER OCSPResponse to staple
   * (RFC 6066 §8 CertificateStatus), or null for none. The waiting flight goes out.
   */
  respondOcsp(response: Uint8Array | null): void {
    const hs = this.handshake;
    if (!(hs instanceof ServerHandshake)) return;
    this.guard(() => hs.respondOcsp(response));
  }

  /**
   * Our certificates from the next certificate choice on (node:tls setKeyCert()): a server
   * chooses among them at its next ClientHello (the current one when called from a callback of
   * the ClientHello, e.g. ALPNCallback), and does not resume a session in the next
   * renegotiation (the session was proved under the old certificate); a client presents them
   * when a server asks for a certificate.
   */
  setIdentities(identities: readonly LocalIdentity[]): void {
    this.currentIdentities = identities;
    if (this.session) this.identitiesChanged = true;
  }

  /** Client: RFC 5246 §7.4.1.1 HelloRequest. */
  private onHelloRequest(): void {
    // §7.4.1.1: ignored while a handshake is being negotiated.
    if (this.handshake || !this.session) return;
    if (!this.session.secureRenegotiation || this.config.allowRenegotiation === false) {
      this.channel.cancelHandshake?.();
      this.sendAlert(AlertLevel.warning, AlertDescription.no_renegotiation);
      if (this.session.secureRenegotiation) this.events.push({ type: 'renegotiation-declined' });
      return;
    }
    this.countPeerRenegotiation();
    // As OpenSSL's client (SSL_renegotiate_abbreviated on a HelloRequest, measured with
    // node:tls): offer the current session; the server chooses an abbreviated or a full handshake.
    this.startHandshake(new ClientHandshake(this, { binding: this.binding(), reuseRandom: this.dtlsRandomReuse(), session: this.sessionState }), 'peer').start();
  }

  /** See ClientHandshake: DTLS renegotiations keep the first client_random (OpenSSL interop). */
  private dtlsRandomReuse(): Uint8Array | undefined {
    return this.channel.dtls ? this.session?.clientRandom : undefined;
  }

  /** node:tls's CLIENT_RENEG_LIMIT per CLIENT_RENEG_WINDOW, for peer-started renegotiations. */
  private countPeerRenegotiation(): void {
    const limit = this.config.renegotiationLimit ?? 3;
    const windowMs = this.config.renegotiationWindow ?? 600_000;
    const now = this.config.now();
    // The times are kept in the order they came: the expired ones are at the front. The list is
    // made at the first renegotiation the peer starts (most connections never have one).
    const times = (this.peerRenegotiations ??= []);
    let expired = 0;
    while (expired < times.length && now - times[expired]! >= windowMs) expired++;
    if (expired > 0) times.splice(0, expired);
    times.push(now);
    if (times.length > limit) {
      throw new TlsError(ErrorCode.SESSION_ATTACK, `TLS session renegotiation attack detected (${times.length} in ${windowMs / 1000} s)`, 'handshake_failure');
    }
  }

  /**
   * A renegotiation that can no longer complete (the peer sent close_notify): drop it, release
   * held writes under the current keys, and tell the initiator.
   */
  private abandonRenegotiation(why: string): void {
    if (!this.session || !this.handshaking) return;
    const ours = this.phase.kind === 'hello-requested' || (this.phase.kind === 'handshaking' && this.phase.initiator === 'local');
    this.endHandshake();
    this.channel.cancelHandshake?.();
    // DTLS data of the new epoch held for the peer's Finished (authenticated under keys agreed
    // inside the current session) was sent before the peer closed: deliver it, not drop it.
    const early = this.earlyAppData ?? [];
    if (this.earlyAppData) this.earlyAppData = undefined;
    for (const d of early) this.events.push({ type: 'data', data: d, duringRenegotiation: true });
    // The connection is closing, not refusing: the same code as a renegotiation cut short by a
    // closed socket (ECONNRESET).
    if (ours) this.events.push({ type: 'renegotiation-refused', error: new TlsError(ErrorCode.SOCKET_CLOSED, why) });
    this.flushHeldWrites(true);
  }

  /**
   * DESIGN.md invariant 5 (triple-handshake defence): a renegotiation may not change who the peer
   * is, unless allowPeerIdentityChange. The identity is a certificate (after an abbreviated
   * handshake, the resumed session's stored chain: RFC 5246 §7.3, so resuming another peer's
   * session is caught) or a PSK identity (RFC 4279); switching from one kind to the other is a
   * change too. The handshake asks as soon as the peer has shown it (its Certificate, its PSK
   * identity, the session it resumes), before we send our Finished, so that a peer refused here
   * never sees the renegotiation complete (HandshakeHost.checkPeerIdentity).
   */
  checkPeerIdentity(chain: readonly Uint8Array[], pskIdentity: string | undefined): void {
    const previous = this.session;
    if (!previous || this.config.allowPeerIdentityChange) return;
    const was = previous.peerChain[0];
    const now = chain[0];
    const changed =
      (was !== undefined && now !== undefined && !constantTimeEqual(was, now)) ||
      (previous.pskIdentity !== undefined && pskIdentity !== undefined && previous.pskIdentity !== pskIdentity) ||
      (was !== undefined && pskIdentity !== undefined) ||
      (previous.pskIdentity !== undefined && now !== undefined);
    if (changed) {
      const what = pskIdentity !== undefined || previous.pskIdentity !== undefined ? 'peer identity (certificate or PSK)' : 'peer certificate';
      throw new TlsError(ErrorCode.PEER_IDENTITY_CHANGED, `${what} changed during renegotiation`, 'handshake_failure');
    }
  }

  /** A renegotiation that proved nothing new (no certificate asked for or sent, no PSK) keeps
   *  the identity already proved on this connection. Returns the result to keep. */
  private keepPeerIdentity(previous: HandshakeResult, result: HandshakeResult): HandshakeResult {
    this.checkPeerIdentity(result.peerChain, result.pskIdentity);
    const was = previous.peerChain[0];
    const now = result.peerChain[0];
    if (now === undefined && was !== undefined && result.pskIdentity === undefined) {
      return { ...result, peerChain: previous.peerChain, authorized: previous.authorized, authorizationError: previous.authorizationError };
    }
    return result;
  }

  private onHandshakeComplete(result: HandshakeResult): void {
    const previous = this.session;
    const { initiator, closeAfter } = this.phase.kind === 'handshaking' ? this.phase : { initiator: 'local' as const, closeAfter: false };
    if (!result.resumed && this.identitiesChanged) this.identitiesChanged = false;
    if (result.resumed && this.config.role === 'client') this.masterSecretReady(result.clientRandom, result.masterSecret);
    this.channel.handshakeDone();
    if (previous) result = this.keepPeerIdentity(previous, result);
    // What an idle connection keeps of the handshake: a compact copy (retained-session.ts);
    // the handshake itself, its transcript and key exchange go with endHandshake().
    this.session = retainedSession(result);
    this.endHandshake();
    this.events.push({ type: 'handshake', renegotiation: previous !== undefined, initiator, resumed: result.resumed });
    const early = this.earlyAppData ?? [];
    if (this.earlyAppData) this.earlyAppData = undefined;
    for (const d of early) this.events.push({ type: 'data', data: d, duringRenegotiation: false });
    this.flushHeldWrites();
    if (closeAfter) this.close();
  }
}
