// TLS 1.2 client handshake (RFC 5246 §7.3 full handshake, with the suite's key agreement from
// key-agreement/; abbreviated handshake resuming a session by session ID or RFC 5077 ticket), as
// a state machine whose states carry their data (ClientState). One instance per handshake; a
// renegotiation is a new instance with a binding.
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
import {
  HandshakeBase, NO_PEER_AUTH, type FinalState, type Keyed, type Negotiated, type PeerAuth,
} from './handshake-base.js';
import { Transcript } from './transcript.js';
import type { LocalIdentity } from '../../crypto/identity.js';

/** The messages that can open a server's full flight after its ServerHello. */
const FULL_FLIGHT_STARTS: readonly HandshakeMessage['type'][] = ['certificate', 'server_key_exchange', 'server_hello_done'];

/** Our ClientHello, as sent (a DTLS HelloVerifyRequest makes us send it again with the cookie). */
interface SentHello {
  /** session_id of our ClientHello (the offered session's, or one we made up for a ticket). */
  readonly sessionId: Uint8Array;
  readonly suites: readonly number[];
  readonly extensions: readonly Extension[];
  /** The extensions a ServerHello may answer (RFC 5246 §7.4.1.4). */
  readonly offeredExtensions: ReadonlySet<number>;
  /** DTLS: the cookie from a HelloVerifyRequest (RFC 6347 §4.2.1). */
  readonly cookie: Uint8Array;
}

/** What the ServerHello said besides the negotiated values. */
interface ServerHelloFacts {
  readonly sessionId: Uint8Array;
  /** RFC 5077 §3.2: the server will send NewSessionTicket (it answered our session_ticket). */
  readonly ticketExpected: boolean;
  /** RFC 6066 §8: the ServerHello answered our status_request (a full handshake's Certificate
   *  may be followed by CertificateStatus). */
  readonly statusRequestAnswered: boolean;
}

/** The server's full flight, as it arrives. */
interface FullFlight {
  readonly neg: Negotiated;
  readonly facts: ServerHelloFacts;
  readonly ka: ClientKeyAgreement;
}

/** What the final states keep for the result: a full handshake's, or a resumed session's. */
type ClientFinal = Keyed & {
  readonly facts: ServerHelloFacts;
  readonly peer: PeerAuth;
  /** RFC 5077 §3.3: the ticket the server sent in this handshake. */
  readonly newTicket?: { readonly ticket: Uint8Array; readonly lifetimeHint: number };
} & (
  | {
    readonly kind: 'full';
    readonly ka: ClientKeyAgreement;
    readonly localChain: Uint8Array[] | undefined;
    readonly certRequest: CertificateRequest | undefined;
    readonly ocspResponse: Uint8Array | undefined;
    readonly clientVerify: Uint8Array;
  }
  /** The server echoed our session_id: abbreviated handshake (RFC 5246 §7.3). */
  | { readonly kind: 'resumed'; readonly session: SessionState; readonly offeredSessionId: Uint8Array }
);

type ClientState =
  /** Before start(). */
  | { readonly name: 'start' }
  | { readonly name: 'wait_server_hello'; readonly hello: SentHello }
  | { readonly name: 'wait_certificate'; readonly flight: FullFlight }
  /** After Certificate (or, in ECDHE_PSK, the ServerHello). */
  | { readonly name: 'wait_server_key_exchange'; readonly flight: FullFlight; readonly peer: PeerAuth; readonly ocspResponse: Uint8Array | undefined }
  /** PSK suites: ServerKeyExchange only when the server has a hint (RFC 4279 §2). */
  | { readonly name: 'wait_server_key_exchange_or_done'; readonly flight: FullFlight }
  | { readonly name: 'wait_certificate_request_or_done'; readonly flight: FullFlight; readonly peer: PeerAuth; readonly ocspResponse: Uint8Array | undefined }
  | {
    readonly name: 'wait_server_hello_done'; readonly flight: FullFlight; readonly peer: PeerAuth;
    readonly ocspResponse: Uint8Array | undefined; readonly certRequest: CertificateRequest | undefined;
  }
  | { readonly name: 'wait_new_session_ticket'; readonly data: ClientFinal };

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

