// Which test compares each row of docs/compat.md with node:tls. spec/parity/compat-coverage.spec.ts
// reads the tables of compat.md and fails when a row has no entry here (a new row needs its
// scenario), when an entry names a row that is gone, or when a test named here does not exist.
//
// Keys are "<section heading> › <first cell of the row>", as compat.md spells them.

/** How a row is covered. `test` is a literal part of a test title in `file` (a path from the
 *  repository root). */
export type Cover =
  /** A scenario of the differential harness (spec/parity/): node:tls and ours, same script. */
  | { parity: string; test: string }
  /** Another spec whose test runs a real node:tls peer or reference in the same test. */
  | { spec: string; test: string }
  /** A secure-duplex-only row (no node:tls counterpart): the test of our behaviour. */
  | { own: string; test: string }
  /** A "not yet" / "not applicable" row: `reason`, a phrase of the row's notes. */
  | { absent: string };

const P = (file: string, test: string): Cover => ({ parity: `spec/parity/${file}.spec.ts`, test });
const S = (file: string, test: string): Cover => ({ spec: `spec/${file}.spec.ts`, test });
const OWN = (file: string, test: string): Cover => ({ own: `spec/${file}.spec.ts`, test });

const PROPS = 'tls.TLSSocket: properties';
const METHODS = 'tls.TLSSocket: methods';
const EVENTS = 'tls.TLSSocket: events';
const NET = 'net.Socket members (TLSSocket extends net.Socket)';
const CONNECT = 'tls.connect() options';
const SERVER = 'tls.createServer() / new tls.Server() options';
const CONTEXT = 'tls.createSecureContext() options (taken by connect, createServer, addContext, setSecureContext)';
const SMETHODS = 'tls.Server: methods';
const SEVENTS = 'tls.Server: events';
const MODULE = 'node:tls module functions';

const properties = P('properties', 'properties before and after the handshake');
const propertiesAlpn = P('properties', 'with ALPN, a chosen suite and curve');

