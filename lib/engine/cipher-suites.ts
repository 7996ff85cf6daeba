// The cipher suites this stack speaks, one row per suite (Go's cipher_suites.go is the model).
// TLS 1.2 only: ECDHE with a certificate (RFC 5289, RFC 7905, RFC 7251 AES-CCM, RFC 8422 for the
// CBC ones), pre-shared keys (RFC 4279 key exchange; RFC 5487 AES-GCM/CBC, RFC 6655 AES-CCM,
// RFC 7905) and ECDHE_PSK (RFC 5489, RFC 7905); for legacy peers, finite-field DHE, static RSA
// and DHE_PSK (RFC 5246 §7.4.3 / §7.4.7.1, RFC 4279 §3, RFC 5288, RFC 7905). Record protection is an AEAD (RFC 5246 §6.2.3.3)
// or AES-CBC with HMAC (§6.2.3.2; RFC 7366 encrypt-then-MAC when negotiated).
import type { AeadAlgorithm, CbcAlgorithm, HashAlgorithm } from '../crypto/provider.js';
import { TlsError } from '../errors.js';
import { expandCipherString } from './cipher-string.js';

export type KeyExchangeKind = 'ECDHE' | 'PSK' | 'ECDHE_PSK' | 'DHE' | 'RSA' | 'DHE_PSK';
/** The HMAC hash of a CBC suite's record MAC (RFC 5246 §6.2.3.1). */
export type MacAlgorithm = 'sha1' | 'sha256' | 'sha384';

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
  /** The record AEAD; undefined for a CBC suite. */
  readonly aead: AeadAlgorithm | undefined;
  /** CBC suites: the block cipher and the HMAC hash; undefined for an AEAD suite. */
  readonly cbc: CbcAlgorithm | undefined;
  readonly mac: MacAlgorithm | undefined;
  /** MAC key and MAC length (RFC 5246 §6.2.3.1, mac_key_length = mac_length); 0 for AEADs. */
  readonly macLength: number;
  readonly keyLength: number;
  /** Implicit IV bytes from the key block: 4 (GCM/CCM salt, RFC 5288 §3, RFC 6655 §3), 12
   *  (RFC 7905 §2), 0 for CBC (TLS 1.2 has no implicit IV, RFC 5246 §6.3). */
  readonly fixedIvLength: number;
  /** Explicit nonce bytes carried in each record: 8 for GCM and CCM, 0 for ChaCha20, the
   *  16-byte IV for CBC (RFC 5246 §6.2.3.2). */
  readonly explicitNonceLength: number;
  /** PRF hash (RFC 5246 §5; RFC 5289 §3 / RFC 5487 for the SHA-384 suites). */
  readonly hash: HashAlgorithm;
  /** The oldest protocol OpenSSL lists the suite for (its TLSv1.2 / TLSv1 / SSLv3 keywords
   *  select by it, and its default order prefers TLSv1.2 ones). */
  readonly minProtocol: 'TLSv1.2' | 'TLSv1' | 'SSLv3';
  /** Symmetric key bits (OpenSSL's strength_bits, for @STRENGTH and @SECLEVEL). */
  readonly strengthBits: number;
}

function isPskKx(kx: string): boolean {
  return kx.endsWith('PSK');
}

/** An AEAD suite (AES-GCM, AES-CCM, AES-CCM_8, ChaCha20-Poly1305). */
function row(
  id: number,
  name: string,
  opensslName: string,
  auth: CipherSuite['auth'],
  aead: AeadAlgorithm,
  kx: KeyExchangeKind = 'ECDHE',
): CipherSuite {
  const chacha = aead === 'CHACHA20-POLY1305';
  const bits = aead.startsWith('AES-128') ? 128 : 256;
  return {
    id,
    name,
    opensslName,
    auth,
    kx,
    aead,
    cbc: undefined,
    mac: undefined,
    macLength: 0,
    keyLength: bits / 8,
    fixedIvLength: chacha ? 12 : 4,
    explicitNonceLength: chacha ? 0 : 8,
    // RFC 5288 §3 / RFC 5487: SHA-384 PRF for AES-256-GCM; RFC 6655 §3, RFC 7251: SHA-256 for CCM.
    hash: aead === 'AES-256-GCM' ? 'sha384' : 'sha256',
    minProtocol: 'TLSv1.2',
    strengthBits: bits,
  };
}

