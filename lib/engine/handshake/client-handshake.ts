// TLS 1.2 client handshake (RFC 5246 §7.3 full handshake, ECDHE per RFC 8422), as an explicit
// state machine. One instance per handshake; a renegotiation is a new instance with a binding.
import { isIP } from 'node:net';
import type { KeyShare } from '../../crypto/provider.js';
import { verifyData } from '../../crypto/prf.js';
import { TlsError, ErrorCode } from '../../errors.js';
import { cipherSuiteById, type CipherSuite } from '../cipher-suites.js';
import { concatBytes } from '../../concat-bytes.js';
import { constantTimeEqual } from '../constant-time.js';
import {
  EMPTY_RENEGOTIATION_INFO_SCSV, ExtensionType, ProtocolVersion,
} from '../constants.js';
import { certificateAlert } from './certificate-alert.js';
import {
  decodeAlpn, decodeRenegotiationInfo, encodeAlpn, encodeEcPointFormats, encodeExtendedMasterSecret,
  encodeRenegotiationInfo, encodeServerName, encodeSignatureAlgorithms, encodeSupportedGroups,
  findExtension,
} from './extensions.js';
import { checkRenegotiationInfo, checkServerExtensionsOffered } from './hello-checks.js';
import type { HandshakeHost, HandshakeResult, RenegotiationBinding } from './handshake-host.js';
import { computeMasterSecret, deriveCipherStates } from './key-schedule.js';
import { encodeEcdheParams } from './messages.js';
import type {
  CertificateRequest, Extension, HandshakeMessage, ServerHello, ServerKeyExchange,
} from './message-types.js';
import { Transcript } from './transcript.js';

type ClientState =
  | 'wait_server_hello'
  | 'wait_certificate'
  | 'wait_server_key_exchange'
  | 'wait_certificate_request_or_done'
  | 'wait_server_hello_done'
  | 'wait_change_cipher_spec'
  | 'wait_finished'
  | 'done';

export class ClientHandshake {
  state: ClientState = 'wait_server_hello';
  private readonly host: HandshakeHost;
  private readonly binding: RenegotiationBinding | undefined;
  private transcript = new Transcript();
  /** DTLS: the cookie from a HelloVerifyRequest (RFC 6347 §4.2.1). */
  private cookie: Uint8Array = new Uint8Array(0);
  private helloExtensions: Extension[] = [];
  private helloSuites: number[] = [];
  private readonly clientRandom: Uint8Array;
  private serverRandom: Uint8Array = new Uint8Array(0);
  private suite: CipherSuite | undefined;
  private offered = new Set<number>();
  private ems = false;
  private secureRenegotiation = false;
  private alpn: string | false = false;
  private peerChain: Uint8Array[] = [];
  private authorized = false;
  private authorizationError: { code: string; message: string } | undefined;
  private skx: ServerKeyExchange | undefined;
  private certRequest: CertificateRequest | undefined;
  private master: Uint8Array = new Uint8Array(0);
  private clientVerify: Uint8Array = new Uint8Array(0);
  private localChain: Uint8Array[] | undefined;
  /** Set when the handshake is complete. */
  result: HandshakeResult | undefined;

  /** Suites offered in this handshake (a renegotiation may offer others). */
  private readonly suites: readonly CipherSuite[];

  constructor(host: HandshakeHost, binding?: RenegotiationBinding, suites?: readonly CipherSuite[], reuseRandom?: Uint8Array) {
    this.host = host;
    this.binding = binding;
    this.suites = suites ?? host.config.cipherSuites;
    // DTLS renegotiation: OpenSSL's DTLS server keeps using the client_random of the first
    // ClientHello for the whole connection (its client does the same: it reuses a non-zero
    // client_random, meant for the HelloVerifyRequest retry), so a new random makes its
    // ServerKeyExchange signature fail. The caller passes the previous random to interoperate.
    this.clientRandom = reuseRandom ?? host.config.random(32);
  }

