// What the client and the server state machines share: the data both settle (Negotiated, the
// peer's authentication, the keys), the state both end in (ChangeCipherSpec, Finished), the
// Finished computations (RFC 5246 §7.4.9), and the part of the HandshakeResult that does not
// depend on the role. Each role's state is a discriminated union whose members carry exactly the
// data valid there (as rustls' client/tls12.rs: one struct per state); the engine asks the
// handshake questions (accepts, expectsChangeCipherSpec, awaitsPeerFinished, holdsWrites) and
// never reads its state.
import { verifyData } from '../../crypto/prf.js';
import { TlsError, ErrorCode } from '../../errors.js';
import type { CipherSuite } from '../cipher-suites.js';
import { constantTimeEqual } from '../../constant-time.js';
import { handshakeTypeName, ProtocolVersion } from '../constants.js';
import type { HandshakeHost, HandshakeResult, RenegotiationBinding } from './handshake-host.js';
import type { HandshakeMessage, ReceivedHandshakeMessage } from './message-types.js';
import type { RecordOptions } from './key-schedule.js';
import { Transcript } from './transcript.js';

/** What the hellos settled, valid in every state after the ServerHello (both roles). */
export interface Negotiated {
  readonly suite: CipherSuite;
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
  /** RFC 7627: extended master secret. */
  readonly ems: boolean;
  /** RFC 7366: encrypt-then-MAC for this handshake's CBC suite (false for AEAD suites). */
  readonly etm: boolean;
  /** RFC 5746: the peer signalled secure renegotiation (initial) / it was bound (renegotiation). */
  readonly secureRenegotiation: boolean;
  readonly alpn: string | false;
}

/** Who the peer proved to be: its certificate chain and our verdict, or its PSK identity. */
export interface PeerAuth {
  /** DER, leaf first; empty when it sent none. */
  readonly chain: Uint8Array[];
  readonly authorized: boolean;
  readonly authorizationError?: { code: string; message: string };
  /** PSK suites (RFC 4279): the client's identity. */
  readonly pskIdentity?: string;
}

/** Nothing proved yet (or nothing to prove: a server that asked for no certificate). */
export const NO_PEER_AUTH: PeerAuth = { chain: [], authorized: false };

/** The end every handshake shares: the keys are known, the peer's ChangeCipherSpec and Finished
 *  come next. `D` is the role's data for its result. */
export type FinalState<D> =
  | { readonly name: 'wait_change_cipher_spec'; readonly data: D }
  | { readonly name: 'wait_finished'; readonly data: D }
  | { readonly name: 'done' };

/** What the final states need of a role's data. */
export interface Keyed {
  readonly neg: Negotiated;
  readonly master: Uint8Array;
}

/** HandshakeResult fields whose value each role computes itself. */
type RoleFields =
  | 'group' | 'signatureScheme' | 'serverVerifyData' | 'servername' | 'localChain' | 'pskIdentity'
  | 'peerSignatureSchemes' | 'resumed' | 'sessionId' | 'ticket' | 'ticketLifetime' | 'createdAt' | 'ocspResponse';

export abstract class HandshakeBase<S extends { readonly name: string }, D extends Keyed> {
  protected abstract state: S | FinalState<D>;
  /** Set when the handshake is complete. */
  result: HandshakeResult | undefined;
  protected readonly host: HandshakeHost;
  /** RFC 5746 binding of a renegotiation (undefined in the initial handshake). */
  protected readonly binding: RenegotiationBinding | undefined;
  protected transcript = new Transcript();

  protected constructor(host: HandshakeHost, binding: RenegotiationBinding | undefined) {
    this.host = host;
    this.binding = binding;
  }

  /** The state's name, for error messages. */
  get stateName(): string {
    return this.state.name;
  }

  /**
   * The handshake messages (by name) this state takes. The engine checks a message's wire type
   * against it before decoding the body (RFC 5246 §7.2.2 unexpected_message: a message of the
   * wrong type is refused as such, whatever its body holds); handle() keeps its own checks.
   */
  protected abstract expectedMessages(): readonly HandshakeMessage['type'][];

  /** Whether this state takes a message of wire type `type` (RFC 5246 §7.4 HandshakeType). */
  accepts(type: number): boolean {
    const name = handshakeTypeName(type);
    if (this.state.name === 'wait_finished') return name === 'finished';
    return name !== undefined && this.expectedMessages().includes(name);
  }

  /** A handshake message of the peer (decoded; `raw` for the transcript). */
  handle(msg: ReceivedHandshakeMessage, raw: Uint8Array): void {
    const s = this.state;
    if (s.name !== 'wait_finished') {
      this.handleMessage(msg, raw);
      return;
    }
    // RFC 5246 §7.4.9: after the peer's ChangeCipherSpec, only its Finished.
    if (msg.type !== 'finished') throw this.unexpected(msg);
    this.onFinished((s as { data: D }).data, msg.verifyData, raw);
    this.state = { name: 'done' };
  }

  /** The role's messages before its Finished. */
  protected abstract handleMessage(msg: ReceivedHandshakeMessage, raw: Uint8Array): void;

  /** The peer's Finished: check it, finish our side, set `result`. */
  protected abstract onFinished(data: D, got: Uint8Array, raw: Uint8Array): void;