const MAC_LENGTH: Record<MacAlgorithm, number> = { sha1: 20, sha256: 32, sha384: 48 };

/** An AES-CBC suite with HMAC-`mac` (RFC 5246 §6.2.3.2). */
function cbcRow(
  id: number,
  name: string,
  opensslName: string,
  auth: CipherSuite['auth'],
  cipher: CbcAlgorithm,
  mac: MacAlgorithm,
  kx: KeyExchangeKind = 'ECDHE',
): CipherSuite {
  const bits = cipher === 'AES-128-CBC' ? 128 : 256;
  // As OpenSSL 3.0 lists them: the SHA-256/384 suites are TLS 1.2 suites except the PSK ones
  // (RFC 5487 defines those for TLS 1.0 too); the SHA-1 ones date from TLS 1.0 (ECDHE, RFC 4492)
  // or SSLv3 (the others).
  const minProtocol = mac !== 'sha1' ? (isPskKx(kx) ? 'TLSv1' : 'TLSv1.2') : kx.startsWith('ECDHE') ? 'TLSv1' : 'SSLv3';
  return {
    id,
    name,
    opensslName,
    auth,
    kx,
    aead: undefined,
    cbc: cipher,
    mac,
    macLength: MAC_LENGTH[mac],
    keyLength: bits / 8,
    fixedIvLength: 0,
    explicitNonceLength: 16,
    // RFC 5246 §5: the SHA-256 PRF, unless the suite names SHA-384 (RFC 5289 §3, RFC 5487 §3.2).
    hash: mac === 'sha384' ? 'sha384' : 'sha256',
    minProtocol,
    strengthBits: bits,
  };
}

