// TLS 1.2 client handshake (RFC 5246 §7.3 full handshake, ECDHE per RFC 8422, PSK per RFC 4279
// §2, ECDHE_PSK per RFC 5489 §2; abbreviated
// handshake resuming a session by session ID or RFC 5077 ticket), as an explicit state machine.
// One instance per handshake; a renegotiation is a new instance with a binding.
import { isIP } from 'node:net';
import { TlsError, ErrorCode } from '../../errors.js';
import { cipherSuiteById, type CipherSuite } from '../cipher-suites.js';
import { concatBytes } from '../../concat-bytes.js';
import { constantTimeEqual } from '../../constant-time.js';
import {
  EMPTY_RENEGOTIATION_INFO_SCSV, ExtensionType, ProtocolVersion,
} from '../constants.js';
import { certificateAlert } from './certificate-alert.js';
import {
  decodeAlpn, decodeRenegotiationInfo, decodeSessionTicket, encodeAlpn, encodeEcPointFormats,
  encodeExtendedMasterSecret, encodeRenegotiationInfo, encodeServerName, encodeSessionTicket, encodeStatusRequest,
  encodeSignatureAlgorithms, encodeSupportedGroups, findExtension,
} from './extensions.js';
import { clientUsesEncryptThenMac, encodeEncryptThenMac } from './extensions.js';
import { checkRenegotiationInfo, checkServerExtensionsOffered } from './hello-checks.js';
import type { HandshakeHost, RenegotiationBinding } from './handshake-host.js';
import { computeMasterSecret, deriveCipherStates } from './key-schedule.js';
import type { ClientKeyAgreement, ClientKeyAgreementContext, KeyAgreementKind } from './key-agreement/key-agreement.js';
import { keyAgreementOf } from './key-agreement/registry.js';
import type {
  CertificateRequest, Extension, HandshakeMessage, ReceivedHandshakeMessage, ServerHello,
} from './message-types.js';
import type { SessionState } from './session.js';
import { HandshakeBase } from './handshake-base.js';
import { Transcript } from './transcript.js';
import type { LocalIdentity } from '../../crypto/identity.js';

/** The messages that can open a server's full flight after its ServerHello. */
const FULL_FLIGHT_STARTS: readonly HandshakeMessage['type'][] = ['certificate', 'server_key_exchange', 'server_hello_done'];

type ClientState =
  | 'wait_server_hello'
  | 'wait_certificate'
  | 'wait_server_key_exchange'
  /** PSK suites: ServerKeyExchange only when the server has a hint (RFC 4279 §2). */
  | 'wait_server_key_exchange_or_done'
  | 'wait_certificate_request_or_done'
  | 'wait_server_hello_done'
  | 'wait_new_session_ticket'
  | 'wait_change_cipher_spec'
  | 'wait_finished'
  | 'done';

export interface ClientHandshakeOptions {
  /** RFC 5746 binding of a renegotiation. */
  binding?: RenegotiationBinding;
  /** Suites offered in this handshake (default: the config's). */
  suites?: readonly CipherSuite[];
  /** DTLS renegotiation: the client_random to reuse (see the constructor). */
  reuseRandom?: Uint8Array;
  /** A session to offer for an abbreviated handshake (RFC 5246 §7.3); offered only when
   *  resumable (see resumableOffer). */
  session?: SessionState;
}

export class ClientHandshake extends HandshakeBase<ClientState> {
  state: ClientState = 'wait_server_hello';

  get awaitsFirstPeerMessage(): boolean {
    return this.state === 'wait_server_hello';
  }

