// The cipher suites this stack speaks, one row per suite (Go's cipher_suites.go is the model).
// All are ECDHE + AEAD, TLS 1.2 only (RFC 5289, RFC 7905).
import type { AeadAlgorithm, HashAlgorithm } from '../crypto/provider.js';
import { TlsError } from '../errors.js';

export interface CipherSuite {
  readonly id: number;
  /** IANA name. */
  readonly name: string;
  /** OpenSSL name (what node:tls's getCipher().name reports). */
  readonly opensslName: string;
  /** Certificate / signature type the suite authenticates with. */
  readonly auth: 'ECDSA' | 'RSA';
  readonly aead: AeadAlgorithm;
  readonly keyLength: number;
  /** Implicit IV bytes from the key block: 4 (GCM salt, RFC 5288 §3) or 12 (RFC 7905 §2). */
  readonly fixedIvLength: number;
  /** Explicit nonce bytes carried in each record: 8 for GCM (RFC 5288 §3), 0 for ChaCha20. */
  readonly explicitNonceLength: number;
  /** PRF hash (RFC 5246 §5; RFC 5289 §3 for the SHA-384 suites). */
  readonly hash: HashAlgorithm;
}

function row(
  id: number,
  name: string,
  opensslName: string,
  auth: 'ECDSA' | 'RSA',
  aead: AeadAlgorithm,
): CipherSuite {
  const chacha = aead === 'CHACHA20-POLY1305';
  return {
    id,
    name,
    opensslName,
    auth,
    aead,
    keyLength: aead === 'AES-128-GCM' ? 16 : 32,
    fixedIvLength: chacha ? 12 : 4,
    explicitNonceLength: chacha ? 0 : 8,
    hash: aead === 'AES-256-GCM' ? 'sha384' : 'sha256',
  };
}

/** Our default preference order (server side chooses by this order, RFC 5246 §7.4.1.3). */
export const CIPHER_SUITES: readonly CipherSuite[] = [
  row(0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDSA', 'AES-128-GCM'),
  row(0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'RSA', 'AES-128-GCM'),
  row(0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDSA', 'AES-256-GCM'),
  row(0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'RSA', 'AES-256-GCM'),
  row(0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDSA', 'CHACHA20-POLY1305'),
  row(0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305', 'RSA', 'CHACHA20-POLY1305'),
];

const byId = new Map(CIPHER_SUITES.map((s) => [s.id, s]));

export function cipherSuiteById(id: number): CipherSuite | undefined {
  return byId.get(id);
}

/** Cipher-string keywords (OpenSSL's, restricted to what we implement) → predicate. */
const KEYWORDS: Record<string, (s: CipherSuite) => boolean> = {
  ALL: () => true,
  DEFAULT: () => true,
  HIGH: () => true,
  ECDHE: () => true,
  EECDH: () => true,
  kECDHE: () => true,
  AESGCM: (s) => s.aead !== 'CHACHA20-POLY1305',
  AES: (s) => s.aead !== 'CHACHA20-POLY1305',
  AES128: (s) => s.aead === 'AES-128-GCM',
  AES256: (s) => s.aead === 'AES-256-GCM',
  CHACHA20: (s) => s.aead === 'CHACHA20-POLY1305',
  ECDSA: (s) => s.auth === 'ECDSA',
  aECDSA: (s) => s.auth === 'ECDSA',
  RSA: (s) => s.auth === 'RSA',
  aRSA: (s) => s.auth === 'RSA',
  SHA256: (s) => s.hash === 'sha256',
  SHA384: (s) => s.hash === 'sha384',
  TLSv1_2: () => true,
  'TLSv1.2': () => true,
};

function matcher(token: string): (s: CipherSuite) => boolean {
  const kw = KEYWORDS[token];
  if (kw) return kw;
  // IANA names, OpenSSL names, case-insensitively; "A+B" means both.
  if (token.includes('+')) {
    const parts = token.split('+').map(matcher);
    return (s) => parts.every((p) => p(s));
  }
  const up = token.toUpperCase();
  return (s) => s.name === up || s.opensslName === up;
}

/**
 * Parse a cipher list as node:tls's `ciphers` option does (OpenSSL syntax: items separated by
 * ':' ',' or spaces; `!X` removes X for good, `-X` removes it, `+X` moves it to the end) and
 * also accept IANA names. Names of suites we do not implement (e.g. TLS 1.3 suites in node's
 * default list) are ignored. Throws ERR_SSL_NO_CIPHER_MATCH when nothing we speak is left,
 * as node:tls does.
 */
export function parseCipherList(list: string | undefined): CipherSuite[] {
  if (list === undefined || list.trim() === '') return [...CIPHER_SUITES];
  let chosen: CipherSuite[] = [];
  const banned = new Set<CipherSuite>();
  for (const raw of list.split(/[:, ]+/)) {
    if (!raw) continue;
    if (raw.startsWith('@')) continue; // @STRENGTH, @SECLEVEL=n: ordering/security hints
    const op = raw[0] === '!' || raw[0] === '-' || raw[0] === '+' ? raw[0] : '';
    const test = matcher(op ? raw.slice(1) : raw);
    const matched = CIPHER_SUITES.filter(test);
    if (op === '!') {
      for (const s of matched) banned.add(s);
      chosen = chosen.filter((s) => !banned.has(s));
    } else if (op === '-') {
      chosen = chosen.filter((s) => !matched.includes(s));
    } else if (op === '+') {
      const moved = chosen.filter((s) => matched.includes(s));
      chosen = chosen.filter((s) => !matched.includes(s)).concat(moved);
    } else {
      for (const s of matched) if (!banned.has(s) && !chosen.includes(s)) chosen.push(s);
    }
  }
  if (chosen.length === 0) {
    throw new TlsError('ERR_SSL_NO_CIPHER_MATCH', `No cipher match for "${list}"`);
  }
  return chosen;
}
