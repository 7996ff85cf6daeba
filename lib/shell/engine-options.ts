// Shared by connect() and createServer(): node:tls options → EngineOptions.
import type { EngineOptions } from '../engine/engine.js';
import { makeVerifier, resolveContext, type SecureContextOptions } from './secure-context.js';

export interface RoleOptions {
  role: 'client' | 'server';
  rejectUnauthorized: boolean;
  requestCert: boolean;
  servername?: string;
  checkHost?: string;
  checkServerIdentity?: (host: string, cert: object) => Error | undefined;
}

export function buildEngineOptions(opts: SecureContextOptions, role: RoleOptions): EngineOptions {
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
    verifier: makeVerifier(ctx.ca, role.checkServerIdentity),
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
  };
}