  /** A client's renegotiation has sent its ClientHello: the server may answer at once, so data
   *  waits for the new keys. */
  get holdsWrites(): boolean {
    return true;
  }
  /** DTLS: the cookie from a HelloVerifyRequest (RFC 6347 §4.2.1). */
  private cookie: Uint8Array = new Uint8Array(0);
  private helloExtensions: Extension[] = [];
  private helloSuites: number[] = [];
  private offered = new Set<number>();
  /** The chosen suite's key agreement (full handshake, from the ServerHello on). */
  private keyAgreement: ClientKeyAgreement | undefined;
  private certRequest: CertificateRequest | undefined;
  private localChain: Uint8Array[] | undefined;
  /** The session we offer, when it is resumable, with its certificate check redone now. */
  private offer: { session: SessionState; authorized: boolean; authorizationError?: { code: string; message: string } } | undefined;
  /** session_id of our ClientHello (the offered session's, or one we made up for a ticket). */
  private offeredSessionId: Uint8Array = new Uint8Array(0);
  /** The server echoed our session_id: abbreviated handshake (RFC 5246 §7.3). */
  private resumed = false;
  /** RFC 6066 §8: the ServerHello answered our status_request; its CertificateStatus. */
  private ocspAcknowledged = false;
  /** The ServerHello carried status_request (kept for abandonResumption()). */
  private statusRequestAnswered = false;
  private ocspResponse: Uint8Array | undefined;
  /** RFC 5077 §3.2: the server will send NewSessionTicket (it answered our session_ticket). */
  private ticketExpected = false;
  private newTicket: { ticket: Uint8Array; lifetimeHint: number } | undefined;
  private sessionId: Uint8Array = new Uint8Array(0);

  /** Suites offered in this handshake (a renegotiation may offer others). */
  private readonly suites: readonly CipherSuite[];

  constructor(host: HandshakeHost, opts: ClientHandshakeOptions = {}) {
    super(host, opts.binding);
    // As OpenSSL: PSK suites are offered only with a PSK callback.
    this.suites = (opts.suites ?? host.config.cipherSuites).filter((s) => keyAgreementOf(s).usable(host.config, 'client'));
    // DTLS renegotiation: OpenSSL's DTLS server keeps using the client_random of the first
    // ClientHello for the whole connection (its client does the same: it reuses a non-zero
    // client_random, meant for the HelloVerifyRequest retry), so a new random makes its
    // ServerKeyExchange signature fail. The caller passes the previous random to interoperate.
    this.clientRandom = opts.reuseRandom ?? host.config.random(32);
    this.offer = opts.session ? this.resumableOffer(opts.session) : undefined;
  }

  /** Whether the server resumed the offered session (known after the ServerHello). */
  get isResumption(): boolean {
    return this.resumed;
  }

  /**
   * The session is offered only if it can be resumed safely and usefully:
   * - same protocol (TLS 1.2 vs DTLS 1.2) and a suite we offer in this handshake (RFC 5246
   *   §7.4.1.3: the server must resume with the session's suite);
   * - RFC 7627 §5.3: it has an extended master secret, and we send the extension ("the client
   *   SHOULD NOT offer an abbreviated handshake to resume a session that does not use an
   *   extended master secret");
   * - a session_id, or a ticket we send (RFC 5077 §3.2) whose lifetime hint has not run out;
   * - the server chain stored with it still passes our certificate check (host name, dates,
   *   trust) now: with rejectUnauthorized a session whose chain no longer verifies is not offered.
   */
  private resumableOffer(s: SessionState): ClientHandshake['offer'] {
    const c = this.host.config;
    if (s.version !== this.protocolVersion || !this.suites.some((x) => x.id === s.suite)) return undefined;
    if (!s.extendedMasterSecret || c.extendedMasterSecret === false || s.masterSecret.length !== 48) return undefined;
    const ticketLive = s.ticket.length > 0 && c.sessionTickets !== false
      && (s.ticketLifetime === 0 || c.now() - s.createdAt < s.ticketLifetime * 1000);
    const session = ticketLive ? s : { ...s, ticket: new Uint8Array(0) };
    if (session.sessionId.length === 0 && session.ticket.length === 0) return undefined;
    const suite = cipherSuiteById(s.suite);
    // A PSK session carries no certificate: the PSK authenticated the server (RFC 4279 §2).
    if (suite && !keyAgreementOf(suite).serverCertificate) return { session, authorized: true };
    if (s.peerChain.length === 0) return undefined; // certificate suites always authenticate the server
    const check = c.verifier(s.peerChain, 'server', c.checkHost ?? c.servername);
    if (!check.ok && c.rejectUnauthorized) return undefined;
    return {
      session,
      authorized: check.ok,
      authorizationError: check.ok ? undefined : { code: check.code, message: check.message },
    };
  }

