// What a server's application looks at in the initial ClientHello before the handshake goes on
// (node:tls SNICallback and the 'resumeSession' external cache; rustls' ClientHello of an
// Accepted): the server name, the offered session ID, whether a ticket is offered.
import { ExtensionType } from '../constants.js';
import { decodeServerName, findExtension } from './extensions.js';
import type { ClientHello } from './message-types.js';

export interface ClientHelloInfo {
  /** RFC 6066 §3 server_name (undefined without the extension). */
  servername: string | undefined;
  /** The session_id the client offers (empty: none). */
  sessionId: Uint8Array;
  /** The client offers an RFC 5077 ticket (a non-empty session_ticket extension). */
  ticket: boolean;
}

/** The application's view of `ch`. Throws (decode_error) on a malformed server_name. */
export function clientHelloInfo(ch: ClientHello): ClientHelloInfo {
  const sni = findExtension(ch.extensions, ExtensionType.server_name);
  const ticket = findExtension(ch.extensions, ExtensionType.session_ticket);
  return {
    servername: sni ? decodeServerName(sni.data) : undefined,
    sessionId: ch.sessionId.slice(),
    ticket: ticket !== undefined && ticket.data.length > 0,
  };
}
