// Trust anchors: the `ca` option (PEM bundles or DER) or the default roots (default-roots.ts),
// parsed once and cached per input, indexed by subject name for issuer look-ups.

import { defaultRootCertificates } from './default-roots.js';
import { pemBlocks } from './pem.js';
import { parseCertificate, pickIssuer, type Cert } from './parsed-certificate.js';
import { equalBytes } from '../equal-bytes.js';

export interface TrustStore {
  readonly bySubject: ReadonlyMap<string, readonly Cert[]>;
}

function buildStore(certs: readonly Cert[]): TrustStore {
  const bySubject = new Map<string, Cert[]>();
  for (const c of certs) {
    const list = bySubject.get(c.subject);
    if (list === undefined) bySubject.set(c.subject, [c]);
    else if (!list.some((o) => equalBytes(o.der, c.der))) list.push(c);
  }
  return { bySubject };
}

const MAX_TEXT_CACHE = 64;
const textCache = new Map<string, Cert[]>();
const bytesCache = new WeakMap<Uint8Array, Cert[]>();
const storeCache = new WeakMap<readonly (string | Uint8Array)[], { items: (string | Uint8Array)[]; store: TrustStore }>();
let defaultStore: TrustStore | undefined;

function looksLikePem(b: Uint8Array): boolean {
  return Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, 4096)).toString('latin1').includes('-----BEGIN');
}

/** Certificates of one `ca` entry; entries that do not parse are skipped. */
function anchorsOf(item: string | Uint8Array): Cert[] {
  if (typeof item === 'string') {
    let certs = textCache.get(item);
    if (certs === undefined) {
      certs = parseAll(pemBlocks(item));
      if (textCache.size >= MAX_TEXT_CACHE) textCache.delete(textCache.keys().next().value as string);
      textCache.set(item, certs);
    }
    return certs;
  }
  let certs = bytesCache.get(item);
  if (certs === undefined) {
    certs = parseAll(looksLikePem(item) ? pemBlocks(Buffer.from(item).toString('latin1')) : [item]);
    bytesCache.set(item, certs);
  }
  return certs;
}

function parseAll(ders: readonly Uint8Array[]): Cert[] {
  const out: Cert[] = [];
  for (const d of ders) {
    try {
      out.push(parseCertificate(d));
    } catch {
      // An unparseable anchor cannot anchor anything.
    }
  }
  return out;
}

export function trustStore(ca: readonly (string | Uint8Array)[] | undefined): TrustStore {
  if (ca === undefined) {
    defaultStore ??= buildStore(defaultRootCertificates().flatMap(anchorsOf));
    return defaultStore;
  }
  const hit = storeCache.get(ca);
  if (hit !== undefined && hit.items.length === ca.length && hit.items.every((v, k) => v === ca[k])) {
    return hit.store;
  }
  // A client's connect() makes its `ca` array anew each time, with the same contents: the
  // store is found again by them.
  const key = contentKey(ca);
  let store = storeByContent.get(key);
  if (store === undefined) {
    store = buildStore(ca.flatMap(anchorsOf));
    if (storeByContent.size >= MAX_STORES_BY_CONTENT) storeByContent.delete(storeByContent.keys().next().value as string);
  } else {
    storeByContent.delete(key);
  }
  storeByContent.set(key, store);
  storeCache.set(ca, { items: [...ca], store });
  return store;
}

const MAX_STORES_BY_CONTENT = 16;
const storeByContent = new Map<string, TrustStore>();

/** The `ca` entries' contents as one string, each prefixed by its kind and length (so no two
 *  different lists give the same key). */
function contentKey(ca: readonly (string | Uint8Array)[]): string {
  let key = '';
  for (const item of ca) {
    key += typeof item === 'string'
      ? `s${item.length}:${item}`
      : `b${item.length}:${Buffer.from(item.buffer, item.byteOffset, item.length).toString('latin1')}`;
  }
  return key;
}

export function trustedIssuer(store: TrustStore, subject: Cert, now: number): Cert | undefined {
  const candidates = store.bySubject.get(subject.issuer);
  return candidates === undefined ? undefined : pickIssuer(candidates, subject, now);
}

/** The trust-store certificate node's SSL_CTX_get_issuer() would return for `certDer` (used to
 *  complete getPeerCertificate(true) chains), or undefined. `ca` undefined: the default roots. */
export function findTrustedIssuer(
  certDer: Uint8Array,
  ca: readonly (string | Uint8Array)[] | undefined,
  now: Date = new Date(),
): Uint8Array | undefined {
  try {
    return trustedIssuer(trustStore(ca), parseCertificate(certDer), now.getTime())?.der;
  } catch {
    return undefined;
  }
}

/** At most this many issuers are added by chainFromStore (OpenSSL's default verify depth). */
const MAX_CHAIN_FROM_STORE = 100;

/** The chain OpenSSL sends for a certificate configured alone (ssl_add_cert_chain without
 *  SSL_MODE_NO_AUTO_CHAIN, as node:tls runs it): the certificate, then its issuers as found in
 *  the trust store `ca` (undefined: the default roots), up to a self-signed one, which is sent
 *  too. */
export function chainFromStore(
  certDer: Uint8Array,
  ca: readonly (string | Uint8Array)[] | undefined,
  now: Date = new Date(),
): Uint8Array[] {
  const chain = [certDer];
  let x: Cert;
  try {
    x = parseCertificate(certDer);
  } catch {
    return chain;
  }
  const store = trustStore(ca);
  for (let i = 0; i < MAX_CHAIN_FROM_STORE && !x.selfSigned; i++) {
    const issuer = trustedIssuer(store, x, now.getTime());
    if (issuer === undefined || chain.some((d) => equalBytes(d, issuer.der))) break;
    chain.push(issuer.der);
    x = issuer;
  }
  return chain;
}
