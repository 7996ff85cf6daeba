// The command-line flags both sides share, turned into connect()/createServer() options:
// -v (protocol version), -u (DTLS over UDP), -c/-k (certificate and key files), -A (CA file), -l
// (ciphers), -s (pre-shared keys), renegotiation policy and --renegotiate-every.
import { appendFileSync, readFileSync } from 'node:fs';
import { UsageError, type FlagSpec, type ParsedArgs } from './args.js';

export const DEFAULT_PORT = 11111;

/** wolfSSL's example my_psk_client_cb / my_psk_server_cb for TLS 1.2 (test.h), whose identity
 *  is also openssl s_client's default: the two CLIs meet ours with plain -s / -psk 1a2b3c4d. */
export const PSK_TEST_IDENTITY = 'Client_identity';
export const PSK_TEST_KEY_HEX = '1a2b3c4d';

/** Flags with the same meaning on both sides. */
export const SHARED_FLAGS: readonly FlagSpec[] = [
  { short: 'p', long: 'port', value: 'required', valueName: 'PORT', description: `port (default ${DEFAULT_PORT})` },
  { short: 'c', long: 'cert', value: 'required', valueName: 'FILE', description: 'PEM certificate (chain, leaf first) to present' },
  { short: 'k', long: 'key', value: 'required', valueName: 'FILE', description: 'PEM private key for -c' },
  { short: 'A', long: 'ca', value: 'required', valueName: 'FILE', description: 'PEM CA certificate(s) to verify the peer against' },
  { short: 'l', long: 'ciphers', value: 'required', valueName: 'LIST', description: 'cipher list (OpenSSL syntax, passed as `ciphers`)' },
  { short: 'v', long: 'tls-version', value: 'required', valueName: 'N', description: 'protocol version: only 3 (TLS 1.2) is available' },
  { short: 'N', long: 'nonblocking', description: 'accepted for wolfSSL compatibility (Node sockets never block)' },
  { short: 'u', long: 'dtls', description: 'use DTLS 1.2 over UDP' },
  { long: 'renegotiate-every', value: 'required', valueName: 'MS', description: 'renegotiate every MS milliseconds while the connection is up' },
  { long: 'renegotiation-limit', value: 'required', valueName: 'N', description: 'peer-started renegotiations allowed per 10 minutes (default: unlimited)' },
  { long: 'keylog', value: 'required', valueName: 'FILE', description: 'append NSS key log lines (CLIENT_RANDOM ...) for every handshake to FILE, for Wireshark (default: $SSLKEYLOGFILE)' },
  { short: 's', long: 'psk', description: `pre-shared key suites (PSK, ECDHE-PSK) with the wolfSSL/OpenSSL test identity "${PSK_TEST_IDENTITY}" and key ${PSK_TEST_KEY_HEX}, unless --psk-identity / --psk-key` },
  { long: 'psk-identity', value: 'required', valueName: 'ID', description: 'with -s: the PSK identity (client: sent; server: the one accepted)' },
  { long: 'psk-key', value: 'required', valueName: 'HEX', description: 'with -s: the pre-shared key, hex' },
  { long: 'alpn', value: 'required', valueName: 'LIST', description: 'ALPN protocols, comma-separated (client: offered; server: accepted, in its order of preference); prints "alpn: <protocol>"' },
  { long: 'trace', description: 'print every handshake message, ChangeCipherSpec and alert sent and received, on stderr ("TLS trace (client): Sent handshake: client_hello ...")' },
  { long: 'crypto', value: 'required', valueName: 'noble|node', description: 'crypto provider: noble (pure JavaScript, independent of OpenSSL; the default) or node (node:crypto, several times faster; the default of the proxy modes --forward and --listen)' },
  { long: 'json', description: 'status lines as JSON objects, one per line ({"status":"protocol","value":"TLSv1.2"}); errors as {"error":CODE,"message":...,"hint":...} on stderr' },
];

/** --crypto noble|node as the cryptoProvider option; `proxyDefault`: the proxy modes, which move
 *  bulk data, default to node:crypto (docs/performance.md has the measured ratios). */
