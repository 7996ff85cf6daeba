// Shared by connect() and createServer(): node:tls options → EngineOptions.
import { isIP } from 'node:net';
import type { EngineOptions } from '../engine/engine.js';
import type { PskConfig } from '../engine/config.js';
import { TlsError } from '../errors.js';
import { checkAlpnAnswer, checkClientPskAnswer, checkServerPskAnswer } from './callback-results.js';
import { decodeSession, type SessionState } from '../engine/handshake/session.js';
import { makeVerifier, resolveContext, type SecureContextOptions } from './secure-context.js';
import type { SecureDuplex } from './secure-duplex.js';

/** OpenSSL's SSL_OP_NO_TICKET (node:tls constants.SSL_OP_NO_TICKET). */
export const SSL_OP_NO_TICKET = 0x4000;

/** RFC 5077 tickets are on unless secureOptions has SSL_OP_NO_TICKET. */
export function ticketsEnabled(opts: SecureContextOptions): boolean {
  return ((opts.secureOptions ?? 0) & SSL_OP_NO_TICKET) === 0;
}

/**
 * connect({ session }): a Buffer from getSession() / the 'session' event. Anything we cannot
 * read (another library's session, e.g. node:tls's DER, or a later format) is ignored and the
 * handshake is a full one, as when a server declines a session.
 */
export function sessionOption(value: unknown): SessionState | undefined {
  if (!(value instanceof Uint8Array) || value.length === 0) return undefined;
  try {
    return decodeSession(value);
  } catch {
    return undefined;
  }
}

export interface RoleOptions {
  role: 'client' | 'server';
  rejectUnauthorized: boolean;
  requestCert: boolean;
  servername?: string;
  checkHost?: string;
  checkServerIdentity?: (host: string, cert: object) => Error | undefined;
}

/** node:tls client pskCallback (connect({ pskCallback })): checked as node checks it. */
export function clientPskConfig(cb: unknown): PskConfig | undefined {
  if (cb === undefined || cb === null) return undefined;
  if (typeof cb !== 'function') {
    throw new TlsError('ERR_INVALID_ARG_TYPE', `The "pskCallback" argument must be of type function. Received type ${typeof cb} (${String(cb)})`);
  }
  const user = cb as (hint: string | null) => unknown;
  return { client: (hint) => checkClientPskAnswer(user(hint)) };
}

export function buildEngineOptions(opts: SecureContextOptions & { pskCallback?: unknown }, role: RoleOptions): EngineOptions {
  const ctx = resolveContext(opts);
  return {
    role: role.role,
    provider: ctx.provider,
    random: ctx.random,
    now: Date.now,
    cipherSuites: ctx.cipherSuites,
    groups: ctx.groups,
    signatureSchemes: ctx.signatureSchemes,
    identities: ctx.identities,
    verifier: makeVerifier(ctx.ca, role.checkServerIdentity, ctx.crl),
    rejectUnauthorized: role.rejectUnauthorized,
    servername: role.servername,
    checkHost: role.checkHost,
    alpnProtocols: ctx.alpnProtocols,
    requestCert: role.requestCert,
    allowRenegotiation: opts.allowRenegotiation,
    // node:tls applies CLIENT_RENEG_LIMIT on a server, to client-started renegotiations; a
    // client counts none of the server's unless asked to.
    renegotiationLimit: opts.renegotiationLimit ?? (role.role === 'client' ? Infinity : undefined),
    renegotiationWindow: opts.renegotiationWindow,
    allowPeerIdentityChange: opts.allowPeerIdentityChange,
    sendPolicy: opts.renegotiationSendPolicy ?? 'conservative',
    sessionTickets: ticketsEnabled(opts),
    psk: role.role === 'client' ? clientPskConfig(opts.pskCallback) : undefined,
    ...(role.role === 'server' && ctx.dhParam !== undefined ? { dhParam: ctx.dhParam } : {}),
  };
}

/** node:tls minDHSize (checked as node asserts it): the smallest DHE prime a client accepts. */
export function minDhBitsOption(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new TlsError('ERR_INTERNAL_ASSERTION', `options.minDHSize is not a number: ${String(value)}`);
  if (!(value > 0)) throw new TlsError('ERR_INTERNAL_ASSERTION', `options.minDHSize is not a positive number: ${value}`);
  return value;
}

/** The server options serverEngineOptions() reads (a subset of ServerOptions). */
export interface ServerEngineOptionsInput extends SecureContextOptions {
  requestCert?: boolean;
  ALPNCallback?: (args: { servername: string | undefined; protocols: string[] }) => string | undefined;
  pskCallback?: (socket: SecureDuplex, identity: string) => Uint8Array | { psk: Uint8Array } | null | undefined;
  pskIdentityHint?: string;
}

