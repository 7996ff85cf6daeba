// The cipher suites this stack speaks, one row per suite (Go's cipher_suites.go is the model).
// All are AEAD, TLS 1.2 only: ECDHE with a certificate (RFC 5289, RFC 7905), pre-shared keys
// (RFC 4279 key exchange; RFC 5487 / RFC 7905 AEAD suites) and ECDHE_PSK (RFC 5489, RFC 7905);
// for legacy peers, finite-field DHE, static RSA and DHE_PSK (RFC 5288, RFC 7905, RFC 5487).
import type { AeadAlgorithm, HashAlgorithm } from '../crypto/provider.js';
import { TlsError } from '../errors.js';

export type KeyExchangeKind = 'ECDHE' | 'PSK' | 'ECDHE_PSK' | 'DHE' | 'RSA' | 'DHE_PSK';

export interface CipherSuite {
  readonly id: number;
  /** IANA name. */
  readonly name: string;
  /** OpenSSL name (what node:tls's getCipher().name reports). */
  readonly opensslName: string;
  /** How the server authenticates: a certificate of this signature type, or the pre-shared key. */
  readonly auth: 'ECDSA' | 'RSA' | 'PSK';
  /** Key exchange: ECDHE signed by the certificate (RFC 8422), PSK alone (RFC 4279 §2), or
   *  ECDHE authenticated by the PSK (RFC 5489 §2); finite-field DHE signed by the certificate
   *  (RFC 5246 §7.4.3), the premaster encrypted to the certificate's RSA key (RFC 5246
   *  §7.4.7.1), or DHE authenticated by the PSK (RFC 4279 §3). */
  readonly kx: KeyExchangeKind;
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
  auth: CipherSuite['auth'],
  aead: AeadAlgorithm,
  kx: KeyExchangeKind = 'ECDHE',
): CipherSuite {
  const chacha = aead === 'CHACHA20-POLY1305';
  return {
    id,
    name,
    opensslName,
    auth,
    kx,
    aead,
    keyLength: aead === 'AES-128-GCM' ? 16 : 32,
    fixedIvLength: chacha ? 12 : 4,
    explicitNonceLength: chacha ? 0 : 8,
    hash: aead === 'AES-256-GCM' ? 'sha384' : 'sha256',
  };
}

/**
 * The default suites, in our default preference order (server side chooses by this order, RFC
 * 5246 §7.4.1.3): what `parseCipherList(undefined)` returns, as node:tls's default list (which
 * ends in "!PSK").
 */
