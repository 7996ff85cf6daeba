// secure-duplex: TLS 1.2 as a Node Duplex stream, with RFC 5746 secure renegotiation while
// application data flows.
export { SecureDuplex, SecureDuplex as TLSSocket, type CipherInfo, type RenegotiatedInfo, type SecureDuplexEvents, type SecureDuplexOptions, type RenegotiationOptions } from './shell/secure-duplex.js';
export type { TLSSocketOptions } from './shell/tls-socket-options.js';
export { connect, type ConnectOptions } from './shell/connect.js';
export { createServer, type ServerEvents, type ServerOptions } from './shell/server.js';
export type { SNICallback } from './shell/sni.js';
export { createSecureContext, SecureContext, type SecureContextOptions } from './shell/secure-context.js';
import { Server as ServerClass } from './shell/server.js';
import { Agent as AgentClass } from './shell/https-agent.js';
import { callableWithoutNew } from './shell/callable.js';
/** node:tls Server (also callable without `new`, as node's). */
export const Server = callableWithoutNew(ServerClass);
export type Server = ServerClass;
/** An https.Agent whose connections are ours (also callable without `new`, as node's). */
export const Agent = callableWithoutNew(AgentClass);
export type Agent = AgentClass;
export { TlsError, ErrorCode } from './errors.js';
export { Engine, type EngineEvent, type EngineOptions, type RenegotiateOptions, type RenegotiationSendPolicy } from './engine/engine.js';
export { ALL_CIPHER_SUITES, CIPHER_SUITES, PSK_CIPHER_SUITES, parseCipherList, type CipherSuite } from './engine/cipher-suites.js';
export type { PskConfig } from './engine/config.js';
export { nobleProvider } from './crypto/noble-provider.js';
export { nodeCryptoProvider } from './crypto/node-provider.js';
export type { CryptoProvider } from './crypto/provider.js';
export { DtlsServer, type DtlsServerOptions } from './shell/dtls-server.js';
export {
  checkServerIdentity, getCiphers, rootCertificates, DEFAULT_CIPHERS, DEFAULT_ECDH_CURVE, DEFAULT_MIN_VERSION, DEFAULT_MAX_VERSION,
} from './shell/module-functions.js';
