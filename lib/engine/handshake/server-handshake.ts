// TLS 1.2 server handshake (RFC 5246 §7.3 full handshake, with the suite's key agreement from
// key-agreement/; abbreviated handshake resuming a cached session or an RFC 5077 ticket, and
// ticket issuance), as a state machine whose states carry their data (ServerState). One
// instance per handshake; a renegotiation is a new instance with a binding.
//
// The ClientHello is handled in named steps, as Go's handshake_server.go: processClientHello
// (checks and extensions) → checkForResumption → pickCipherSuite → sendFullFlight (or resume).
import type { SigningKey, VerifyingKey } from '../../crypto/provider.js';
import { TlsError, ErrorCode } from '../../errors.js';
import { cipherSuiteById, type CipherSuite } from '../cipher-suites.js';
import { concatBytes } from '../../concat-bytes.js';
import type { EngineConfig, LocalIdentity } from '../config.js';
import {
  ClientCertificateType, EMPTY_RENEGOTIATION_INFO_SCSV, ExtensionType, NamedGroup, ProtocolVersion,
} from '../constants.js';
import { certificateAlert } from './certificate-alert.js';
import {
  decodeAlpn, decodeEcPointFormats, decodeExtendedMasterSecret, decodeRenegotiationInfo, decodeServerName,
  decodeSessionTicket, decodeSignatureAlgorithms, decodeStatusRequest, decodeSupportedGroups, encodeAlpn, encodeExtendedMasterSecret,
  encodeRenegotiationInfo, encodeSessionTicket, findExtension, encodeEcPointFormats,
} from './extensions.js';
import { encodeEncryptThenMac, encryptThenMacOffered, serverUsesEncryptThenMac } from './extensions.js';
import { checkRenegotiationInfo } from './hello-checks.js';
import { checkSchemeFitsKey } from './peer-signature.js';
import type { HandshakeHost, RenegotiationBinding } from './handshake-host.js';
import { computeMasterSecret, deriveCipherStates } from './key-schedule.js';
import type { ServerKeyAgreement, ServerKeyAgreementContext } from './key-agreement/key-agreement.js';
import { keyAgreementOf } from './key-agreement/registry.js';
import type { ClientHello, Extension, HandshakeMessage, ReceivedHandshakeMessage } from './message-types.js';
import { clientHelloInfo, type ClientHelloInfo } from './client-hello-info.js';
import type { SessionState } from './session.js';
import {
  HandshakeBase, NO_PEER_AUTH, type FinalState, type Keyed, type Negotiated, type PeerAuth,
} from './handshake-base.js';

/** What the ClientHello asked for, read once by processClientHello. */
interface ClientOffer {
  readonly ch: ClientHello;
  readonly secureRenegotiation: boolean;
  readonly servername: string | undefined;
  /** supported_groups (RFC 8422 §4: secp256r1 without the extension). */
  readonly clientGroups: readonly number[];
  /** The client sent ec_point_formats (we answer it). */
  readonly pointFormats: boolean;
  /** signature_algorithms as sent (undefined without the extension). */
  readonly peerSignatureSchemes: number[] | undefined;
  /** The schemes we may sign with for this client (its list, or the implied one, ∩ ours). */
  readonly clientSchemes: readonly number[];
  readonly ems: boolean;
  /** The ClientHello offered RFC 7366 encrypt_then_mac (and we allow it). */
  readonly etmOffered: boolean;
  /** RFC 6066 §8: the client asked for an OCSP staple. */
  readonly ocspRequested: boolean;
  /** RFC 5077: the session_ticket extension's content (undefined without the extension). */
  readonly clientTicket: Uint8Array | undefined;
  readonly alpn: string | false;
}

/** What our ServerHello said, for the rest of the handshake and its result. */
interface ServerHelloFacts {
  readonly servername: string | undefined;
  readonly peerSignatureSchemes: number[] | undefined;
  /** session_id of our ServerHello. */
  readonly sessionId: Uint8Array;
  /** RFC 5077 §3.2: we answered the client's session_ticket and owe it a NewSessionTicket. */
  readonly issueTicket: boolean;
}

/** A full handshake, from the suite choice on. */
interface FullHandshake {
  readonly neg: Negotiated;
  readonly hello: ServerHelloFacts;
  /** Our certificate (undefined in suites without one). */
  readonly identity: LocalIdentity | undefined;
  /** The ServerKeyExchange's signature scheme (0: unsigned). */
  readonly scheme: number;
  readonly kx: { readonly ka: ServerKeyAgreement; readonly ctx: ServerKeyAgreementContext };
}

/** What the final states keep for the result: a full handshake's, or a resumed session's. */
type ServerFinal = Keyed & { readonly hello: ServerHelloFacts; readonly peer: PeerAuth; readonly identity: LocalIdentity | undefined } & (
  | { readonly kind: 'full'; readonly scheme: number; readonly group: number }
  /** RFC 5246 §7.3 figure 2: our Finished went first. */
  | { readonly kind: 'resumed'; readonly session: SessionState; readonly serverVerify: Uint8Array }
);

