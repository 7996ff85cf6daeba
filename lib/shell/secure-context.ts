// node:tls-style options → the Engine's configuration (what node calls a SecureContext).
import { resolveCryptoProvider, type CryptoProviderName } from '../crypto/provider-choice.js';
import { certificatesFrom, pemBlocks, type CertificateInput } from '../crypto/pem.js';
import { pairIdentities, type KeyInput } from '../crypto/identity.js';
import { pfxToKeyAndCert } from '../crypto/pkcs12.js';
import { parseCrls } from '../crypto/crl.js';
import { defaultRootCertificates } from '../crypto/default-roots.js';
import { chainFromStore } from '../crypto/trust-store.js';
import type { CryptoProvider, RandomSource } from '../crypto/provider.js';
import { systemRandom } from '../crypto/system-random.js';
import { resolveDhParam, type DhParamSetting } from '../crypto/dh-parameters.js';
import { verifyCertificateChain } from '../crypto/certificate-verifier.js';
import { checkServerIdentity as defaultCheckServerIdentity } from '../crypto/server-identity.js';
import { toPeerCertificate, type PeerCertificateTrust } from '../crypto/peer-certificate.js';
import { TlsError, ErrorCode, invalidArgType } from '../errors.js';
import { parseCipherList, type CipherSuite } from '../engine/cipher-suites.js';
import type { CertificateVerifier, LocalIdentity } from '../engine/config.js';
import { NamedGroup, SignatureScheme } from '../engine/constants.js';
import type { RenegotiationSendPolicy } from '../engine/engine.js';
import { DEFAULT_GROUPS, DEFAULT_SIGNATURE_SCHEMES } from '../engine/defaults.js';

/** The options shared by connect() and createServer() (node:tls names where node has them). */
export interface SecureContextOptions {
  ca?: CertificateInput;
  cert?: CertificateInput;
  key?: string | Uint8Array | readonly (string | Uint8Array | KeyInput)[];
  passphrase?: string;
  /** PKCS#12 (node:tls pfx): DER Buffers (or binary strings), or `{ buf, passphrase }` objects;
   *  each gives a key, its certificate chain, and CA certificates that are also trusted. */
  pfx?: PfxInput | readonly PfxInput[];
  /** Certificate revocation lists (PEM "X509 CRL"), as node:tls: once given, every certificate
   *  of a verified path needs a CRL from its issuer (docs/compat.md, Revocation). */
  crl?: string | Uint8Array | readonly (string | Uint8Array)[];
  ciphers?: string;
  /** 'auto' or a ':'-separated list: X25519, P-256 (prime256v1), P-384 (secp384r1). */
  ecdhCurve?: string;
  /** ':'-separated: IANA scheme names or OpenSSL forms (ECDSA+SHA256, RSA-PSS+SHA256, ...). */
  sigalgs?: string;
  minVersion?: string;
  maxVersion?: string;
  ALPNProtocols?: readonly string[] | Uint8Array;
  rejectUnauthorized?: boolean;
  /** node:tls enableTrace: trace the handshake on stderr (SecureDuplex.enableTrace()). */
  enableTrace?: boolean;
  /** Renegotiation policy (docs/renegotiation.md). */
  allowRenegotiation?: boolean;
  renegotiationLimit?: number;
  renegotiationWindow?: number;
  allowPeerIdentityChange?: boolean;
  renegotiationSendPolicy?: RenegotiationSendPolicy;
  /** Crypto provider: 'noble' (default, pure JavaScript), 'node' (node:crypto, for speed) or a
   *  CryptoProvider object. */
  cryptoProvider?: CryptoProvider | CryptoProviderName;
  /** Randomness (default: the OS CSPRNG). Tests inject a seeded one. */
  random?: RandomSource;
  /** node:tls secureOptions (OpenSSL SSL_OP_* bits): only SSL_OP_NO_TICKET (0x4000) has an
   *  effect (no RFC 5077 tickets: a client neither asks for nor offers them, a server issues
   *  none and resumes by session ID only); the other bits are ignored. */
  secureOptions?: number;
  /** Server: Diffie-Hellman parameters for the DHE suites, as node:tls: PEM "DH PARAMETERS"
   *  (string or Buffer) or 'auto'. Without it (or with text that holds no parameters) the server
   *  chooses no DHE suite; a prime under 1024 bits is refused, one under 2048 bits warns. */
  dhparam?: string | Uint8Array;
}

