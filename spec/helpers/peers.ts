// The interop harness in one import: every name of the modules it is made of (one module per
// concern), so a spec can `import { ... } from './helpers/peers.js'`.
export { isConnected, isListening, listeningPort, udpDrops } from './proc-sockets.js';
export { peerVersion, requireCapability, requirePeer, type PeerCommand } from './peer-requirements.js';
export {
  killAllPeers,
  livePeerCount,
  peersTmpDir,
  startListeningPeer,
  startPeer,
  type PeerExit,
  type PeerMark,
  type ListeningPeer,
  type PeerProcess,
  withPeerDiagnostics,
  type StartPeerOptions,
} from './peer-process.js';
export { opensslClient, opensslServer, type OpensslClientOptions, type OpensslServerOptions } from './openssl-peer.js';
export {
  GNUTLS_CLI_DATA_MARKER,
  GNUTLS_CLI_REHANDSHAKE_DATA_MARKER,
  GNUTLS_TLS12_PRIORITY,
  gnutlsClient,
  gnutlsServer,
  type GnutlsClientOptions,
  type GnutlsServerOptions,
} from './gnutls-peer.js';
export {
  NODE_TLS_PEER_SCRIPT,
  nodeTlsPeer,
  type NodeTlsClientArgs,
  type NodeTlsPeer,
  type NodeTlsPeerArgs,
  type NodeTlsPeerEvent,
  type NodeTlsServerArgs,
} from './node-tls-launcher.js';
export { randomBytesSeeded, randomTextLines, sha256Hex, TEXT_LINE_FORBIDDEN_FIRST } from './payloads.js';
export { generateCert, type TestCert } from './self-signed-cert.js';