type ServerState =
  | { readonly name: 'wait_client_hello' }
  /** The application looks at the initial ClientHello first (SNI certificate choice, an external
   *  session cache): acceptClientHello() goes on with it. */
  | { readonly name: 'wait_client_hello_answer'; readonly ch: ClientHello }
  /** RFC 6066 §8: the client asked for an OCSP staple; the flight waits for respondOcsp(). */
  | { readonly name: 'wait_ocsp_response'; readonly full: FullHandshake; readonly pointFormats: boolean }
  | { readonly name: 'wait_certificate'; readonly full: FullHandshake }
  | { readonly name: 'wait_client_key_exchange'; readonly full: FullHandshake; readonly peer: PeerAuth }
  | { readonly name: 'wait_certificate_verify'; readonly full: FullHandshake; readonly peer: PeerAuth; readonly master: Uint8Array };

/** A session the client offered that we resume: its state, its suite, and whether its ticket
 *  is renewed (sealed under an older key, RFC 5077 §3.3). */
interface Resumable {
  readonly state: SessionState;
  readonly suite: CipherSuite;
  readonly renewTicket: boolean;
}

/** Options of one server handshake that a renegotiation may change. */
export interface ServerHandshakeOptions {
  requestCert: boolean;
  rejectUnauthorized: boolean;
  /** Suites in server preference order for this handshake (default: the config's). */
  cipherSuites?: readonly CipherSuite[];
  /** Never resume in this handshake (our certificate changed: setKeyCert()). */
  fullHandshake?: boolean;
}

export class ServerHandshake extends HandshakeBase<ServerState, ServerFinal> {
  protected state: ServerState | FinalState<ServerFinal> = { name: 'wait_client_hello' };
  private readonly opts: ServerHandshakeOptions;
  private readonly serverRandom: Uint8Array;

  constructor(host: HandshakeHost, opts: ServerHandshakeOptions, binding?: RenegotiationBinding) {
    super(host, binding);
    this.opts = opts;
    this.serverRandom = host.config.random(32);
  }

  get awaitsFirstPeerMessage(): boolean {
    return this.state.name === 'wait_client_hello';
  }

  /** Until the ClientHello is answered the client still takes data under the current keys. */
  get holdsWrites(): boolean {
    return this.state.name !== 'wait_client_hello' && this.state.name !== 'wait_client_hello_answer';
  }

  /** The handshake waits for the application's answer to the ClientHello (acceptClientHello()). */
  get awaitsClientHelloAnswer(): boolean {
    return this.state.name === 'wait_client_hello_answer';
  }

  protected expectedMessages(): readonly HandshakeMessage['type'][] {
    switch (this.state.name) {
      case 'wait_client_hello': return ['client_hello'];
      case 'wait_certificate': return ['certificate'];
      case 'wait_client_key_exchange': return ['client_key_exchange'];
      case 'wait_certificate_verify': return ['certificate_verify'];
      default: return [];
    }
  }

  protected handleMessage(msg: ReceivedHandshakeMessage, raw: Uint8Array): void {
    const s = this.state;
    switch (s.name) {
      case 'wait_client_hello':
        if (msg.type !== 'client_hello') break;
        if (this.needsCookie(msg)) return;
        this.transcript.add(raw);
        if (this.asksApplication(msg)) {
          this.state = { name: 'wait_client_hello_answer', ch: msg };
          return;
        }
        this.onClientHello(msg);
        return;
      case 'wait_certificate':
        if (msg.type !== 'certificate') break;
        this.transcript.add(raw);
        this.state = { name: 'wait_client_key_exchange', full: s.full, peer: this.onClientCertificate(msg.certificates) };
        return;
      case 'wait_client_key_exchange': {
        if (msg.type !== 'client_key_exchange') break;
        const { peer, master } = this.onClientKeyExchange(s.full, s.peer, msg.body, raw);
        this.state = peer.chain.length > 0
          ? { name: 'wait_certificate_verify', full: s.full, peer, master }
          : { name: 'wait_change_cipher_spec', data: this.fullFinal(s.full, peer, master) };
        return;
      }
      case 'wait_certificate_verify':
        if (msg.type !== 'certificate_verify') break;
        this.onCertificateVerify(s.peer, msg.scheme, msg.signature);
        this.transcript.add(raw);
        this.state = { name: 'wait_change_cipher_spec', data: this.fullFinal(s.full, s.peer, s.master) };
        return;
      default:
        break;
    }
    throw this.unexpected(msg);
  }

  /** RFC 6347 §4.2.1: answer a ClientHello without a valid cookie with a HelloVerifyRequest,
   *  keeping no state (neither message enters the transcript). */
  private needsCookie(ch: ClientHello): boolean {
    const jar = this.host.config.dtlsCookies;
    if (!this.dtls || !jar || this.binding || jar.verify(ch)) return false;
    this.host.sendHandshake({ type: 'hello_verify_request', version: ProtocolVersion.DTLS1_2, cookie: jar.make(ch) });
    return true;
  }

