// What the client and the server state machines share: the state both end in (ChangeCipherSpec,
// Finished), the values every handshake negotiates, the Finished computations (RFC 5246
// §7.4.9), and the part of the HandshakeResult that does not depend on the role.
import { verifyData } from '../../crypto/prf.js';
import { TlsError, ErrorCode } from '../../errors.js';
import type { CipherSuite } from '../cipher-suites.js';
import { constantTimeEqual } from '../../constant-time.js';
import { handshakeTypeName, ProtocolVersion } from '../constants.js';
import type { HandshakeHost, HandshakeResult, RenegotiationBinding } from './handshake-host.js';
import type { HandshakeMessage, ReceivedHandshakeMessage } from './message-types.js';
import type { RecordOptions } from './key-schedule.js';
import { Transcript } from './transcript.js';

/** The two states every handshake passes through at its end. */
type FinalStates = 'wait_change_cipher_spec' | 'wait_finished' | 'done';

/** HandshakeResult fields whose value each role computes itself. */
type RoleFields =
  | 'group' | 'signatureScheme' | 'serverVerifyData' | 'servername' | 'localChain' | 'pskIdentity'
  | 'peerSignatureSchemes' | 'resumed' | 'sessionId' | 'ticket' | 'ticketLifetime' | 'createdAt' | 'ocspResponse';

export abstract class HandshakeBase<S extends string> {
  abstract state: S | FinalStates;
  /** Set when the handshake is complete. */
  result: HandshakeResult | undefined;
  protected readonly host: HandshakeHost;
  /** RFC 5746 binding of a renegotiation (undefined in the initial handshake). */
  protected readonly binding: RenegotiationBinding | undefined;
  protected transcript = new Transcript();
  protected clientRandom: Uint8Array = new Uint8Array(0);
  protected serverRandom: Uint8Array = new Uint8Array(0);
  protected suite: CipherSuite | undefined;
  protected ems = false;
  /** RFC 7366 encrypt-then-MAC negotiated for this handshake's CBC suite. */
  protected etm = false;
  protected secureRenegotiation = false;
  protected alpn: string | false = false;
  /** The peer's certificate chain (DER, leaf first; empty when it sent none). */
  protected peerChain: Uint8Array[] = [];
  protected authorized = false;
  protected authorizationError: { code: string; message: string } | undefined;
  /** PSK suites: the identity (the client's, as sent). */
  protected pskIdentity: string | undefined;
  protected master: Uint8Array = new Uint8Array(0);
  protected clientVerify: Uint8Array = new Uint8Array(0);

  protected constructor(host: HandshakeHost, binding: RenegotiationBinding | undefined) {
    this.host = host;
    this.binding = binding;
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
    return name !== undefined && this.expectedMessages().includes(name);
  }

  get expectsChangeCipherSpec(): boolean {
    return this.state === 'wait_change_cipher_spec';
  }

  /** Between the peer's ChangeCipherSpec and its Finished: RFC 5246 §7.4.9, only the Finished
   *  may come (DTLS: data of the new epoch may overtake it, RFC 6347 §4.1). */
  get awaitsPeerFinished(): boolean {
    return this.state === 'wait_finished';
  }

  /** Nothing of this handshake has come from the peer yet (a client waits for the ServerHello,
   *  a server for the ClientHello). */
  abstract get awaitsFirstPeerMessage(): boolean;

  /** The 'conservative' send policy: whether application data written now must wait for the end
   *  of this handshake (OpenSSL takes renegotiation-time data only before its ServerHello). */
  abstract get holdsWrites(): boolean;

  /** The peer's ChangeCipherSpec arrived (the engine has switched the read state). */
  onChangeCipherSpec(): void {
    if (this.state !== 'wait_change_cipher_spec') {
      throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, `ChangeCipherSpec in state ${this.state}`, 'unexpected_message');
    }
    this.state = 'wait_finished';
  }

  protected get dtls(): boolean {
    return this.host.config.transport === 'dtls';
  }

  protected get protocolVersion(): number {
    return this.dtls ? ProtocolVersion.DTLS1_2 : ProtocolVersion.TLS1_2;
  }

  /** A message this state does not take: unexpected_message (RFC 5246 §7.2.2). */
  protected unexpected(msg: ReceivedHandshakeMessage): TlsError {
    return new TlsError(ErrorCode.UNEXPECTED_MESSAGE, `unexpected ${msg.type} in state ${this.state}`, 'unexpected_message');
  }

  /** verify_data for `label` over the transcript so far (RFC 5246 §7.4.9). */
  protected finishedData(label: 'client finished' | 'server finished'): Uint8Array {
    const c = this.host.config;
    const hash = this.suite!.hash;
    return verifyData(c.provider, hash, this.master, label, this.transcript.hash(c.provider, hash));
  }

  /** The peer's Finished: its verify_data must equal ours for `label` (constant time), else
   *  decrypt_error (RFC 5246 §7.4.9). Adds it to the transcript; returns the verify_data. */
  protected checkPeerFinished(got: Uint8Array, raw: Uint8Array, label: 'client finished' | 'server finished'): Uint8Array {
    const expected = this.finishedData(label);
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
  protected sendChangeCipherSpecAndFinished(label: 'client finished' | 'server finished'): Uint8Array {
    this.host.sendChangeCipherSpec();
    const mine = this.finishedData(label);
    this.transcript.add(this.host.sendHandshake({ type: 'finished', verifyData: mine }));
    return mine;
  }

  /** What the new record protection needs besides keys (key-schedule.ts RecordOptions). */
  protected recordOptions(): RecordOptions {
    return { random: this.host.config.random, encryptThenMac: this.etm };
  }

  /** The HandshakeResult fields both roles fill the same way. */
  protected commonResult(): Omit<HandshakeResult, RoleFields> {
    return {
      suite: this.suite!,
      masterSecret: this.master,
      clientRandom: this.clientRandom,
      serverRandom: this.serverRandom,
      extendedMasterSecret: this.ems,
      encryptThenMac: this.etm,
      secureRenegotiation: this.secureRenegotiation,
      clientVerifyData: this.clientVerify,
      peerChain: this.peerChain,
      authorized: this.authorized,
      authorizationError: this.authorizationError,
      alpnProtocol: this.alpn,
    };
  }
}
