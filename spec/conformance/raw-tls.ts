// Raw TLS 1.2 peers for the conformance specs: crafted records go over a real TCP socket to a
// server (ours, or `openssl s_server -tls1_2` as the reference), and what comes back is reported
// as records: the alerts (level, description) and the handshake messages the server sent, and
// whether it closed the connection. Our server's side of each connection (the error it reported,
// the alerts its engine processed) is recorded by OurServer.
//
// The bytes are framed by the library's own encoders (TlsRecordLayer without keys for records,
// encodeHandshake for handshake messages, the extension encoders), so a test states only what it
// changes in an otherwise valid message.
import * as net from 'node:net';
import { concatBytes } from '../../lib/concat-bytes.js';
import { nobleProvider } from '../../lib/crypto/noble-provider.js';
import { CIPHER_SUITES } from '../../lib/engine/cipher-suites.js';
import { DEFAULT_GROUPS, DEFAULT_SIGNATURE_SCHEMES } from '../../lib/engine/defaults.js';
import { Engine, type EngineOptions } from '../../lib/engine/engine.js';
import type { RecordChannel } from '../../lib/engine/record-channel.js';
import { ByteWriter } from '../../lib/engine/wire.js';
import { createServer, type SecureDuplex, type Server, type ServerOptions } from '../../lib/index.js';
import {
  ContentType, EMPTY_RENEGOTIATION_INFO_SCSV, ExtensionType, NamedGroup, SignatureScheme,
} from '../../lib/engine/constants.js';
import {
  encodeEcPointFormats, encodeExtendedMasterSecret, encodeSignatureAlgorithms, encodeSupportedGroups,
} from '../../lib/engine/handshake/extensions.js';
import { encodeHandshake, HandshakeReassembler } from '../../lib/engine/handshake/messages.js';
import type { ClientHello, Extension, HandshakeMessage } from '../../lib/engine/handshake/message-types.js';
import type { SessionState } from '../../lib/engine/handshake/session.js';
import { TlsRecordLayer } from '../../lib/engine/record/tls-record-layer.js';
import { ErrorCode, type TlsError } from '../../lib/errors.js';
import { seededRandom } from '../helpers/deterministic-random.js';
import { acceptAll } from '../helpers/engine-pair.js';
import { opensslServer, type PeerProcess } from '../helpers/peers.js';
import type { PkiEntry } from '../helpers/pki.js';
import { Condition } from '../helpers/condition.js';
import { within } from '../helpers/within.js';

/** Bound on every wait for a server's answer. */
export const ANSWER_MS = 10_000;

// --- crafted bytes ------------------------------------------------------------------------------

/** `data` as plaintext TLS 1.2 records of `type` (split at 2^14; empty data → one empty record). */
export function records(type: number, data: Uint8Array): Uint8Array {
  return new TlsRecordLayer().encode(type, data);
}

/** A whole handshake message (4-byte header + body) in plaintext records. */
export function handshakeRecord(msg: HandshakeMessage): Uint8Array {
  return records(ContentType.handshake, encodeHandshake(msg));
}

/** One alert record (RFC 5246 §7.2). */
export function alertRecord(level: number, description: number): Uint8Array {
  return records(ContentType.alert, new Uint8Array([level, description]));
}

/** A handshake message of `type` around an arbitrary (e.g. damaged) body: msg_type, uint24
 *  length, body (RFC 5246 §7.4). */
export function handshakeFrame(type: number, body: Uint8Array): Uint8Array {
  return new ByteWriter(4 + body.length).u8(type).opaque24(body).finish();
}

/** ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-ECDSA-AES256-GCM-SHA384: both servers speak them with a
 *  P-256 certificate. */
const ECDSA_SUITES = [0xc02b, 0xc02c];

/** The extensions of clientHello() by default: P-256 and x25519, uncompressed points,
 *  ecdsa_secp256r1_sha256, extended master secret. */
export function defaultExtensions(): Extension[] {
  return [
    { type: ExtensionType.supported_groups, data: encodeSupportedGroups([NamedGroup.secp256r1, NamedGroup.x25519]) },
    { type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([0]) },
    { type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms([SignatureScheme.ecdsa_secp256r1_sha256]) },
    { type: ExtensionType.extended_master_secret, data: encodeExtendedMasterSecret() },
  ];
}

/** A TLS 1.2 ClientHello that ours and OpenSSL's server (P-256 certificate) both answer with a
 *  full flight; `fields` replace its parts. */