export const COMPAT_COVERAGE: Record<string, Cover[]> = {
  [`${PROPS} › \`authorized\``]: [P('api', "authorizationError is node's string code")],
  [`${PROPS} › \`authorizationError\``]: [P('api', "authorizationError is node's string code")],
  [`${PROPS} › \`encrypted\``]: [properties],
  [`${PROPS} › \`alpnProtocol\``]: [propertiesAlpn, P('contexts', 'ALPNProtocols on both sides with no protocol in common')],
  [`${PROPS} › \`servername\``]: [properties, propertiesAlpn],
  [`${PROPS} › \`remoteAddress\`, \`remoteFamily\`, \`remotePort\`, \`localAddress\`, \`localPort\``]: [properties],
  [`${PROPS} › \`address()\``]: [properties],

  [`${METHODS} › \`new tls.TLSSocket(socket, options)\``]: [
    P('stream', 'TLS inside TLS'), P('stream', 'allowHalfOpen: server.allowHalfOpen defaults to false'),
    S('tls-surface', 'the same options as new tls.TLSSocket(socket'),
  ],
  [`${METHODS} › \`disableRenegotiation()\``]: [P('api', 'behind an HTTP/2 server a client-started renegotiation is refused')],
  [`${METHODS} › \`enableTrace()\``]: [P('trace', "the client's enableTrace() method")],
  [`${METHODS} › \`exportKeyingMaterial(length, label[, context])\``]: [S('tls-surface', 'our server = node:tls client, also after a renegotiation')],
  [`${METHODS} › \`getCertificate()\``]: [properties],
  [`${METHODS} › \`getCipher()\``]: [properties, propertiesAlpn],
  [`${METHODS} › \`getEphemeralKeyInfo()\``]: [properties, propertiesAlpn],
  [`${METHODS} › \`getFinished()\`, \`getPeerFinished()\``]: [properties],
  [`${METHODS} › \`getPeerCertificate([detailed])\``]: [P('certificates', 'getPeerCertificate(true) and getPeerX509Certificate().issuerCertificate of a server chain'), properties],
  [`${METHODS} › \`getPeerX509Certificate()\``]: [P('certificates', 'getPeerCertificate(true) and getPeerX509Certificate().issuerCertificate of a client certificate'), properties],
  [`${METHODS} › \`getProtocol()\``]: [properties],
  [`${METHODS} › \`getSession()\``]: [P('session', "'session' after 'secureConnect'; with tickets"), properties],
  [`${METHODS} › \`getSharedSigalgs()\``]: [P('sigalgs', 'signs with it (getSharedSigalgs on both sides)')],
  [`${METHODS} › \`getTLSTicket()\``]: [properties],
  [`${METHODS} › \`getX509Certificate()\``]: [properties],
  [`${METHODS} › \`isSessionReused()\``]: [P('renegotiation', 'the client offers its session (ticket), the server resumes it'), properties],
  [`${METHODS} › \`renegotiate(options, callback)\``]: [
    P('renegotiation', 'client renegotiate({}): a full handshake'), P('renegotiation', "our client offers its session as node's does"),
    P('api', "README example: a server's renegotiate({ requestCert: true })"), P('renegotiation', "while the peer's renegotiation is running joins it"),
  ],
  [`${METHODS} › \`setKeyCert(context)\``]: [P('contexts', "setKeyCert() in it picks this handshake's certificate")],
  [`${METHODS} › \`setMaxSendFragment(size)\``]: [P('validation', 'bad option values and method arguments throw as node:tls')],
  [`${METHODS} › \`setServername(name)\``]: [P('validation', 'bad option values and method arguments throw as node:tls'), S('tls-surface', 'sets the SNI name a node:tls server sees')],

  [`${EVENTS} › \`'keylog'\` \`(line)\``]: [S('tls-surface', "equals node:tls client's 'keylog', initial and renegotiated")],
  [`${EVENTS} › \`'OCSPResponse'\` \`(response)\``]: [P('ocsp', "before 'keylog' and 'secureConnect'")],
  [`${EVENTS} › \`'secureConnect'\``]: [P('properties', 'properties before and after the handshake'), P('api', 'a server that renegotiates 5 times')],
  [`${EVENTS} › \`'session'\` \`(session)\``]: [P('session', "'session' after 'secureConnect'; with tickets"), P('session', 'with session IDs (SSL_OP_NO_TICKET)')],
  [`${EVENTS} › \`'secure'\``]: [properties, P('stream', 'TLS inside TLS')],
  [`${EVENTS} › \`'connect'\``]: [properties],
  [`${EVENTS} › \`'data'\`, \`'end'\`, \`'close'\`, \`'error'\`, \`'drain'\`, \`'finish'\`, \`'timeout'\``]: [
    P('stream', 'a socket nobody reads still emits end and close'), P('stream', "'close' says hadError after an error"),
    P('stream', 'write() returns false at the 16 KiB high-water mark'), P('options', 'highWaterMark (connect and createServer), timeout'),
  ],
  [`${EVENTS} › secure-duplex only: \`'renegotiated'\`, \`'renegotiationData'\`, \`'alert'\``]: [OWN('renegotiation', '32 MiB each way while 50 renegotiations alternate sides')],

  [`${NET} › \`setNoDelay()\`, \`setKeepAlive()\`, \`setTimeout(ms[, cb])\`, \`ref()\`, \`unref()\``]: [P('options', 'net.Socket methods return the socket')],
  [`${NET} › \`write()\`, \`end()\`, \`destroy()\`, \`pause()\`, \`resume()\`, \`pipe()\`, \`setEncoding()\`, \`cork()\`, \`uncork()\``]: [
    P('stream', 'write() returns false at the 16 KiB high-water mark'), P('stream', 'before the handshake completes: the handshake completes, then the connection closes'),
    P('stream', "write() then destroy() in 'secureConnection' over TCP"), P('options', 'net.Socket methods return the socket'),
  ],
  [`${NET} › \`bufferSize\`, \`timeout\``]: [P('stream', 'bufferSize and timeout, before and after the handshake')],
  [`${NET} › \`connecting\`, \`pending\`, \`bytesRead\`, \`bytesWritten\``]: [properties, P('options', 'net.Socket methods return the socket')],
  [`${NET} › \`readyState\``]: [properties],
  [`${NET} › \`destroySoon()\`, \`resetAndDestroy()\``]: [P('options', 'destroySoon() ends the connection cleanly')],
  [`${NET} › \`connect()\`, \`_handle\`, \`server\``]: [{ absent: 'call our `connect()` again instead of re-connecting one' }],

  [`${CONNECT} › \`host\`, \`port\``]: [P('connect', 'argument forms')],
  [`${CONNECT} › \`path\``]: [P('connect', 'argument forms')],
  [`${CONNECT} › \`socket\``]: [P('stream', 'over a Duplex pair'), P('stream', 'TLS inside TLS')],
  [`${CONNECT} › \`allowHalfOpen\``]: [P('stream', 'allowHalfOpen: server.allowHalfOpen defaults to false')],
  [`${CONNECT} › \`rejectUnauthorized\``]: [P('api', "authorizationError is node's string code"), P('connect', 'NODE_TLS_REJECT_UNAUTHORIZED=0')],
  [`${CONNECT} › \`signal\``]: [P('connect', 'signal: aborted after the handshake')],
  [`${CONNECT} › \`ALPNProtocols\``]: [propertiesAlpn, P('contexts', 'ALPNProtocols on both sides with no protocol in common')],
  [`${CONNECT} › \`servername\``]: [propertiesAlpn, P('contexts', 'addContext(): the certificate for the servername')],
  [`${CONNECT} › \`checkServerIdentity\``]: [P('options', 'checkServerIdentity: called with the host and the certificate')],
  [`${CONNECT} › \`requestOCSP\``]: [P('ocsp', "before 'keylog' and 'secureConnect'")],
  [`${CONNECT} › \`session\``]: [P('session', "'session' after 'secureConnect'; with tickets"), P('properties', 'after a resumption')],
  [`${CONNECT} › \`minDHSize\``]: [P('options', 'OpenSSL-only options are accepted')],
  [`${CONNECT} › \`highWaterMark\``]: [P('options', 'highWaterMark (connect and createServer)')],
  [`${CONNECT} › \`secureContext\``]: [P('contexts', 'connect({ secureContext: createSecureContext({ ca }) })')],
  [`${CONNECT} › \`onread\``]: [{ absent: "node's zero-copy read into a caller's buffer is a `net.Socket` handle feature" }],
  [`${CONNECT} › \`pskCallback(hint)\``]: [S('psk', "our client <-> node:tls server with pskCallback"), S('psk', 'unknown identity both ways')],
  [`${CONNECT} › \`enableTrace\``]: [P('trace', "'s trace (enableTrace option) reports the same messages")],
  [`${CONNECT} › \`timeout\``]: [P('options', 'highWaterMark (connect and createServer), timeout')],
  [`${CONNECT} › \`family\`, \`localAddress\``]: [P('options', 'timeout, localAddress and family')],
  [`${CONNECT} › \`lookup\`, \`keepAlive\`, \`keepAliveInitialDelay\`, \`noDelay\`, \`localPort\``]: [P('stream', 'lookup is called with the options net gives it')],
  [`${CONNECT} › secure-duplex only: \`handshakeTimeout\` (client too), \`allowRenegotiation\`, \`renegotiationLimit\`, \`renegotiationWindow\`, \`allowPeerIdentityChange\`, \`renegotiationSendPolicy\`, \`cryptoProvider\` (\`'noble'\`, the default; \`'node'\`, everything on node:crypto; or a provider object), \`random\`, \`transport\`, \`dtls\``]: [
    OWN('renegotiation', 'renegotiate() on a client with allowRenegotiation false'), OWN('renegotiation', 'peer-initiated renegotiations over the limit'),
    OWN('dtls', 'ours ↔ ours: DTLSv1.2'),
  ],

  [`${SERVER} › \`ALPNProtocols\``]: [propertiesAlpn, P('contexts', 'ALPNProtocols on both sides with no protocol in common')],
  [`${SERVER} › \`ALPNCallback({ servername, protocols })\``]: [P('contexts', 'ALPNCallback: its answer is the protocol')],
  [`${SERVER} › \`clientCertEngine\``]: [{ absent: 'OpenSSL engines' }],
  [`${SERVER} › \`enableTrace\``]: [P('trace', "'s trace (enableTrace option) reports the same messages")],
  [`${SERVER} › \`handshakeTimeout\``]: [P('options', "the server's handshakeTimeout")],
  [`${SERVER} › \`rejectUnauthorized\``]: [P('api', "authorizationError is node's string code"), P('api', "README example: a server's renegotiate({ requestCert: true })")],
  [`${SERVER} › \`requestCert\``]: [P('api', "authorizationError is node's string code"), P('certificates', 'of a client certificate')],
  [`${SERVER} › \`sessionTimeout\``]: [P('validation', 'sessionTimeout and ticketKeys options')],
  [`${SERVER} › \`ticketKeys\``]: [P('validation', 'sessionTimeout and ticketKeys options')],
  [`${SERVER} › \`SNICallback(servername, cb)\``]: [P('contexts', 'SNICallback: a context per name')],
  [`${SERVER} › \`pskCallback(socket, identity)\`, \`pskIdentityHint\``]: [S('psk', 'node:tls client with pskCallback <-> our server'), S('psk', 'a PSK client of a requestCert server is `authorized`')],
  [`${SERVER} › \`allowHalfOpen\`, \`pauseOnConnect\``]: [P('stream', 'allowHalfOpen: server.allowHalfOpen defaults to false'), P('options', 'pauseOnConnect')],
  [`${SERVER} › \`noDelay\`, \`keepAlive\`, \`keepAliveInitialDelay\`, \`highWaterMark\` (net.Server options)`]: [P('options', 'highWaterMark (connect and createServer)')],
  [`${SERVER} › secure-duplex only: the renegotiation options above, \`cryptoProvider\`, \`random\`, \`transport: 'udp'\``]: [
    OWN('renegotiation', 'peer-initiated renegotiations over the limit'), OWN('dtls', 'ours ↔ ours: DTLSv1.2'),
  ],

  [`${CONTEXT} › \`ca\``]: [P('certificates', 'of a server chain'), P('contexts', 'createSecureContext({ ca })')],
  [`${CONTEXT} › \`cert\`, \`key\`, \`passphrase\``]: [P('certificates', 'of a server chain'), P('contexts', 'an encrypted PEM key with passphrase')],
  [`${CONTEXT} › \`pfx\`, \`passphrase\``]: [S('pkcs12', 'server { pfx, passphrase } with a chain')],
  [`${CONTEXT} › \`ciphers\``]: [propertiesAlpn, P('options', 'honorCipherOrder'), P('validation', 'bad option values')],
  [`${CONTEXT} › \`sigalgs\``]: [P('sigalgs', 'share nothing with the client'), S('sigalgs', "'ECDSA+SHA512' completes against node:tls's server")],
  [`${CONTEXT} › \`ecdhCurve\``]: [propertiesAlpn],
  [`${CONTEXT} › \`minVersion\`, \`maxVersion\``]: [P('options', 'minVersion / maxVersion that include TLS 1.2')],
  [`${CONTEXT} › \`honorCipherOrder\``]: [P('options', 'honorCipherOrder')],
  [`${CONTEXT} › \`crl\``]: [S('crl', 'as node:tls says')],
  [`${CONTEXT} › \`dhparam\``]: [
    P('api', 'null and false option values are treated as absent'),
    S('kx-dhe', 'text without DH PARAMETERS (ignored)'),
    S('kx-dhe', 'DHE and ECDHE listed, no dhparam: ECDHE'),
    S('kx-dhe', "DHE-PSK-AES128-GCM-SHA256 with 'auto': node:tls uses 1024 bits"),
  ],
  [`${CONTEXT} › \`privateKeyEngine\`, \`privateKeyIdentifier\`, \`clientCertEngine\``]: [{ absent: 'OpenSSL engines' }],
  [`${CONTEXT} › \`secureOptions\`, \`secureProtocol\``]: [P('options', 'OpenSSL-only options are accepted')],
  [`${CONTEXT} › \`sessionTimeout\`, \`ticketKeys\``]: [P('validation', 'sessionTimeout and ticketKeys options')],
  [`${CONTEXT} › \`sessionIdContext\``]: [P('options', 'OpenSSL-only options are accepted')],

  [`${SMETHODS} › \`addContext(hostname, context)\``]: [P('contexts', 'addContext(): the certificate for the servername')],
  [`${SMETHODS} › \`address()\`, \`close()\`, \`listen()\`, \`getConnections()\``]: [P('stream', 'server.close() calls back'), P('options', 'getConnections() counts them')],
  [`${SMETHODS} › \`getTicketKeys()\`, \`setTicketKeys(keys)\``]: [P('validation', 'bad option values and method arguments'), P('validation', 'sessionTimeout and ticketKeys options')],
  [`${SMETHODS} › \`setSecureContext(options)\``]: [P('options', 'setSecureContext(): new connections get the new certificate')],
  [`${SMETHODS} › secure-duplex only: \`wrap(duplex)\``]: [OWN('stream', 'with Server.wrap on the other end')],

  [`${SEVENTS} › \`'connection'\``]: [properties],
  [`${SEVENTS} › \`'keylog'\` \`(line, tlsSocket)\``]: [S('tls-surface', "our server (socket and Server 'keylog')")],
  [`${SEVENTS} › \`'newSession'\` \`(sessionId, sessionData, cb)\``]: [S('resumption', "'newSession' / 'resumeSession': an external session cache"), S('resumption', 'session ID via newSession/resumeSession')],
  [`${SEVENTS} › \`'resumeSession'\` \`(sessionId, cb)\``]: [S('resumption', "'newSession' / 'resumeSession': an external session cache"), S('resumption', 'session ID via newSession/resumeSession')],
  [`${SEVENTS} › \`'OCSPRequest'\` \`(certificate, issuer, callback)\``]: [P('ocsp', "before 'keylog' and 'secureConnect'")],
  [`${SEVENTS} › \`'secureConnection'\` \`(tlsSocket)\``]: [P('stream', 'a socket nobody reads still emits end and close')],
  [`${SEVENTS} › \`'tlsClientError'\` \`(err, tlsSocket)\``]: [P('stream', 'to a TLS server: tlsClientError'), P('stream', 'the transport closes before the handshake')],

  [`${MODULE} › \`connect()\`, \`createServer()\`, \`Server\``]: [P('api', 'tls.Server() and Agent() called without new'), P('connect', 'argument forms')],
  [`${MODULE} › \`createSecureContext(options)\``]: [P('contexts', 'createSecureContext({ ca })')],
  [`${MODULE} › \`checkServerIdentity(host, cert)\`, \`getCiphers()\`, \`rootCertificates\`, \`DEFAULT_ECDH_CURVE\`, \`DEFAULT_CIPHERS\`, \`DEFAULT_MIN_VERSION\`, \`DEFAULT_MAX_VERSION\``]: [S('tls-surface', 'module functions: getCiphers(), DEFAULT_*')],
  [`${MODULE} › \`CLIENT_RENEG_LIMIT\`, \`CLIENT_RENEG_WINDOW\``]: [P('api', 'a server that renegotiates 5 times')],
  [`${MODULE} › \`createSecurePair()\``]: [{ absent: 'Deprecated in node' }],
};