/** The session we offer, when it is resumable, with its certificate check redone now. */
interface ResumableOffer {
  readonly session: SessionState;
  readonly authorized: boolean;
  readonly authorizationError?: { code: string; message: string };
}

export class ClientHandshake extends HandshakeBase<ClientState, ClientFinal> {
  protected state: ClientState | FinalState<ClientFinal> = { name: 'start' };
  /** Suites offered in this handshake (a renegotiation may offer others). */
  private readonly suites: readonly CipherSuite[];
  private readonly clientRandom: Uint8Array;
  private readonly offer: ResumableOffer | undefined;

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

  get awaitsFirstPeerMessage(): boolean {
    return this.state.name === 'start' || this.state.name === 'wait_server_hello';
  }

  /** A client's renegotiation has sent its ClientHello: the server may answer at once, so data
   *  waits for the new keys. */
  get holdsWrites(): boolean {
    return true;
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
  private resumableOffer(s: SessionState): ResumableOffer | undefined {
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
    // RFC 5246 §7.4.1.2: the session_id of the session to resume. With a ticket and no
    // session_id, RFC 5077 §3.4 lets the client make one up, so that the server's echo of it
    // tells us the ticket was accepted (OpenSSL does the same).
    const offered = this.offer?.session;
    const sessionId = offered ? (offered.sessionId.length > 0 ? offered.sessionId : c.random(32)) : new Uint8Array(0);
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
    const offeredExtensions = new Set(exts.map((e) => e.type));
    // RFC 5746 §3.4: the server's renegotiation_info answers our SCSV too.
    offeredExtensions.add(ExtensionType.renegotiation_info);
    const hello: SentHello = { sessionId, suites, extensions: exts, offeredExtensions, cookie: new Uint8Array(0) };
    this.sendClientHello(hello);
    this.state = { name: 'wait_server_hello', hello };
  }

  private sendClientHello(hello: SentHello): void {
    this.transcript.add(this.host.sendHandshake({
      type: 'client_hello',
      version: this.dtls ? ProtocolVersion.DTLS1_2 : ProtocolVersion.TLS1_2,
      random: this.clientRandom,
      sessionId: hello.sessionId,
      ...(this.dtls ? { cookie: hello.cookie } : {}),
      cipherSuites: [...hello.suites],
      compressionMethods: [0],
      extensions: [...hello.extensions],
    }));
  }

  protected expectedMessages(): readonly HandshakeMessage['type'][] {
    const s = this.state;
    switch (s.name) {
      case 'wait_server_hello': return this.dtls ? ['server_hello', 'hello_verify_request'] : ['server_hello'];
      case 'wait_certificate': return ['certificate'];
      // (CertificateStatus is taken here by type; handle() checks that it was announced.)
      case 'wait_server_key_exchange': return ['server_key_exchange', 'certificate_status'];
      case 'wait_server_key_exchange_or_done': return ['server_key_exchange', 'server_hello_done'];
      case 'wait_certificate_request_or_done': {
        const types: HandshakeMessage['type'][] = ['certificate_request', 'server_hello_done'];
        return this.takesCertificateStatus(s) ? [...types, 'certificate_status'] : types;
      }
      case 'wait_server_hello_done': return ['server_hello_done'];
      case 'wait_new_session_ticket':
      case 'wait_change_cipher_spec': {
        const next: HandshakeMessage['type'][] = s.name === 'wait_new_session_ticket' ? ['new_session_ticket'] : [];
        // See handle(): a full server flight after an echoed session_id.
        if (s.data.kind === 'resumed' && !s.data.newTicket) next.push(...FULL_FLIGHT_STARTS.filter((t) => startsFullServerFlight(s.data.neg.suite, t)));
        return next;
      }
      default: return [];
    }
  }

  protected handleMessage(msg: ReceivedHandshakeMessage, raw: Uint8Array): void {
    const before = this.state;
    if ((before.name === 'wait_change_cipher_spec' || before.name === 'wait_new_session_ticket') && before.data.kind === 'resumed'
      && !before.data.newTicket && startsFullServerFlight(before.data.neg.suite, msg.type)) {
      // The server echoed our session_id but goes on with a full handshake. RFC 5246 §7.4.1.3
      // says an echo means resumption, but OpenSSL 3.0's DTLS server does this when it declines
      // an abbreviated renegotiation on a connection that was not itself resumed (measured).
      // Nothing the abbreviated path took from the session is kept: the full handshake proves
      // it all again (certificate, signed key exchange, new master secret, Finished).
      // The echoed session ID named the session we offered, not this new one: do not offer
      // the new session by that ID later (the server may still hold the old one under it).
      const facts = { ...before.data.facts, sessionId: new Uint8Array(0) };
      this.state = this.stateAfterFullServerHello({ neg: before.data.neg, facts, ka: keyAgreementOf(before.data.neg.suite).client() });
    }
    const s = this.state;
    switch (s.name) {
      case 'wait_server_hello':
        if (msg.type === 'hello_verify_request' && this.dtls && s.hello.cookie.length === 0) {
          // RFC 6347 §4.2.1: resend the same ClientHello with the cookie; neither the first
          // ClientHello nor the HelloVerifyRequest enter the transcript.
          if (msg.cookie.length === 0) {
            throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, 'empty HelloVerifyRequest cookie', 'illegal_parameter');
          }
          const hello = { ...s.hello, cookie: msg.cookie };
          this.transcript = new Transcript();
          this.sendClientHello(hello);
          this.state = { name: 'wait_server_hello', hello };
          return;
        }
        if (msg.type !== 'server_hello') break;
        this.transcript.add(raw);
        this.onServerHello(s.hello, msg);
        return;
      case 'wait_certificate':
        if (msg.type !== 'certificate') break;
        this.transcript.add(raw);
        this.state = this.stateAfterCertificate(s.flight, this.onCertificate(msg.certificates));
        return;
      case 'wait_server_key_exchange':
        if (msg.type === 'certificate_status' && this.takesCertificateStatus(s)) {
          this.transcript.add(raw);
          this.state = { ...s, ocspResponse: msg.response.slice() };
          return;
        }
        if (msg.type !== 'server_key_exchange') break;
        this.transcript.add(raw);
        this.onServerKeyExchange(s.flight, s.peer, msg.body);
        // RFC 4279 §2 / RFC 5489 §2: no CertificateRequest in PSK suites.
        this.state = keyAgreementOf(s.flight.neg.suite).serverCertificate
          ? { name: 'wait_certificate_request_or_done', flight: s.flight, peer: s.peer, ocspResponse: s.ocspResponse }
          : { name: 'wait_server_hello_done', flight: s.flight, peer: s.peer, ocspResponse: s.ocspResponse, certRequest: undefined };
        return;
      case 'wait_server_key_exchange_or_done':
        if (msg.type === 'server_key_exchange') {
          this.transcript.add(raw);
          this.onServerKeyExchange(s.flight, NO_PEER_AUTH, msg.body);
          this.state = { name: 'wait_server_hello_done', flight: s.flight, peer: NO_PEER_AUTH, ocspResponse: undefined, certRequest: undefined };
          return;
        }
        return this.onServerHelloDone({ flight: s.flight, peer: NO_PEER_AUTH, ocspResponse: undefined, certRequest: undefined }, msg, raw);
      case 'wait_certificate_request_or_done':
        if (msg.type === 'certificate_status' && this.takesCertificateStatus(s)) {
          this.transcript.add(raw);
          this.state = { ...s, ocspResponse: msg.response.slice() };
          return;
        }
        if (msg.type === 'certificate_request') {
          this.transcript.add(raw);
          this.state = { name: 'wait_server_hello_done', flight: s.flight, peer: s.peer, ocspResponse: s.ocspResponse, certRequest: msg };
          return;
        }
        return this.onServerHelloDone({ flight: s.flight, peer: s.peer, ocspResponse: s.ocspResponse, certRequest: undefined }, msg, raw);
      case 'wait_server_hello_done':
        return this.onServerHelloDone(s, msg, raw);
      case 'wait_new_session_ticket':
        // RFC 5077 §3.3: sent after the ServerHello answered our session_ticket, before the
        // server's ChangeCipherSpec; it is part of the transcript.
        if (msg.type !== 'new_session_ticket') break;
        this.transcript.add(raw);
        // §3.3: a zero-length ticket means the server decided not to issue one.
        this.state = {
          name: 'wait_change_cipher_spec',
          // (Object.assign: a spread followed by a new property costs V8 new hidden classes per call.)
          data: msg.ticket.length > 0 ? Object.assign({}, s.data, { newTicket: { ticket: msg.ticket.slice(), lifetimeHint: msg.lifetimeHint } }) : s.data,
        };
        return;
      default:
        break;
    }
    throw this.unexpected(msg);
  }