/** Certificate suites, ECDHE key exchange. */
const CERTIFICATE_SUITES: readonly CipherSuite[] = [
  // RFC 5289 §3.2 (AES-GCM), RFC 7905 §2 (ChaCha20-Poly1305).
  row(0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDSA', 'AES-128-GCM'),
  row(0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'RSA', 'AES-128-GCM'),
  row(0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDSA', 'AES-256-GCM'),
  row(0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'RSA', 'AES-256-GCM'),
  row(0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDSA', 'CHACHA20-POLY1305'),
  row(0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305', 'RSA', 'CHACHA20-POLY1305'),
  // RFC 7251 §2 (AES-CCM and AES-CCM_8 with ECDHE_ECDSA).
  row(0xc0ac, 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM', 'ECDHE-ECDSA-AES128-CCM', 'ECDSA', 'AES-128-CCM'),
  row(0xc0ad, 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM', 'ECDHE-ECDSA-AES256-CCM', 'ECDSA', 'AES-256-CCM'),
  row(0xc0ae, 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8', 'ECDHE-ECDSA-AES128-CCM8', 'ECDSA', 'AES-128-CCM-8'),
  row(0xc0af, 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8', 'ECDHE-ECDSA-AES256-CCM8', 'ECDSA', 'AES-256-CCM-8'),
  // RFC 8422 §6 (SHA-1 MAC), RFC 5289 §3.1 (SHA-256/384 MAC).
  cbcRow(0xc009, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'ECDHE-ECDSA-AES128-SHA', 'ECDSA', 'AES-128-CBC', 'sha1'),
  cbcRow(0xc00a, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'ECDHE-ECDSA-AES256-SHA', 'ECDSA', 'AES-256-CBC', 'sha1'),
  cbcRow(0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA', 'RSA', 'AES-128-CBC', 'sha1'),
  cbcRow(0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'ECDHE-RSA-AES256-SHA', 'RSA', 'AES-256-CBC', 'sha1'),
  cbcRow(0xc023, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 'ECDHE-ECDSA-AES128-SHA256', 'ECDSA', 'AES-128-CBC', 'sha256'),
  cbcRow(0xc024, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'ECDHE-ECDSA-AES256-SHA384', 'ECDSA', 'AES-256-CBC', 'sha384'),
  cbcRow(0xc027, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 'ECDHE-RSA-AES128-SHA256', 'RSA', 'AES-128-CBC', 'sha256'),
  cbcRow(0xc028, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 'ECDHE-RSA-AES256-SHA384', 'RSA', 'AES-256-CBC', 'sha384'),
];

/**
 * Pre-shared-key suites. Used only when the `ciphers` option names them (PSK, aPSK, kPSK,
 * kECDHEPSK, a suite name, or a keyword such as HIGH that OpenSSL also expands to them) AND a
 * PSK callback is configured for the role, as with OpenSSL, which skips PSK suites without a
 * callback. RFC 8442's ECDHE_PSK AES-GCM suites (0xD001/0xD002) are left out: neither OpenSSL
 * 3.0 nor GnuTLS 3.7 speaks them.
 */
export const PSK_CIPHER_SUITES: readonly CipherSuite[] = [
  // RFC 7905 §2 (ChaCha20-Poly1305 with ECDHE_PSK, RFC 5489 §2 key exchange).
  row(0xccac, 'TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-PSK-CHACHA20-POLY1305', 'PSK', 'CHACHA20-POLY1305', 'ECDHE_PSK'),
  // RFC 5487 §3.1 (AES-GCM with the RFC 4279 §2 PSK key exchange), RFC 7905 §2.
  row(0x00a8, 'TLS_PSK_WITH_AES_128_GCM_SHA256', 'PSK-AES128-GCM-SHA256', 'PSK', 'AES-128-GCM', 'PSK'),
  row(0x00a9, 'TLS_PSK_WITH_AES_256_GCM_SHA384', 'PSK-AES256-GCM-SHA384', 'PSK', 'AES-256-GCM', 'PSK'),
  row(0xccab, 'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256', 'PSK-CHACHA20-POLY1305', 'PSK', 'CHACHA20-POLY1305', 'PSK'),
  // RFC 6655 §3 (AES-CCM, AES-CCM_8 with PSK).
  row(0xc0a4, 'TLS_PSK_WITH_AES_128_CCM', 'PSK-AES128-CCM', 'PSK', 'AES-128-CCM', 'PSK'),
  row(0xc0a5, 'TLS_PSK_WITH_AES_256_CCM', 'PSK-AES256-CCM', 'PSK', 'AES-256-CCM', 'PSK'),
  row(0xc0a8, 'TLS_PSK_WITH_AES_128_CCM_8', 'PSK-AES128-CCM8', 'PSK', 'AES-128-CCM-8', 'PSK'),
  row(0xc0a9, 'TLS_PSK_WITH_AES_256_CCM_8', 'PSK-AES256-CCM8', 'PSK', 'AES-256-CCM-8', 'PSK'),
  // RFC 4279 §2 / RFC 5246 (SHA-1 MAC), RFC 5487 §3.2 (SHA-256/384 MAC).
  cbcRow(0x008c, 'TLS_PSK_WITH_AES_128_CBC_SHA', 'PSK-AES128-CBC-SHA', 'PSK', 'AES-128-CBC', 'sha1', 'PSK'),
  cbcRow(0x008d, 'TLS_PSK_WITH_AES_256_CBC_SHA', 'PSK-AES256-CBC-SHA', 'PSK', 'AES-256-CBC', 'sha1', 'PSK'),
  cbcRow(0x00ae, 'TLS_PSK_WITH_AES_128_CBC_SHA256', 'PSK-AES128-CBC-SHA256', 'PSK', 'AES-128-CBC', 'sha256', 'PSK'),
  cbcRow(0x00af, 'TLS_PSK_WITH_AES_256_CBC_SHA384', 'PSK-AES256-CBC-SHA384', 'PSK', 'AES-256-CBC', 'sha384', 'PSK'),
  // RFC 5489 §3 (ECDHE_PSK with AES-CBC).
  cbcRow(0xc035, 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA', 'ECDHE-PSK-AES128-CBC-SHA', 'PSK', 'AES-128-CBC', 'sha1', 'ECDHE_PSK'),
  cbcRow(0xc036, 'TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA', 'ECDHE-PSK-AES256-CBC-SHA', 'PSK', 'AES-256-CBC', 'sha1', 'ECDHE_PSK'),
  cbcRow(0xc037, 'TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256', 'ECDHE-PSK-AES128-CBC-SHA256', 'PSK', 'AES-128-CBC', 'sha256', 'ECDHE_PSK'),
  cbcRow(0xc038, 'TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384', 'ECDHE-PSK-AES256-CBC-SHA384', 'PSK', 'AES-256-CBC', 'sha384', 'ECDHE_PSK'),
];

/**
 * Finite-field DHE and static RSA key exchanges (RFC 5246 §7.4.3, §7.4.7.1; RFC 5288 AES-GCM,
 * RFC 7905 ChaCha20-Poly1305, RFC 5246 / RFC 5487 AES-CBC, RFC 6655 AES-CCM; RFC 4279 §3
 * DHE_PSK). The DHE-RSA ones are in the default list, as in node's (a server picks them only
 * with `dhparam`, as node:tls); static RSA is not (no forward secrecy: used only when `ciphers`
 * names it, on either side); DHE_PSK ones need a PSK callback, as the other PSK suites.
 */
export const DHE_AND_RSA_CIPHER_SUITES: readonly CipherSuite[] = [
  row(0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'DHE-RSA-AES128-GCM-SHA256', 'RSA', 'AES-128-GCM', 'DHE'),
  row(0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'DHE-RSA-AES256-GCM-SHA384', 'RSA', 'AES-256-GCM', 'DHE'),
  row(0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'DHE-RSA-CHACHA20-POLY1305', 'RSA', 'CHACHA20-POLY1305', 'DHE'),
  row(0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256', 'RSA', 'AES-128-GCM', 'RSA'),
  row(0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384', 'AES256-GCM-SHA384', 'RSA', 'AES-256-GCM', 'RSA'),
  cbcRow(0x0033, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA', 'DHE-RSA-AES128-SHA', 'RSA', 'AES-128-CBC', 'sha1', 'DHE'),
  cbcRow(0x0039, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA', 'DHE-RSA-AES256-SHA', 'RSA', 'AES-256-CBC', 'sha1', 'DHE'),
  cbcRow(0x0067, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256', 'DHE-RSA-AES128-SHA256', 'RSA', 'AES-128-CBC', 'sha256', 'DHE'),
  cbcRow(0x006b, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256', 'DHE-RSA-AES256-SHA256', 'RSA', 'AES-256-CBC', 'sha256', 'DHE'),
  cbcRow(0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA', 'AES128-SHA', 'RSA', 'AES-128-CBC', 'sha1', 'RSA'),
  cbcRow(0x0035, 'TLS_RSA_WITH_AES_256_CBC_SHA', 'AES256-SHA', 'RSA', 'AES-256-CBC', 'sha1', 'RSA'),
  cbcRow(0x003c, 'TLS_RSA_WITH_AES_128_CBC_SHA256', 'AES128-SHA256', 'RSA', 'AES-128-CBC', 'sha256', 'RSA'),
  cbcRow(0x003d, 'TLS_RSA_WITH_AES_256_CBC_SHA256', 'AES256-SHA256', 'RSA', 'AES-256-CBC', 'sha256', 'RSA'),
  row(0x00aa, 'TLS_DHE_PSK_WITH_AES_128_GCM_SHA256', 'DHE-PSK-AES128-GCM-SHA256', 'PSK', 'AES-128-GCM', 'DHE_PSK'),
  row(0x00ab, 'TLS_DHE_PSK_WITH_AES_256_GCM_SHA384', 'DHE-PSK-AES256-GCM-SHA384', 'PSK', 'AES-256-GCM', 'DHE_PSK'),
  row(0xccad, 'TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256', 'DHE-PSK-CHACHA20-POLY1305', 'PSK', 'CHACHA20-POLY1305', 'DHE_PSK'),
  row(0xc0a6, 'TLS_DHE_PSK_WITH_AES_128_CCM', 'DHE-PSK-AES128-CCM', 'PSK', 'AES-128-CCM', 'DHE_PSK'),
  row(0xc0a7, 'TLS_DHE_PSK_WITH_AES_256_CCM', 'DHE-PSK-AES256-CCM', 'PSK', 'AES-256-CCM', 'DHE_PSK'),
  cbcRow(0x0090, 'TLS_DHE_PSK_WITH_AES_128_CBC_SHA', 'DHE-PSK-AES128-CBC-SHA', 'PSK', 'AES-128-CBC', 'sha1', 'DHE_PSK'),
  cbcRow(0x0091, 'TLS_DHE_PSK_WITH_AES_256_CBC_SHA', 'DHE-PSK-AES256-CBC-SHA', 'PSK', 'AES-256-CBC', 'sha1', 'DHE_PSK'),
  cbcRow(0x00b2, 'TLS_DHE_PSK_WITH_AES_128_CBC_SHA256', 'DHE-PSK-AES128-CBC-SHA256', 'PSK', 'AES-128-CBC', 'sha256', 'DHE_PSK'),
  cbcRow(0x00b3, 'TLS_DHE_PSK_WITH_AES_256_CBC_SHA384', 'DHE-PSK-AES256-CBC-SHA384', 'PSK', 'AES-256-CBC', 'sha384', 'DHE_PSK'),
];

/** Every suite we implement, certificate suites first (what cipher strings select from). */
export const ALL_CIPHER_SUITES: readonly CipherSuite[] = [...CERTIFICATE_SUITES, ...PSK_CIPHER_SUITES, ...DHE_AND_RSA_CIPHER_SUITES];

/** node:tls's default `ciphers` string (tls.DEFAULT_CIPHERS in Node 20; spec/cipher-string
 *  compares it with the running node). */
export const NODE_DEFAULT_CIPHER_STRING =
  'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256:' +
  'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:' +
  'ECDHE-RSA-AES128-SHA256:DHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:DHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA256:' +
  'DHE-RSA-AES256-SHA256:HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA';

/** Whether the suite protects records with an AEAD (else AES-CBC with HMAC). */
export function isAeadSuite(s: CipherSuite): boolean {
  return s.aead !== undefined;
}

/**
 * The default suites, in our default preference order (the server chooses by this order, RFC
 * 5246 §7.4.1.3): node:tls's default string expanded as OpenSSL expands it, restricted to what
 * we implement, without static RSA key exchange (no forward secrecy; it is used only when named),
 * with the AEAD suites moved (in that order) ahead of the CBC ones. What
 * `parseCipherList(undefined)` returns.
 */
export const CIPHER_SUITES: readonly CipherSuite[] = (() => {
  const expanded = expandCipherString(NODE_DEFAULT_CIPHER_STRING, ALL_CIPHER_SUITES).filter((s) => s.kx !== 'RSA');
  return [...expanded.filter(isAeadSuite), ...expanded.filter((s) => !isAeadSuite(s))];
})();

const byId = new Map(ALL_CIPHER_SUITES.map((s) => [s.id, s]));

export function cipherSuiteById(id: number): CipherSuite | undefined {
  return byId.get(id);
}

/** Whether the suite's key exchange uses a pre-shared key (RFC 4279, RFC 5489). */
export function isPskSuite(s: CipherSuite): boolean {
  return isPskKx(s.kx);
}

/** Cipher strings already expanded: a client makes its context on every connect(), with the
 *  same `ciphers` each time. */
const expandedLists = new Map<string, readonly CipherSuite[]>();
const MAX_EXPANDED_LISTS = 64;

/**
 * Parse a cipher list as node:tls's `ciphers` option does: OpenSSL's syntax and semantics
 * (cipher-string.ts) over the suites we implement, and IANA names besides. Names of suites we
 * do not implement (e.g. TLS 1.3 suites in node's default list) are ignored. Throws
 * ERR_SSL_NO_CIPHER_MATCH when nothing we speak is left, as node:tls does.
 */
export function parseCipherList(list: string | undefined): CipherSuite[] {
  if (list === undefined || list.trim() === '') return [...CIPHER_SUITES];
  let chosen = expandedLists.get(list);
  if (chosen === undefined) {
    chosen = expandCipherString(list, ALL_CIPHER_SUITES);
    if (chosen.length === 0) {
      throw new TlsError('ERR_SSL_NO_CIPHER_MATCH', `No cipher match for "${list}"`);
    }
    if (expandedLists.size >= MAX_EXPANDED_LISTS) expandedLists.delete(expandedLists.keys().next().value as string);
    expandedLists.set(list, chosen);
  }
  return [...chosen];
}