export const CIPHER_SUITES: readonly CipherSuite[] = [
  row(0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDSA', 'AES-128-GCM'),
  row(0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'RSA', 'AES-128-GCM'),
  row(0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDSA', 'AES-256-GCM'),
  row(0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'RSA', 'AES-256-GCM'),
  row(0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDSA', 'CHACHA20-POLY1305'),
  row(0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305', 'RSA', 'CHACHA20-POLY1305'),
];

/**
 * Pre-shared-key suites (AEAD only: no CBC record protection here). Used only when the
 * `ciphers` option names them (PSK, aPSK, kPSK, kECDHEPSK, a suite name, or a keyword such as
 * HIGH that OpenSSL also expands to them) AND a PSK callback is configured for the role, as with
 * OpenSSL, which skips PSK suites without a callback. RFC 8442's ECDHE_PSK AES-GCM suites
 * (0xD001/0xD002) are left out: neither OpenSSL 3.0 nor GnuTLS 3.7 speaks them.
 */
export const PSK_CIPHER_SUITES: readonly CipherSuite[] = [
  // RFC 7905 §2 (ChaCha20-Poly1305 with ECDHE_PSK, RFC 5489 §2 key exchange).
  row(0xccac, 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-PSK-CHACHA20-POLY1305', 'PSK', 'CHACHA20-POLY1305', 'ECDHE_PSK'),
  // RFC 5487 §3.1 (AES-GCM with the RFC 4279 §2 PSK key exchange), RFC 7905 §2.
  row(0x00a8, 'TLS_PSK_WITH_AES_128_GCM_SHA256', 'PSK-AES128-GCM-SHA256', 'PSK', 'AES-128-GCM', 'PSK'),
  row(0x00a9, 'TLS_PSK_WITH_AES_256_GCM_SHA384', 'PSK-AES256-GCM-SHA384', 'PSK', 'AES-256-GCM', 'PSK'),
  row(0xccab, 'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256', 'PSK-CHACHA20-POLY1305', 'PSK', 'CHACHA20-POLY1305', 'PSK'),
];

/**
 * Finite-field DHE and static RSA key exchanges (RFC 5246 §7.4.3, §7.4.7.1; RFC 5288 AES-GCM,
 * RFC 7905 ChaCha20-Poly1305; RFC 4279 §3 DHE_PSK with RFC 5487 / RFC 7905 AEADs). None is in the
 * default list: a side uses them only when its `ciphers` string names them (a suite name, or a
 * keyword such as kDHE, DHE, kRSA, RSA, kDHEPSK, HIGH, ALL). A server picks DHE suites only with
 * `dhparam` (as node:tls), DHE_PSK ones only with a PSK callback.
 */
export const DHE_AND_RSA_CIPHER_SUITES: readonly CipherSuite[] = [
  row(0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'DHE-RSA-AES128-GCM-SHA256', 'RSA', 'AES-128-GCM', 'DHE'),
  row(0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'DHE-RSA-AES256-GCM-SHA384', 'RSA', 'AES-256-GCM', 'DHE'),
  row(0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'DHE-RSA-CHACHA20-POLY1305', 'RSA', 'CHACHA20-POLY1305', 'DHE'),
  row(0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256', 'RSA', 'AES-128-GCM', 'RSA'),
  row(0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384', 'AES256-GCM-SHA384', 'RSA', 'AES-256-GCM', 'RSA'),
  row(0x00aa, 'TLS_DHE_PSK_WITH_AES_128_GCM_SHA256', 'DHE-PSK-AES128-GCM-SHA256', 'PSK', 'AES-128-GCM', 'DHE_PSK'),
  row(0x00ab, 'TLS_DHE_PSK_WITH_AES_256_GCM_SHA384', 'DHE-PSK-AES256-GCM-SHA384', 'PSK', 'AES-256-GCM', 'DHE_PSK'),
  row(0xccad, 'TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'DHE-PSK-CHACHA20-POLY1305', 'PSK', 'CHACHA20-POLY1305', 'DHE_PSK'),
];

/** Every suite we implement, certificate suites first (what cipher strings select from). */
export const ALL_CIPHER_SUITES: readonly CipherSuite[] = [...CIPHER_SUITES, ...PSK_CIPHER_SUITES, ...DHE_AND_RSA_CIPHER_SUITES];

const byId = new Map(ALL_CIPHER_SUITES.map((s) => [s.id, s]));

export function cipherSuiteById(id: number): CipherSuite | undefined {
  return byId.get(id);
}

/** Whether the suite's key exchange uses a pre-shared key (RFC 4279, RFC 5489). */
export function isPskSuite(s: CipherSuite): boolean {
  return s.kx === 'PSK' || s.kx === 'ECDHE_PSK' || s.kx === 'DHE_PSK';
}

/**
 * Cipher-string keywords (OpenSSL's, restricted to what we implement) → predicate. As in OpenSSL
 * 3.0 (measured with `openssl ciphers`): ALL, DEFAULT, HIGH, TLSv1.2 and the cipher keywords
 * (AESGCM, CHACHA20, ...) include the PSK suites; ECDHE/kECDHE/EECDH do not include ECDHE_PSK
 * (its own kECDHEPSK bit); "ECDHEPSK" is no OpenSSL keyword (it matches nothing there either).
 */
const KEYWORDS: Record<string, (s: CipherSuite) => boolean> = {
  ALL: () => true,
  DEFAULT: () => true,
  HIGH: () => true,
  ECDHE: (s) => s.kx === 'ECDHE',
  EECDH: (s) => s.kx === 'ECDHE',
  kECDHE: (s) => s.kx === 'ECDHE',
  kEECDH: (s) => s.kx === 'ECDHE',
  PSK: isPskSuite,
  aPSK: (s) => s.auth === 'PSK',
  kPSK: (s) => s.kx === 'PSK',
  kECDHEPSK: (s) => s.kx === 'ECDHE_PSK',
  // As OpenSSL 3.0 (measured): DHE/EDH/kDHE/kEDH/DH are the DHE-RSA suites (not DHE_PSK, its own
  // kDHEPSK bit); RSA and kRSA are the static RSA key exchange (aRSA: RSA authentication, any
  // key exchange).
  DHE: (s) => s.kx === 'DHE',
  EDH: (s) => s.kx === 'DHE',
  DH: (s) => s.kx === 'DHE',
  kDHE: (s) => s.kx === 'DHE',
  kEDH: (s) => s.kx === 'DHE',
  kRSA: (s) => s.kx === 'RSA',
  kDHEPSK: (s) => s.kx === 'DHE_PSK',
  AESGCM: (s) => s.aead !== 'CHACHA20-POLY1305',
  AES: (s) => s.aead !== 'CHACHA20-POLY1305',
  AES128: (s) => s.aead === 'AES-128-GCM',
  AES256: (s) => s.aead === 'AES-256-GCM',
  CHACHA20: (s) => s.aead === 'CHACHA20-POLY1305',
  ECDSA: (s) => s.auth === 'ECDSA',
  aECDSA: (s) => s.auth === 'ECDSA',
  RSA: (s) => s.kx === 'RSA',
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
    const matched = ALL_CIPHER_SUITES.filter(test);
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
