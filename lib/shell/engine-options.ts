// Shared by connect() and createServer(): node:tls options → EngineOptions.
import type { EngineOptions } from '../engine/engine.js';
import type { PskConfig } from '../engine/config.js';
import { TlsError } from '../errors.js';
import { decodeSession, type SessionState } from '../engine/handshake/session.js';
import { makeVerifier, resolveContext, type SecureContextOptions } from './secure-context.js';

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
  return { client: cb as NonNullable<PskConfig['client']> };
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
    renegotiationLimit: opts.renegotiationLimit,
    renegotiationWindow: opts.renegotiationWindow,
    allowPeerIdentityChange: opts.allowPeerIdentityChange,
    sendPolicy: opts.renegotiationSendPolicy ?? 'conservative',
    sessionTickets: ticketsEnabled(opts),
    psk: role.role === 'client' ? clientPskConfig(opts.pskCallback) : undefined,
  };
}