export function clientHello(fields: Partial<Omit<ClientHello, 'type'>> = {}): ClientHello {
  return {
    type: 'client_hello',
    version: 0x0303,
    random: new Uint8Array(32).fill(0x5a),
    sessionId: new Uint8Array(0),
    cipherSuites: [...ECDSA_SUITES, EMPTY_RENEGOTIATION_INFO_SCSV],
    compressionMethods: [0],
    extensions: defaultExtensions(),
    ...fields,
  };
}

/** An uncompressed P-256 point that is not on the curve: 04 ‖ x=1 ‖ y=1. */
export const OFF_CURVE_P256 = Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : i === 32 || i === 64 ? 1 : 0));

/** defaultExtensions() with the extension of `type` replaced by `data` (or removed: null). */
export function withExtension(type: number, data: Uint8Array | null): Extension[] {
  const rest = defaultExtensions().filter((e) => e.type !== type);
  return data === null ? rest : [...rest, { type, data }];
}

// --- what came back -------------------------------------------------------------------------------

export interface Alert {
  level: number;
  description: number;
}

export interface Answer {
  /** Alerts the server sent, in order. */
  alerts: Alert[];
  /** HandshakeType of each plaintext handshake message the server sent, in order. */
  handshakes: number[];
  /** Bodies of those messages (same order). */
  bodies: Uint8Array[];
  /** The server closed the connection (FIN or reset) before we stopped listening. */
  closed: boolean;
}

export interface SendOptions {
  /** Stop listening once the server has sent a message of this HandshakeType (it then waits for
   *  us); default: listen until the server closes. */
  until?: number;
  /** Called with the socket once connected, after the bytes were written (e.g. to go on writing). */
  afterWrite?: (socket: net.Socket, answer: Answer) => void | Promise<void>;
}

/** Reads plaintext records out of a server's byte stream (its first flight and alerts are
 *  plaintext; RFC 5246 §6.1), using the library's record framing. */
class AnswerReader {
  private readonly layer = new TlsRecordLayer();
  private readonly messages = new HandshakeReassembler();
  readonly answer: Answer = { alerts: [], handshakes: [], bodies: [], closed: false };
  /** The server sent its ChangeCipherSpec: what follows is encrypted, and not read here. */
  private encrypted = false;

  push(bytes: Uint8Array): void {
    if (this.encrypted) return;
    this.layer.push(bytes);
    for (;;) {
      const rec = this.layer.nextRecord();
      if (!rec) return;
      if (rec.type === ContentType.change_cipher_spec) {
        this.encrypted = true;
        return;
      }
      if (rec.type === ContentType.alert) {
        for (let i = 0; i + 1 < rec.data.length; i += 2) this.answer.alerts.push({ level: rec.data[i]!, description: rec.data[i + 1]! });
      } else if (rec.type === ContentType.handshake) {
        for (const m of this.messages.push(rec.data)) {
          this.answer.handshakes.push(m.type);
          this.answer.bodies.push(m.body);
        }
      }
    }
  }
}

/** Sends a record of `type` now, sealed under the client's current write keys, ahead of the
 *  message being sent (e.g. between its ChangeCipherSpec and its Finished). */
export type Inject = (type: number, data: Uint8Array) => void;

/**
 * What a tampering client may change on its way out (see tamperedClient):
 * - `message`: each handshake message before it is encoded (and enters the client's own
 *   transcript): return it changed, or several messages, or none; `inject` puts a record on the
 *   wire before it;
 * - `output`: each burst of bytes the engine sends (one flight, a ChangeCipherSpec record, the
 *   encrypted Finished), with the engine's record channel to seal extra records under the
 *   current keys: return the bytes to write instead.
 */
export interface Tampering {
  message?: (m: HandshakeMessage, inject: Inject, channel: RecordChannel) => HandshakeMessage | HandshakeMessage[];
  output?: (bytes: Uint8Array, channel: RecordChannel) => Uint8Array | Uint8Array[];
  /** Client: once the first handshake has completed, start a renegotiation (RFC 5746), or this
   *  many in a row (each once the previous one completed); the connection is then followed until
   *  the server closes it, refuses a renegotiation (warning no_renegotiation), or all completed. */
  renegotiate?: boolean | number;
  /** Called on the tampering engine each time a handshake completed (`n`: how many so far, 1 =
   *  the first), before its output is written: e.g. to send HelloRequests or change identity. */
  afterHandshake?: (engine: Engine, n: number) => void;
  /** Called on the tampering engine for each warning alert the peer sent (e.g. to close once a
   *  renegotiation was declined with no_renegotiation). */
  afterWarning?: (engine: Engine, alert: string) => void;
  /** The tampering engine's options (groups, suites, provider, ...) over the defaults. */
  client?: Partial<EngineOptions>;
}