  /** Send the ClientHello (RFC 5246 §7.4.1.2). */
  start(): void {
    const c = this.host.config;
    if (this.suites.length === 0) {
      // e.g. ciphers: 'PSK' without a pskCallback (OpenSSL: "no ciphers available").
      throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'no cipher suites to offer (PSK suites need a pskCallback)', 'internal_error');
    }
    const exts: Extension[] = [];
    const sni = c.servername;
    // RFC 6066 §3: literal IP addresses are not permitted in server_name.
    if (sni && !isIP(sni)) exts.push({ type: ExtensionType.server_name, data: encodeServerName(sni.replace(/\.$/, '')) });
    // Groups of the offered key exchanges beyond ours for ECDHE (RFC 7919 §3: FFDHE groups when
    // DHE suites are offered).
    const extraGroups = new Set(this.suites.flatMap((s) => keyAgreementOf(s).offeredGroups ?? []));
    exts.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups([...c.groups, ...extraGroups]) });
    // RFC 8422 §5.1.2: uncompressed points only.
    exts.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([0]) });
    exts.push({ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(c.signatureSchemes) });
    // RFC 7627 §5.1: always offer extended master secret (§5.3: a resumption offer must too).
    if (c.extendedMasterSecret !== false) {
      exts.push({ type: ExtensionType.extended_master_secret, data: encodeExtendedMasterSecret() });
    }
    // RFC 7366 §2: offer encrypt-then-MAC with CBC suites; §3.1: always again in a renegotiation
    // of a connection that uses it.
    const etm = this.suites.some((s) => s.cbc !== undefined) || this.binding?.encryptThenMac === true;
    if (c.encryptThenMac !== false && etm) exts.push({ type: ExtensionType.encrypt_then_mac, data: encodeEncryptThenMac() });
    if (c.sessionTickets !== false) {
      // RFC 5077 §3.2: an empty extension asks for a ticket; a non-empty one offers it.
      exts.push({ type: ExtensionType.session_ticket, data: encodeSessionTicket(this.offer?.session.ticket ?? new Uint8Array(0)) });
    }
    if (this.offer) {
      // RFC 5246 §7.4.1.2: the session_id of the session to resume. With a ticket and no
      // session_id, RFC 5077 §3.4 lets the client make one up, so that the server's echo of
      // it tells us the ticket was accepted (OpenSSL does the same).
      const s = this.offer.session;
      this.offeredSessionId = s.sessionId.length > 0 ? s.sessionId : c.random(32);
    }
    if (c.alpnProtocols && c.alpnProtocols.length > 0) {
      exts.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn(c.alpnProtocols) });
    }
    // RFC 6066 §8: ask for an OCSP staple (node:tls requestOCSP), in the first handshake only,
    // as node's client.
    if (c.requestOcsp && !this.binding) exts.push({ type: ExtensionType.status_request, data: encodeStatusRequest() });
    const suites = this.suites.map((s) => s.id);
    if (this.binding) {
      // RFC 5746 §3.5: on renegotiation, send renegotiation_info with client_verify_data and
      // do not send the SCSV.
      exts.push({ type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo(this.binding.clientVerifyData) });
    } else {
      // RFC 5746 §3.4: initial handshake signals support with the SCSV.
      suites.push(EMPTY_RENEGOTIATION_INFO_SCSV);
    }
    this.offered = new Set(exts.map((e) => e.type));
    // RFC 5746 §3.4: the server's renegotiation_info answers our SCSV too.
    this.offered.add(ExtensionType.renegotiation_info);
    this.helloExtensions = exts;
    this.helloSuites = suites;
    this.sendClientHello();
  }

  private sendClientHello(): void {
    this.transcript.add(this.host.sendHandshake({
      type: 'client_hello',
      version: this.dtls ? ProtocolVersion.DTLS1_2 : ProtocolVersion.TLS1_2,
      random: this.clientRandom,
      sessionId: this.offeredSessionId,
      ...(this.dtls ? { cookie: this.cookie } : {}),
      cipherSuites: this.helloSuites,
      compressionMethods: [0],
      extensions: this.helloExtensions,
    }));
  }

  protected expectedMessages(): readonly HandshakeMessage['type'][] {
    switch (this.state) {
      case 'wait_server_hello': return this.dtls ? ['server_hello', 'hello_verify_request'] : ['server_hello'];
      case 'wait_certificate': return ['certificate'];
      // (CertificateStatus is taken here by type; handle() checks that it was announced.)
      case 'wait_server_key_exchange': return ['server_key_exchange', 'certificate_status'];
      case 'wait_server_key_exchange_or_done': return ['server_key_exchange', 'server_hello_done'];
      case 'wait_certificate_request_or_done': return this.withCertificateStatus(['certificate_request', 'server_hello_done']);
      case 'wait_server_hello_done': return ['server_hello_done'];
      case 'wait_new_session_ticket':
      case 'wait_change_cipher_spec': {
        const next: HandshakeMessage['type'][] = this.state === 'wait_new_session_ticket' ? ['new_session_ticket'] : [];
        // See handle(): a full server flight after an echoed session_id.
        if (this.resumed && !this.newTicket) next.push(...FULL_FLIGHT_STARTS.filter((t) => this.startsFullServerFlight(t)));
        return next;
      }
      case 'wait_finished': return ['finished'];
      default: return [];
    }
  }

  handle(msg: ReceivedHandshakeMessage, raw: Uint8Array): void {
    if (this.resumed && this.startsFullServerFlight(msg.type) && (this.state === 'wait_change_cipher_spec' || this.state === 'wait_new_session_ticket') && !this.newTicket) {
      // The server echoed our session_id but goes on with a full handshake. RFC 5246 §7.4.1.3
      // says an echo means resumption, but OpenSSL 3.0's DTLS server does this when it declines
      // an abbreviated renegotiation on a connection that was not itself resumed (measured).
      // Everything the abbreviated path took from the session is replaced by what the full
      // handshake proves (certificate, signed key exchange, new master secret, Finished).
      this.abandonResumption();
    }
    switch (this.state) {
      case 'wait_server_hello':
        if (msg.type === 'hello_verify_request' && this.dtls && this.cookie.length === 0) {
          // RFC 6347 §4.2.1: resend the same ClientHello with the cookie; neither the first
          // ClientHello nor the HelloVerifyRequest enter the transcript.
          if (msg.cookie.length === 0) {
            throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, 'empty HelloVerifyRequest cookie', 'illegal_parameter');
          }
          this.cookie = msg.cookie;
          this.transcript = new Transcript();
          this.sendClientHello();
          return;
        }
        if (msg.type !== 'server_hello') break;
        this.transcript.add(raw);
        this.onServerHello(msg);
        // RFC 5246 §7.3 figure 2 / RFC 5077 §3.1: an abbreviated handshake goes on with
        // [NewSessionTicket], ChangeCipherSpec, Finished from the server.
        this.state = !this.resumed ? this.stateAfterFullServerHello() : this.ticketExpected ? 'wait_new_session_ticket' : 'wait_change_cipher_spec';
        return;
      case 'wait_certificate':
        if (msg.type !== 'certificate') break;
        this.transcript.add(raw);
        this.onCertificate(msg.certificates);
        this.state = this.stateAfterCertificate();
        return;
      case 'wait_server_key_exchange':
        if (msg.type === 'certificate_status' && this.takesCertificateStatus()) {
          this.onCertificateStatus(msg.response, raw);
          return;
        }
        if (msg.type !== 'server_key_exchange') break;
        this.transcript.add(raw);
        this.onServerKeyExchange(msg.body);
        // RFC 4279 §2 / RFC 5489 §2: no CertificateRequest in PSK suites.
        this.state = this.kind.serverCertificate ? 'wait_certificate_request_or_done' : 'wait_server_hello_done';
        return;
      case 'wait_server_key_exchange_or_done':
        if (msg.type === 'server_key_exchange') {
          this.transcript.add(raw);
          this.onServerKeyExchange(msg.body);
          this.state = 'wait_server_hello_done';
          return;
        }
        return this.onServerHelloDone(msg, raw);
      case 'wait_certificate_request_or_done':
        if (msg.type === 'certificate_status' && this.takesCertificateStatus()) {
          this.onCertificateStatus(msg.response, raw);
          return;
        }
        if (msg.type === 'certificate_request') {
          this.transcript.add(raw);
          this.certRequest = msg;
          this.state = 'wait_server_hello_done';
          return;
        }
        return this.onServerHelloDone(msg, raw);
      case 'wait_server_hello_done':
        return this.onServerHelloDone(msg, raw);
      case 'wait_new_session_ticket':
        // RFC 5077 §3.3: sent after the ServerHello answered our session_ticket, before the
        // server's ChangeCipherSpec; it is part of the transcript.
        if (msg.type !== 'new_session_ticket') break;
        this.transcript.add(raw);
        // §3.3: a zero-length ticket means the server decided not to issue one.
        if (msg.ticket.length > 0) this.newTicket = { ticket: msg.ticket.slice(), lifetimeHint: msg.lifetimeHint };
        this.state = 'wait_change_cipher_spec';
        return;
      case 'wait_finished':
        if (msg.type !== 'finished') break;
        this.onFinished(msg.verifyData, raw);
        this.state = 'done';
        return;
      default:
        break;
    }
    throw this.unexpected(msg);
  }

  private onServerHelloDone(msg: ReceivedHandshakeMessage, raw: Uint8Array): void {
    if (msg.type !== 'server_hello_done') {
      throw this.unexpected(msg);
    }
    this.transcript.add(raw);
    // As OpenSSL's status callback (tls_process_initial_server_flight): once the server's flight
    // is in, before ours goes out; node:tls asks only in the first handshake.
    if (this.host.config.requestOcsp && !this.binding) this.host.ocspResponseReceived(this.ocspResponse ?? null);
    this.sendSecondFlight();
    this.state = this.ticketExpected ? 'wait_new_session_ticket' : 'wait_change_cipher_spec';
  }

  private onServerHello(sh: ServerHello): void {
    const c = this.host.config;
    // RFC 5246 §7.4.1.3 / Appendix E.1: we only speak TLS 1.2.
    if (sh.version !== this.protocolVersion) {
      throw new TlsError(ErrorCode.PROTOCOL_VERSION, `server chose version 0x${sh.version.toString(16)}`, 'protocol_version');
    }
    const suite = this.suites.find((s) => s.id === sh.cipherSuite) ? cipherSuiteById(sh.cipherSuite) : undefined;
    if (!suite) {
      throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, `server chose cipher suite 0x${sh.cipherSuite.toString(16)} that was not offered`, 'illegal_parameter');
    }
    if (sh.compressionMethod !== 0) {
      throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, 'server chose compression', 'illegal_parameter');
    }
    checkServerExtensionsOffered(sh.extensions, this.offered);
    this.suite = suite;
    this.serverRandom = sh.random;
    this.sessionId = sh.sessionId.slice();
    this.ems = findExtension(sh.extensions, ExtensionType.extended_master_secret) !== undefined;
    this.etm = clientUsesEncryptThenMac(findExtension(sh.extensions, ExtensionType.encrypt_then_mac), suite, this.binding?.encryptThenMac);
    const ticketExt = findExtension(sh.extensions, ExtensionType.session_ticket);
    if (ticketExt && decodeSessionTicket(ticketExt.data).length !== 0) {
      // RFC 5077 §3.2: the server's SessionTicket extension is empty.
      throw new TlsError(ErrorCode.DECODE, 'ServerHello session_ticket extension is not empty', 'decode_error');
    }
    this.ticketExpected = ticketExt !== undefined;
    // RFC 5246 §7.4.1.3: the server resumes by echoing the session_id we offered.
    this.resumed = this.offer !== undefined && sh.sessionId.length > 0 && constantTimeEqual(sh.sessionId, this.offeredSessionId);
    if (this.resumed) this.onResumption();
    const ri = findExtension(sh.extensions, ExtensionType.renegotiation_info);
    const riValue = ri ? decodeRenegotiationInfo(ri.data) : undefined;
    if (this.binding) {
      // RFC 5746 §3.5: the server must return client_verify_data || server_verify_data.
      checkRenegotiationInfo(riValue, concatBytes(this.binding.clientVerifyData, this.binding.serverVerifyData), 'ServerHello');
      this.secureRenegotiation = true;
    } else if (riValue !== undefined) {
      // RFC 5746 §3.4: in the initial handshake the value must be empty.
      if (riValue.length !== 0) {
        throw new TlsError(ErrorCode.RENEGOTIATION_INFO_MISMATCH, 'initial ServerHello has a non-empty renegotiation_info', 'handshake_failure');
      }
      this.secureRenegotiation = true;
    }
    const statusExt = findExtension(sh.extensions, ExtensionType.status_request);
    // RFC 6066 §8: the server's status_request is empty and announces a CertificateStatus
    // (which it may still leave out); none in an abbreviated handshake (no Certificate).
    if (statusExt && statusExt.data.length !== 0) {
      throw new TlsError(ErrorCode.DECODE, 'ServerHello status_request extension is not empty', 'decode_error');
    }
    this.statusRequestAnswered = statusExt !== undefined;
    this.ocspAcknowledged = this.statusRequestAnswered && !this.resumed;
    const alpnExt = findExtension(sh.extensions, ExtensionType.application_layer_protocol_negotiation);
    if (alpnExt) {
      const chosen = decodeAlpn(alpnExt.data);
      // RFC 7301 §3.1: exactly one protocol, one the client offered.
      if (chosen.length !== 1 || !c.alpnProtocols?.includes(chosen[0]!)) {
        throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, 'server selected an ALPN protocol that was not offered', 'illegal_parameter');
      }
      this.alpn = chosen[0]!;
    }
  }

  /** The chosen suite's key exchange method (known from the ServerHello on). */
  private get kind(): KeyAgreementKind {
    return keyAgreementOf(this.suite!);
  }

  /** What the key agreement may read of the server's flight. */
  private get kxContext(): ClientKeyAgreementContext {
    return {
      config: this.host.config, suite: this.suite!, clientRandom: this.clientRandom, serverRandom: this.serverRandom,
      peerChain: this.peerChain,
    };
  }

  /** The state after the ServerHello of a full handshake: the server's Certificate (ECDHE),
   *  its optional hint-only ServerKeyExchange (PSK, RFC 4279 §2) or its ECDHE_PSK one. */
  private stateAfterFullServerHello(): ClientState {
    const kind = this.kind;
    if (kind.serverCertificate) return 'wait_certificate';
    return kind.serverKeyExchange === 'optional' ? 'wait_server_key_exchange_or_done' : 'wait_server_key_exchange';
  }

  /** The state after the server's Certificate: its ServerKeyExchange, or (a key exchange
   *  without one, e.g. static RSA, RFC 5246 §7.4.3) CertificateRequest or ServerHelloDone. */
  private stateAfterCertificate(): ClientState {
    return this.kind.serverKeyExchange === 'never' ? 'wait_certificate_request_or_done' : 'wait_server_key_exchange';
  }

  /** RFC 6066 §8: CertificateStatus comes right after Certificate, when the ServerHello
   *  announced it, once. */
  private takesCertificateStatus(): boolean {
    return this.ocspAcknowledged && this.ocspResponse === undefined && this.kind.serverCertificate
      && this.state === this.stateAfterCertificate();
  }

  private withCertificateStatus(types: HandshakeMessage['type'][]): HandshakeMessage['type'][] {
    return this.takesCertificateStatus() ? [...types, 'certificate_status'] : types;
  }

  private onCertificateStatus(response: Uint8Array, raw: Uint8Array): void {
    this.transcript.add(raw);
    this.ocspResponse = response.slice();
  }

  /** Whether `type` is the first message of a full handshake's server flight after ServerHello. */
  private startsFullServerFlight(type: HandshakeMessage['type']): boolean {
    if (!this.suite) return false;
    const kind = this.kind;
    if (kind.serverCertificate) return type === 'certificate';
    if (kind.serverKeyExchange === 'optional') return type === 'server_key_exchange' || type === 'server_hello_done';
    return type === 'server_key_exchange';
  }

  /** See handle(): a ServerHello that looked like a resumption was followed by a full handshake. */
  private abandonResumption(): void {
    this.resumed = false;
    // The echoed session ID named the session we offered, not this new one: do not offer the
    // new session by that ID later (the server may still hold the old one under it).
    this.sessionId = new Uint8Array(0);
    this.ocspAcknowledged = this.statusRequestAnswered;
    this.master = new Uint8Array(0);
    this.peerChain = [];
    this.authorized = false;
    this.authorizationError = undefined;
    this.state = this.stateAfterFullServerHello();
  }

  /** The server accepted our session: check it resumed it faithfully, install its keys. */
  private onResumption(): void {
    const c = this.host.config;
    const s = this.offer!.session;
    // RFC 5246 §7.4.1.3: "the value from the state of the session being resumed".
    if (this.suite!.id !== s.suite) {
      throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, `server resumed the session with cipher suite 0x${this.suite!.id.toString(16)}, not the session's`, 'illegal_parameter');
    }
    // RFC 7627 §5.3: resuming an extended-master-secret session without the extension (or the
    // reverse, which we never offer) must abort.
    if (s.extendedMasterSecret !== this.ems) {
      throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'server resumed the session without extended master secret (RFC 7627 §5.3)', 'handshake_failure');
    }
    this.master = s.masterSecret;
    this.peerChain = s.peerChain;
    this.authorized = this.offer!.authorized;
    this.authorizationError = this.offer!.authorizationError;
    // RFC 5246 §7.3 figure 2: new keys from the session's master secret and the new randoms;
    // the server's ChangeCipherSpec comes next.
    const states = deriveCipherStates(c.provider, this.suite!, this.master, this.clientRandom, this.serverRandom, this.recordOptions());
    this.host.setPendingStates(states.server, states.client);
  }

  private onCertificate(chain: Uint8Array[]): void {
    const c = this.host.config;
    if (chain.length === 0) {
      // RFC 5246 §7.4.2: ECDHE_ECDSA/ECDHE_RSA servers must send a certificate.
      throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'server sent no certificate', 'handshake_failure');
    }
    this.peerChain = chain;
    const check = c.verifier(chain, 'server', c.checkHost ?? c.servername);
    this.authorized = check.ok;
    if (!check.ok) {
      this.authorizationError = { code: check.code, message: check.message };
      if (c.rejectUnauthorized) {
        throw new TlsError(this.authorizationError.code, this.authorizationError.message, certificateAlert(this.authorizationError.code));
      }
    }
  }

  private onServerKeyExchange(body: Uint8Array): void {
    // The codec keeps the body opaque: its shape is this suite's key exchange's.
    this.keyAgreement ??= this.kind.client();
    this.keyAgreement.processServerKeyExchange(this.kxContext, body);
  }

  /**
   * Certificate?, ClientKeyExchange, CertificateVerify?, ChangeCipherSpec, Finished. In PSK key
   * exchanges the application's pskCallback gets the server's hint while the ClientKeyExchange
   * is built, when the key is needed (as OpenSSL calls it).
   */
  private sendSecondFlight(): void {
    const c = this.host.config;
    const suite = this.suite!;
    let identity: LocalIdentity | undefined;
    const request = this.certRequest;
    if (request) {
      // RFC 5246 §7.4.6: send a certificate if we have a suitable one, else an empty list.
      identity = this.host.identities.find((id) => id.key.schemes.some((s) => request.signatureSchemes.includes(s)));
      this.localChain = identity?.chain;
      this.transcript.add(this.host.sendHandshake({ type: 'certificate', certificates: identity ? identity.chain : [] }));
    }
    this.keyAgreement ??= this.kind.client();
    const agreed = this.keyAgreement.generateClientKeyExchange(this.kxContext);
    if (agreed.pskIdentity !== undefined) this.pskIdentity = agreed.pskIdentity;
    this.transcript.add(this.host.sendHandshake(agreed.message));
    // RFC 7627 §3: session_hash covers the transcript up to and including ClientKeyExchange.
    const sessionHash = this.ems ? this.transcript.hash(c.provider, suite.hash) : null;
    this.master = computeMasterSecret(c.provider, suite, agreed.preMaster, this.clientRandom, this.serverRandom, sessionHash);
    this.host.masterSecretReady(this.clientRandom, this.master);
    if (identity && request) {
      // RFC 5246 §7.4.8: sign all handshake messages so far with a scheme the server listed.
      const scheme = identity.key.schemes.find((s) => request.signatureSchemes.includes(s))!;
      const signature = identity.key.sign(scheme, this.transcript.bytes());
      this.transcript.add(this.host.sendHandshake({ type: 'certificate_verify', scheme, signature }));
    }
    if (agreed.pskIdentity !== undefined) {
      // RFC 4279 §2: the PSK authenticates the server (its Finished proves it knows the key).
      this.authorized = true;
      this.authorizationError = undefined;
    }
    this.sendClientFinished();
  }

  /** New pending states, ChangeCipherSpec, Finished (RFC 5246 §7.4.9). */
  private sendClientFinished(): void {
    const c = this.host.config;
    const suite = this.suite!;
    const states = deriveCipherStates(c.provider, suite, this.master, this.clientRandom, this.serverRandom, this.recordOptions());
    this.host.setPendingStates(states.server, states.client);
    this.clientVerify = this.sendChangeCipherSpecAndFinished('client finished');
  }

  private onFinished(got: Uint8Array, raw: Uint8Array): void {
    const c = this.host.config;
    const expected = this.checkPeerFinished(got, raw, 'server finished');
    // RFC 5246 §7.3 figure 2: the client's ChangeCipherSpec and Finished close the abbreviated
    // handshake; its verify_data covers the server's Finished too.
    if (this.resumed) this.clientVerify = this.sendChangeCipherSpecAndFinished('client finished');
    const s = this.offer?.session;
    const now = c.now();
    let ticket: Uint8Array = new Uint8Array(0);
    let ticketLifetime = 0;
    if (this.newTicket) {
      ticket = this.newTicket.ticket;
      // The hint counts from now (RFC 5077 §3.3); the session stores it from its creation.
      ticketLifetime = this.newTicket.lifetimeHint === 0 ? 0 : this.newTicket.lifetimeHint + (this.resumed ? Math.max(0, Math.floor((now - s!.createdAt) / 1000)) : 0);
    } else if (this.resumed) {
      ticket = s!.ticket;
      ticketLifetime = s!.ticketLifetime;
    }
    this.result = {
      ...this.commonResult(),
      group: this.resumed ? 0 : this.keyAgreement?.group ?? 0,
      signatureScheme: this.resumed ? 0 : this.keyAgreement?.signatureScheme ?? 0,
      serverVerifyData: expected,
      ...(this.host.config.requestOcsp ? { ocspResponse: this.ocspResponse ?? null } : {}),
      servername: c.servername,
      localChain: this.localChain,
      pskIdentity: this.resumed ? s!.pskIdentity : this.pskIdentity,
      peerSignatureSchemes: this.certRequest?.signatureSchemes,
      resumed: this.resumed,
      // Resumed with a ticket and a session_id we made up: keep offering that one (as OpenSSL's
      // client keeps its own; OpenSSL's DTLS server, resuming in a renegotiation, echoes the
      // session_id the session was last resumed with, not a new one — measured).
      sessionId: this.resumed ? this.offeredSessionId : this.sessionId,
      ticket,
      ticketLifetime,
      createdAt: this.resumed ? s!.createdAt : now,
    };
  }
}