export interface ResolvedContext {
  provider: CryptoProvider;
  random: RandomSource;
  cipherSuites: CipherSuite[];
  groups: number[];
  signatureSchemes: number[];
  identities: LocalIdentity[];
  ca: Uint8Array[] | undefined;
  /** The `crl` entries, checked when the context was made; undefined: no revocation check. */
  crl: readonly (string | Uint8Array)[] | undefined;
  alpnProtocols: string[] | undefined;
  /** The dhparam option, read (undefined: no DHE on a server). */
  dhParam: DhParamSetting | undefined;
}

const GROUP_NAMES: Record<string, number> = {
  x25519: NamedGroup.x25519,
  'p-256': NamedGroup.secp256r1,
  prime256v1: NamedGroup.secp256r1,
  secp256r1: NamedGroup.secp256r1,
  'p-384': NamedGroup.secp384r1,
  secp384r1: NamedGroup.secp384r1,
};

/** OpenSSL's names of the signature schemes ("<sign>+<hash>"), as node:tls's getSharedSigalgs()
 *  reports them and the `sigalgs` option takes them. */
export const SIGALG_NAMES: Readonly<Record<number, string>> = {
  [SignatureScheme.ecdsa_secp256r1_sha256]: 'ECDSA+SHA256',
  [SignatureScheme.ecdsa_secp384r1_sha384]: 'ECDSA+SHA384',
  [SignatureScheme.ecdsa_secp521r1_sha512]: 'ECDSA+SHA512',
  [SignatureScheme.ecdsa_sha224]: 'ECDSA+SHA224',
  [SignatureScheme.ed25519]: 'Ed25519+UNDEF',
  [SignatureScheme.rsa_pss_rsae_sha256]: 'RSA-PSS+SHA256',
  [SignatureScheme.rsa_pss_rsae_sha384]: 'RSA-PSS+SHA384',
  [SignatureScheme.rsa_pss_rsae_sha512]: 'RSA-PSS+SHA512',
  [SignatureScheme.rsa_pkcs1_sha256]: 'RSA+SHA256',
  [SignatureScheme.rsa_pkcs1_sha384]: 'RSA+SHA384',
  [SignatureScheme.rsa_pkcs1_sha512]: 'RSA+SHA512',
};

/** The IANA names `sigalgs` takes, as OpenSSL: every scheme of ours but {sha224, ecdsa}, which
 *  has no IANA name OpenSSL knows (it is written ECDSA+SHA224). */
const IANA_SIGALG_NAMES: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(SignatureScheme).filter(([, code]) => code !== SignatureScheme.ecdsa_sha224),
);

/** `sigalgs` names, upper case: SIGALG_NAMES read backwards, and OpenSSL's "ed25519". */
const OPENSSL_SIGALGS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(Object.entries(SIGALG_NAMES).map(([code, name]) => [name.toUpperCase(), Number(code)])),
  ED25519: SignatureScheme.ed25519,
};

function invalid(name: string, value: unknown, why: string): TlsError {
  return new TlsError(ErrorCode.INVALID_ARG, `The property 'options.${name}' ${why}. Received ${JSON.stringify(value)}`);
}

export function parseGroups(spec: string | undefined): number[] {
  if (spec === undefined || spec === 'auto') return [...DEFAULT_GROUPS];
  const out: number[] = [];
  for (const name of spec.split(':')) {
    const g = GROUP_NAMES[name.toLowerCase()];
    if (g === undefined) throw invalid('ecdhCurve', spec, `names an unsupported curve "${name}"`);
    if (!out.includes(g)) out.push(g);
  }
  return out;
}