/** A Tampering.message that replaces each message of `type` by `fn(message, inject)`. */
export function onMessage<T extends HandshakeMessage['type']>(
  type: T,
  fn: (m: Extract<HandshakeMessage, { type: T }>, inject: Inject, channel: RecordChannel) => HandshakeMessage | HandshakeMessage[],
): Tampering['message'] {
  return (m, inject, channel) => (m.type === type ? fn(m as Extract<HandshakeMessage, { type: T }>, inject, channel) : m);
}

/** A Tampering.output that changes the body of the message of `type` in a plaintext flight
 *  (one burst of handshake records, before the engine's ChangeCipherSpec) and frames it again. */
export function editFlight(type: number, edit: (body: Uint8Array) => Uint8Array): Tampering['output'] {
  let encrypted = false;
  return (bytes) => {
    encrypted ||= bytes[0] === ContentType.change_cipher_spec;
    if (encrypted || bytes[0] !== ContentType.handshake) return bytes;
    const layer = new TlsRecordLayer();
    const messages = new HandshakeReassembler();
    layer.push(bytes);
    const out: Uint8Array[] = [];
    for (let rec = layer.nextRecord(); rec; rec = layer.nextRecord()) {
      for (const m of messages.push(rec.data)) out.push(m.type === type ? handshakeFrame(type, edit(m.body)) : m.raw);
    }
    return records(ContentType.handshake, concatBytes(...out));
  };
}

/** One of our engines with its outgoing messages and records open to rewriting (Tampering);
 *  `pump` writes what it has to send to `socket` and returns how many handshakes completed. */
function tamperedEngine(role: 'client' | 'server', t: Tampering, options: Partial<EngineOptions>): { engine: Engine; received: string[]; pump: (socket: net.Socket) => number } {
  const engine = new Engine({
    role, provider: nobleProvider, random: seededRandom(`tampered/${role}`), now: () => Date.now(),
    cipherSuites: CIPHER_SUITES, groups: DEFAULT_GROUPS, signatureSchemes: DEFAULT_SIGNATURE_SCHEMES,
    verifier: acceptAll, rejectUnauthorized: true, requestCert: false, identities: [],
    ...options,
    ...t.client,
  });
  const original = engine.sendHandshake.bind(engine);
  const internals = engine as unknown as { channel: RecordChannel; output: Uint8Array[]; flushHandshake(): void };
  const channel = internals.channel;
  const inject: Inject = (type, data) => {
    internals.flushHandshake();
    internals.output.push(...channel.encode(type, data));
  };
  if (t.message) {
    const rewrite = t.message;
    engine.sendHandshake = (m: HandshakeMessage) => {
      const out = [rewrite(m, inject, channel)].flat();
      let raw: Uint8Array = new Uint8Array(0);
      for (const x of out) raw = original(x);
      return raw;
    };
  }
  let completed = 0;
  /** Alerts the peer sent: fatal ones by name, warnings as `warning <name>`. */
  const received: string[] = [];
  const pump = (socket: net.Socket): number => {
    for (;;) {
      for (const o of engine.takeOutput()) for (const b of [t.output ? t.output(o, channel) : o].flat()) socket.write(b);
      let more = false;
      for (const e of engine.takeEvents()) {
        if (e.type === 'handshake') {
          completed++;
          if (t.afterHandshake) {
            t.afterHandshake(engine, completed);
            more = true;
          }
        }
        if (e.type === 'error' && e.error.alertReceived !== undefined) received.push(e.error.alertReceived);
        // A no_renegotiation warning that declines our renegotiation is reported as that.
        const warning = e.type === 'warning' ? e.alert : e.type === 'renegotiation-refused' && e.error.code === ErrorCode.RENEGOTIATION_REFUSED ? 'no_renegotiation' : undefined;
        if (warning !== undefined) {
          received.push(`warning ${warning}`);
          if (t.afterWarning) {
            t.afterWarning(engine, warning);
            more = true;
          }
        }
      }
      if (!more) return completed;
    }
  };
  return { engine, received, pump };
}

