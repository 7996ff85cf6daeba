// What is read from a DER certificate, kept by its exact bytes. A client meets the same server
// chain and the same trust anchors on every connection, and parsing one certificate with
// node:crypto's X509Certificate alone costs more than an ECDSA verification. Only parses are
// kept here (pure functions of the bytes: the X509Certificate, its public key, the RFC 5280
// facts of parsed-certificate.ts); every connection still validates the path (signatures,
// dates, purposes, names, revocation) and checks the handshake's signatures itself.
//
// The key is the whole encoding, so two certificates share an entry only if they are the same
// bytes. The cache is bounded (least recently used first out), so a peer sending ever new
// certificates only turns it over.
import { X509Certificate, type KeyObject } from 'node:crypto';

/** Entries kept at most: the anchors and peer chains a process meets at once. */
export const MAX_CACHED_CERTIFICATES = 256;

/** One certificate's bytes (our own copy: the caller's buffer may be reused) and what has been
 *  read from them so far, by facet. */
export interface CertificateEntry {
  readonly der: Uint8Array;
  readonly facets: Map<string, unknown>;
}

const entries = new Map<string, CertificateEntry>();

function keyOf(der: Uint8Array): string {
  return Buffer.from(der.buffer, der.byteOffset, der.length).toString('latin1');
}

/** The entry of `der`, made on first use; it becomes the most recently used. */
export function certificateEntry(der: Uint8Array): CertificateEntry {
  const key = keyOf(der);
  let entry = entries.get(key);
  if (entry !== undefined) {
    entries.delete(key);
  } else {
    entry = { der: Uint8Array.from(der), facets: new Map() };
    if (entries.size >= MAX_CACHED_CERTIFICATES) entries.delete(entries.keys().next().value as string);
  }
  entries.set(key, entry);
  return entry;
}

/** `read(ownDer)` of the certificate `der`, computed once per entry. A read that throws is not
 *  kept (it throws again next time). */
export function cachedFacet<T>(der: Uint8Array, facet: string, read: (der: Uint8Array) => T): T {
  const entry = certificateEntry(der);
  if (entry.facets.has(facet)) return entry.facets.get(facet) as T;
  const value = read(entry.der);
  entry.facets.set(facet, value);
  return value;
}

/** node:crypto's X509Certificate of `der` (immutable, so shared). Throws when it does not parse. */
export function cachedX509(der: Uint8Array): X509Certificate {
  return cachedFacet(der, 'x509', (own) => new X509Certificate(Buffer.from(own.buffer, own.byteOffset, own.length)));
}

/** The certificate's public key (a KeyObject is immutable, so shared). Throws when the
 *  certificate or its key does not parse. */
export function cachedPublicKey(der: Uint8Array): KeyObject {
  return cachedFacet(der, 'publicKey', (own) => cachedX509(own).publicKey);
}