  /** Send the ClientHello (RFC 5246 §7.4.1.2). */
  start(): void {
    const c = this.host.config;
    const exts: Extension[] = [];
    const sni = c.servername;
    // RFC 6066 §3: literal IP addresses are not permitted in server_name.
    if (sni && !isIP(sni)) exts.push({ type: ExtensionType.server_name, data: encodeServerName(sni.replace(/\.$/, '')) });
    exts.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(c.groups) });
    // RFC 8422 §5.1.2: uncompressed points only.
    exts.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats([0]) });
    exts.push({ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(c.signatureSchemes) });
    // RFC 7627 §5.1: always offer extended master secret.
    exts.push({ type: ExtensionType.extended_master_secret, data: encodeExtendedMasterSecret() });
    if (c.alpnProtocols && c.alpnProtocols.length > 0) {
      exts.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn(c.alpnProtocols) });
    }
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

  private get dtls(): boolean {
    return this.host.config.transport === 'dtls';
  }

  private sendClientHello(): void {
    this.transcript.add(this.host.sendHandshake({
      type: 'client_hello',
      version: this.dtls ? ProtocolVersion.DTLS1_2 : ProtocolVersion.TLS1_2,
      random: this.clientRandom,
      sessionId: new Uint8Array(0),
      ...(this.dtls ? { cookie: this.cookie } : {}),
      cipherSuites: this.helloSuites,
      compressionMethods: [0],
      extensions: this.helloExtensions,
    }));
  }

  get expectsChangeCipherSpec(): boolean {
    return this.state === 'wait_change_cipher_spec';
  }

  handle(msg: HandshakeMessage, raw: Uint8Array): void {
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
        this.state = 'wait_certificate';
        return;
      case 'wait_certificate':
        if (msg.type !== 'certificate') break;
        this.transcript.add(raw);
        this.onCertificate(msg.certificates);
        this.state = 'wait_server_key_exchange';
        return;
      case 'wait_server_key_exchange':
        if (msg.type !== 'server_key_exchange') break;
        this.transcript.add(raw);
        this.onServerKeyExchange(msg);
        this.state = 'wait_certificate_request_or_done';
        return;
      case 'wait_certificate_request_or_done':
        if (msg.type === 'certificate_request') {
          this.transcript.add(raw);
          this.certRequest = msg;
          this.state = 'wait_server_hello_done';
          return;
        }
        return this.onServerHelloDone(msg, raw);
      case 'wait_server_hello_done':
        return this.onServerHelloDone(msg, raw);
      case 'wait_finished':
        if (msg.type !== 'finished') break;
        this.onFinished(msg.verifyData, raw);
        this.state = 'done';
        return;
      default:
        break;
    }
    throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, `unexpected ${msg.type} in state ${this.state}`, 'unexpected_message');
  }

  private onServerHelloDone(msg: HandshakeMessage, raw: Uint8Array): void {
    if (msg.type !== 'server_hello_done') {
      throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, `unexpected ${msg.type} in state ${this.state}`, 'unexpected_message');
    }
    this.transcript.add(raw);
    this.sendSecondFlight();
    this.state = 'wait_change_cipher_spec';
  }

  /** The server's ChangeCipherSpec arrived (the engine has switched the read state). */
  onChangeCipherSpec(): void {
    if (this.state !== 'wait_change_cipher_spec') {
      throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, `ChangeCipherSpec in state ${this.state}`, 'unexpected_message');
    }
    this.state = 'wait_finished';
  }

  private onServerHello(sh: ServerHello): void {
    const c = this.host.config;
    // RFC 5246 §7.4.1.3 / Appendix E.1: we only speak TLS 1.2.
    if (sh.version !== (this.dtls ? ProtocolVersion.DTLS1_2 : ProtocolVersion.TLS1_2)) {
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
    this.ems = findExtension(sh.extensions, ExtensionType.extended_master_secret) !== undefined;
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
      this.authorizationError = { code: check.code ?? 'CERT_UNKNOWN', message: check.message ?? 'certificate verification failed' };
      if (c.rejectUnauthorized) {
        throw new TlsError(this.authorizationError.code, this.authorizationError.message, certificateAlert(this.authorizationError.code));
      }
    }
  }

  private onServerKeyExchange(skx: ServerKeyExchange): void {
    const c = this.host.config;
    const suite = this.suite!;
    if (!c.groups.includes(skx.group)) {
      throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, `server chose group ${skx.group} that was not offered`, 'illegal_parameter');
    }
    if (!c.signatureSchemes.includes(skx.scheme)) {
      throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, `server signed with scheme 0x${skx.scheme.toString(16)} that was not offered`, 'illegal_parameter');
    }
    let key;
    try {
      key = c.provider.publicKeyFromCertificate(this.peerChain[0]!);
    } catch {
      throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'cannot use the server certificate key', 'unsupported_certificate');
    }
    // RFC 8422 §5.3 / RFC 5246 §7.4.2: the certificate key must fit the suite's signature type.
    const fits = suite.auth === 'RSA' ? key.keyType === 'rsa' : key.keyType === 'ec' || key.keyType === 'ed25519';
    if (!fits) {
      throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, `server certificate key (${key.keyType}) does not fit ${suite.name}`, 'unsupported_certificate');
    }
    // RFC 8422 §5.4: signature over client_random + server_random + ServerECDHParams.
    const signed = concatBytes(this.clientRandom, this.serverRandom, encodeEcdheParams(skx.group, skx.publicKey));
    if (!key.verify(skx.scheme, signed, skx.signature)) {
      throw new TlsError(ErrorCode.DECRYPT_ERROR, 'ServerKeyExchange signature does not verify', 'decrypt_error');
    }
    this.skx = skx;
  }

  /** Certificate?, ClientKeyExchange, CertificateVerify?, ChangeCipherSpec, Finished. */
  private sendSecondFlight(): void {
    const c = this.host.config;
    const suite = this.suite!;
    const skx = this.skx!;
    let identity: (typeof c.identities)[number] | undefined;
    if (this.certRequest) {
      // RFC 5246 §7.4.6: send a certificate if we have a suitable one, else an empty list.
      identity = c.identities.find((id) => id.key.schemes.some((s) => this.certRequest!.signatureSchemes.includes(s)));
      this.localChain = identity?.chain;
      this.transcript.add(this.host.sendHandshake({ type: 'certificate', certificates: identity ? identity.chain : [] }));
    }
    const share: KeyShare = c.provider.generateKeyShare(skx.group, c.random);
    const preMaster = share.computeSecret(skx.publicKey);
    this.transcript.add(this.host.sendHandshake({ type: 'client_key_exchange', publicKey: share.publicKey }));
    // RFC 7627 §3: session_hash covers the transcript up to and including ClientKeyExchange.
    const sessionHash = this.ems ? this.transcript.hash(c.provider, suite.hash) : null;
    this.master = computeMasterSecret(c.provider, suite, preMaster, this.clientRandom, this.serverRandom, sessionHash);
    if (identity) {
      // RFC 5246 §7.4.8: sign all handshake messages so far with a scheme the server listed.
      const scheme = identity.key.schemes.find((s) => this.certRequest!.signatureSchemes.includes(s))!;
      const signature = identity.key.sign(scheme, this.transcript.bytes());
      this.transcript.add(this.host.sendHandshake({ type: 'certificate_verify', scheme, signature }));
    }
    const states = deriveCipherStates(c.provider, suite, this.master, this.clientRandom, this.serverRandom);
    this.host.setPendingStates(states.server, states.client);
    this.host.sendChangeCipherSpec();
    // RFC 5246 §7.4.9: verify_data = PRF(master, "client finished", Hash(handshake_messages)).
    this.clientVerify = verifyData(c.provider, suite.hash, this.master, 'client finished', this.transcript.hash(c.provider, suite.hash));
    this.transcript.add(this.host.sendHandshake({ type: 'finished', verifyData: this.clientVerify }));
  }

  private onFinished(got: Uint8Array, raw: Uint8Array): void {
    const c = this.host.config;
    const suite = this.suite!;
    const expected = verifyData(c.provider, suite.hash, this.master, 'server finished', this.transcript.hash(c.provider, suite.hash));
    if (!constantTimeEqual(got, expected)) {
      throw new TlsError(ErrorCode.DECRYPT_ERROR, 'server Finished does not verify', 'decrypt_error');
    }
    this.transcript.add(raw);
    this.result = {
      suite,
      group: this.skx!.group,
      signatureScheme: this.skx!.scheme,
      masterSecret: this.master,
      clientRandom: this.clientRandom,
      serverRandom: this.serverRandom,
      extendedMasterSecret: this.ems,
      secureRenegotiation: this.secureRenegotiation,
      clientVerifyData: this.clientVerify,
      serverVerifyData: expected,
      peerChain: this.peerChain,
      authorized: this.authorized,
      authorizationError: this.authorizationError,
      alpnProtocol: this.alpn,
      servername: c.servername,
      localChain: this.localChain,
    };
  }
}