export function cryptoProviderChoice(args: ParsedArgs, proxyDefault: boolean): 'noble' | 'node' {
  if (!args.has('crypto')) return proxyDefault ? 'node' : 'noble';
  const name = args.string('crypto');
  if (name !== 'noble' && name !== 'node') {
    throw new UsageError(`--crypto expects noble (pure JavaScript) or node (node:crypto), got ${JSON.stringify(name)}`);
  }
  return name;
}

/** --alpn LIST as ALPNProtocols, or undefined. */
export function alpnProtocols(args: ParsedArgs): string[] | undefined {
  if (!args.has('alpn')) return undefined;
  const list = (args.string('alpn') ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (list.length === 0 || list.some((p) => Buffer.byteLength(p) > 255)) {
    throw new UsageError(`--alpn expects protocol names separated by commas (each 1-255 bytes), e.g. --alpn h2,http/1.1; got ${JSON.stringify(args.string('alpn'))}`);
  }
  return list;
}

/** The shared flags named, in that order. */
export function sharedFlags(...names: string[]): FlagSpec[] {
  return names.map((n) => {
    const spec = SHARED_FLAGS.find((s) => s.long === n);
    if (!spec) throw new Error(`internal: no shared flag --${n}`);
    return spec;
  });
}

export const HELP_FLAG: FlagSpec = { short: '?', long: 'help', description: 'show this help' };

/** wolfSSL's -v numbers: 0 SSLv3, 1 TLS 1.0, 2 TLS 1.1, 3 TLS 1.2, 4 TLS 1.3, d downgrade. */
const VERSION_NAMES: Record<string, string> = {
  '0': 'SSL 3.0', '1': 'TLS 1.0', '2': 'TLS 1.1', '3': 'TLS 1.2', '4': 'TLS 1.3', d: 'version downgrade',
};

/** Checks that need no I/O: -u and -v. Throws a UsageError (exit 2). */
export function checkSharedFlags(args: ParsedArgs): void {
  const v = args.has('tls-version') ? args.string('tls-version') ?? '' : '3';
  if (v !== '3') {
    const what = VERSION_NAMES[v] ? ` (${VERSION_NAMES[v]})` : '';
    throw new UsageError(`-v ${v}${what} is not supported: secure-duplex speaks only TLS 1.2 (-v 3)`, 'ERR_TLS_VERSION_UNSUPPORTED');
  }
}

export function port(args: ParsedArgs): number {
  return args.integer('port', DEFAULT_PORT, 65535);
}

/** --renegotiate-every MS, or undefined. */
export function renegotiateEveryMs(args: ParsedArgs): number | undefined {
  if (!args.has('renegotiate-every')) return undefined;
  const ms = args.integer('renegotiate-every', 0);
  if (ms < 1) throw new UsageError('--renegotiate-every expects a positive number of milliseconds');
  return ms;
}

/** A file's text; a missing or unreadable file is reported with what it was for. */
export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw Object.assign(new Error(`cannot read ${what} ${path}: ${err.message}`), { code: err.code ?? 'ERR_FILE' });
  }
}

/** The PEM block labels in `text` (`CERTIFICATE`, `PRIVATE KEY`, `EC PRIVATE KEY`...). */
function pemLabels(text: string): string[] {
  return [...text.matchAll(/^-----BEGIN ([A-Z0-9 ]+)-----/gm)].map((m) => m[1]!);
}

const isKeyLabel = (label: string): boolean => /PRIVATE KEY$/.test(label);

/** What a file holds, for messages: `a CERTIFICATE`, `no PEM block`. */
function holds(labels: string[]): string {
  return labels.length === 0 ? 'no PEM block: is it a PEM file?' : `only ${[...new Set(labels)].join(', ')}`;
}

