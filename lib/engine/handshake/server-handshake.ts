// TLS 1.2 server handshake (RFC 5246 §7.3 full handshake, ECDHE per RFC 8422, PSK per RFC 4279
// §2, ECDHE_PSK per RFC 5489 §2; abbreviated
// handshake resuming a cached session or an RFC 5077 ticket, and ticket issuance), as an
// explicit state machine. One instance per handshake; a renegotiation is a new instance with a
// binding.
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
import type { SessionState } from './session.js';
import { HandshakeBase } from './handshake-base.js';

type ServerState =
  | 'wait_client_hello'
  /** RFC 6066 §8: the client asked for an OCSP staple; the flight waits for respondOcsp(). */
  | 'wait_ocsp_response'
  | 'wait_certificate'
  | 'wait_client_key_exchange'
  | 'wait_certificate_verify'
  | 'wait_change_cipher_spec'
  | 'wait_finished'
  | 'done';

/** Options of one server handshake that a renegotiation may change. */
export interface ServerHandshakeOptions {
  requestCert: boolean;
  rejectUnauthorized: boolean;
  /** Suites in server preference order for this handshake (default: the config's). */
  cipherSuites?: readonly CipherSuite[];
  /** Never resume in this handshake (our certificate changed: setKeyCert()). */
  fullHandshake?: boolean;
}

export class ServerHandshake extends HandshakeBase<ServerState> {
  state: ServerState = 'wait_client_hello';

  get awaitsFirstPeerMessage(): boolean {
    return this.state === 'wait_client_hello';
  }

  /** Until the ClientHello is answered the client still takes data under the current keys. */
  get holdsWrites(): boolean {
    return this.state !== 'wait_client_hello';
  }
  private readonly opts: ServerHandshakeOptions;
  private identity: LocalIdentity | undefined;
  private scheme = 0;
  /** The suite's key agreement, with what the suite selection chose for it (full handshake). */
  private keyAgreement: { ka: ServerKeyAgreement; ctx: ServerKeyAgreementContext } | undefined;
  /** The client's signature_algorithms, as sent (undefined without the extension). */
  private peerSignatureSchemes: number[] | undefined;
  /** RFC 6066 §8: the ClientHello asked for an OCSP staple. */
  private ocspRequested = false;
  /** The ClientHello offered RFC 7366 encrypt_then_mac. */
  private etmOffered = false;
  /** The full flight, waiting for the application's OCSP response. */
  private pendingFlight: ((staple: Uint8Array | undefined) => void) | undefined;
  private servername: string | undefined;
  private serverVerify: Uint8Array = new Uint8Array(0);
  /** The session being resumed (RFC 5246 §7.3 abbreviated handshake). */
  private resumedSession: SessionState | undefined;
  /** RFC 5077 §3.2: we answered the client's session_ticket and owe it a NewSessionTicket. */
  private issueTicket = false;
  /** session_id of our ServerHello. */
  private sessionId: Uint8Array = new Uint8Array(0);

  constructor(host: HandshakeHost, opts: ServerHandshakeOptions, binding?: RenegotiationBinding) {
    super(host, binding);
    this.opts = opts;
    this.serverRandom = host.config.random(32);
  }

  /** The server name the client asked for (SNI), once its hello has arrived. */
  get requestedServername(): string | undefined {
    return this.servername;
  }

  protected expectedMessages(): readonly HandshakeMessage['type'][] {
    switch (this.state) {
      case 'wait_client_hello': return ['client_hello'];
      case 'wait_certificate': return ['certificate'];
      case 'wait_client_key_exchange': return ['client_key_exchange'];
      case 'wait_certificate_verify': return ['certificate_verify'];
      case 'wait_finished': return ['finished'];
      default: return [];
    }
  }

