// SecureDuplex: the thin stream shell over the sans-IO Engine (DESIGN.md "Shell").
// It feeds transport bytes to the engine, writes the engine's output to the transport, maps
// engine events to stream events, and owns backpressure: when push() returns false we stop
// reading the transport and resume in _read(); writes complete when the transport takes them.
//
// Built on node:stream (not readable-stream): on Node 20 they are the same code (readable-stream
// v4 is a copy of Node's), node:stream is what net.Socket and tls.TLSSocket extend, and it
// avoids a dependency. See docs/architecture.md.
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { toPeerCertificate } from '../crypto/peer-certificate.js';
import { pemBlocks } from '../crypto/pem.js';
import { TlsError, ErrorCode } from '../errors.js';
import { parseCipherList } from '../engine/cipher-suites.js';
import { Engine, type EngineEvent, type EngineOptions, type RenegotiateOptions } from '../engine/engine.js';

export interface CipherInfo {
  name: string;
  standardName: string;
  version: 'TLSv1.2';
}

type RenegotiateCallback = (err: Error | null) => void;

/** node:tls renegotiate() options, plus `ciphers` to change the suite in this renegotiation. */
export interface RenegotiationOptions {
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  ciphers?: string;
}

export interface SecureDuplexOptions {
  isServer: boolean;
  engine: EngineOptions;
  /** node:tls: when false (default), the readable side ending also ends the writable side. */
  allowHalfOpen?: boolean;
  /** Abort the handshake after this many ms (node:tls handshakeTimeout, default 120 s). */
  handshakeTimeout?: number;
}

/** Unread plaintext we accept past the highWaterMark while a renegotiation is in progress. */
export const RENEGOTIATION_READ_CAP = 8 * 1024 * 1024;

const GROUP_NAMES: Record<number, string> = { 23: 'prime256v1', 24: 'secp384r1', 29: 'X25519' };

export class SecureDuplex extends Duplex {
  /** node:tls compatibility: always true. */
  readonly encrypted = true;
  readonly engine: Engine;
  /** The underlying transport. */
  readonly socket: Duplex;
  authorized = false;
  authorizationError: Error | undefined;
  alpnProtocol: string | false | null = null;
  servername: string | false | undefined;
  /** Count of completed renegotiations. */
  renegotiations = 0;
  private readonly isServer: boolean;
  private secureEstablished = false;
  private renegotiateCallback: RenegotiateCallback | undefined;
  /** Write callbacks waiting for held data to reach the transport. */
  private heldCallbacks: (() => void)[] = [];
  private transportPaused = false;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private ended = false;
  /** _final's callback while close_notify waits for a renegotiation to complete. */
  private pendingFinal: ((err?: Error | null) => void) | undefined;