/** A file for -c or -A: its text, which must hold at least one PEM certificate. */
export function readCertificateFile(path: string, flag: string, what: string): string {
  const text = readTextFile(path, what);
  const labels = pemLabels(text);
  if (!labels.includes('CERTIFICATE')) {
    throw Object.assign(new Error(`${flag} ${path}: no PEM certificate in this file (it holds ${holds(labels)}); ${flag} takes ${what}, "-----BEGIN CERTIFICATE-----"`), { code: 'ERR_CERT_FILE' });
  }
  return text;
}

/** -c/-k: both or neither; -c must hold certificates and -k a private key. */
export function certAndKey(args: ParsedArgs): { cert: string; key: string } | undefined {
  const certPath = args.string('cert');
  const keyPath = args.string('key');
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (certPath === undefined) throw new UsageError('-k/--key needs -c/--cert (the certificate that goes with the key)');
  if (keyPath === undefined) throw new UsageError('-c/--cert needs -k/--key (the private key of the certificate)');
  const cert = readCertificateFile(certPath, '-c', 'a PEM certificate chain, leaf first');
  const key = readTextFile(keyPath, 'key file');
  const labels = pemLabels(key);
  if (!labels.some(isKeyLabel)) {
    const swapped = labels.includes('CERTIFICATE') ? ' (a certificate: were -c and -k swapped?)' : '';
    throw Object.assign(new Error(`-k ${keyPath}: no PEM private key in this file; it holds ${holds(labels)}${swapped}. -k takes the private key of the -c certificate, "-----BEGIN PRIVATE KEY-----"`), { code: 'ERR_KEY_FILE' });
  }
  if (labels.includes('ENCRYPTED PRIVATE KEY')) {
    throw Object.assign(new Error(`-k ${keyPath}: the private key is encrypted; decrypt it first (openssl pkey -in ${keyPath} -out key.pem)`), { code: 'ERR_KEY_FILE' });
  }
  return { cert, key };
}

/**
 * The library's error for a certificate/key pair it cannot use (createServer()/connect()
 * throwing), restated with the files it came from.
 */
export function identityError(e: unknown, args: ParsedArgs): Error {
  const err = e as { code?: string; message?: string };
  const files = `-c ${args.string('cert') ?? ''} -k ${args.string('key') ?? ''}`;
  return Object.assign(new Error(`${files}: ${err.message ?? String(e)}; check that -k is the private key of the -c certificate, in PEM`), { code: err.code ?? 'ERR_KEY_FILE' });
}

/** Renegotiation policy: whether the peer may start one, and how many per window. wolfSSL's
 *  examples have no rate limit, so with renegotiation allowed the limit is off unless given. */
export function renegotiationPolicy(args: ParsedArgs, allow: boolean): { allowRenegotiation: boolean; renegotiationLimit: number } {
  return {
    allowRenegotiation: allow,
    renegotiationLimit: args.has('renegotiation-limit') ? args.integer('renegotiation-limit', 3) : Number.POSITIVE_INFINITY,
  };
}

/** --keylog FILE, else $SSLKEYLOGFILE: a 'keylog' listener appending each line to the file, or
 *  undefined when neither is set. */
export function keylogAppender(args: ParsedArgs): ((line: Buffer) => void) | undefined {
  const file = args.string('keylog') ?? (process.env['SSLKEYLOGFILE'] || undefined);
  if (file === undefined) return undefined;
  return (line: Buffer) => appendFileSync(file, line, { mode: 0o600 });
}

/** -s [--psk-identity ID] [--psk-key HEX]: the identity and key, or undefined without -s. */
export function pskSettings(args: ParsedArgs): { identity: string; key: Buffer } | undefined {
  if (!args.has('psk')) {
    if (args.has('psk-identity') || args.has('psk-key')) throw new UsageError('--psk-identity / --psk-key need -s/--psk');
    return undefined;
  }
  const hex = args.string('psk-key') ?? PSK_TEST_KEY_HEX;
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw new UsageError(`--psk-key expects an even number of hex digits, got ${JSON.stringify(hex)}`);
  return { identity: args.string('psk-identity') ?? PSK_TEST_IDENTITY, key: Buffer.from(hex, 'hex') };
}
