// `new SecureDuplex(socket, options)` with node:tls's `new tls.TLSSocket(socket, options)`
// options (isServer, secureContext, requestCert, rejectUnauthorized, SNICallback, session,
// requestOCSP, ... and the createSecureContext() options), for code that wraps a socket it
// already has (STARTTLS servers, test harnesses).
import type { LocalIdentity } from '../engine/config.js';
import type { ClientHelloInfo } from '../engine/handshake/client-hello-info.js';
import {
  clientEngineOptions, serverEngineOptions, type ClientEngineOptionsInput, type ServerEngineOptionsInput,
} from './engine-options.js';
import { applySecureContext, type SecureContext } from './secure-context.js';
import type { SecureDuplex, SecureDuplexOptions } from './secure-duplex.js';
import { SniSelector, type SNICallback } from './sni.js';

/** node:tls TLSSocket constructor options (plus the createSecureContext() options). */
export interface TLSSocketOptions extends Omit<ServerEngineOptionsInput, 'pskCallback'>, Omit<ClientEngineOptionsInput, 'pskCallback'> {
  /** node:tls pskCallback: a server's `(socket, identity)`, a client's `(hint)` (as in connect()). */
  pskCallback?: ServerEngineOptionsInput['pskCallback'] | ((hint: string | null) => { psk: Uint8Array; identity: string } | null | undefined);
  /** Default false (a client). */
  isServer?: boolean;
  secureContext?: SecureContext;
  SNICallback?: SNICallback;
  handshakeTimeout?: number;
  allowHalfOpen?: boolean;
  highWaterMark?: number;
  /** node:tls `server` (a tls.Server whose events the socket would feed): not used. */
  server?: unknown;
}

/** Options of our own form (what connect() and Server.wrap() pass) carry `engine`. */
export function isEngineForm(o: SecureDuplexOptions | TLSSocketOptions): o is SecureDuplexOptions {
  return typeof o === 'object' && o !== null && 'engine' in o;
}

/**
 * node:tls TLSSocket options → ours. A server gets createServer()'s engine options (without a
 * session cache: such a socket has no Server); a client gets connect()'s for the peer
 * `servername` (no host name check without one, as a node:tls TLSSocket made this way does none;
 * the chain is still verified, and refused unless rejectUnauthorized is false). `self` gives
 * the socket being built (SNICallback's `this`).
 */
export function fromTlsSocketOptions(given: TLSSocketOptions, self: () => SecureDuplex): SecureDuplexOptions {
  const o = applySecureContext(given);
  const common = { allowHalfOpen: o.allowHalfOpen, handshakeTimeout: o.handshakeTimeout, highWaterMark: o.highWaterMark };
  if (!o.isServer) return { ...common, isServer: false, engine: clientEngineOptions(o as ClientEngineOptionsInput, undefined) };
  const sni = o.SNICallback ? new SniSelector(o.SNICallback) : undefined;
  const onClientHello = sni
    ? (hello: ClientHelloInfo, cb: (err: Error | null, identities?: readonly LocalIdentity[]) => void): void => {
      if (hello.servername === undefined) cb(null);
      else sni.resolve(self(), hello.servername, cb);
    }
    : undefined;
  return { ...common, isServer: true, engine: serverEngineOptions(o as ServerEngineOptionsInput), onClientHello };
}
