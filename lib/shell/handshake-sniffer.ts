// Finds the initial ClientHello in the transport bytes, next to the engine (which gets the same
// bytes once the shell releases them): a server's SNICallback or 'resumeSession' must answer
// before the engine sees the ClientHello. The initial handshake's records are plaintext
// (RFC 5246 §6.1). The sniffer stops at the ClientHello, at anything else, or on malformed
// input (the engine then reports the real error).
import { ContentType, ExtensionType, HandshakeType } from '../engine/constants.js';
import { decodeServerName, findExtension } from '../engine/handshake/extensions.js';
import { decodeBody, HandshakeReassembler } from '../engine/handshake/messages.js';
import { ByteQueue } from '../engine/record/byte-queue.js';
import type { ClientHello } from '../engine/handshake/message-types.js';

/** Past this many transport bytes without a whole ClientHello, give up (the engine decides). */
const SNIFF_LIMIT = 512 * 1024;

export interface ClientHelloInfo {
  servername: string | undefined;
  /** The session_id the client offers (empty: none). */
  sessionId: Uint8Array;
  /** The client offers an RFC 5077 ticket (a non-empty session_ticket extension). */
  ticket: boolean;
}

/** What the shell looks at in a ClientHello. Throws on malformed extensions. */
export function clientHelloInfo(ch: ClientHello): ClientHelloInfo {
  const sni = findExtension(ch.extensions, ExtensionType.server_name);
  const ticket = findExtension(ch.extensions, ExtensionType.session_ticket);
  return {
    servername: sni ? decodeServerName(sni.data) : undefined,
    sessionId: ch.sessionId.slice(),
    ticket: ticket !== undefined && ticket.data.length > 0,
  };
}

export class HandshakeSniffer {
  /** True once the sniffer has stopped (found the ClientHello, or anything else). */
  done = false;
  clientHello: ClientHelloInfo | undefined;
  /** Transport bytes not yet cut into records (chunks kept, not concatenated). */
  private readonly records = new ByteQueue();
  /** The engine's reassembler: it refuses a ClientHello over its limit at its header. */
  private readonly messages = new HandshakeReassembler({ role: 'server' });
  private seen = 0;

  push(chunk: Uint8Array): void {
    if (this.done) return;
    this.seen += chunk.length;
    if (this.seen > SNIFF_LIMIT) {
      this.stop();
      return;
    }
    this.records.push(chunk);
    try {
      while (!this.done && this.records.length >= 5) {
        const q = this.records;
        const len = (q.peek(3) << 8) | q.peek(4);
        if (q.length < 5 + len) return;
        const type = q.peek(0);
        q.take(5);
        const fragment = q.take(len);
        if (type === ContentType.handshake) {
          for (const m of this.messages.push(fragment)) {
            this.onMessage(m.type, m.body);
            if (this.done) break;
          }
        } else if (type !== ContentType.alert) {
          this.stop();
        }
      }
    } catch {
      this.stop();
    }
  }

  private onMessage(type: number, body: Uint8Array): void {
    if (type === HandshakeType.client_hello) {
      const ch = decodeBody(type, body, false);
      if (ch.type === 'client_hello') this.clientHello = clientHelloInfo(ch);
    }
    this.stop();
  }

  private stop(): void {
    this.done = true;
    this.records.clear();
  }
}
