// Certificate choice by the client's SNI name, shared by the TCP Server and the DtlsServer:
// node:tls's SNICallback, or the addContext() table when there is none.
import type { LocalIdentity } from '../engine/config.js';
import { TlsError } from '../errors.js';
import { toSecureContext, type SecureContext, type SecureContextOptions } from './secure-context.js';
import type { SecureDuplex } from './secure-duplex.js';

/**
 * node:tls SNICallback: called with the client's SNI name (only when it sent one); answer with a
 * SecureContext (createSecureContext()) or options for one, or nothing for the default
 * certificate. `this` is the connection. The answer may come later: the ClientHello waits.
 */
export type SNICallback = (
  this: SecureDuplex,
  servername: string,
  cb: (err: Error | null, ctx?: SecureContext | SecureContextOptions | null) => void,
) => void;

export class SniSelector {
  /** addContext() entries: host-name pattern → context; the last match wins (node:tls). */
  private readonly contexts: [RegExp, SecureContext][] = [];

  constructor(private readonly callback?: SNICallback) {}

  /** Whether any choice is configured (else the ClientHello need not wait). */
  get active(): boolean {
    return this.callback !== undefined || this.contexts.length > 0;
  }

  /** node:tls addContext(): '*' matches one label, as in node. */
  add(hostname: string, context: SecureContext | SecureContextOptions): void {
    if (!hostname) throw new TlsError('ERR_TLS_REQUIRED_SERVER_NAME', '"servername" is required parameter for Server.addContext');
    const pattern = hostname.replace(/([.^$+?\-\\[\]{}])/g, '\\$1').replaceAll('*', '[^.]*');
    this.contexts.push([new RegExp(`^${pattern}$`), toSecureContext(context)]);
  }

  /** The identities for `servername` (undefined: the server's default ones). */
  resolve(socket: SecureDuplex, servername: string, cb: (err: Error | null, identities?: readonly LocalIdentity[]) => void): void {
    if (this.callback) {
      this.callback.call(socket, servername, (err, ctx) => {
        if (err) return cb(err);
        if (ctx === undefined || ctx === null) return cb(null);
        let resolved: SecureContext;
        try {
          resolved = toSecureContext(ctx);
        } catch (e) {
          return cb(e as Error);
        }
        cb(null, resolved.identities);
      });
      return;
    }
    for (let i = this.contexts.length - 1; i >= 0; i--) {
      const [pattern, context] = this.contexts[i]!;
      if (pattern.test(servername)) return cb(null, context.identities);
    }
    cb(null);
  }
}
