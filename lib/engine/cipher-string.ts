// OpenSSL cipher strings (the syntax and semantics of SSL_CTX_set_cipher_list in OpenSSL 3.0,
// which node:tls's `ciphers` option hands to OpenSSL), over the suites we implement.
//
// OpenSSL keeps every cipher in one ordered list, each active or not. It starts from its own
// preference order (the order `openssl ciphers ALL` prints), all inactive, and applies each item:
//   NAME     adds the matching inactive suites at the end, in list order;
//   +NAME    moves the matching active suites to the end;
//   -NAME    deactivates the matching suites and moves them to the front (a later NAME adds
//            them back in their old order);
//   !NAME    removes them for good;
//   A+B      matches what both A and B match; @STRENGTH sorts the active suites by key bits
//            (stably); @SECLEVEL=n filters what is used by OpenSSL's security level n.
// Items are separated by ':', ',', ';' or spaces; "DEFAULT" only means something at the start.
// Every operation is a stable move of the suites a predicate selects, so the order restricted
// to our suites is the order OpenSSL gives (spec/cipher-string.spec.ts compares the two).
import type { CipherSuite } from './cipher-suites.js';

/**
 * OpenSSL 3.0's preference order (`openssl ciphers -V 'ALL:COMPLEMENTOFALL'`) of the TLS 1.2
 * suites with the key exchanges this stack has or may have (ECDHE, DHE, RSA, PSK, ECDHE_PSK,
 * DHE_PSK) and AES or ChaCha20: (EC)DHE with an AEAD, (EC)DHE, other AEADs, the rest; then
 * TLS 1.2 suites, key bits, kRSA and kPSK last, GCM > ChaCha20 > other AES, ECDSA > others.
 */
const OPENSSL_ORDER: readonly number[] = [
  0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc0af, 0xc0ad, 0xc0a3, 0xc09f, 0xc02b, 0xc02f,
  0x009e, 0xc0ae, 0xc0ac, 0xc0a2, 0xc09e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a,
  0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x00ab, 0xccad, 0xccac, 0xc0ab, 0xc0a7, 0x009d, 0xc0a1,
  0xc09d, 0x00a9, 0xccab, 0xc0a9, 0xc0a5, 0x00aa, 0xc0aa, 0xc0a6, 0x009c, 0xc0a0, 0xc09c, 0x00a8,
  0xc0a8, 0xc0a4, 0x003d, 0x003c, 0xc038, 0xc036, 0x00b3, 0x0091, 0x0035, 0x00af, 0x008d, 0xc037,
  0xc035, 0x00b2, 0x0090, 0x002f, 0x00ae, 0x008c,
];

type Predicate = (s: CipherSuite) => boolean;

const isCcm = (s: CipherSuite): boolean => s.aead?.includes('CCM') ?? false;
const isGcm = (s: CipherSuite): boolean => s.aead?.includes('GCM') ?? false;
const isAes = (s: CipherSuite): boolean => s.aead !== 'CHACHA20-POLY1305';
const kx = (...kinds: string[]): Predicate => (s) => kinds.includes(s.kx);

/** OpenSSL 3.0's cipher_aliases, restricted to the properties our suites can have (aliases of
 *  things we never implement, such as aNULL, RC4 or CAMELLIA, match nothing). */
const ALIASES: Record<string, Predicate> = {
  ALL: () => true,
  COMPLEMENTOFALL: () => false,
  // Measured: OpenSSL 3.0 flags the CCM suites SSL_NOT_DEFAULT.
  COMPLEMENTOFDEFAULT: isCcm,
  HIGH: () => true,
  FIPS: (s) => isGcm(s) || s.cbc !== undefined,
  // Key exchange. "RSA" is kRSA in OpenSSL (not the RSA signature).
  kRSA: kx('RSA'),
  RSA: kx('RSA'),
  kDHE: kx('DHE'),
  kEDH: kx('DHE'),
  DH: kx('DHE'),
  DHE: kx('DHE'),
  EDH: kx('DHE'),
  kECDHE: kx('ECDHE'),
  kEECDH: kx('ECDHE'),
  ECDH: kx('ECDHE'),
  ECDHE: kx('ECDHE'),
  EECDH: kx('ECDHE'),
  kPSK: kx('PSK'),
  kECDHEPSK: kx('ECDHE_PSK'),
  kDHEPSK: kx('DHE_PSK'),
  PSK: (s) => s.kx.endsWith('PSK'),
  // Server authentication.
  aRSA: (s) => s.auth === 'RSA',
  aECDSA: (s) => s.auth === 'ECDSA',
  ECDSA: (s) => s.auth === 'ECDSA',
  aPSK: (s) => s.auth === 'PSK',
  // Symmetric ciphers.
  AES: isAes,
  AES128: (s) => isAes(s) && s.keyLength === 16,
  AES256: (s) => isAes(s) && s.keyLength === 32,
  AESGCM: isGcm,
  AESCCM: isCcm,
  AESCCM8: (s) => s.aead?.endsWith('CCM-8') ?? false,
  CHACHA20: (s) => s.aead === 'CHACHA20-POLY1305',
  CBC: (s) => s.cbc !== undefined,
  // MACs: the HMAC of a CBC suite (an AEAD suite's MAC is "AEAD", whatever its PRF hash).
  SHA1: (s) => s.mac === 'sha1',
  SHA: (s) => s.mac === 'sha1',
  SHA256: (s) => s.mac === 'sha256',
  SHA384: (s) => s.mac === 'sha384',
  // Protocol versions: the oldest one OpenSSL lists the suite for, exactly.
  SSLv3: (s) => s.minProtocol === 'SSLv3',
  TLSv1: (s) => s.minProtocol === 'TLSv1',
  'TLSv1.0': (s) => s.minProtocol === 'TLSv1',
  'TLSv1.2': (s) => s.minProtocol === 'TLSv1.2',
};