  /** The initial ClientHello goes to the application first when it wants to see it. A
   *  ClientHello it cannot be shown (a malformed server_name) goes on, to fail with its alert. */
  private asksApplication(ch: ClientHello): boolean {
    if (this.binding) return false;
    let info: ClientHelloInfo;
    try {
      info = clientHelloInfo(ch);
    } catch {
      return false;
    }
    return this.host.clientHelloReceived(info);
  }

  /** The application has answered the ClientHello (its choices are in the config's hooks,
   *  e.g. selectIdentities): the handshake goes on with it. */
  acceptClientHello(): void {
    const s = this.state;
    if (s.name !== 'wait_client_hello_answer') return;
    this.onClientHello(s.ch);
  }

  /** The ClientHello, step by step (Go: serverHandshakeState.processClientHello,
   *  checkForResumption, pickCipherSuite, then the flight). */
  private onClientHello(ch: ClientHello): void {
    const offer = this.processClientHello(ch);
    const resumable = this.checkForResumption(offer);
    if (resumable) {
      this.resume(offer, resumable);
      return;
    }
    const c = this.host.config;
    const store = c.sessionStore;
    // RFC 7627 §5.3 / our rule: only extended-master-secret sessions are ever resumed, so only
    // they get a session_id or a ticket. With a ticket the session lives in the ticket alone:
    // the session_id is empty (RFC 5077 §3.4 allows it; the client detects a later resumption
    // by the echo of the session_id it makes up) and nothing is cached.
    const issueTicket = store !== undefined && store.tickets && offer.clientTicket !== undefined && offer.ems;
    const sessionId = store && offer.ems && !issueTicket && store.cacheSize > 0 ? c.random(32) : new Uint8Array(0);
    const chosen = this.pickCipherSuite(offer);
    const neg: Negotiated = {
      suite: chosen.suite, clientRandom: ch.random, serverRandom: this.serverRandom,
      ems: offer.ems, etm: serverUsesEncryptThenMac(offer.etmOffered, chosen.suite),
      secureRenegotiation: offer.secureRenegotiation, alpn: offer.alpn,
    };
    const full: FullHandshake = {
      neg,
      hello: { servername: offer.servername, peerSignatureSchemes: offer.peerSignatureSchemes, sessionId, issueTicket },
      identity: chosen.identity,
      scheme: chosen.scheme,
      kx: {
        ka: keyAgreementOf(chosen.suite).server(),
        ctx: {
          config: c, suite: chosen.suite, clientRandom: ch.random, serverRandom: this.serverRandom,
          identity: chosen.identity, scheme: chosen.scheme, group: chosen.group, clientGroups: offer.clientGroups, clientVersion: ch.version,
        },
      },
    };
    if (offer.ocspRequested && c.ocspStapling && chosen.identity) {
      // RFC 6066 §8: the application may staple an OCSP response for the certificate we chose;
      // the whole flight waits (the status_request answer goes in the ServerHello).
      this.state = { name: 'wait_ocsp_response', full, pointFormats: offer.pointFormats };
      this.host.requestOcspResponse(chosen.identity.chain);
      return;
    }
    this.sendFullFlight(full, offer.pointFormats, undefined);
  }

  /** The application's answer to requestOcspResponse(): a DER OCSPResponse to staple, or null. */
  respondOcsp(response: Uint8Array | null): void {
    const s = this.state;
    if (s.name !== 'wait_ocsp_response') return;
    this.sendFullFlight(s.full, s.pointFormats, response !== null && response.length > 0 ? response : undefined);
  }

  /** Version, compression, RFC 5746, and every extension the rest of the handshake needs. */
  private processClientHello(ch: ClientHello): ClientOffer {
    const c = this.host.config;
    // RFC 5246 Appendix E.1 / RFC 6347 §4.1: a client offering less than (D)TLS 1.2 cannot talk
    // to us (DTLS versions count down: 1.2 is 0xfefd, 1.0 is 0xfeff).
    if (this.dtls ? ch.version > ProtocolVersion.DTLS1_2 || ch.version < 0xfe00 : ch.version < ProtocolVersion.TLS1_2) {
      throw new TlsError(ErrorCode.PROTOCOL_VERSION, `client offers only version 0x${ch.version.toString(16)}`, 'protocol_version');
    }
    // RFC 5246 §7.4.1.2: the null compression method must be offered.
    if (!ch.compressionMethods.includes(0)) {
      throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, 'client does not offer null compression', 'illegal_parameter');
    }
    const ext = (type: number): Extension | undefined => findExtension(ch.extensions, type);
    const secureRenegotiation = this.checkRenegotiationSignal(ch);

    const sni = ext(ExtensionType.server_name);
    const servername = sni ? decodeServerName(sni.data) : undefined;

