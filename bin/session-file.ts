// --sess-in / --sess-out FILE: a TLS session saved between runs, as `openssl s_client
// -sess_in/-sess_out` do (the file holds our getSession() bytes, not OpenSSL's format).
import { readFileSync, writeFileSync } from 'node:fs';

/** The session saved in `path` (reported with the flag when it cannot be read). */
export function readSessionFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw Object.assign(new Error(`--sess-in ${path}: ${err.message}; write one first with --sess-out ${path}`), { code: err.code ?? 'ERR_SESSION_FILE' });
  }
}

/** Save a session (the socket's 'session' event) to `path`, readable by its owner only. */
export function writeSessionFile(path: string, session: Buffer): void {
  writeFileSync(path, session, { mode: 0o600 });
}