export function parseSigalgs(spec: string | undefined): number[] {
  if (spec === undefined) return [...DEFAULT_SIGNATURE_SCHEMES];
  const out: number[] = [];
  for (const name of spec.split(':')) {
    const s = (name in IANA_SIGALG_NAMES ? IANA_SIGALG_NAMES[name] : undefined) ?? OPENSSL_SIGALGS[name.toUpperCase()];
    if (s === undefined) throw invalid('sigalgs', spec, `names an unsupported signature algorithm "${name}"`);
    // OpenSSL refuses a list that names one scheme twice (node:tls throws).
    if (out.includes(s)) throw invalid('sigalgs', spec, `names "${name}" twice`);
    out.push(s);
  }
  return out;
}

const VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Only TLS 1.2 (and DTLS 1.2) is spoken: a range that excludes it is an error. */
export function checkVersionRange(min: string | undefined, max: string | undefined): void {
  for (const [name, v] of [['minVersion', min], ['maxVersion', max]] as const) {
    if (v !== undefined && !VERSIONS.includes(v)) {
      throw new TlsError('ERR_TLS_INVALID_PROTOCOL_VERSION', `${JSON.stringify(v)} is not a valid ${name} TLS protocol version`);
    }
  }
  const lo = min === undefined ? 0 : VERSIONS.indexOf(min);
  const hi = max === undefined ? 3 : VERSIONS.indexOf(max);
  if (lo > 2 || hi < 2) {
    throw new TlsError('ERR_TLS_NO_PROTOCOLS_AVAILABLE', `secure-duplex speaks only TLS 1.2; minVersion ${min ?? '(default)'} / maxVersion ${max ?? '(default)'} exclude it`);
  }
}

/** ALPNProtocols: an array of names, or node's wire-format Buffer (length-prefixed names). */
export function parseAlpn(value: readonly string[] | Uint8Array | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(String);
  const b = value as Uint8Array;
  const out: string[] = [];
  for (let i = 0; i < b.length;) {
    const n = b[i]!;
    out.push(Buffer.from(b.subarray(i + 1, i + 1 + n)).toString('utf8'));
    i += 1 + n;
  }
  return out;
}

function keyInputs(opts: SecureContextOptions): KeyInput[] {
  if (opts.key === undefined) return [];
  const items = Array.isArray(opts.key) ? opts.key : [opts.key as string | Uint8Array];
  return items.map((k) =>
    typeof k === 'string' || k instanceof Uint8Array ? { pem: k, passphrase: opts.passphrase } : { pem: k.pem, passphrase: k.passphrase ?? opts.passphrase });
}

function chainsFrom(cert: CertificateInput | undefined): Uint8Array[][] {
  if (cert === undefined) return [];
  const items = Array.isArray(cert) ? cert : [cert as string | Uint8Array];
  return items.map((c) => certificatesFrom(c)).filter((chain) => chain.length > 0);
}

type PfxInput = string | Uint8Array | { buf: string | Uint8Array; passphrase?: string };

/** node:tls pfx: each PKCS#12 file's key and chain, and its CA certificates (node adds them to
 *  the trust store too). */
function pfxEntries(opts: SecureContextOptions): { chains: Uint8Array[][]; keys: KeyInput[]; ca: Uint8Array[] } {
  const out = { chains: [] as Uint8Array[][], keys: [] as KeyInput[], ca: [] as Uint8Array[] };
  if (opts.pfx === undefined) return out;
  const items = Array.isArray(opts.pfx) ? opts.pfx : [opts.pfx as PfxInput];
  for (const item of items as PfxInput[]) {
    const entry = typeof item === 'string' || item instanceof Uint8Array ? { buf: item } : item;
    const buf = typeof entry.buf === 'string' ? Buffer.from(entry.buf, 'latin1') : entry.buf;
    const { key, cert, ca } = pfxToKeyAndCert(buf, entry.passphrase ?? opts.passphrase);
    out.chains.push(certificatesFrom(cert));
    out.keys.push({ pem: key });
    for (const c of ca) out.ca.push(...certificatesFrom(c));
  }
  return out;
}

/** `ca`, or the bundled roots, plus what the pfx files carry. */
function trustAnchors(opts: SecureContextOptions, pfxCa: Uint8Array[]): Uint8Array[] | undefined {
  if (opts.ca !== undefined) return [...certificatesFrom(opts.ca), ...pfxCa];
  return pfxCa.length > 0 ? [...certificatesFrom([...defaultRootCertificates()]), ...pfxCa] : undefined;
}