/**
 * Our client engine over a raw socket to 127.0.0.1:port, its messages and records open to
 * rewriting: reaches the server states that need real keys (ClientKeyExchange, ChangeCipherSpec,
 * Finished). Returns the server's plaintext answer (its alerts before it switches keys) once it
 * closes the connection, or once the handshake completed.
 */
export async function tamperedClient(port: number, t: Tampering): Promise<Answer & { completed: boolean; completedHandshakes: number; received: string[]; session: SessionState | undefined }> {
  const { engine, received, pump } = tamperedEngine('client', t, { servername: 'localhost', renegotiationLimit: 100 });
  const renegotiations = t.renegotiate === true ? 1 : t.renegotiate || 0;
  let handshakes = 0;
  let started = 0;
  let notStarted = false;
  const answer = await converse(port, {
    start: (socket) => {
      engine.start();
      pump(socket);
      return (bytes) => {
        engine.receive(bytes);
        handshakes = pump(socket);
        if (handshakes === 0) return false;
        // RFC 5746 §4.5 / RFC 5246 §7.2.2: the server declined; the connection goes on.
        if (received.includes('warning no_renegotiation')) return true;
        if (handshakes > started && started < renegotiations) {
          if (!engine.renegotiate()) {
            notStarted = true;
            return true;
          }
          started++;
          pump(socket);
          return false;
        }
        return handshakes > renegotiations;
      };
    },
  });
  if (notStarted) throw new Error(`renegotiation #${started + 1} did not start`);
  return { ...answer, completed: handshakes > 0, completedHandshakes: handshakes, received, session: engine.sessionState };
}

/** What a tampering server saw of the client under test. */
export interface ClientVerdict {
  /** Alerts the client sent, read by the server's engine (so also after the client's
   *  ChangeCipherSpec): fatal ones by name, warnings as `warning <name>`. */
  received: string[];
  /** The handshake completed on the server's side. */
  completed: boolean;
  /** Handshakes completed on the server's side (1 + renegotiations). */
  completedHandshakes: number;
}

/**
 * Our server engine (certificate `leaf`) on 127.0.0.1, its messages and records open to
 * rewriting, for one client connection. `handshake` resolves when the handshake completed on the
 * server's side; `verdict` when the connection has closed (close the client first once it has
 * succeeded); both bounded by ANSWER_MS.
 */
export async function tamperedServer(leaf: PkiEntry, t: Tampering): Promise<{ port: number; handshake: Promise<void>; handshakesDone: (n: number) => Promise<void>; verdict: Promise<ClientVerdict>; close: () => void }> {
  const { engine, received, pump } = tamperedEngine('server', t, {
    identities: [{ chain: [leaf.der], key: nobleProvider.loadPrivateKey(leaf.keyPem) }],
  });
  const server = net.createServer();
  let completed = 0;
  const progress = new Condition();
  const handshakesDone = (n: number): Promise<void> => progress.until(() => completed >= n, `handshake #${n} with the client under test`, ANSWER_MS);
  const verdict = new Promise<ClientVerdict>((resolve) => {
    server.once('connection', (socket) => {
      server.close();
      socket.on('data', (d: Buffer) => {
        engine.receive(new Uint8Array(d.buffer, d.byteOffset, d.length));
        completed = pump(socket);
        progress.wake();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ received, completed: completed > 0, completedHandshakes: completed }));
    });
  });
  await within(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 'tampered server listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    handshake: handshakesDone(1),
    handshakesDone,
    verdict: within(verdict, 'the client under test closing', ANSWER_MS),
    close: () => server.close(),
  };
}

/**
 * Connects to 127.0.0.1:port, writes `bytes` (each array in its own write), and collects the
 * server's answer until it closes the connection (or until `opts.until` arrives). Bounded by
 * ANSWER_MS.
 */
export function sendRaw(port: number, bytes: Uint8Array | readonly Uint8Array[], opts: SendOptions = {}): Promise<Answer> {
  return converse(port, {
    start: async (socket, answer) => {
      for (const b of Array.isArray(bytes) ? bytes : [bytes as Uint8Array]) socket.write(b);
      await opts.afterWrite?.(socket, answer);
      return () => opts.until !== undefined && answer.handshakes.includes(opts.until);
    },
  });
}

/**
 * One connection to 127.0.0.1:port: once connected, `start` writes and returns what to do with
 * each chunk from the server (after it was read into the answer); the conversation ends when
 * that returns true or the server closes the connection. Bounded by ANSWER_MS.
 */
