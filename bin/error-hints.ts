// What to do about a failure: one short hint appended to the `error:` line, naming the flag or
// the file concerned and the likely cause (docs/cli.md, "Errors and what to do").

/** What the hints may refer to: the command's own view of its flags. */
export interface HintContext {
  role: 'client' | 'server';
  /** host:port the client connects to. */
  target?: string;
  dtls: boolean;
  psk: boolean;
}

interface ErrorShape {
  code?: unknown;
  message?: unknown;
  alertReceived?: unknown;
  syscall?: unknown;
}

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** The hint for `e`, or undefined when there is nothing useful to add. */
export function hintFor(e: unknown, c: HintContext): string | undefined {
  const err = (e ?? {}) as ErrorShape;
  const code = typeof err.code === 'string' ? err.code : '';
  const text = `${typeof err.message === 'string' ? err.message : ''} ${typeof err.alertReceived === 'string' ? err.alertReceived : ''}`;
  if (c.role === 'client' && UNTRUSTED.has(code)) {
    return 'the server\'s certificate is not signed by a CA this client trusts: give its CA (or the self-signed certificate itself) with -A FILE, or skip verification with -d';
  }
  if (c.role === 'client' && code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return 'the certificate is for another name: connect with -h NAME, or give the expected name with -S NAME';
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return 'check the certificate\'s validity dates (and this machine\'s clock)';
  }
  if (/protocol_version/.test(text)) {
    return c.role === 'client'
      ? 'the server does not accept TLS 1.2 (it may be TLS 1.3-only); secure-duplex speaks TLS 1.2 and DTLS 1.2 only'
      : 'the client does not offer TLS 1.2 (it may be TLS 1.3-only); secure-duplex speaks TLS 1.2 and DTLS 1.2 only';
  }
  if (c.psk && /bad_record_mac|decrypt_error/.test(text)) {
    return 'the pre-shared keys differ: give both sides the same --psk-key (and --psk-identity)';
  }
  if (/unknown_psk_identity/.test(text)) {
    return 'the server does not know this PSK identity: give both sides the same --psk-identity';
  }
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
    if (c.dtls && c.psk) {
      return 'over DTLS a wrong pre-shared key gets no answer (records that fail to decrypt are dropped, RFC 6347 §4.1.2.7): check --psk-key and --psk-identity on both sides';
    }
    if (c.dtls) return `no DTLS answer${c.target ? ` from ${c.target}` : ''}: is a DTLS server listening there (-u on both sides, same -p)?`;
    return 'the peer did not complete the handshake in time';
  }
  if (code === 'ERR_REPLY_TIMEOUT') {
    return 'the server may be waiting for more: line-based servers (gnutls-serv --echo) answer only after a newline, so use --pipe and type lines; --timeout SEC waits longer';
  }
  if (code === 'ECONNREFUSED' && c.role === 'client') {
    return `nothing accepts connections${c.target ? ` on ${c.target}` : ''}: start the server first, check -h/-p${c.dtls ? ', and use -u on both sides' : ' (and -u on both sides for DTLS)'}`;
  }
  if (code === 'ERR_TLS_RENEGOTIATION_REFUSED' && /no_renegotiation|refused/.test(text) && !/closing|closed/.test(text)) {
    return c.role === 'client'
      ? 'the server refuses client renegotiations: start it with -M (openssl s_server: -client_renegotiation)'
      : 'the client refuses renegotiations: start it with -R';
  }
  return undefined;
}