/** Options node:tls reads by truthiness (`if (cert)`, ...): false is absent there too. */
const FALSE_IS_ABSENT = ['ca', 'cert', 'key', 'pfx', 'crl', 'passphrase', 'dhparam'];

/** Options node:tls checks for a string even when null. */
const NULL_IS_INVALID = ['ecdhCurve'];

function absent(k: string, v: unknown): boolean {
  return (v === null && !NULL_IS_INVALID.includes(k)) || (v === false && FALSE_IS_ABSENT.includes(k));
}

/** node:tls treats a null option (but ecdhCurve's), and a false one of FALSE_IS_ABSENT, as not
 *  given (measured: spec/parity/api.spec.ts). */
export function withoutAbsentValues<T extends object>(opts: T): T {
  const entries = Object.entries(opts);
  if (!entries.some(([k, v]) => absent(k, v))) return opts;
  return Object.fromEntries(entries.filter(([k, v]) => !absent(k, v))) as T;
}

export function resolveContext(given: SecureContextOptions): ResolvedContext {
  const opts = withoutAbsentValues(given);
  checkVersionRange(opts.minVersion, opts.maxVersion);
  // node:tls: these must be strings when given.
  for (const name of ['ecdhCurve', 'ciphers', 'sigalgs'] as const) {
    const v = opts[name];
    if (v !== undefined && typeof v !== 'string') throw invalidArgType(`options.${name}`, 'of type string', v, 'property');
  }
  const provider = resolveCryptoProvider(opts.cryptoProvider);
  const pfx = pfxEntries(opts);
  const chains = [...chainsFrom(opts.cert), ...pfx.chains];
  const keys = [...keyInputs(opts), ...pfx.keys];
  if (keys.length > 0 && chains.length === 0) throw new TlsError(ErrorCode.INVALID_ARG, 'a key was given without a cert');
  if (chains.length > 0 && keys.length === 0) throw new TlsError(ErrorCode.INVALID_ARG, 'a cert was given without a key');
  const ca = trustAnchors(opts, pfx.ca);
  const dh = resolveDhParam(opts.dhparam);
  // node:tls warns when the context is made.
  if (dh.warning !== undefined) process.emitWarning(dh.warning, 'SecurityWarning');
  return {
    provider,
    random: opts.random ?? systemRandom,
    cipherSuites: parseCipherList(opts.ciphers),
    groups: parseGroups(opts.ecdhCurve),
    signatureSchemes: parseSigalgs(opts.sigalgs),
    // A certificate configured without its chain is sent with the issuers found in the trust
    // store, as OpenSSL (so node:tls) does.
    identities: pairIdentities(provider, chains.map((c) => (c.length === 1 ? chainFromStore(c[0]!, ca) : c)), keys),
    ca,
    crl: crlEntries(opts.crl),
    alpnProtocols: parseAlpn(opts.ALPNProtocols),
    dhParam: dh.setting,
  };
}

/** node:tls crl: bad entries throw (ERR_CRYPTO_OPERATION_FAILED) when the context is made; one
 *  array per context (the verifier caches what it parsed by array identity). */
function crlEntries(crl: SecureContextOptions['crl']): readonly (string | Uint8Array)[] | undefined {
  if (crl === undefined) return undefined;
  const entries = Array.isArray(crl) ? [...crl] : [crl as string | Uint8Array];
  parseCrls(entries);
  return entries;
}

/** A peer-certificate checker as node:tls does it: chain to `ca` (or the bundled roots), with
 *  revocation when `crl` is given, then (client side) the host name through
 *  `checkServerIdentity`. */
export function makeVerifier(
  ca: Uint8Array[] | undefined,
  checkServerIdentity?: (host: string, cert: object) => Error | undefined,
  crl?: readonly (string | Uint8Array)[],
): CertificateVerifier {
  const verifier: CertificateVerifier = (chain, purpose, servername) => {
    const r = verifyCertificateChain(chain, { ca, purpose, crl });
    if (!r.ok) return r;
    if (purpose === 'server' && servername !== undefined) {
      const err = checkServerIdentity
        ? checkServerIdentity(servername, toPeerCertificate(chain, true))
        : defaultCheckServerIdentity(servername, chain[0]!);
      if (err) return { ok: false, code: (err as { code?: string }).code ?? ErrorCode.ALTNAME_INVALID, message: err.message };
    }
    return { ok: true };
  };
  verifierTrust.set(verifier, { ca });
  return verifier;
}