  handle(msg: ReceivedHandshakeMessage, raw: Uint8Array): void {
    switch (this.state) {
      case 'wait_client_hello':
        if (msg.type !== 'client_hello') break;
        if (this.needsCookie(msg)) return;
        this.transcript.add(raw);
        this.onClientHello(msg);
        return;
      case 'wait_certificate':
        if (msg.type !== 'certificate') break;
        this.transcript.add(raw);
        this.onClientCertificate(msg.certificates);
        this.state = 'wait_client_key_exchange';
        return;
      case 'wait_client_key_exchange':
        if (msg.type !== 'client_key_exchange') break;
        this.onClientKeyExchange(msg.body, raw);
        this.state = this.peerChain.length > 0 ? 'wait_certificate_verify' : 'wait_change_cipher_spec';
        return;
      case 'wait_certificate_verify':
        if (msg.type !== 'certificate_verify') break;
        this.onCertificateVerify(msg.scheme, msg.signature);
        this.transcript.add(raw);
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

  /** RFC 6347 §4.2.1: answer a ClientHello without a valid cookie with a HelloVerifyRequest,
   *  keeping no state (neither message enters the transcript). */
  private needsCookie(ch: ClientHello): boolean {
    const jar = this.host.config.dtlsCookies;
    if (!this.dtls || !jar || this.binding || jar.verify(ch)) return false;
    this.host.sendHandshake({ type: 'hello_verify_request', version: ProtocolVersion.DTLS1_2, cookie: jar.make(ch) });
    return true;
  }

  private onClientHello(ch: ClientHello): void {
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
    this.clientRandom = ch.random;
    const ext = (type: number): Extension | undefined => findExtension(ch.extensions, type);

    // RFC 5746 §3.6 (initial) / §3.7 (renegotiation).
    const ri = ext(ExtensionType.renegotiation_info);
    const riValue = ri ? decodeRenegotiationInfo(ri.data) : undefined;
    const scsv = ch.cipherSuites.includes(EMPTY_RENEGOTIATION_INFO_SCSV);
    if (this.binding) {
      if (scsv) {
        throw new TlsError(ErrorCode.RENEGOTIATION_INFO_MISMATCH, 'SCSV in a renegotiation ClientHello', 'handshake_failure');
      }
      checkRenegotiationInfo(riValue, this.binding.clientVerifyData, 'ClientHello');
      this.secureRenegotiation = true;
    } else {
      if (riValue !== undefined && riValue.length !== 0) {
        throw new TlsError(ErrorCode.RENEGOTIATION_INFO_MISMATCH, 'initial ClientHello has a non-empty renegotiation_info', 'handshake_failure');
      }
      this.secureRenegotiation = scsv || riValue !== undefined;
    }

    const sni = ext(ExtensionType.server_name);
    this.servername = sni ? decodeServerName(sni.data) : undefined;

    const groupsExt = ext(ExtensionType.supported_groups);
    // RFC 8422 §4: without supported_groups the client supports secp256r1 at least.
    const clientGroups = groupsExt ? decodeSupportedGroups(groupsExt.data) : [NamedGroup.secp256r1];
    const formatsExt = ext(ExtensionType.ec_point_formats);
    if (formatsExt && !decodeEcPointFormats(formatsExt.data).includes(0)) {
      // RFC 8422 §5.1.2: uncompressed must be supported.
      throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, 'client does not accept uncompressed points', 'illegal_parameter');
    }
    const sigExt = ext(ExtensionType.signature_algorithms);
    this.peerSignatureSchemes = sigExt ? decodeSignatureAlgorithms(sigExt.data) : undefined;
    // RFC 5246 §7.4.1.4.1: without signature_algorithms the client supports {sha1, the key
    // exchange's signature algorithm}, and nothing else: we never sign with a scheme it did not
    // offer. signature_algorithms_cert alone (RFC 8446 §4.2.3) changes nothing.
    // Our own `signatureSchemes` (sigalgs) restrict what we sign with too, as OpenSSL's
    // tls1_set_server_sigalgs: when the client's list and ours share nothing, that is fatal
    // (handshake_failure) before any suite is considered.
    const clientSchemes = (this.peerSignatureSchemes ?? IMPLIED_SIGNATURE_SCHEMES).filter((s) => c.signatureSchemes.includes(s));
    if (sigExt && clientSchemes.length === 0) {
      throw new TlsError(ErrorCode.NO_SHARED_SIGNATURE_ALGORITHMS, 'no shared signature algorithms', 'handshake_failure');
    }
    const emsExt = ext(ExtensionType.extended_master_secret);
    if (emsExt) decodeExtendedMasterSecret(emsExt.data);
    this.ems = emsExt !== undefined && c.extendedMasterSecret !== false;
    this.etmOffered = encryptThenMacOffered(ext(ExtensionType.encrypt_then_mac), this.binding?.encryptThenMac) && c.encryptThenMac !== false;
    const statusExt = ext(ExtensionType.status_request);
    this.ocspRequested = statusExt !== undefined && decodeStatusRequest(statusExt.data);
    const ticketExt = ext(ExtensionType.session_ticket);
    const clientTicket = ticketExt ? decodeSessionTicket(ticketExt.data) : undefined;

    const alpnExt = ext(ExtensionType.application_layer_protocol_negotiation);
    if (alpnExt && c.alpnCallback) {
      this.alpn = this.alpnFromCallback(c.alpnCallback, decodeAlpn(alpnExt.data));
    } else if (alpnExt && c.alpnProtocols && c.alpnProtocols.length > 0) {
      const offeredProtocols = decodeAlpn(alpnExt.data);
      const pick = c.alpnProtocols.find((p) => offeredProtocols.includes(p));
      // RFC 7301 §3.2: no overlap → fatal no_application_protocol (also when resuming: ALPN is
      // negotiated in every handshake). The message is OpenSSL's reason, as node reports it.
      if (pick === undefined) {
        throw new TlsError(ErrorCode.NO_APPLICATION_PROTOCOL, 'no application protocol', 'no_application_protocol');
      }
      this.alpn = pick;
    }

    const resumable = this.findResumableSession(ch, clientTicket);
    if (resumable) {
      this.resume(ch, resumable.state, resumable.renewTicket, formatsExt !== undefined);
      return;
    }
    const store = c.sessionStore;
    // RFC 7627 §5.3 / our rule: only extended-master-secret sessions are ever resumed, so only
    // they get a session_id or a ticket. With a ticket the session lives in the ticket alone:
    // the session_id is empty (RFC 5077 §3.4 allows it; the client detects a later resumption
    // by the echo of the session_id it makes up) and nothing is cached.
    this.issueTicket = store !== undefined && store.tickets && clientTicket !== undefined && this.ems;
    if (store && this.ems && !this.issueTicket && store.cacheSize > 0) this.sessionId = c.random(32);

    // Server preference (RFC 5246 §7.4.1.3: the server picks one suite from the client's list).
    let chosen: { suite: CipherSuite; identity: LocalIdentity | undefined; scheme: number; group: number | undefined } | undefined;
    /** A suite whose key exchange needs a group the client does not support. */
    let noCommonGroup = false;
    /** A suite and a certificate fit, but no signature scheme the client accepts. */
    let noCommonScheme = false;
    for (const suite of this.opts.cipherSuites ?? c.cipherSuites) {
      if (!ch.cipherSuites.includes(suite.id)) continue;
      const kind = keyAgreementOf(suite);
      const group = kind.selectGroup?.(c, clientGroups);
      if (kind.selectGroup && group === undefined) {
        noCommonGroup = true;
        continue;
      }
      // As OpenSSL: PSK key exchanges only with a PSK callback.
      if (!kind.usable(c, 'server')) continue;
      if (!kind.serverCertificate) {
        // No certificate involved (RFC 4279 §2, RFC 5489 §2).
        chosen = { suite, identity: undefined, scheme: 0, group };
        break;
      }
      for (const identity of c.selectIdentities?.(this.servername) ?? this.host.identities) {
        if (!identityFits(identity.key, suite)) continue;
        const scheme = kind.signsServerKeyExchange ? pickScheme(identity.key, clientSchemes) : 0;
        if (scheme !== undefined) {
          chosen = { suite, identity, scheme, group };
          break;
        }
        noCommonScheme = true;
      }
      if (chosen) break;
    }
    if (!chosen) {
      if (noCommonGroup) throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'no common group', 'handshake_failure');
      if (noCommonScheme) {
        // As OpenSSL 3 ("no shared signature algorithms"): SHA-1, all a client without
        // signature_algorithms accepts, is refused by policy here.
        const why = sigExt ? 'the client offers none our certificate can make' : 'the client sent no signature_algorithms, so it accepts only SHA-1, which we do not sign with';
        throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, `no signature algorithm in common: ${why}`, 'handshake_failure');
      }
      throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'no cipher suite in common with the client', 'handshake_failure');
    }
    this.suite = chosen.suite;
    this.identity = chosen.identity;
    this.scheme = chosen.scheme;
    this.keyAgreement = {
      ka: keyAgreementOf(chosen.suite).server(),
      ctx: {
        config: c, suite: chosen.suite, clientRandom: this.clientRandom, serverRandom: this.serverRandom,
        identity: chosen.identity, scheme: chosen.scheme, group: chosen.group, clientGroups, clientVersion: ch.version,
      },
    };
    const pointFormats = formatsExt !== undefined;
    if (this.ocspRequested && c.ocspStapling && this.identity) {
      // RFC 6066 §8: the application may staple an OCSP response for the certificate we chose;
      // the whole flight waits (the status_request answer goes in the ServerHello).
      this.state = 'wait_ocsp_response';
      this.pendingFlight = (staple) => this.sendFullFlight(pointFormats, staple);
      this.host.requestOcspResponse(this.identity.chain);
      return;
    }
    this.sendFullFlight(pointFormats, undefined);
  }

  /** The application's answer to requestOcspResponse(): a DER OCSPResponse to staple, or null. */
  respondOcsp(response: Uint8Array | null): void {
    const flight = this.pendingFlight;
    if (this.state !== 'wait_ocsp_response' || !flight) return;
    this.pendingFlight = undefined;
    flight(response !== null && response.length > 0 ? response : undefined);
  }

  /** ServerHello, Certificate, [CertificateStatus], ServerKeyExchange, [CertificateRequest],
   *  ServerHelloDone. */
  private sendFullFlight(pointFormats: boolean, staple: Uint8Array | undefined): void {
    const c = this.host.config;
    const suite = this.suite!;
    const { ka, ctx } = this.keyAgreement!;
    const kind = keyAgreementOf(suite);
    const exts = this.serverHelloExtensions(pointFormats);
    // RFC 6066 §8: an empty status_request in the ServerHello announces the CertificateStatus.
    if (staple) exts.push({ type: ExtensionType.status_request, data: new Uint8Array(0) });
    // RFC 6066 §3: a server that used the client's server_name answers with an empty extension.
    if (this.servername !== undefined && !this.binding) exts.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    this.sendServerHello(suite, exts);
    const send = (m: HandshakeMessage): void => this.transcript.add(this.host.sendHandshake(m));
    if (kind.serverCertificate && this.identity) {
      send({ type: 'certificate', certificates: this.identity.chain });
      if (staple) send({ type: 'certificate_status', response: staple });
    }
    const skx = ka.generateServerKeyExchange(ctx);
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
      this.state = 'wait_certificate';
    } else {
      this.state = 'wait_client_key_exchange';
    }
    send({ type: 'server_hello_done' });
  }

  /** ServerHello (full or abbreviated handshake); with a ticket to come, the empty SessionTicket
   *  extension that announces it (RFC 5077 §3.2). */
  private sendServerHello(suite: CipherSuite, exts: Extension[]): void {
    if (this.issueTicket) exts.push({ type: ExtensionType.session_ticket, data: encodeSessionTicket(new Uint8Array(0)) });
    this.transcript.add(this.host.sendHandshake({
      type: 'server_hello',
      version: this.protocolVersion,
      random: this.serverRandom,
      sessionId: this.sessionId,
      cipherSuite: suite.id,
      compressionMethod: 0,
      extensions: exts,
    }));
  }

  /** ServerHello extensions shared by the full and the abbreviated handshake. */
  private serverHelloExtensions(pointFormats: boolean): Extension[] {
    const exts: Extension[] = [];
    if (this.secureRenegotiation) {
      // RFC 5746 §3.6: empty on the initial handshake; §3.7: both verify_data on renegotiation.
      const value = this.binding
        ? concatBytes(this.binding.clientVerifyData, this.binding.serverVerifyData)
        : new Uint8Array(0);
      exts.push({ type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo(value) });
    }
    if (this.ems) exts.push({ type: ExtensionType.extended_master_secret, data: encodeExtendedMasterSecret() });
    this.etm = serverUsesEncryptThenMac(this.etmOffered, this.suite!);
    if (this.etm) exts.push({ type: ExtensionType.encrypt_then_mac, data: encodeEncryptThenMac() });
    if (pointFormats) exts.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([0]) });
    if (this.alpn !== false) {
      exts.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn([this.alpn]) });
    }
    return exts;
  }

  /** node:tls ALPNCallback: undefined refuses the connection (RFC 7301 §3.2 alert); a name the
   *  client did not offer is the application's mistake (node throws ERR_TLS_ALPN_CALLBACK_INVALID_RESULT). */
  private alpnFromCallback(cb: NonNullable<EngineConfig['alpnCallback']>, protocols: string[]): string {
    const pick = cb({ servername: this.servername, protocols: [...protocols] });
    if (pick === undefined) {
      throw new TlsError(ErrorCode.NO_APPLICATION_PROTOCOL, 'no application protocol', 'no_application_protocol');
    }
    if (typeof pick !== 'string' || !protocols.includes(pick)) {
      throw new TlsError('ERR_TLS_ALPN_CALLBACK_INVALID_RESULT', `ALPN callback returned a value (${String(pick)}) that did not match any of the client's offered protocols (${protocols.join(', ')})`, 'internal_error');
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
  private findResumableSession(ch: ClientHello, clientTicket: Uint8Array | undefined): { state: SessionState; renewTicket: boolean } | undefined {
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
    if ((state.servername ?? '') !== (this.servername ?? '')) return undefined;
    if (!state.extendedMasterSecret) return undefined;
    // (PSK suites never carry a client certificate: RFC 4279 §2 has no CertificateRequest.)
    if (this.opts.requestCert && kind.serverCertificate) {
      if (state.peerChain.length === 0) return undefined;
      if (this.opts.rejectUnauthorized && !c.verifier(state.peerChain, 'client').ok) return undefined;
    }
    if (!this.ems) {
      throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'client offers to resume an extended-master-secret session without the extension (RFC 7627 §5.3)', 'handshake_failure');
    }
    return { state, renewTicket: renewTicket && clientTicket !== undefined };
  }

  /**
   * RFC 5246 §7.3 figure 2: ServerHello (echoing the client's session_id), [NewSessionTicket]
   * (RFC 5077 §3.1, when renewing a ticket sealed under the previous key), ChangeCipherSpec,
   * Finished; then the client's ChangeCipherSpec and Finished.
   */
  private resume(ch: ClientHello, state: SessionState, renewTicket: boolean, pointFormats: boolean): void {
    const c = this.host.config;
    const suite = cipherSuiteById(state.suite)!;
    this.resumedSession = state;
    this.suite = suite;
    this.master = state.masterSecret;
    this.host.masterSecretReady(this.clientRandom, this.master);
    this.peerChain = state.peerChain;
    if (state.peerChain.length > 0) {
      const check = c.verifier(state.peerChain, 'client');
      this.authorized = check.ok;
      if (!check.ok) this.authorizationError = { code: check.code, message: check.message };
    }
    this.identity = (c.selectIdentities?.(this.servername) ?? this.host.identities).find((id) => identityFits(id.key, suite));
    this.issueTicket = renewTicket;
    // RFC 5246 §7.4.1.3 / RFC 5077 §3.4: echo the client's session_id.
    this.sessionId = ch.sessionId.slice();
    // RFC 6066 §3: "When resuming a session, the server MUST NOT include a server_name
    // extension in the server hello."
    this.sendServerHello(suite, this.serverHelloExtensions(pointFormats));
    if (this.issueTicket) this.sendNewSessionTicket(state);
    const states = deriveCipherStates(c.provider, suite, this.master, this.clientRandom, this.serverRandom, this.recordOptions());
    this.host.setPendingStates(states.client, states.server);
    this.serverVerify = this.sendChangeCipherSpecAndFinished('server finished');
    this.state = 'wait_change_cipher_spec';
  }

  /** RFC 5077 §3.3: the ticket for `state` (a zero-length one when it cannot be sealed). */
  private sendNewSessionTicket(state: SessionState): void {
    const store = this.host.config.sessionStore!;
    const ticket = store.sealTicket(state) ?? new Uint8Array(0);
    this.transcript.add(this.host.sendHandshake({ type: 'new_session_ticket', lifetimeHint: store.secondsLeft(state), ticket }));
  }

  private onClientCertificate(chain: Uint8Array[]): void {
    const c = this.host.config;
    this.peerChain = chain;
    if (chain.length === 0) {
      this.authorized = false;
      this.authorizationError = { code: 'UNABLE_TO_GET_ISSUER_CERT', message: 'peer did not return a certificate' };
      if (this.opts.rejectUnauthorized) {
        // RFC 5246 §7.4.6: a server that requires a certificate may answer handshake_failure.
        throw new TlsError(ErrorCode.PEER_DID_NOT_RETURN_A_CERTIFICATE, 'peer did not return a certificate', 'handshake_failure');
      }
      return;
    }
    const check = c.verifier(chain, 'client');
    this.authorized = check.ok;
    if (!check.ok) {
      this.authorizationError = { code: check.code, message: check.message };
      if (this.opts.rejectUnauthorized) {
        throw new TlsError(this.authorizationError.code, this.authorizationError.message, certificateAlert(this.authorizationError.code));
      }
    }
  }

  private onClientKeyExchange(body: Uint8Array, raw: Uint8Array): void {
    const c = this.host.config;
    const suite = this.suite!;
    const { ka, ctx } = this.keyAgreement!;
    // The codec keeps the body opaque: its shape is this suite's key exchange's.
    const agreed = ka.processClientKeyExchange(ctx, body);
    const preMaster = agreed.preMaster;
    if (agreed.pskIdentity !== undefined) {
      this.pskIdentity = agreed.pskIdentity;
      // As node:tls (OpenSSL reports X509_V_OK for a PSK client): with requestCert, the key
      // authenticates the client (its Finished proves it); without, `authorized` stays false.
      this.authorized = this.opts.requestCert;
    }
    this.transcript.add(raw);
    // RFC 7627 §3: session_hash up to and including ClientKeyExchange.
    const sessionHash = this.ems ? this.transcript.hash(c.provider, suite.hash) : null;
    this.master = computeMasterSecret(c.provider, suite, preMaster, this.clientRandom, this.serverRandom, sessionHash);
    this.host.masterSecretReady(this.clientRandom, this.master);
    const states = deriveCipherStates(c.provider, suite, this.master, this.clientRandom, this.serverRandom, this.recordOptions());
    this.host.setPendingStates(states.client, states.server);
  }

  private onCertificateVerify(scheme: number, signature: Uint8Array): void {
    const c = this.host.config;
    if (!c.signatureSchemes.includes(scheme)) {
      throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, `CertificateVerify scheme 0x${scheme.toString(16)} was not offered`, 'illegal_parameter');
    }
    let key: VerifyingKey | undefined;
    try {
      key = c.provider.publicKeyFromCertificate(this.peerChain[0]!);
    } catch {
      key = undefined;
    }
    if (key) checkSchemeFitsKey(key, scheme, 'CertificateVerify');
    const ok = key !== undefined && key.verify(scheme, this.transcript.bytes(), signature);
    // RFC 5246 §7.4.8: the signature over handshake_messages must verify.
    if (!ok) throw new TlsError(ErrorCode.DECRYPT_ERROR, 'CertificateVerify signature does not verify', 'decrypt_error');
  }

  private onFinished(got: Uint8Array, raw: Uint8Array): void {
    const c = this.host.config;
    const suite = this.suite!;
    this.clientVerify = this.checkPeerFinished(got, raw, 'client finished');
    const resumed = this.resumedSession;
    const createdAt = resumed ? resumed.createdAt : c.now();
    if (!resumed) {
      const fresh = this.sessionState(createdAt);
      // RFC 5077 §3.3: NewSessionTicket before our ChangeCipherSpec (it enters our Finished).
      if (this.issueTicket) this.sendNewSessionTicket(fresh);
      this.serverVerify = this.sendChangeCipherSpecAndFinished('server finished');
      // The session becomes resumable once its handshake has completed (RFC 5246 §7.4.9).
      if (this.sessionId.length > 0) c.sessionStore?.save(fresh);
    }
    const serverVerify = this.serverVerify;
    this.result = {
      ...this.commonResult(),
      group: resumed ? 0 : this.keyAgreement?.ka.group ?? 0,
      signatureScheme: resumed ? 0 : this.scheme,
      serverVerifyData: serverVerify,
      servername: this.servername,
      localChain: keyAgreementOf(suite).serverCertificate ? this.identity?.chain : undefined,
      pskIdentity: resumed ? resumed.pskIdentity : this.pskIdentity,
      peerSignatureSchemes: this.peerSignatureSchemes,
      resumed: resumed !== undefined,
      sessionId: this.sessionId,
      ticket: new Uint8Array(0),
      ticketLifetime: 0,
      createdAt,
    };
  }

  /** What a resumption of this (full) handshake's session needs (cache entry, ticket). */
  private sessionState(createdAt: number): SessionState {
    const s: SessionState = {
      version: this.protocolVersion,
      suite: this.suite!.id,
      masterSecret: this.master,
      extendedMasterSecret: this.ems,
      peerChain: this.peerChain,
      sessionId: this.sessionId,
      ticket: new Uint8Array(0),
      ticketLifetime: 0,
      createdAt,
    };
    if (this.servername !== undefined) s.servername = this.servername;
    if (this.pskIdentity !== undefined) s.pskIdentity = this.pskIdentity;
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
