// Finds the initial ClientHello in the transport bytes, next to the engine (which gets the same
// bytes once the shell releases them): a server's SNICallback or 'resumeSession' must answer
// before the engine sees the ClientHello. The initial handshake's records are plaintext
// (RFC 5246 §6.1). The sniffer stops at the ClientHello, at anything else, or on malformed
// input (the engine then reports the real error).
import { ContentType, ExtensionType, HandshakeType } from '../engine/constants.js';
import { decodeServerName, findExtension } from '../engine/handshake/extensions.js';
import { decodeBody } from '../engine/handshake/messages.js';
import type { ClientHello } from '../engine/handshake/message-types.js';

/** Past this many bytes without a whole ClientHello, give up (the engine refuses it anyway). */
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
  private records: Buffer = Buffer.alloc(0);
  private messages: Buffer = Buffer.alloc(0);
  private seen = 0;

  push(chunk: Uint8Array): void {
    if (this.done) return;
    this.seen += chunk.length;
    if (this.seen > SNIFF_LIMIT) {
      this.stop();
      return;
    }
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength); // a view, no copy
    this.records = this.records.length === 0 ? bytes : Buffer.concat([this.records, bytes]);
    try {
      while (!this.done && this.records.length >= 5) {
        const type = this.records[0]!;
        const len = this.records.readUInt16BE(3);
        if (this.records.length < 5 + len) return;
        const fragment = this.records.subarray(5, 5 + len);
        this.records = this.records.subarray(5 + len);
        if (type === ContentType.change_cipher_spec) this.stop();
        else if (type === ContentType.handshake) this.onHandshakeBytes(fragment);
        else if (type !== ContentType.alert) this.stop();
      }
    } catch {
      this.stop();
    }
  }

  private onHandshakeBytes(fragment: Buffer): void {
    this.messages = this.messages.length === 0 ? fragment : Buffer.concat([this.messages, fragment]);
    while (!this.done && this.messages.length >= 4) {
      const type = this.messages[0]!;
      const len = this.messages.readUIntBE(1, 3);
      if (this.messages.length < 4 + len) return;
      const body = this.messages.subarray(4, 4 + len);
      this.messages = this.messages.subarray(4 + len);
      this.onMessage(type, body);
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
    this.records = Buffer.alloc(0);
    this.messages = Buffer.alloc(0);
  }
}