  constructor(socket: Duplex, options: SecureDuplexOptions) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false, decodeStrings: true });
    this.socket = socket;
    this.isServer = options.isServer;
    this.engine = new Engine(options.engine);
    socket.on('data', (chunk: Buffer) => this.onTransportData(chunk));
    socket.on('end', () => this.onTransportEnd());
    socket.on('error', (err: Error) => this.destroy(err));
    socket.on('close', () => this.onTransportClose());
    socket.on('drain', () => this.emit('transportDrain'));
    const timeout = options.handshakeTimeout ?? 120_000;
    if (timeout > 0) {
      this.handshakeTimer = setTimeout(() => {
        const e = new TlsError(ErrorCode.HANDSHAKE_TIMEOUT, 'TLS handshake timeout');
        this.destroy(e);
      }, timeout);
      this.handshakeTimer.unref?.();
    }
  }

  /** Client: send the ClientHello now (connect() calls this once the transport is connected). */
  startHandshake(): void {
    this.engine.start();
    this.pump();
  }

  // --- node:tls TLSSocket surface ------------------------------------------------------------

  getProtocol(): string | null {
    return this.engine.established ? 'TLSv1.2' : null;
  }

  getCipher(): CipherInfo | undefined {
    const s = this.engine.cipherSuite;
    return s ? { name: s.opensslName, standardName: s.name, version: 'TLSv1.2' } : undefined;
  }

  /** node:tls getEphemeralKeyInfo(): the ECDHE group of the last handshake. */
  getEphemeralKeyInfo(): { type: 'ECDH'; name: string; size: number } | object | null {
    const sess = this.engine.session;
    if (!sess) return null;
    if (this.isServer) return {};
    const name = GROUP_NAMES[sess.group] ?? String(sess.group);
    return { type: 'ECDH', name, size: sess.group === 24 ? 384 : sess.group === 29 ? 253 : 256 };
  }

  getPeerCertificate(detailed = false): object {
    const chain = this.engine.session?.peerChain;
    if (!chain || chain.length === 0) return {};
    return toPeerCertificate(chain, detailed);
  }

  getCertificate(): object | null {
    const chain = this.engine.session?.localChain;
    return chain && chain.length > 0 ? toPeerCertificate(chain, false) : null;
  }

  getFinished(): Buffer | undefined {
    const s = this.engine.session;
    if (!s) return undefined;
    return Buffer.from(this.isServer ? s.serverVerifyData : s.clientVerifyData);
  }

  getPeerFinished(): Buffer | undefined {
    const s = this.engine.session;
    if (!s) return undefined;
    return Buffer.from(this.isServer ? s.clientVerifyData : s.serverVerifyData);
  }

  isSessionReused(): boolean {
    return false;
  }

  setMaxSendFragment(size: number): boolean {
    return this.engine.setMaxSendFragment(size);
  }

  /**
   * Start a renegotiation (node:tls signature). Client: a new handshake; server: a HelloRequest
   * (with `requestCert` it asks the client for a certificate). The callback fires once.
   */
  renegotiate(options: RenegotiationOptions = {}, callback?: RenegotiateCallback): boolean {
    const engineOptions: RenegotiateOptions = {
      requestCert: options.requestCert,
      rejectUnauthorized: options.rejectUnauthorized,
      cipherSuites: options.ciphers === undefined ? undefined : parseCipherList(options.ciphers),
    };
    const started = !this.destroyed && !this.renegotiateCallback && this.engine.renegotiate(engineOptions);
    if (!started) {
      if (callback) {
        const why = !this.engine.session?.secureRenegotiation && this.engine.established
          ? 'peer did not signal secure renegotiation (RFC 5746)'
          : 'a handshake is in progress or the connection is not established';
        process.nextTick(callback, new TlsError(ErrorCode.RENEGOTIATION_REFUSED, `cannot renegotiate: ${why}`));
      }
      return false;
    }
    this.renegotiateCallback = callback ?? (() => undefined);
    this.pump();
    return true;
  }

  /** Transport address passthroughs (net.Socket when the transport is one). */
  address(): ReturnType<Socket['address']> | {} {
    const s = this.socket as Partial<Socket>;
    return typeof s.address === 'function' ? s.address() : {};
  }

  get remoteAddress(): string | undefined {
    return (this.socket as Partial<Socket>).remoteAddress;
  }

  get remotePort(): number | undefined {
    return (this.socket as Partial<Socket>).remotePort;
  }

  get remoteFamily(): string | undefined {
    return (this.socket as Partial<Socket>).remoteFamily;
  }

  get localAddress(): string | undefined {
    return (this.socket as Partial<Socket>).localAddress;
  }

  get localPort(): number | undefined {
    return (this.socket as Partial<Socket>).localPort;
  }

  setNoDelay(noDelay?: boolean): this {
    (this.socket as Partial<Socket>).setNoDelay?.(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    (this.socket as Partial<Socket>).setKeepAlive?.(enable, initialDelay);
    return this;
  }

  setTimeout(ms: number, cb?: () => void): this {
    const s = this.socket as Partial<Socket>;
    if (s.setTimeout) {
      s.setTimeout(ms);
      if (cb) this.once('timeout', cb);
      if (!this.listenerCount('timeout') || !s.listenerCount?.('timeout')) s.on?.('timeout', () => this.emit('timeout'));
    }
    return this;
  }

  // --- Duplex --------------------------------------------------------------------------------

  override _read(): void {
    if (this.transportPaused) {
      this.transportPaused = false;
      this.socket.resume();
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writeData(chunk, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.writeData(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  private writeData(data: Buffer, cb: (err?: Error | null) => void): void {
    if (this.engine.failed) {
      cb(new TlsError('ERR_STREAM_DESTROYED', 'the TLS connection has failed'));
      return;
    }
    try {
      this.engine.write(data);
    } catch (e) {
      cb(e as Error);
      return;
    }
    const held = this.engine.heldWriteBytes > 0;
    const flushed = this.pump();
    if (held) {
      // Completes when the held data goes out (end of the handshake or of the held window).
      this.heldCallbacks.push(() => cb());
    } else if (flushed) {
      cb();
    } else {
      this.socket.once('drain', () => cb());
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.engine.close();
    this.pump();
    if (this.engine.closePending) {
      // A renegotiation is in progress: close_notify goes out when it completes (pump()).
      this.pendingFinal = cb;
      return;
    }
    this.finishWriting(cb);
  }

  private finishWriting(cb: (err?: Error | null) => void): void {
    this.releaseHeldCallbacks();
    const s = this.socket;
    if (!s.writableEnded && !s.destroyed) s.end(() => cb());
    else cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.clearHandshakeTimer();
    if (err && !this.secureEstablished && !this.isServer && !(err instanceof TlsError)) {
      // node:tls wording for a transport that fails before the handshake completes.
    }
    if (!this.socket.destroyed) {
      // Give queued bytes (a fatal alert, close_notify) a chance to leave.
      if (this.socket.writable && !this.socket.writableEnded) this.socket.end();
      this.socket.destroy();
    }
    const cbs = this.heldCallbacks;
    this.heldCallbacks = [];
    for (const c of cbs) c();
    if (this.renegotiateCallback) {
      const rc = this.renegotiateCallback;
      this.renegotiateCallback = undefined;
      rc(err ?? new TlsError(ErrorCode.SOCKET_CLOSED, 'connection closed during renegotiation'));
    }
    cb(err);
  }

  // --- plumbing ------------------------------------------------------------------------------

  private onTransportData(chunk: Buffer): void {
    if (this.destroyed) return;
    this.engine.receive(chunk);
    this.pump();
  }

  private onTransportEnd(): void {
    if (this.destroyed) return;
    if (!this.secureEstablished) {
      const e = new TlsError(ErrorCode.SOCKET_CLOSED, 'Client network socket disconnected before secure TLS connection was established');
      this.destroy(e);
      return;
    }
    // TCP FIN without close_notify: node:tls ends the stream the same way (truncation is not
    // reported as an error); data already delivered stands.
    this.endReadable();
  }

  private onTransportClose(): void {
    if (!this.destroyed) {
      if (!this.secureEstablished) {
        this.destroy(new TlsError(ErrorCode.SOCKET_CLOSED, 'socket closed before the TLS handshake completed'));
      } else {
        this.endReadable();
        this.destroy();
      }
    }
  }

  private endReadable(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
  }

  /** Move engine output to the transport and engine events to the stream. Returns whether the
   *  transport accepted everything without asking us to wait (no backpressure). */
  private pump(): boolean {
    let ok = true;
    const out = this.engine.takeOutput();
    if (out.length > 0 && !this.socket.destroyed && this.socket.writable) {
      if (out.length === 1) {
        ok = this.socket.write(out[0]!);
      } else {
        (this.socket as Partial<Socket>).cork?.();
        for (const o of out) ok = this.socket.write(o) && ok;
        (this.socket as Partial<Socket>).uncork?.();
      }
    }
    for (const ev of this.engine.takeEvents()) this.onEngineEvent(ev);
    if (this.engine.heldWriteBytes === 0) this.releaseHeldCallbacks();
    if (this.pendingFinal && !this.engine.closePending) {
      const cb = this.pendingFinal;
      this.pendingFinal = undefined;
      const out = this.engine.takeOutput();
      for (const o of out) if (!this.socket.destroyed && this.socket.writable) this.socket.write(o);
      this.finishWriting(cb);
    }
    return ok;
  }

  /**
   * Backpressure: stop reading the transport until _read() asks for more. Exception: while a
   * renegotiation is in progress the handshake messages we need are queued behind application
   * data in the same TCP stream, and an application that echoes (pipe()) waits for its held
   * writes, which wait for the handshake: pausing would deadlock. So during a renegotiation we
   * keep reading up to RENEGOTIATION_READ_CAP bytes of unread data, then pause.
   */
  private applyBackpressure(): void {
    if (this.transportPaused) return;
    if (this.engine.handshaking && this.readableLength < RENEGOTIATION_READ_CAP) return;
    this.transportPaused = true;
    this.socket.pause();
  }

  private releaseHeldCallbacks(): void {
    if (this.heldCallbacks.length === 0) return;
    const cbs = this.heldCallbacks;
    this.heldCallbacks = [];
    for (const c of cbs) c();
  }

  private onEngineEvent(ev: EngineEvent): void {
    switch (ev.type) {
      case 'data': {
        if (this.ended) return;
        if (ev.duringRenegotiation) this.emit('renegotiationData', ev.data.length);
        const more = this.push(Buffer.from(ev.data.buffer, ev.data.byteOffset, ev.data.byteLength));
        if (!more) this.applyBackpressure();
        return;
      }
      case 'handshake':
        this.onHandshake(ev.renegotiation, ev.initiator);
        return;
      case 'peer-closed':
        this.endReadable();
        return;
      case 'renegotiation-refused': {
        const rc = this.renegotiateCallback;
        this.renegotiateCallback = undefined;
        rc?.(ev.error);
        return;
      }
      case 'warning':
        this.emit('alert', ev.alert);
        return;
      case 'error':
        this.failWith(ev.error);
        return;
    }
  }

  private failWith(err: TlsError): void {
    // The fatal alert is already queued: flush it before tearing the transport down.
    const out = this.engine.takeOutput();
    if (!this.socket.destroyed && this.socket.writable) {
      for (const o of out) this.socket.write(o);
    }
    this.destroy(err);
  }

  private onHandshake(renegotiation: boolean, initiator: 'local' | 'peer'): void {
    const sess = this.engine.session!;
    this.authorized = sess.authorized;
    this.authorizationError = sess.authorizationError
      ? Object.assign(new TlsError(sess.authorizationError.code, sess.authorizationError.message), {})
      : undefined;
    this.alpnProtocol = sess.alpnProtocol;
    if (this.isServer) this.servername = sess.servername ?? false;
    if (!renegotiation) {
      this.secureEstablished = true;
      this.clearHandshakeTimer();
      this.emit('secure');
      this.emit('_secureEstablished');
      return;
    }
    this.renegotiations++;
    // Back to ordinary backpressure if the reader fell behind during the renegotiation.
    if (this.readableLength >= this.readableHighWaterMark) this.applyBackpressure();
    const cipher = this.getCipher();
    this.emit('renegotiated', { cipher, initiator, authorized: this.authorized });
    if (initiator === 'local' && this.renegotiateCallback) {
      const rc = this.renegotiateCallback;
      this.renegotiateCallback = undefined;
      rc(null);
    }
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }
}

export { pemBlocks };
