// createServer({ transport: 'udp' }): one dgram socket, peers demultiplexed by address and
// port, a SecureDuplex (DTLS) per peer. No state is kept for a peer until it returns a valid
// HelloVerifyRequest cookie (RFC 6347 §4.2.1), so spoofed-address floods cost no memory.
import { createSocket, type RemoteInfo, type Socket as UdpSocket, type SocketOptions } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { CookieJar } from '../engine/dtls/cookie.js';
import { DEFAULT_MAX_REASSEMBLY_BYTES } from '../engine/dtls/dtls-channel.js';
import { ReassemblyBudget, type ReassemblyAccount } from '../engine/dtls/reassembly-budget.js';
import { SecureDuplex } from './secure-duplex.js';
import { DatagramDuplex } from '../transport/datagram-duplex.js';
import { helloVerifyRequest, readClientHello } from '../transport/hello-verify.js';
import type { ClientHello } from '../engine/handshake/message-types.js';
import type { SNICallback } from './sni.js';
import { ServerContext, withServerContext } from './server-context.js';
import type { ServerOptions } from './server.js';
import { equalBytes } from '../equal-bytes.js';
import { ErrorCode } from '../errors.js';

export interface DtlsServerOptions {
  /** Choose the certificate by SNI name (replaces the addContext() lookup, as in node:tls). */
  SNICallback?: SNICallback;
  /** Trace every connection's handshake on stderr (SecureDuplex.enableTrace()). */
  enableTrace?: boolean;
  /** Close a peer after this long without a datagram (ms), default 300 000. */
  idleTimeout?: number;
  /** Most peers kept at once, default 10 000; new ones beyond are ignored. */
  maxPeers?: number;
  handshakeTimeout?: number;
  /** Bytes all peers together may hold for handshake reassembly (and records that arrive
   *  before their epoch), default 16 MiB; each peer also has its own bound (`dtls:
   *  { maxReassemblyBytes }`, default 256 KiB). Past either, fragments are dropped and the
   *  peer retransmits them. */
  maxTotalReassemblyBytes?: number;
  /** SO_RCVBUF / SO_SNDBUF of the UDP socket (node:dgram createSocket options); the kernel's
   *  default receive buffer drops datagrams when many peers send at once. */
  recvBufferSize?: number;
  sendBufferSize?: number;
  /** Key of the HelloVerifyRequest cookies (RFC 6347 §4.2.1), at least 16 bytes; default random
   *  per server. Servers given the same secret accept each other's cookies (workers of one port,
   *  a server restarted on the same address). */
  cookieSecret?: Uint8Array;
  /** Bind the UDP socket with SO_REUSEPORT (node:dgram createSocket's `reusePort`, Node 22.12+
   *  and 23.1+ on Linux and some BSDs): several sockets, in this process or others, share the
   *  port, and the kernel sends all datagrams of one client address and port to the same socket.
   *  In node:cluster workers this also keeps the socket out of the primary's shared handle.
   *  A Node without dgram's `reusePort` ignores it (node:dgram does): the bind then fails with
   *  EADDRINUSE when the port is taken. */
  reusePort?: boolean;
}

/** A peer that has not completed its first handshake is dropped after this long (ms) unless
 *  `handshakeTimeout` says otherwise: far shorter than an established peer's idle time, long
 *  enough for four retransmissions of a lost flight (1 + 2 + 4 + 8 s). */
export const DEFAULT_PENDING_PEER_TIMEOUT = 20_000;

/** Shortest DtlsServerOptions.cookieSecret: a 128-bit HMAC key. */
const MIN_COOKIE_SECRET_BYTES = 16;

/** Default total of DtlsServerOptions.maxTotalReassemblyBytes. */
export const DEFAULT_MAX_TOTAL_REASSEMBLY_BYTES = 16 * 1024 * 1024;

interface Peer {
  transport: DatagramDuplex;
  tls: SecureDuplex;
  lastSeen: number;
  reassembly: ReassemblyAccount;
  /** client_random of the ClientHello that created this association. */
  clientRandom: Uint8Array;
}

export class DtlsServer extends withServerContext(EventEmitter) {
  private socket: UdpSocket | undefined;
  private readonly peers = new Map<string, Peer>();
  private readonly cookies: CookieJar;
  private readonly reassembly: ReassemblyBudget;
  private sweeper: NodeJS.Timeout | undefined;
  private closing = false;
  /** Options, engine options, session cache and ticket keys, SNI choice (shared with Server). */
  override readonly context: ServerContext;

  /** Private (#): they hold the private key, which util.inspect / JSON.stringify must not show. */
  readonly #options: ServerOptions;

  constructor(options: ServerOptions = {}, listener?: (socket: SecureDuplex) => void) {
    super();
    this.#options = options;
    this.context = new ServerContext(options, this, { transport: 'dtls', dtls: options.dtls });
    const e = this.context.engineOptions;
    const secret = options.cookieSecret;
    if (secret !== undefined && (!(secret instanceof Uint8Array) || secret.length < MIN_COOKIE_SECRET_BYTES)) {
      throw Object.assign(
        new TypeError(`The property 'options.cookieSecret' must be a Uint8Array of at least ${MIN_COOKIE_SECRET_BYTES} bytes`),
        { code: ErrorCode.INVALID_ARG },
      );
    }
    this.cookies = new CookieJar(e.provider, e.random, e.now, undefined, secret);
    this.reassembly = new ReassemblyBudget(options.maxTotalReassemblyBytes ?? DEFAULT_MAX_TOTAL_REASSEMBLY_BYTES);
    if (listener) this.on('secureConnection', listener);
  }