/** The trust store each verifier made here checks against: node:tls's getPeerCertificate(true)
 *  completes the peer's chain from its context's store (SSL_CTX_get_cert_store). */
const verifierTrust = new WeakMap<CertificateVerifier, PeerCertificateTrust>();

/** The trust store of `verifier`, if makeVerifier() made it. */
export function trustOfVerifier(verifier: CertificateVerifier): PeerCertificateTrust | undefined {
  return verifierTrust.get(verifier);
}

export { pemBlocks };

/**
 * node:tls createSecureContext(): the options resolved once (certificates and keys parsed), for
 * Server.addContext() and SNICallback. Of a context, the SNI selection uses the certificates and
 * keys (`identities`); its other options (ca, ciphers, ...) stay those of the server.
 */
export class SecureContext {
  /** Resolved configuration (node:tls has its OpenSSL SSL_CTX handle here). */
  readonly context: ResolvedContext;
  /** Private (#): the options hold the private key and passphrase, which util.inspect /
   *  JSON.stringify must not show. */
  readonly #options: SecureContextOptions;
  constructor(options: SecureContextOptions = {}) {
    this.#options = options;
    this.context = resolveContext(options);
  }

  get options(): SecureContextOptions {
    return this.#options;
  }
  get identities(): readonly LocalIdentity[] {
    return this.context.identities;
  }
}

export function createSecureContext(options: SecureContextOptions = {}): SecureContext {
  return new SecureContext(options);
}

/** The options of createSecureContext() in node:tls (plus our crypto provider and random
 *  source, which the parsed keys depend on): what a `secureContext` supplies in connect(). */
const CONTEXT_KEYS = [
  'ca', 'cert', 'key', 'passphrase', 'pfx', 'crl', 'ciphers', 'ecdhCurve', 'sigalgs', 'minVersion', 'maxVersion',
  'secureOptions', 'honorCipherOrder', 'dhparam', 'secureProtocol', 'sessionIdContext', 'sessionTimeout', 'ticketKeys',
  'cryptoProvider', 'random',
] as const;

/**
 * connect({ secureContext }): as in node:tls, a given context replaces the context options of
 * `options` (cert, key, ca, ciphers, ...); the connection options (servername, ALPNProtocols,
 * rejectUnauthorized, ...) stay. A node:tls SecureContext is refused (ERR_TLS_INVALID_CONTEXT).
 */
export function applySecureContext<T extends SecureContextOptions & { secureContext?: unknown }>(given: T): T {
  const options = withoutAbsentValues(given);
  if (options.secureContext === undefined || options.secureContext === null) return options;
  if (!(options.secureContext instanceof SecureContext)) {
    throw new TlsError('ERR_TLS_INVALID_CONTEXT', 'secureContext must be a secure-duplex SecureContext (createSecureContext()); a node:tls SecureContext cannot be used');
  }
  const out = { ...options } as Record<string, unknown>;
  for (const k of CONTEXT_KEYS) delete out[k];
  const fromContext = options.secureContext.options as Record<string, unknown>;
  for (const k of CONTEXT_KEYS) if (fromContext[k] !== undefined) out[k] = fromContext[k];
  return out as T;
}

/** A SecureContext, or node:tls-style options for one (as addContext() and SNICallback take). */
export function toSecureContext(value: SecureContext | SecureContextOptions): SecureContext {
  if (value instanceof SecureContext) return value;
  if (value === null || typeof value !== 'object' || 'context' in value) {
    // node:tls's own SecureContext holds an OpenSSL handle whose key cannot be read back.
    throw new TlsError('ERR_TLS_INVALID_CONTEXT', 'context must be a secure-duplex SecureContext (createSecureContext()) or its options; a node:tls SecureContext cannot be used');
  }
  return new SecureContext(value);
}