  get expectsChangeCipherSpec(): boolean {
    return this.state.name === 'wait_change_cipher_spec';
  }

  /** Between the peer's ChangeCipherSpec and its Finished: RFC 5246 §7.4.9, only the Finished
   *  may come (DTLS: data of the new epoch may overtake it, RFC 6347 §4.1). */
  get awaitsPeerFinished(): boolean {
    return this.state.name === 'wait_finished';
  }

  /** Nothing of this handshake has come from the peer yet (a client waits for the ServerHello,
   *  a server for the ClientHello). */
  abstract get awaitsFirstPeerMessage(): boolean;

  /** The 'conservative' send policy: whether application data written now must wait for the end
   *  of this handshake (OpenSSL takes renegotiation-time data only before its ServerHello). */
  abstract get holdsWrites(): boolean;

  /** The peer's ChangeCipherSpec arrived (the engine has switched the read state). */
  onChangeCipherSpec(): void {
    const s = this.state;
    if (s.name !== 'wait_change_cipher_spec') {
      throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, `ChangeCipherSpec in state ${s.name}`, 'unexpected_message');
    }
    this.state = { name: 'wait_finished', data: (s as { data: D }).data };
  }

  protected get dtls(): boolean {
    return this.host.config.transport === 'dtls';
  }

  protected get protocolVersion(): number {
    return this.dtls ? ProtocolVersion.DTLS1_2 : ProtocolVersion.TLS1_2;
  }

  /** A message this state does not take: unexpected_message (RFC 5246 §7.2.2). */
  protected unexpected(msg: ReceivedHandshakeMessage): TlsError {
    return new TlsError(ErrorCode.UNEXPECTED_MESSAGE, `unexpected ${msg.type} in state ${this.state.name}`, 'unexpected_message');
  }

  /** verify_data for `label` over the transcript so far (RFC 5246 §7.4.9). */
  protected finishedData(keys: Keyed, label: 'client finished' | 'server finished'): Uint8Array {
    const c = this.host.config;
    const hash = keys.neg.suite.hash;
    return verifyData(c.provider, hash, keys.master, label, this.transcript.hash(c.provider, hash));
  }

  /** The peer's Finished: its verify_data must equal ours for `label` (constant time), else
   *  decrypt_error (RFC 5246 §7.4.9). Adds it to the transcript; returns the verify_data. */
  protected checkPeerFinished(keys: Keyed, got: Uint8Array, raw: Uint8Array, label: 'client finished' | 'server finished'): Uint8Array {
    const expected = this.finishedData(keys, label);
    // RFC 5246 §7.4.9: verify_data is verify_data_length (12) bytes; a Finished of another
    // length is malformed (decode_error, as OpenSSL), not a wrong one.
    if (got.length !== expected.length) {
      throw new TlsError(ErrorCode.DECODE, `${label.split(' ')[0]} Finished of ${got.length} bytes (verify_data is ${expected.length})`, 'decode_error');
    }
    if (!constantTimeEqual(got, expected)) {
      throw new TlsError(ErrorCode.DECRYPT_ERROR, `${label.split(' ')[0]} Finished does not verify`, 'decrypt_error');
    }
    this.transcript.add(raw);
    return expected;
  }

  /** Our ChangeCipherSpec and Finished (RFC 5246 §7.1, §7.4.9); returns our verify_data. */
  protected sendChangeCipherSpecAndFinished(keys: Keyed, label: 'client finished' | 'server finished'): Uint8Array {
    this.host.sendChangeCipherSpec();
    const mine = this.finishedData(keys, label);
    this.transcript.add(this.host.sendHandshake({ type: 'finished', verifyData: mine }));
    return mine;
  }

  /** What the new record protection needs besides keys (key-schedule.ts RecordOptions). */
  protected recordOptions(neg: Negotiated): RecordOptions {
    return { random: this.host.config.random, encryptThenMac: neg.etm };
  }

  /** The HandshakeResult: the fields both roles fill the same way, then the role's own. One
   *  object literal, not a spread of the common part followed by the role's fields: in Node 20
   *  that form makes V8 build new hidden classes on every call (tens of µs per handshake). */
  protected handshakeResult(keys: Keyed, peer: PeerAuth, clientVerify: Uint8Array, role: Pick<HandshakeResult, RoleFields>): HandshakeResult {
    const neg = keys.neg;
    return {
      suite: neg.suite,
      masterSecret: keys.master,
      clientRandom: neg.clientRandom,
      serverRandom: neg.serverRandom,
      extendedMasterSecret: neg.ems,
      encryptThenMac: neg.etm,
      secureRenegotiation: neg.secureRenegotiation,
      clientVerifyData: clientVerify,
      peerChain: peer.chain,
      authorized: peer.authorized,
      authorizationError: peer.authorizationError,
      alpnProtocol: neg.alpn,
      group: role.group,
      signatureScheme: role.signatureScheme,
      serverVerifyData: role.serverVerifyData,
      ocspResponse: role.ocspResponse,
      servername: role.servername,
      localChain: role.localChain,
      pskIdentity: role.pskIdentity,
      peerSignatureSchemes: role.peerSignatureSchemes,
      resumed: role.resumed,
      sessionId: role.sessionId,
      ticket: role.ticket,
      ticketLifetime: role.ticketLifetime,
      createdAt: role.createdAt,
    };
  }
}