  /** Bind like net.Server.listen(): without a host, on all IPv4 interfaces. */
  listen(port = 0, host?: string, cb?: () => void): this {
    const sock = createSocket({
      type: host !== undefined && isIP(host) === 6 ? 'udp6' : 'udp4',
      recvBufferSize: this.#options.recvBufferSize,
      sendBufferSize: this.#options.sendBufferSize,
      // Typed in @types/node 22.12+; node:dgram 20 ignores it.
      ...(this.#options.reusePort ? { reusePort: true } : {}),
    } as SocketOptions);
    this.socket = sock;
    sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    sock.on('error', (err) => this.emit('error', err));
    sock.bind(port, host, () => {
      this.emit('listening');
      cb?.();
    });
    const idle = this.#options.idleTimeout ?? 300_000;
    this.sweeper = setInterval(() => this.sweep(idle), Math.min(idle, 5_000));
    this.sweeper.unref();
    return this;
  }

  address(): { address: string; family: string; port: number } {
    return this.socket!.address();
  }

  /** Number of peers with state (for tests and monitoring). */
  get peerCount(): number {
    return this.peers.size;
  }

  /** Bytes all peers hold now for handshake reassembly (for tests and monitoring). */
  get reassemblyBytes(): number {
    return this.reassembly.used;
  }

  /** The UDP socket's receive buffer (bytes, as the kernel reports it: Linux doubles the size set). */
  getRecvBufferSize(): number {
    return this.socket!.getRecvBufferSize();
  }

  getSendBufferSize(): number {
    return this.socket!.getSendBufferSize();
  }

  /** Like net.Server.close(): stop accepting new peers; the socket closes (and `cb` runs)
   *  once the existing peers have closed. destroy() closes everything now. */
  close(cb?: () => void): void {
    this.closing = true;
    if (cb) this.once('close', cb);
    this.closeWhenIdle();
  }

  /** Close every peer and the socket now. */
  destroy(): void {
    for (const p of this.peers.values()) p.tls.destroy();
    this.peers.clear();
    this.close();
  }

  private closeWhenIdle(): void {
    if (!this.closing || this.peers.size > 0) return;
    if (this.sweeper) clearInterval(this.sweeper);
    const s = this.socket;
    this.socket = undefined;
    if (s) s.close(() => this.emit('close'));
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    const known = this.peers.get(key);
    const info = readClientHello(msg);
    // RFC 6347 §4.2.8: an epoch-0 ClientHello with another client_random from the address of an
    // existing association is a new client there (one that lost its state, or a new socket on a
    // reused port): it goes through the cookie exchange, and the old association ends only when
    // the new one is accepted. The same client_random is this association's own first hello
    // again (a retransmission or a late copy): the association answers it.
    if (known && (info === undefined || equalBytes(info.hello.random, known.clientRandom))) {
      known.lastSeen = Date.now();
      known.transport.deliver(msg);
      return;
    }
    if (!info) return; // not the start of a handshake: nothing to keep
    if (!this.cookies.verify(key, info.hello)) {
      // §4.2.1: stateless answer; the client repeats its hello with the cookie.
      this.socket?.send(helloVerifyRequest(info, this.cookies.make(key, info.hello)), rinfo.port, rinfo.address);
      return;
    }
    if (known) {
      this.peers.delete(key);
      known.reassembly.close();
      known.tls.destroy();
    }
    if (this.closing || this.peers.size >= (this.#options.maxPeers ?? 10_000)) return;
    this.accept(key, rinfo, msg, info.hello, info.recordSeqHi * 2 ** 32 + info.recordSeqLo);
  }

  private accept(key: string, rinfo: RemoteInfo, first: Buffer, hello: ClientHello, recordSeq: number): void {
    const transport = new DatagramDuplex((d) => this.socket?.send(d, rinfo.port, rinfo.address));
    Object.assign(transport, { remoteAddress: rinfo.address, remotePort: rinfo.port, remoteFamily: rinfo.family });
    const engine = this.context.engineOptions;
    const reassembly = this.reassembly.account(engine.dtls?.maxReassemblyBytes ?? DEFAULT_MAX_REASSEMBLY_BYTES);
    const options = this.context.connectionOptions(() => tls, {
      dtls: {
        ...engine.dtls,
        epoch0Seq: recordSeq,
        reassemblyAccount: reassembly,
      },
    });
    // A peer that never completes its first handshake goes sooner than node's 120 s default.
    options.handshakeTimeout ??= DEFAULT_PENDING_PEER_TIMEOUT;
    const tls: SecureDuplex = new SecureDuplex(transport, options);
    this.context.watch(tls);
    const peer: Peer = { transport, tls, lastSeen: Date.now(), reassembly, clientRandom: hello.random.slice() };
    this.peers.set(key, peer);
    const drop = (): void => {
      reassembly.close();
      if (this.peers.get(key) === peer) this.peers.delete(key);
      this.closeWhenIdle();
    };
    tls.once('close', drop);
    // RFC 5246 §7.2.1: after the peer's close_notify nothing more comes from it; the peer is
    // dropped at once (a datagram from its address starts afresh with a cookie exchange),
    // whether or not the application has ended its side yet.
    tls.once('end', drop);
    this.emit('connection', transport);
    transport.deliver(first);
  }

  private sweep(idle: number): void {
    const now = Date.now();
    for (const [key, p] of this.peers) {
      if (now - p.lastSeen > idle) {
        this.peers.delete(key);
        p.reassembly.close();
        p.tls.destroy();
      }
    }
  }
}