async function converse(
  port: number,
  talk: { start: (socket: net.Socket, answer: Answer) => ((bytes: Uint8Array) => boolean) | Promise<(bytes: Uint8Array) => boolean> },
): Promise<Answer> {
  const reader = new AnswerReader();
  const socket = net.connect({ port, host: '127.0.0.1' });
  let onBytes: ((bytes: Uint8Array) => boolean) | undefined;
  let finish = (): void => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    socket.on('data', (d: Buffer) => {
      const bytes = new Uint8Array(d.buffer, d.byteOffset, d.length);
      try {
        reader.push(bytes);
      } catch (e) {
        reject(new Error(`the server's answer does not parse as plaintext records: ${(e as Error).message}`));
        return;
      }
      if (onBytes?.(bytes)) resolve();
    });
    // A server that closes with our bytes unread resets the connection: that is a close too.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      reader.answer.closed = true;
      resolve();
    });
  });
  try {
    await within(new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    }), 'connect', ANSWER_MS);
    onBytes = await talk.start(socket, reader.answer);
    // The server may have answered while `start` was writing.
    if (onBytes(new Uint8Array(0))) finish();
    await within(done, `the answer from port ${port}`, ANSWER_MS);
  } finally {
    socket.destroy();
  }
  return reader.answer;
}

/** The alerts of an answer as [level, description] pairs, for deep.equal. */
export function alertsOf(a: Answer): [number, number][] {
  return a.alerts.map((x) => [x.level, x.description]);
}

// --- the servers --------------------------------------------------------------------------------

/** Our server, on 127.0.0.1, with the given certificate; records each connection's outcome. */
export class OurServer {
  /** Errors of failed connections, in order: 'tlsClientError' during the first handshake, the
   *  socket's 'error' after it. */
  readonly errors: TlsError[] = [];
  /** Per connection: alerts its engine processed (counted from the engine's trace). */
  readonly alertsProcessed: number[] = [];
  /** Connections whose handshake completed. */
  secureConnections = 0;
  private readonly changed = new Condition();

  private constructor(readonly server: Server, readonly port: number) {}

  static async start(leaf: PkiEntry, options: ServerOptions = {}): Promise<OurServer> {
    const server = createServer({ key: leaf.keyPem, cert: leaf.certPem, ...options });
    await within(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 'our server listening');
    const ours = new OurServer(server, (server.address() as net.AddressInfo).port);
    const wrap = server.wrap.bind(server);
    server.wrap = (socket) => {
      const tls: SecureDuplex = wrap(socket);
      const index = ours.alertsProcessed.push(0) - 1;
      tls.engine.trace = (line) => {
        if (line.startsWith('Received alert')) ours.alertsProcessed[index]!++;
      };
      return tls;
    };
    server.on('tlsClientError', (err: TlsError) => {
      ours.errors.push(err);
      ours.wake();
    });
    server.on('secureConnection', (tls: SecureDuplex) => {
      ours.secureConnections++;
      // Kept open (a client may renegotiate) until the client ends it; a later failure (in a
      // renegotiation) is recorded as the connection's error.
      tls.on('error', (err: TlsError) => {
        ours.errors.push(err);
        ours.wake();
      });
      tls.on('end', () => tls.end());
      tls.resume();
      ours.wake();
    });
    return ours;
  }

  private wake(): void {
    this.changed.wake();
  }

  /** The error of the `n`th failed connection (0-based), once reported. */
  async error(n: number): Promise<TlsError> {
    await this.until(() => this.errors.length > n, `our server's error #${n}`);
    return this.errors[n]!;
  }

  /** Resolves once `n` + 1 handshakes have completed (n 0-based). */
  secureConnection(n: number): Promise<void> {
    return this.until(() => this.secureConnections > n, `our server's secure connection #${n}`);
  }

  /** Resolves when `ok()` holds, checked at each connection outcome. */
  private until(ok: () => boolean, what: string): Promise<void> {
    return this.changed.until(ok, what, ANSWER_MS);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** `openssl s_server -tls1_2` on a port it binds itself, with the same certificate: the reference. */
export async function referenceServer(leaf: PkiEntry, naccept = 1000): Promise<{ peer: PeerProcess; port: number }> {
  // -client_renegotiation: OpenSSL 3 refuses client-started renegotiations without it (and then
  // never looks at a renegotiation ClientHello).
  const peer = await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, naccept, clientRenegotiation: true });
  return { peer, port: peer.port };
}