  private onServerHelloDone(
    s: { flight: FullFlight; peer: PeerAuth; ocspResponse: Uint8Array | undefined; certRequest: CertificateRequest | undefined },
    msg: ReceivedHandshakeMessage,
    raw: Uint8Array,
  ): void {
    if (msg.type !== 'server_hello_done') {
      throw this.unexpected(msg);
    }
    this.transcript.add(raw);
    // As OpenSSL's status callback (tls_process_initial_server_flight): once the server's flight
    // is in, before ours goes out; node:tls asks only in the first handshake.
    if (this.host.config.requestOcsp && !this.binding) this.host.ocspResponseReceived(s.ocspResponse ?? null);
    const data = this.sendSecondFlight(s.flight, s.peer, s.certRequest, s.ocspResponse);
    this.state = s.flight.facts.ticketExpected ? { name: 'wait_new_session_ticket', data } : { name: 'wait_change_cipher_spec', data };
  }

  private onServerHello(hello: SentHello, sh: ServerHello): void {
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
    checkServerExtensionsOffered(sh.extensions, hello.offeredExtensions);
    const ems = findExtension(sh.extensions, ExtensionType.extended_master_secret) !== undefined;
    const etm = clientUsesEncryptThenMac(findExtension(sh.extensions, ExtensionType.encrypt_then_mac), suite, this.binding?.encryptThenMac);
    const ticketExt = findExtension(sh.extensions, ExtensionType.session_ticket);
    if (ticketExt && decodeSessionTicket(ticketExt.data).length !== 0) {
      // RFC 5077 §3.2: the server's SessionTicket extension is empty.
      throw new TlsError(ErrorCode.DECODE, 'ServerHello session_ticket extension is not empty', 'decode_error');
    }
    // RFC 5246 §7.4.1.3: the server resumes by echoing the session_id we offered.
    const resumed = this.offer !== undefined && sh.sessionId.length > 0 && constantTimeEqual(sh.sessionId, hello.sessionId) ? this.offer : undefined;
    if (resumed) this.checkResumption(resumed.session, suite, ems);
    const secureRenegotiation = this.checkRenegotiationInfo(sh);
    const statusExt = findExtension(sh.extensions, ExtensionType.status_request);
    // RFC 6066 §8: the server's status_request is empty and announces a CertificateStatus
    // (which it may still leave out); none in an abbreviated handshake (no Certificate).
    if (statusExt && statusExt.data.length !== 0) {
      throw new TlsError(ErrorCode.DECODE, 'ServerHello status_request extension is not empty', 'decode_error');
    }
    let alpn: string | false = false;
    const alpnExt = findExtension(sh.extensions, ExtensionType.application_layer_protocol_negotiation);
    if (alpnExt) {
      const chosen = decodeAlpn(alpnExt.data);
      // RFC 7301 §3.1: exactly one protocol, one the client offered.
      if (chosen.length !== 1 || !c.alpnProtocols?.includes(chosen[0]!)) {
        throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, 'server selected an ALPN protocol that was not offered', 'illegal_parameter');
      }
      alpn = chosen[0]!;
    }
    const neg: Negotiated = { suite, clientRandom: this.clientRandom, serverRandom: sh.random, ems, etm, secureRenegotiation, alpn };
    const facts: ServerHelloFacts = { sessionId: sh.sessionId.slice(), ticketExpected: ticketExt !== undefined, statusRequestAnswered: statusExt !== undefined };
    if (!resumed) {
      this.state = this.stateAfterFullServerHello({ neg, facts, ka: keyAgreementOf(suite).client() });
      return;
    }
    // RFC 5246 §7.3 figure 2: new keys from the session's master secret and the new randoms;
    // RFC 5077 §3.1: [NewSessionTicket], then the server's ChangeCipherSpec and Finished.
    const master = resumed.session.masterSecret;
    const states = deriveCipherStates(c.provider, suite, master, neg.clientRandom, neg.serverRandom, this.recordOptions(neg));
    this.host.setPendingStates(states.server, states.client);
    const peer: PeerAuth = {
      chain: resumed.session.peerChain, authorized: resumed.authorized, authorizationError: resumed.authorizationError,
    };
    const data: ClientFinal = { neg, master, facts, peer, kind: 'resumed', session: resumed.session, offeredSessionId: hello.sessionId };
    this.state = facts.ticketExpected ? { name: 'wait_new_session_ticket', data } : { name: 'wait_change_cipher_spec', data };
  }

  /** RFC 5746 §3.4 (initial handshake) / §3.5 (renegotiation): whether the connection has
   *  secure renegotiation. */
  private checkRenegotiationInfo(sh: ServerHello): boolean {
    const ri = findExtension(sh.extensions, ExtensionType.renegotiation_info);
    const riValue = ri ? decodeRenegotiationInfo(ri.data) : undefined;
    if (this.binding) {
      // RFC 5746 §3.5: the server must return client_verify_data || server_verify_data.
      checkRenegotiationInfo(riValue, concatBytes(this.binding.clientVerifyData, this.binding.serverVerifyData), 'ServerHello');
      return true;
    }
    if (riValue === undefined) return false;
    // RFC 5746 §3.4: in the initial handshake the value must be empty.
    if (riValue.length !== 0) {
      throw new TlsError(ErrorCode.RENEGOTIATION_INFO_MISMATCH, 'initial ServerHello has a non-empty renegotiation_info', 'handshake_failure');
    }
    return true;
  }

  /** The server accepted our session: check it resumed it faithfully. */
  private checkResumption(s: SessionState, suite: CipherSuite, ems: boolean): void {
    // RFC 5246 §7.4.1.3: "the value from the state of the session being resumed".
    if (suite.id !== s.suite) {
      throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, `server resumed the session with cipher suite 0x${suite.id.toString(16)}, not the session's`, 'illegal_parameter');
    }
    // RFC 7627 §5.3: resuming an extended-master-secret session without the extension (or the
    // reverse, which we never offer) must abort.
    if (s.extendedMasterSecret !== ems) {
      throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'server resumed the session without extended master secret (RFC 7627 §5.3)', 'handshake_failure');
    }
    // RFC 5246 §7.3: the session's peer is the peer now; a renegotiation may not resume another's.
    this.host.checkPeerIdentity(s.peerChain, s.pskIdentity);
  }

  /** The state after the ServerHello of a full handshake: the server's Certificate (ECDHE),
   *  its optional hint-only ServerKeyExchange (PSK, RFC 4279 §2) or its ECDHE_PSK one. */
  private stateAfterFullServerHello(flight: FullFlight): ClientState {
    const kind = keyAgreementOf(flight.neg.suite);
    if (kind.serverCertificate) return { name: 'wait_certificate', flight };
    return kind.serverKeyExchange === 'optional'
      ? { name: 'wait_server_key_exchange_or_done', flight }
      : { name: 'wait_server_key_exchange', flight, peer: NO_PEER_AUTH, ocspResponse: undefined };
  }

  /** The state after the server's Certificate: its ServerKeyExchange, or (a key exchange
   *  without one, e.g. static RSA, RFC 5246 §7.4.3) CertificateRequest or ServerHelloDone. */
  private stateAfterCertificate(flight: FullFlight, peer: PeerAuth): ClientState {
    return keyAgreementOf(flight.neg.suite).serverKeyExchange === 'never'
      ? { name: 'wait_certificate_request_or_done', flight, peer, ocspResponse: undefined }
      : { name: 'wait_server_key_exchange', flight, peer, ocspResponse: undefined };
  }

  /** RFC 6066 §8: CertificateStatus comes right after Certificate, when the ServerHello
   *  announced it, once. */
  private takesCertificateStatus(s: { name: string; flight: FullFlight; peer: PeerAuth; ocspResponse: Uint8Array | undefined }): boolean {
    const kind = keyAgreementOf(s.flight.neg.suite);
    return s.flight.facts.statusRequestAnswered && s.ocspResponse === undefined && kind.serverCertificate
      && s.name === (kind.serverKeyExchange === 'never' ? 'wait_certificate_request_or_done' : 'wait_server_key_exchange');
  }

  private onCertificate(chain: Uint8Array[]): PeerAuth {
    const c = this.host.config;
    if (chain.length === 0) {
      // RFC 5246 §7.4.2: a server of a certificate key exchange must send a certificate.
      throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'server sent no certificate', 'handshake_failure');
    }
    const check = c.verifier(chain, 'server', c.checkHost ?? c.servername);
    const authorizationError = check.ok ? undefined : { code: check.code, message: check.message };
    if (authorizationError && c.rejectUnauthorized) {
      throw new TlsError(authorizationError.code, authorizationError.message, certificateAlert(authorizationError.code));
    }
    // DESIGN.md invariant 5: in a renegotiation, a server that turns into someone else is
    // refused now, before our Finished would complete the handshake for it.
    this.host.checkPeerIdentity(chain, undefined);
    return authorizationError ? { chain, authorized: false, authorizationError } : { chain, authorized: true };
  }

  private kxContext(flight: FullFlight, peer: PeerAuth): ClientKeyAgreementContext {
    const neg = flight.neg;
    return { config: this.host.config, suite: neg.suite, clientRandom: neg.clientRandom, serverRandom: neg.serverRandom, peerChain: peer.chain };
  }

  private onServerKeyExchange(flight: FullFlight, peer: PeerAuth, body: Uint8Array): void {
    // The codec keeps the body opaque: its shape is this suite's key exchange's.
    flight.ka.processServerKeyExchange(this.kxContext(flight, peer), body);
  }

  /**
   * Certificate?, ClientKeyExchange, CertificateVerify?, ChangeCipherSpec, Finished. In PSK key
   * exchanges the application's pskCallback gets the server's hint while the ClientKeyExchange
   * is built, when the key is needed (as OpenSSL calls it).
   */
  private sendSecondFlight(flight: FullFlight, serverPeer: PeerAuth, request: CertificateRequest | undefined, ocspResponse: Uint8Array | undefined): ClientFinal {
    const c = this.host.config;
    const { neg } = flight;
    let identity: LocalIdentity | undefined;
    if (request) {
      // RFC 5246 §7.4.6: send a certificate if we have a suitable one, else an empty list.
      identity = this.host.identities.find((id) => id.key.schemes.some((s) => request.signatureSchemes.includes(s)));
      this.transcript.add(this.host.sendHandshake({ type: 'certificate', certificates: identity ? identity.chain : [] }));
    }
    const agreed = flight.ka.generateClientKeyExchange(this.kxContext(flight, serverPeer));
    let peer = serverPeer;
    if (agreed.pskIdentity !== undefined) {
      // RFC 4279 §2: the PSK authenticates the server (its Finished proves it knows the key).
      // (The identity is ours, chosen by our pskCallback: it is compared with the previous one
      // when the handshake completes; the server compares it before its Finished.)
      peer = { chain: serverPeer.chain, authorized: true, pskIdentity: agreed.pskIdentity };
    }
    this.transcript.add(this.host.sendHandshake(agreed.message));
    // RFC 7627 §3: session_hash covers the transcript up to and including ClientKeyExchange.
    const sessionHash = neg.ems ? this.transcript.hash(c.provider, neg.suite.hash) : null;
    const master = computeMasterSecret(c.provider, neg.suite, agreed.preMaster, neg.clientRandom, neg.serverRandom, sessionHash);
    this.host.masterSecretReady(neg.clientRandom, master);
    if (identity && request) {
      // RFC 5246 §7.4.8: sign all handshake messages so far with a scheme the server listed.
      const scheme = identity.key.schemes.find((s) => request.signatureSchemes.includes(s))!;
      const signature = identity.key.sign(scheme, this.transcript.bytes());
      this.transcript.add(this.host.sendHandshake({ type: 'certificate_verify', scheme, signature }));
    }
    // New pending states, ChangeCipherSpec, Finished (RFC 5246 §7.4.9).
    const keys = { neg, master };
    const states = deriveCipherStates(c.provider, neg.suite, master, neg.clientRandom, neg.serverRandom, this.recordOptions(neg));
    this.host.setPendingStates(states.server, states.client);
    const clientVerify = this.sendChangeCipherSpecAndFinished(keys, 'client finished');
    return {
      neg, master, facts: flight.facts, peer, kind: 'full', ka: flight.ka, localChain: identity?.chain, certRequest: request, ocspResponse, clientVerify,
    };
  }

  protected onFinished(d: ClientFinal, got: Uint8Array, raw: Uint8Array): void {
    const c = this.host.config;
    const expected = this.checkPeerFinished(d, got, raw, 'server finished');
    // RFC 5246 §7.3 figure 2: the client's ChangeCipherSpec and Finished close the abbreviated
    // handshake; its verify_data covers the server's Finished too.
    const clientVerify = d.kind === 'resumed' ? this.sendChangeCipherSpecAndFinished(d, 'client finished') : d.clientVerify;
    const now = c.now();
    let ticket: Uint8Array = new Uint8Array(0);
    let ticketLifetime = 0;
    if (d.newTicket) {
      ticket = d.newTicket.ticket;
      // The hint counts from now (RFC 5077 §3.3); the session stores it from its creation.
      ticketLifetime = d.newTicket.lifetimeHint === 0 ? 0 : d.newTicket.lifetimeHint + (d.kind === 'resumed' ? Math.max(0, Math.floor((now - d.session.createdAt) / 1000)) : 0);
    } else if (d.kind === 'resumed') {
      ticket = d.session.ticket;
      ticketLifetime = d.session.ticketLifetime;
    }
    const full = d.kind === 'full' ? d : undefined;
    this.result = this.handshakeResult(d, d.peer, clientVerify, {
      group: full ? full.ka.group : 0,
      signatureScheme: full ? full.ka.signatureScheme : 0,
      serverVerifyData: expected,
      ocspResponse: c.requestOcsp ? full?.ocspResponse ?? null : undefined,
      servername: c.servername,
      localChain: full?.localChain,
      pskIdentity: d.kind === 'resumed' ? d.session.pskIdentity : d.peer.pskIdentity,
      peerSignatureSchemes: full?.certRequest?.signatureSchemes,
      resumed: d.kind === 'resumed',
      // Resumed with a ticket and a session_id we made up: keep offering that one (as OpenSSL's
      // client keeps its own; OpenSSL's DTLS server, resuming in a renegotiation, echoes the
      // session_id the session was last resumed with, not a new one — measured).
      sessionId: d.kind === 'resumed' ? d.offeredSessionId : d.facts.sessionId,
      ticket,
      ticketLifetime,
      createdAt: d.kind === 'resumed' ? d.session.createdAt : now,
    });
  }
}

/** Whether `type` is the first message of a full handshake's server flight after ServerHello. */
function startsFullServerFlight(suite: CipherSuite, type: HandshakeMessage['type']): boolean {
  const kind: KeyAgreementKind = keyAgreementOf(suite);
  if (kind.serverCertificate) return type === 'certificate';
  if (kind.serverKeyExchange === 'optional') return type === 'server_key_exchange' || type === 'server_hello_done';
  return type === 'server_key_exchange';
}
