// Status lines: what the CLI prints about a connection, with stable prefixes (docs/cli.md),
// and `error: <code>: <message>` lines for failures.
import type { Writable } from 'node:stream';
import type { SecureDuplex } from '../lib/index.js';

/** Where status lines go (stdout, or stderr in --pipe mode) and where errors go (stderr). */
export class Reporter {
  /** Set once any error has been reported: the process then exits non-zero. */
  failed = false;
  /** What to do about an error (bin/error-hints.ts), appended to its line after " — ". */
  hint: ((e: unknown) => string | undefined) | undefined;
  private readonly out: Writable;
  private readonly err: Writable;
  /** Error lines already printed: one failure reported by two paths prints once. */
  private readonly printed = new Set<string>();

  constructor(out: Writable = process.stdout, err: Writable = process.stderr) {
    this.out = out;
    this.err = err;
  }

  /** --json: each status line as one JSON object, `{"status":"<prefix>","value":"<rest>"}`. */
  json = false;

  status(line: string): void {
    this.out.write((this.json ? JSON.stringify(statusObject(line)) : line) + '\n');
  }

  /** A status made of several lines (text mode) or one object (--json). */
  record(object: Record<string, unknown>, lines: readonly string[]): void {
    if (this.json) this.out.write(JSON.stringify(object) + '\n');
    else for (const l of lines) this.out.write(l + '\n');
  }

  error(e: unknown): void {
    this.failed = true;
    const hint = this.hint?.(e);
    const line = errorLine(e) + (hint ? ` — ${hint}` : '');
    if (this.printed.has(line)) return;
    this.printed.add(line);
    if (!this.json) {
      this.err.write(line + '\n');
      return;
    }
    const err = e as { code?: unknown; message?: unknown };
    const code = typeof err?.code === 'string' && err.code !== '' ? err.code : 'ERR_UNKNOWN';
    this.err.write(JSON.stringify({ error: code, message: line.slice(`error: ${code}: `.length).split(' — ')[0], ...(hint ? { hint } : {}) }) + '\n');
  }

  /** protocol, cipher, group and peer lines for a connection whose handshake completed. */
  connection(socket: SecureDuplex): void {
    for (const line of describeConnection(socket)) this.status(line);
  }
}

/** `prefix: rest` → { status: prefix, value: rest }; a line without a prefix → { status: line }. */
export function statusObject(line: string): { status: string; value?: string } {
  const m = /^([A-Za-z][A-Za-z0-9 -]*): (.*)$/.exec(line);
  return m ? { status: m[1]!, value: m[2]! } : { status: line };
}

export function errorLine(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown; alertReceived?: unknown } | undefined;
  const code = typeof err?.code === 'string' && err.code !== '' ? err.code : 'ERR_UNKNOWN';
  let message = typeof err?.message === 'string' ? err.message : String(e);
  if (typeof err?.alertReceived === 'string' && !message.includes(err.alertReceived)) {
    message += ` (alert received: ${err.alertReceived})`;
  }
  return `error: ${code}: ${message}`;
}

// Group names as node:tls / OpenSSL print them (getEphemeralKeyInfo().name); the RFC 7919
// finite-field groups by their registry names.
const GROUP_NAMES: Record<number, string> = {
  23: 'prime256v1', 24: 'secp384r1', 29: 'X25519',
  256: 'ffdhe2048', 257: 'ffdhe3072', 258: 'ffdhe4096', 259: 'ffdhe6144', 260: 'ffdhe8192',
};

/** The ephemeral group of the last handshake, or undefined when it had none: a resumed
 *  handshake has no key exchange (openssl s_client prints no "Server Temp Key" then), nor has a
 *  static RSA or plain PSK one (group 0). node:tls reports the group to clients only
 *  (getEphemeralKeyInfo() is {} on a server), so the server reads the engine's session. */
export function groupName(socket: SecureDuplex): string | undefined {
  if (socket.isSessionReused()) return undefined;
  const info = socket.getEphemeralKeyInfo() as { name?: string } | null;
  if (info && typeof info.name === 'string') return info.name;
  const group = socket.engine.session?.group;
  return group === undefined || group === 0 ? undefined : GROUP_NAMES[group] ?? `group ${group}`;
}

export function describeConnection(socket: SecureDuplex): string[] {
  const lines = [`protocol: ${socket.getProtocol() ?? 'unknown'}`];
  const cipher = socket.getCipher();
  lines.push(`cipher: ${cipher ? cipher.standardName : 'unknown'}`);
  const group = groupName(socket);
  if (group !== undefined) lines.push(`group: ${group}`);
  lines.push(`peer: ${peerName(socket)} authorized=${socket.authorized}`);
  if (!socket.authorized && socket.authorizationError) {
    lines.push(`peer-verification: ${errorLine(socket.engine.session?.authorizationError ?? socket.authorizationError).slice('error: '.length)}`);
  }
  return lines;
}

/** The peer certificate's subject CN, or a placeholder when it sent none. */
export function peerName(socket: SecureDuplex): string {
  const cert = socket.getPeerCertificate() as { subject?: Record<string, unknown> };
  const cn = cert.subject?.['CN'];
  if (typeof cn === 'string') return cn;
  if (Array.isArray(cn) && typeof cn[0] === 'string') return cn[0];
  return Object.keys(cert).length === 0 ? '(no certificate)' : '(no CN)';
}

/** Application data as a printable line: one trailing newline dropped. */
export function messageText(data: Buffer): string {
  return data.toString('utf8').replace(/\r?\n$/, '');
}