/** OpenSSL's DEFAULT (OSSL_default_cipher_list() in 3.0), valid at the start of a string. */
const DEFAULT_RULES = 'ALL:!COMPLEMENTOFDEFAULT:!eNULL';

/** A rule item's selector: "A+B+..." of aliases, OpenSSL names or (our addition) IANA names.
 *  Undefined when a part is unknown: OpenSSL skips such an item. */
function selector(item: string): Predicate | undefined {
  const parts = item.split('+');
  const preds: Predicate[] = [];
  for (const part of parts) {
    if (part === '') return undefined;
    const alias = ALIASES[part];
    if (alias) {
      preds.push(alias);
      continue;
    }
    const up = part.toUpperCase();
    preds.push((s) => s.opensslName === up || s.name === up);
  }
  return (s) => preds.every((p) => p(s));
}

/** OpenSSL 3.0's default security callback for a cipher (ssl_security_default_callback). */
function allowedAtLevel(s: CipherSuite, level: number): boolean {
  const minBits = [0, 80, 112, 128, 192, 256][Math.min(Math.max(level, 0), 5)]!;
  if (s.strengthBits < minBits) return false;
  // SHA-1 HMAC counts as 160 bits.
  if (minBits > 160 && s.mac === 'sha1') return false;
  // Level 3 and up: forward-secret key exchanges only.
  if (level >= 3 && !['ECDHE', 'DHE', 'ECDHE_PSK', 'DHE_PSK'].includes(s.kx)) return false;
  return true;
}

interface Entry {
  suite: CipherSuite;
  active: boolean;
}

/** The suites `str` selects from `table`, in OpenSSL's order (empty when none). */
export function expandCipherString(str: string, table: readonly CipherSuite[]): CipherSuite[] {
  const rank = (s: CipherSuite): number => {
    const i = OPENSSL_ORDER.indexOf(s.id);
    return i < 0 ? OPENSSL_ORDER.length + table.indexOf(s) : i;
  };
  let list: Entry[] = [...table].sort((a, b) => rank(a) - rank(b)).map((suite) => ({ suite, active: false }));
  let level = 1;
  let rules = str.trim();
  if (rules.startsWith('DEFAULT')) rules = `${DEFAULT_RULES}:${rules.slice(7)}`;
  for (const raw of rules.split(/[:, ;]+/)) {
    if (raw === '') continue;
    if (raw === '@STRENGTH') {
      // Stable sort of the active suites by key bits, descending; inactive ones keep their
      // relative order (OpenSSL's ssl_cipher_strength_sort moves active ones to the end).
      const active = list.filter((e) => e.active).sort((a, b) => b.suite.strengthBits - a.suite.strengthBits);
      list = [...list.filter((e) => !e.active), ...active];
      continue;
    }
    const sec = /^@SECLEVEL=(\d)$/.exec(raw);
    if (sec) {
      level = Number(sec[1]);
      continue;
    }
    if (raw.startsWith('@')) continue;
    const op = raw[0] === '!' || raw[0] === '-' || raw[0] === '+' ? raw[0] : '';
    const match = selector(op ? raw.slice(1) : raw);
    if (!match) continue;
    const hit = (e: Entry): boolean => match(e.suite);
    switch (op) {
      case '!':
        list = list.filter((e) => !hit(e));
        break;
      case '-': {
        const gone = list.filter((e) => e.active && hit(e));
        for (const e of gone) e.active = false;
        list = [...gone, ...list.filter((e) => !gone.includes(e))];
        break;
      }
      case '+': {
        const moved = list.filter((e) => e.active && hit(e));
        list = [...list.filter((e) => !moved.includes(e)), ...moved];
        break;
      }
      default: {
        const added = list.filter((e) => !e.active && hit(e));
        for (const e of added) e.active = true;
        list = [...list.filter((e) => !added.includes(e)), ...added];
      }
    }
  }
  return list.filter((e) => e.active && allowedAtLevel(e.suite, level)).map((e) => e.suite);
}