/** createServer() options → EngineOptions (also `new SecureDuplex(socket, { isServer: true, ... })`). */
export function serverEngineOptions(options: ServerEngineOptionsInput): EngineOptions {
  const alpnCallback = options.ALPNCallback;
  if (alpnCallback !== undefined) {
    if (typeof alpnCallback !== 'function') {
      throw new TlsError('ERR_INVALID_ARG_TYPE', `The "options.ALPNCallback" property must be of type function. Received type ${typeof alpnCallback}`);
    }
    if (options.ALPNProtocols !== undefined) {
      throw new TlsError('ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS', 'The ALPNCallback and ALPNProtocols TLS options are mutually exclusive');
    }
  }
  const engine = buildEngineOptions(options, {
    role: 'server',
    requestCert: options.requestCert === true,
    // node:tls: a server rejects unauthorized client certificates only when requestCert is set.
    rejectUnauthorized: options.rejectUnauthorized !== false,
  });
  const psk = serverPskConfig(options);
  // node:tls checks the callback's answer (the engine only refuses on undefined).
  const checkedAlpn = alpnCallback
    ? function (this: unknown, args: { servername: string | undefined; protocols: string[] }) {
      return checkAlpnAnswer(alpnCallback.call(this, args), args.protocols);
    }
    : undefined;
  return { ...engine, ...(checkedAlpn ? { alpnCallback: checkedAlpn } : {}), ...(psk ? { psk } : {}) };
}

/** node:tls pskCallback / pskIdentityHint, checked as node checks them. The engine calls the
 *  callback with the identity only and `this` = the connection (the SecureDuplex binds it). */
function serverPskConfig(options: ServerEngineOptionsInput): PskConfig | undefined {
  const cb = options.pskCallback as unknown;
  const hint = options.pskIdentityHint as unknown;
  if (cb === undefined || cb === null) return undefined;
  if (typeof cb !== 'function') {
    throw new TlsError('ERR_INVALID_ARG_TYPE', `The "options.pskCallback" property must be of type function. Received type ${typeof cb} (${String(cb)})`);
  }
  if (hint !== undefined && typeof hint !== 'string') {
    throw new TlsError('ERR_INVALID_ARG_TYPE', `The "options.pskIdentityHint" property must be of type string. Received type ${typeof hint} (${String(hint)})`);
  }
  // node:tls fails each connection with this code (sic) when OpenSSL refuses a hint over
  // PSK_MAX_IDENTITY_LEN (256 bytes); we refuse the option up front.
  if (typeof hint === 'string' && Buffer.byteLength(hint) > 256) {
    throw new TlsError('ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED', 'Failed to set PSK identity hint');
  }
  const user = cb as NonNullable<ServerEngineOptionsInput['pskCallback']>;
  return {
    server(this: SecureDuplex, identity: string) { return checkServerPskAnswer(user(this, identity)); },
    ...(hint !== undefined ? { identityHint: hint as string } : {}),
  };
}

/** The client options clientEngineOptions() reads (a subset of ConnectOptions). */
export interface ClientEngineOptionsInput extends SecureContextOptions {
  servername?: string;
  checkServerIdentity?: (host: string, cert: object) => Error | undefined;
  session?: Uint8Array;
  requestOCSP?: boolean;
  pskCallback?: unknown;
  /** Smallest DHE prime accepted, in bits (node:tls minDHSize); default 2048 (node's: 1024). */
  minDHSize?: number;
}

/**
 * connect() options → EngineOptions for a client of `host`. node:tls: SNI defaults to the host
 * unless it is an IP address; the certificate is checked against `servername || host` (an empty
 * servername, as https.Agent passes for IP addresses, sends no SNI and checks the host). No
 * host (a TLSSocket made over an existing transport): no name check unless `servername`.
 */
export function clientEngineOptions(options: ClientEngineOptionsInput, host: string | undefined): EngineOptions {
  const engine = buildEngineOptions(options, {
    role: 'client',
    rejectUnauthorized: options.rejectUnauthorized !== false,
    requestCert: false,
    servername: options.servername ?? (host === undefined || isIP(host) ? undefined : host),
    checkHost: options.servername || host,
    checkServerIdentity: options.checkServerIdentity,
  });
  engine.session = sessionOption(options.session);
  engine.requestOcsp = options.requestOCSP === true;
  const minDhBits = minDhBitsOption(options.minDHSize);
  if (minDhBits !== undefined) engine.minDhBits = minDhBits;
  return engine;
}