    const groupsExt = ext(ExtensionType.supported_groups);
    // RFC 8422 §4: without supported_groups the client supports secp256r1 at least.
    const clientGroups = groupsExt ? decodeSupportedGroups(groupsExt.data) : [NamedGroup.secp256r1];
    const formatsExt = ext(ExtensionType.ec_point_formats);
    if (formatsExt && !decodeEcPointFormats(formatsExt.data).includes(0)) {
      // RFC 8422 §5.1.2: uncompressed must be supported.
      throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, 'client does not accept uncompressed points', 'illegal_parameter');
    }
    const sigExt = ext(ExtensionType.signature_algorithms);
    const peerSignatureSchemes = sigExt ? decodeSignatureAlgorithms(sigExt.data) : undefined;
    // RFC 5246 §7.4.1.4.1: without signature_algorithms the client supports {sha1, the key
    // exchange's signature algorithm}, and nothing else: we never sign with a scheme it did not
    // offer. signature_algorithms_cert alone (RFC 8446 §4.2.3) changes nothing.
    // Our own `signatureSchemes` (sigalgs) restrict what we sign with too, as OpenSSL's
    // tls1_set_server_sigalgs: when the client's list and ours share nothing, that is fatal
    // (handshake_failure) before any suite is considered.
    const clientSchemes = (peerSignatureSchemes ?? IMPLIED_SIGNATURE_SCHEMES).filter((s) => c.signatureSchemes.includes(s));
    if (sigExt && clientSchemes.length === 0) {
      throw new TlsError(ErrorCode.NO_SHARED_SIGNATURE_ALGORITHMS, 'no shared signature algorithms', 'handshake_failure');
    }
    const emsExt = ext(ExtensionType.extended_master_secret);
    if (emsExt) decodeExtendedMasterSecret(emsExt.data);
    const ems = emsExt !== undefined && c.extendedMasterSecret !== false;
    const etmOffered = encryptThenMacOffered(ext(ExtensionType.encrypt_then_mac), this.binding?.encryptThenMac) && c.encryptThenMac !== false;
    const statusExt = ext(ExtensionType.status_request);
    const ocspRequested = statusExt !== undefined && decodeStatusRequest(statusExt.data);
    const ticketExt = ext(ExtensionType.session_ticket);
    const clientTicket = ticketExt ? decodeSessionTicket(ticketExt.data) : undefined;
    const alpnExt = ext(ExtensionType.application_layer_protocol_negotiation);
    const alpn = alpnExt ? this.negotiateAlpn(decodeAlpn(alpnExt.data), servername) : false;
    return {
      ch, secureRenegotiation, servername, clientGroups, pointFormats: formatsExt !== undefined,
      peerSignatureSchemes, clientSchemes, ems, etmOffered, ocspRequested, clientTicket, alpn,
    };
  }

  /** RFC 5746 §3.6 (initial handshake) / §3.7 (renegotiation): whether the connection has
   *  secure renegotiation. */
  private checkRenegotiationSignal(ch: ClientHello): boolean {
    const ri = findExtension(ch.extensions, ExtensionType.renegotiation_info);
    const riValue = ri ? decodeRenegotiationInfo(ri.data) : undefined;
    const scsv = ch.cipherSuites.includes(EMPTY_RENEGOTIATION_INFO_SCSV);
    if (this.binding) {
      if (scsv) {
        throw new TlsError(ErrorCode.RENEGOTIATION_INFO_MISMATCH, 'SCSV in a renegotiation ClientHello', 'handshake_failure');
      }
      checkRenegotiationInfo(riValue, this.binding.clientVerifyData, 'ClientHello');
      return true;
    }
    if (riValue !== undefined && riValue.length !== 0) {
      throw new TlsError(ErrorCode.RENEGOTIATION_INFO_MISMATCH, 'initial ClientHello has a non-empty renegotiation_info', 'handshake_failure');
    }
    return scsv || riValue !== undefined;
  }

  /** RFC 7301 §3.2: the protocol for the client's list (ALPN is negotiated in every handshake,
   *  resumptions included); false when we do not take part. */
  private negotiateAlpn(offeredProtocols: string[], servername: string | undefined): string | false {
    const c = this.host.config;
    if (c.alpnCallback) return this.alpnFromCallback(c.alpnCallback, offeredProtocols, servername);
    if (!c.alpnProtocols || c.alpnProtocols.length === 0) return false;
    const pick = c.alpnProtocols.find((p) => offeredProtocols.includes(p));
    // RFC 7301 §3.2: no overlap → fatal no_application_protocol.
    if (pick === undefined) {
      throw new TlsError(ErrorCode.NO_APPLICATION_PROTOCOL, 'no application protocol', 'no_application_protocol');
    }
    return pick;
  }

  /** node:tls ALPNCallback: undefined refuses the connection (RFC 7301 §3.2 alert). */
  private alpnFromCallback(cb: NonNullable<EngineConfig['alpnCallback']>, protocols: string[], servername: string | undefined): string {
    const pick = cb({ servername, protocols: [...protocols] });
    if (pick === undefined) {
      throw new TlsError(ErrorCode.NO_APPLICATION_PROTOCOL, 'no application protocol', 'no_application_protocol');
    }
    // RFC 7301 §3.2: the server selects one of the client's protocols. (The shell checks the
    // callback's answer as node:tls does, ERR_TLS_ALPN_CALLBACK_INVALID_RESULT.)
    if (!protocols.includes(pick)) {
      throw new TlsError(ErrorCode.INTERNAL, `ALPNCallback chose ${pick}, which the client did not offer`, 'internal_error');
    }
    return pick;
  }

  /**
   * The session the client asks to resume, if we can and may (RFC 5246 §7.4.1.2: "If the session
   * ID is not found or the server is not willing to resume, a full handshake is performed").
   * A non-empty ticket is tried first (RFC 5077 §3.4), then the session_id in the cache. The
   * session must be live (sessionTimeout), of this protocol, for the same SNI name (RFC 6066 §3),
   * with a suite the client still offers and we still allow (RFC 5246 §7.4.1.2: the client
   * "MUST include at least the cipher_suite from that session"), and with an extended master
   * secret (RFC 7627 §5.3: other sessions are never resumed; a full handshake follows). When
   * this handshake requires a client certificate, the session must carry one that verifies.
   * Throws handshake_failure when the client offers an extended-master-secret session without
   * the extension (RFC 7627 §5.3 "MUST abort").
   */
  private checkForResumption(offer: ClientOffer): Resumable | undefined {
    const { ch, clientTicket } = offer;
    const c = this.host.config;
    const store = c.sessionStore;
    if (!store || this.opts.fullHandshake) return undefined;
    let state: SessionState | undefined;
    let renewTicket = false;
    if (clientTicket && clientTicket.length > 0 && store.tickets) {
      const opened = store.openTicket(clientTicket);
      if (opened) {
        state = opened.state;
        renewTicket = opened.renew;
      }
    }
    state ??= store.lookup(ch.sessionId);
    if (!state) return undefined;
    const suites = this.opts.cipherSuites ?? c.cipherSuites;
    if (state.version !== this.protocolVersion) return undefined;
    if (!ch.cipherSuites.includes(state.suite) || !suites.some((s) => s.id === state.suite)) return undefined;
    const sessionSuite = cipherSuiteById(state.suite);
    if (!sessionSuite) return undefined;
    const kind = keyAgreementOf(sessionSuite);
    // A PSK suite is allowed only while we have a PSK callback (as for a full handshake).
    if (!kind.usable(c, 'server')) return undefined;
    if ((state.servername ?? '') !== (offer.servername ?? '')) return undefined;
    if (!state.extendedMasterSecret) return undefined;
    // (PSK suites never carry a client certificate: RFC 4279 §2 has no CertificateRequest.)
    if (this.opts.requestCert && kind.serverCertificate) {
      if (state.peerChain.length === 0) return undefined;
      if (this.opts.rejectUnauthorized && !c.verifier(state.peerChain, 'client').ok) return undefined;
    }
    if (!offer.ems) {
      throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'client offers to resume an extended-master-secret session without the extension (RFC 7627 §5.3)', 'handshake_failure');
    }
    return { state, suite: sessionSuite, renewTicket: renewTicket && clientTicket !== undefined };
  }

  /**
   * Server preference (RFC 5246 §7.4.1.3: the server picks one suite from the client's list):
   * the first of our suites the client offers whose key agreement we can run for it (a group
   * in common, a PSK callback) and, with a certificate, one of ours that fits the suite and can
   * sign with a scheme the client accepts.
   */
  private pickCipherSuite(offer: ClientOffer): { suite: CipherSuite; identity: LocalIdentity | undefined; scheme: number; group: number | undefined } {
    const c = this.host.config;
    /** A suite whose key exchange needs a group the client does not support. */
    let noCommonGroup = false;
    /** A suite and a certificate fit, but no signature scheme the client accepts. */
    let noCommonScheme = false;
    for (const suite of this.opts.cipherSuites ?? c.cipherSuites) {
      if (!offer.ch.cipherSuites.includes(suite.id)) continue;
      const kind = keyAgreementOf(suite);
      const group = kind.selectGroup?.(c, offer.clientGroups);
      if (kind.selectGroup && group === undefined) {
        noCommonGroup = true;
        continue;
      }
      // As OpenSSL: PSK key exchanges only with a PSK callback.
      if (!kind.usable(c, 'server')) continue;
      // No certificate involved (RFC 4279 §2, RFC 5489 §2).
      if (!kind.serverCertificate) return { suite, identity: undefined, scheme: 0, group };
      for (const identity of c.selectIdentities?.(offer.servername) ?? this.host.identities) {
        if (!identityFits(identity.key, suite)) continue;
        const scheme = kind.signsServerKeyExchange ? pickScheme(identity.key, offer.clientSchemes) : 0;
        if (scheme !== undefined) return { suite, identity, scheme, group };
        noCommonScheme = true;
      }
    }
    if (noCommonGroup) throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'no common group', 'handshake_failure');
    if (noCommonScheme) {
      // As OpenSSL 3 ("no shared signature algorithms"): SHA-1, all a client without
      // signature_algorithms accepts, is refused by policy here.
      const why = offer.peerSignatureSchemes ? 'the client offers none our certificate can make' : 'the client sent no signature_algorithms, so it accepts only SHA-1, which we do not sign with';
      throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, `no signature algorithm in common: ${why}`, 'handshake_failure');
    }
    throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'no cipher suite in common with the client', 'handshake_failure');
  }

  /** ServerHello, Certificate, [CertificateStatus], [ServerKeyExchange], [CertificateRequest],
   *  ServerHelloDone. */
  private sendFullFlight(full: FullHandshake, pointFormats: boolean, staple: Uint8Array | undefined): void {
    const c = this.host.config;
    const suite = full.neg.suite;
    const kind = keyAgreementOf(suite);
    const exts = this.serverHelloExtensions(full.neg, pointFormats);
    // RFC 6066 §8: an empty status_request in the ServerHello announces the CertificateStatus.
    if (staple) exts.push({ type: ExtensionType.status_request, data: new Uint8Array(0) });
    // RFC 6066 §3: a server that used the client's server_name answers with an empty extension.
    if (full.hello.servername !== undefined && !this.binding) exts.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    this.sendServerHello(full.neg, full.hello, exts);
    const send = (m: HandshakeMessage): void => this.transcript.add(this.host.sendHandshake(m));
    if (kind.serverCertificate && full.identity) {
      send({ type: 'certificate', certificates: full.identity.chain });
      if (staple) send({ type: 'certificate_status', response: staple });
    }
    const skx = full.kx.ka.generateServerKeyExchange(full.kx.ctx);
    if (skx) send(skx);
    // RFC 4279 §2 / RFC 5489 §2: PSK suites have no CertificateRequest (the PSK authenticates
    // the client): only key exchanges with a server certificate ask for the client's.
    if (this.opts.requestCert && kind.serverCertificate) {
      send({
        type: 'certificate_request',
        certificateTypes: [ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign],
        signatureSchemes: [...c.signatureSchemes],
        certificateAuthorities: [...(c.certificateAuthorities ?? [])],
      });
      this.state = { name: 'wait_certificate', full };
    } else {
      this.state = { name: 'wait_client_key_exchange', full, peer: NO_PEER_AUTH };
    }
    send({ type: 'server_hello_done' });
  }

  /** ServerHello (full or abbreviated handshake); with a ticket to come, the empty SessionTicket
   *  extension that announces it (RFC 5077 §3.2). */
  private sendServerHello(neg: Negotiated, hello: ServerHelloFacts, exts: Extension[]): void {
    if (hello.issueTicket) exts.push({ type: ExtensionType.session_ticket, data: encodeSessionTicket(new Uint8Array(0)) });
    this.transcript.add(this.host.sendHandshake({
      type: 'server_hello',
      version: this.protocolVersion,
      random: this.serverRandom,
      sessionId: hello.sessionId,
      cipherSuite: neg.suite.id,
      compressionMethod: 0,
      extensions: exts,
    }));
  }

  /** ServerHello extensions shared by the full and the abbreviated handshake. */
  private serverHelloExtensions(neg: Negotiated, pointFormats: boolean): Extension[] {
    const exts: Extension[] = [];
    if (neg.secureRenegotiation) {
      // RFC 5746 §3.6: empty on the initial handshake; §3.7: both verify_data on renegotiation.
      const value = this.binding
        ? concatBytes(this.binding.clientVerifyData, this.binding.serverVerifyData)
        : new Uint8Array(0);
      exts.push({ type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo(value) });
    }
    if (neg.ems) exts.push({ type: ExtensionType.extended_master_secret, data: encodeExtendedMasterSecret() });
    if (neg.etm) exts.push({ type: ExtensionType.encrypt_then_mac, data: encodeEncryptThenMac() });
    if (pointFormats) exts.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([0]) });
    if (neg.alpn !== false) {
      exts.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn([neg.alpn]) });
    }
    return exts;
  }

  /**
   * RFC 5246 §7.3 figure 2: ServerHello (echoing the client's session_id), [NewSessionTicket]
   * (RFC 5077 §3.1, when renewing a ticket sealed under the previous key), ChangeCipherSpec,
   * Finished; then the client's ChangeCipherSpec and Finished.
   */
  private resume(offer: ClientOffer, { state: session, suite, renewTicket }: Resumable): void {
    const c = this.host.config;
    const neg: Negotiated = {
      suite, clientRandom: offer.ch.random, serverRandom: this.serverRandom,
      ems: offer.ems, etm: serverUsesEncryptThenMac(offer.etmOffered, suite),
      secureRenegotiation: offer.secureRenegotiation, alpn: offer.alpn,
    };
    const master = session.masterSecret;
    this.host.masterSecretReady(neg.clientRandom, master);
    let peer: PeerAuth = { chain: session.peerChain, authorized: false };
    if (session.peerChain.length > 0) {
      const check = c.verifier(session.peerChain, 'client');
      peer = check.ok ? { chain: session.peerChain, authorized: true } : { chain: session.peerChain, authorized: false, authorizationError: { code: check.code, message: check.message } };
    }
    // RFC 5246 §7.3: the session's peer is the peer now; a renegotiation may not resume another's.
    this.host.checkPeerIdentity(session.peerChain, session.pskIdentity);
    const identity = (c.selectIdentities?.(offer.servername) ?? this.host.identities).find((id) => identityFits(id.key, suite));
    // RFC 5246 §7.4.1.3 / RFC 5077 §3.4: echo the client's session_id.
    const hello: ServerHelloFacts = {
      servername: offer.servername, peerSignatureSchemes: offer.peerSignatureSchemes, sessionId: offer.ch.sessionId.slice(), issueTicket: renewTicket,
    };
    // RFC 6066 §3: "When resuming a session, the server MUST NOT include a server_name
    // extension in the server hello."
    this.sendServerHello(neg, hello, this.serverHelloExtensions(neg, offer.pointFormats));
    if (hello.issueTicket) this.sendNewSessionTicket(session);
    const states = deriveCipherStates(c.provider, suite, master, neg.clientRandom, neg.serverRandom, this.recordOptions(neg));
    this.host.setPendingStates(states.client, states.server);
    const keys = { neg, master };
    const serverVerify = this.sendChangeCipherSpecAndFinished(keys, 'server finished');
    this.state = { name: 'wait_change_cipher_spec', data: { neg, master, hello, peer, identity, kind: 'resumed', session, serverVerify } };
  }

  /** RFC 5077 §3.3: the ticket for `state` (a zero-length one when it cannot be sealed). */
  private sendNewSessionTicket(state: SessionState): void {
    const store = this.host.config.sessionStore;
    // (Only issued when the config has a store: see onClientHello and checkForResumption.)
    if (!store) return;
    const ticket = store.sealTicket(state) ?? new Uint8Array(0);
    this.transcript.add(this.host.sendHandshake({ type: 'new_session_ticket', lifetimeHint: store.secondsLeft(state), ticket }));
  }

  private onClientCertificate(chain: Uint8Array[]): PeerAuth {
    const c = this.host.config;
    if (chain.length === 0) {
      const authorizationError = { code: 'UNABLE_TO_GET_ISSUER_CERT', message: 'peer did not return a certificate' };
      if (this.opts.rejectUnauthorized) {
        // RFC 5246 §7.4.6: a server that requires a certificate may answer handshake_failure.
        throw new TlsError(ErrorCode.PEER_DID_NOT_RETURN_A_CERTIFICATE, 'peer did not return a certificate', 'handshake_failure');
      }
      return { chain, authorized: false, authorizationError };
    }
    const check = c.verifier(chain, 'client');
    const authorizationError = check.ok ? undefined : { code: check.code, message: check.message };
    if (authorizationError && this.opts.rejectUnauthorized) {
      throw new TlsError(authorizationError.code, authorizationError.message, certificateAlert(authorizationError.code));
    }
    // DESIGN.md invariant 5: in a renegotiation, a client that turns into someone else is
    // refused now, before our Finished would complete the handshake for it.
    this.host.checkPeerIdentity(chain, undefined);
    return authorizationError ? { chain, authorized: false, authorizationError } : { chain, authorized: true };
  }

  private onClientKeyExchange(full: FullHandshake, peer: PeerAuth, body: Uint8Array, raw: Uint8Array): { peer: PeerAuth; master: Uint8Array } {
    const c = this.host.config;
    const { neg } = full;
    // The codec keeps the body opaque: its shape is this suite's key exchange's.
    const agreed = full.kx.ka.processClientKeyExchange(full.kx.ctx, body);
    if (agreed.pskIdentity !== undefined) {
      // As node:tls (OpenSSL reports X509_V_OK for a PSK client): with requestCert, the key
      // authenticates the client (its Finished proves it); without, `authorized` stays false.
      this.host.checkPeerIdentity([], agreed.pskIdentity);
      peer = { ...peer, authorized: this.opts.requestCert, pskIdentity: agreed.pskIdentity };
    }
    this.transcript.add(raw);
    // RFC 7627 §3: session_hash up to and including ClientKeyExchange.
    const sessionHash = neg.ems ? this.transcript.hash(c.provider, neg.suite.hash) : null;
    const master = computeMasterSecret(c.provider, neg.suite, agreed.preMaster, neg.clientRandom, neg.serverRandom, sessionHash);
    this.host.masterSecretReady(neg.clientRandom, master);
    const states = deriveCipherStates(c.provider, neg.suite, master, neg.clientRandom, neg.serverRandom, this.recordOptions(neg));
    this.host.setPendingStates(states.client, states.server);
    return { peer, master };
  }

  private onCertificateVerify(peer: PeerAuth, scheme: number, signature: Uint8Array): void {
    const c = this.host.config;
    if (!c.signatureSchemes.includes(scheme)) {
      throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, `CertificateVerify scheme 0x${scheme.toString(16)} was not offered`, 'illegal_parameter');
    }
    let key: VerifyingKey | undefined;
    try {
      key = c.provider.publicKeyFromCertificate(peer.chain[0]!);
    } catch {
      key = undefined;
    }
    if (key) checkSchemeFitsKey(key, scheme, 'CertificateVerify');
    const ok = key !== undefined && key.verify(scheme, this.transcript.bytes(), signature);
    // RFC 5246 §7.4.8: the signature over handshake_messages must verify.
    if (!ok) throw new TlsError(ErrorCode.DECRYPT_ERROR, 'CertificateVerify signature does not verify', 'decrypt_error');
  }

  private fullFinal(full: FullHandshake, peer: PeerAuth, master: Uint8Array): ServerFinal {
    return { neg: full.neg, master, hello: full.hello, peer, identity: full.identity, kind: 'full', scheme: full.scheme, group: full.kx.ka.group };
  }

  protected onFinished(d: ServerFinal, got: Uint8Array, raw: Uint8Array): void {
    const c = this.host.config;
    const clientVerify = this.checkPeerFinished(d, got, raw, 'client finished');
    let serverVerify: Uint8Array;
    let createdAt: number;
    if (d.kind === 'resumed') {
      serverVerify = d.serverVerify;
      createdAt = d.session.createdAt;
    } else {
      createdAt = c.now();
      const fresh = this.sessionState(d, createdAt);
      // RFC 5077 §3.3: NewSessionTicket before our ChangeCipherSpec (it enters our Finished).
      if (d.hello.issueTicket) this.sendNewSessionTicket(fresh);
      serverVerify = this.sendChangeCipherSpecAndFinished(d, 'server finished');
      // The session becomes resumable once its handshake has completed (RFC 5246 §7.4.9).
      if (d.hello.sessionId.length > 0) c.sessionStore?.save(fresh);
    }
    this.result = this.handshakeResult(d, d.peer, clientVerify, {
      group: d.kind === 'full' ? d.group : 0,
      signatureScheme: d.kind === 'full' ? d.scheme : 0,
      serverVerifyData: serverVerify,
      servername: d.hello.servername,
      localChain: keyAgreementOf(d.neg.suite).serverCertificate ? d.identity?.chain : undefined,
      pskIdentity: d.kind === 'resumed' ? d.session.pskIdentity : d.peer.pskIdentity,
      peerSignatureSchemes: d.hello.peerSignatureSchemes,
      resumed: d.kind === 'resumed',
      sessionId: d.hello.sessionId,
      ticket: new Uint8Array(0),
      ticketLifetime: 0,
      createdAt,
      ocspResponse: undefined,
    });
  }

  /** What a resumption of this (full) handshake's session needs (cache entry, ticket). */
  private sessionState(d: ServerFinal, createdAt: number): SessionState {
    const s: SessionState = {
      version: this.protocolVersion,
      suite: d.neg.suite.id,
      masterSecret: d.master,
      extendedMasterSecret: d.neg.ems,
      peerChain: d.peer.chain,
      sessionId: d.hello.sessionId,
      ticket: new Uint8Array(0),
      ticketLifetime: 0,
      createdAt,
    };
    if (d.hello.servername !== undefined) s.servername = d.hello.servername;
    if (d.peer.pskIdentity !== undefined) s.pskIdentity = d.peer.pskIdentity;
    return s;
  }
}

/** RFC 8422 §5.3 / RFC 5246 §7.4.2: ECDSA suites need an EC (or EdDSA, RFC 8422 §2) key. */
function identityFits(key: SigningKey, suite: CipherSuite): boolean {
  return suite.auth === 'RSA' ? key.keyType === 'rsa' : key.keyType === 'ec' || key.keyType === 'ed25519';
}

/** RFC 5246 §7.4.1.4.1: what a client that sent no signature_algorithms supports: {sha1(2),
 *  rsa(1)} for RSA key exchanges, {sha1(2), ecdsa(3)} for ECDSA ones. No key of ours signs with
 *  SHA-1 (refused, as OpenSSL 3 does at its default security level), so they match nothing. */
const IMPLIED_SIGNATURE_SCHEMES: readonly number[] = [0x0201, 0x0203];

/** The key's most preferred scheme that the client accepts (RFC 5246 §7.4.1.4.1). */
function pickScheme(key: SigningKey, clientSchemes: readonly number[]): number | undefined {
  return key.schemes.find((s) => clientSchemes.includes(s));
}
