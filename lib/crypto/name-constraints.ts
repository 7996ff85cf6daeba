// Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)(c)), checked as OpenSSL 3.0 checks them
// (crypto/x509/v3_ncons.c NAME_CONSTRAINTS_check / NAME_CONSTRAINTS_check_CN), so verdicts equal
// `openssl verify` and node:tls on the same chain.
//
// A CA's constraints apply to every certificate below it in the path (its subject Name, the
// emailAddress attributes of that Name, every subjectAltName entry and, for the leaf without a DNS
// subjectAltName, a commonName that looks like a host name). Permitted subtrees of a name's type
// must contain it (when there are any of that type); excluded subtrees must not.

import { domainToUnicode } from 'node:url';
import * as der from './der.js';
import { canonicalRdns, nameAttributes } from './x509-name.js';

/** GeneralName CHOICE alternatives (RFC 5280 §4.2.1.6): the context tag number of each. */
export const GeneralNameType = {
  otherName: 0,
  rfc822Name: 1,
  dNSName: 2,
  x400Address: 3,
  directoryName: 4,
  ediPartyName: 5,
  uniformResourceIdentifier: 6,
  iPAddress: 7,
  registeredID: 8,
} as const;

const OID_EMAIL_ADDRESS = '1.2.840.113549.1.9.1'; // PKCS #9 emailAddress (RFC 5280 §4.1.2.6)
const OID_COMMON_NAME = '2.5.4.3';
const OID_SMTP_UTF8_MAILBOX = '1.3.6.1.5.5.7.8.9'; // RFC 8398 §3

/** One GeneralName: its CHOICE number and its encoding. */
export interface GeneralName {
  readonly type: number;
  readonly node: der.DerNode;
  /** otherName only: type-id. */
  readonly otherNameOid?: string;
}

export interface GeneralSubtree {
  readonly base: GeneralName;
  /** minimum is absent or 0 and maximum absent: RFC 5280 §4.2.1.10 says they MUST be, and
   *  OpenSSL refuses the constraint (SUBTREE_MINMAX) otherwise. */
  readonly minMaxValid: boolean;
}

export interface NameConstraints {
  readonly permitted: readonly GeneralSubtree[];
  readonly excluded: readonly GeneralSubtree[];
}

/** The names a certificate is constrained on. */
export interface ConstrainedNames {
  /** Subject Name (the SEQUENCE of RDNs). */
  readonly subject: der.DerNode;
  readonly altNames: readonly GeneralName[];
}

/** Verdicts, named as OpenSSL's X509_V_ERR_* (X509_V_OK is 'ok'). */
export type NameConstraintVerdict =
  | 'ok'
  | 'PERMITTED_VIOLATION'
  | 'EXCLUDED_VIOLATION'
  | 'SUBTREE_MINMAX'
  | 'UNSUPPORTED_CONSTRAINT_TYPE'
  | 'UNSUPPORTED_NAME_SYNTAX'
  | 'UNSPECIFIED';

/** OpenSSL NAME_CHECK_MAX: names × constraints above this is refused outright (the check is
 *  quadratic; a certificate must not buy unbounded work). */
export const NAME_CHECK_MAX = 1 << 20;

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/** One GeneralName (RFC 5280 §4.2.1.6). Throws DerError when malformed. */
export function readGeneralName(node: der.DerNode): GeneralName {
  if ((node.tag & 0xc0) !== 0x80) throw new der.DerError('GeneralName must be context-tagged');
  const type = node.tag & 0x1f;
  if (type > GeneralNameType.registeredID) throw new der.DerError(`unknown GeneralName [${type}]`);
  if (type === GeneralNameType.otherName) {
    // AnotherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }
    const [typeId, value] = der.children(node);
    if (value === undefined || value.tag !== der.contextTag(0, true)) throw new der.DerError('otherName without a value');
    return { type, node, otherNameOid: der.readOid(der.expectTag(typeId, der.Tag.OID, 'otherName type-id')) };
  }
  if (type === GeneralNameType.directoryName) {
    // [4] EXPLICIT Name: the content is one Name.
    der.expectTag(der.decode(node.content), der.Tag.SEQUENCE, 'directoryName');
  }
  return { type, node };
}

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName (subjectAltName's value). */
export function readGeneralNames(value: der.DerNode): GeneralName[] {
  return der.children(der.expectTag(value, der.Tag.SEQUENCE, 'GeneralNames')).map(readGeneralName);
}

/** NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL,
 *  excludedSubtrees [1] GeneralSubtrees OPTIONAL } (RFC 5280 §4.2.1.10). */
export function readNameConstraints(value: der.DerNode): NameConstraints {
  let permitted: GeneralSubtree[] = [];
  let excluded: GeneralSubtree[] = [];
  for (const field of der.children(der.expectTag(value, der.Tag.SEQUENCE, 'NameConstraints'))) {
    if (field.tag === der.contextTag(0, true)) permitted = readSubtrees(field);
    else if (field.tag === der.contextTag(1, true)) excluded = readSubtrees(field);
    else throw new der.DerError('unexpected field in NameConstraints');
  }
  return { permitted, excluded };
}

/** GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] BaseDistance DEFAULT 0,
 *  maximum [1] BaseDistance OPTIONAL }. */
function readSubtrees(field: der.DerNode): GeneralSubtree[] {
  return der.children(field).map((subtree) => {
    const [base, ...rest] = der.children(der.expectTag(subtree, der.Tag.SEQUENCE, 'GeneralSubtree'));
    if (base === undefined) throw new der.DerError('GeneralSubtree without a base');
    let minMaxValid = true;
    for (const n of rest) {
      if (n.tag === der.contextTag(0, false)) {
        if (n.content.some((b) => b !== 0)) minMaxValid = false; // minimum other than 0
      } else if (n.tag === der.contextTag(1, false)) {
        minMaxValid = false; // maximum present
      } else {
        throw new der.DerError('unexpected field in GeneralSubtree');
      }
    }
    return { base: readGeneralName(base), minMaxValid };
  });
}

// ---------------------------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------------------------

/** NAME_CONSTRAINTS_check: the subject Name, the emailAddress attributes in it, then every
 *  subjectAltName entry, each against `nc`; the first failure is the verdict. */
export function checkNameConstraints(x: ConstrainedNames, nc: NameConstraints): NameConstraintVerdict {
  const attributes = nameAttributes(x.subject);
  const nameCount = attributes.length + x.altNames.length;
  const constraintCount = nc.permitted.length + nc.excluded.length;
  if (nameCount > 0 && constraintCount > NAME_CHECK_MAX / nameCount) return 'UNSPECIFIED';

  if (attributes.length > 0) {
    const dirName: GeneralName = { type: GeneralNameType.directoryName, node: x.subject };
    let r = match(dirName, nc);
    if (r !== 'ok') return r;
    for (const a of attributes) {
      if (a.oid !== OID_EMAIL_ADDRESS) continue;
      if (a.value?.tag !== der.Tag.IA5_STRING) return 'UNSUPPORTED_NAME_SYNTAX';
      r = match({ type: GeneralNameType.rfc822Name, node: a.value }, nc);
      if (r !== 'ok') return r;
    }
  }
  for (const gen of x.altNames) {
    const r = match(gen, nc);
    if (r !== 'ok') return r;
  }
  return 'ok';
}

/** NAME_CONSTRAINTS_check_CN: each commonName of the subject that looks like a DNS name (two or
 *  more labels of letters, digits, '_' and inner '-') is checked as a dNSName. Applied to the
 *  leaf when it has no DNS subjectAltName (RFC 6125 §6.4.4 clients then fall back to the CN, so
 *  the constraint must hold for it too). */
export function checkCommonNameConstraints(x: ConstrainedNames, nc: NameConstraints): NameConstraintVerdict {
  for (const a of nameAttributes(x.subject)) {
    if (a.oid !== OID_COMMON_NAME || a.value === undefined) continue;
    let utf8: Uint8Array;
    try {
      utf8 = new TextEncoder().encode(der.readString(a.value));
    } catch {
      return 'UNSUPPORTED_NAME_SYNTAX';
    }
    let end = utf8.length;
    while (end > 0 && utf8[end - 1] === 0) end--; // trailing NULs are harmless
    const id = utf8.subarray(0, end);
    if (id.includes(0)) return 'UNSUPPORTED_NAME_SYNTAX';
    if (!looksLikeDnsName(id)) continue;
    const r = match({ type: GeneralNameType.dNSName, node: { tag: 0x82, bytes: id, content: id } }, nc);
    if (r !== 'ok') return r;
  }
  return 'ok';
}

/** True when the certificate has a dNSName subjectAltName (then its CN is not checked). */
export function hasDnsAltName(x: ConstrainedNames): boolean {
  return x.altNames.some((g) => g.type === GeneralNameType.dNSName);
}

/** OpenSSL cn2dnsid's test: letters, digits and '_' anywhere; '-' and '.' only inside; no '.'
 *  next to '.' or '-'; at least one '.'. */
function looksLikeDnsName(id: Uint8Array): boolean {
  let dotted = false;
  for (let i = 0; i < id.length; i++) {
    const c = id[i]!;
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f) continue;
    if (i > 0 && i < id.length - 1) {
      if (c === 0x2d) continue;
      if (c === 0x2e && id[i + 1] !== 0x2e && id[i - 1] !== 0x2d && id[i + 1] !== 0x2d) {
        dotted = true;
        continue;
      }
    }
    return false;
  }
  return dotted;
}

/** nc_match: the name against the subtrees of its type. RFC 8398 §6: an SmtpUTF8Mailbox
 *  otherName is matched against rfc822Name constraints. */
function match(gen: GeneralName, nc: NameConstraints): NameConstraintVerdict {
  const eai = gen.type === GeneralNameType.otherName && gen.otherNameOid === OID_SMTP_UTF8_MAILBOX;
  const effectiveType = eai ? GeneralNameType.rfc822Name : gen.type;
  const applies = (sub: GeneralSubtree): boolean => sub.base.type === effectiveType &&
    (effectiveType !== GeneralNameType.otherName || sub.base.otherNameOid === gen.otherNameOid);

  // Permitted: when subtrees of this type exist, at least one must contain the name.
  let state: 'none' | 'unmatched' | 'matched' = 'none';
  for (const sub of nc.permitted) {
    if (!applies(sub)) continue;
    if (!sub.minMaxValid) return 'SUBTREE_MINMAX';
    if (state === 'matched') continue;
    state = 'unmatched';
    const r = matchSingle(gen, eai, sub.base);
    if (r === 'ok') state = 'matched';
    else if (r !== 'PERMITTED_VIOLATION') return r;
  }
  if (state === 'unmatched') return 'PERMITTED_VIOLATION';

  // Excluded: no subtree of this type may contain the name.
  for (const sub of nc.excluded) {
    if (!applies(sub)) continue;
    if (!sub.minMaxValid) return 'SUBTREE_MINMAX';
    const r = matchSingle(gen, eai, sub.base);
    if (r === 'ok') return 'EXCLUDED_VIOLATION';
    if (r !== 'PERMITTED_VIOLATION') return r;
  }
  return 'ok';
}

/** Whether `gen` lies in the subtree `base` ('ok') or not ('PERMITTED_VIOLATION'), or why the
 *  question cannot be answered. */
function matchSingle(gen: GeneralName, eai: boolean, base: GeneralName): NameConstraintVerdict {
  if (eai) return matchEaiEmail(gen, ia5(base));
  switch (gen.type) {
    case GeneralNameType.directoryName:
      return matchDirectoryName(nameOf(gen), nameOf(base));
    case GeneralNameType.dNSName:
      return matchDns(ia5(gen), ia5(base));
    case GeneralNameType.rfc822Name:
      return matchEmail(ia5(gen), ia5(base));
    case GeneralNameType.uniformResourceIdentifier:
      return matchUri(ia5(gen), ia5(base));
    case GeneralNameType.iPAddress:
      return matchIp(gen.node.content, base.node.content);
    default:
      return 'UNSUPPORTED_CONSTRAINT_TYPE'; // otherName, x400Address, ediPartyName, registeredID
  }
}

/** The Name of a directoryName: the subject Name itself, or the [4] EXPLICIT content. */
function nameOf(gen: GeneralName): der.DerNode {
  return gen.node.tag === der.Tag.SEQUENCE ? gen.node : der.decode(gen.node.content);
}

/** IA5String content as a string of byte values (case folding is ASCII-only, as ia5ncasecmp). */
function ia5(gen: GeneralName): string {
  let s = '';
  for (const b of gen.node.content) s += String.fromCharCode(b);
  return s;
}

const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const sameIgnoringAsciiCase = (a: string, b: string): boolean => a.length === b.length && asciiLower(a) === asciiLower(b);

/** §4.2.1.10: a directoryName subtree holds the names that begin with its RDNs (compared in
 *  canonical form, as OpenSSL compares canonical encodings). */
function matchDirectoryName(name: der.DerNode, base: der.DerNode): NameConstraintVerdict {
  const n = canonicalRdns(name);
  const b = canonicalRdns(base);
  if (b.length > n.length) return 'PERMITTED_VIOLATION';
  return b.every((rdn, i) => rdn === n[i]) ? 'ok' : 'PERMITTED_VIOLATION';
}

/** §4.2.1.10 dNSName: "any DNS name that can be constructed by simply adding zero or more labels
 *  to the left-hand side"; an empty base matches everything; a base starting with '.' matches
 *  only names below it. */
function matchDns(dns: string, base: string): NameConstraintVerdict {
  if (base.length === 0) return 'ok';
  if (dns.length < base.length) return 'PERMITTED_VIOLATION';
  const tail = dns.slice(dns.length - base.length);
  if (dns.length > base.length && !base.startsWith('.') && dns[dns.length - base.length - 1] !== '.') {
    return 'PERMITTED_VIOLATION';
  }
  return sameIgnoringAsciiCase(tail, base) ? 'ok' : 'PERMITTED_VIOLATION';
}

/** §4.2.1.10 rfc822Name: a whole mailbox (local part case-sensitive), every mailbox at a host, or
 *  (leading '.') every mailbox in a domain below it. */
function matchEmail(email: string, base: string): NameConstraintVerdict {
  const emailAt = email.lastIndexOf('@');
  if (emailAt < 0) return 'UNSUPPORTED_NAME_SYNTAX';
  const baseAt = base.lastIndexOf('@');
  if (baseAt < 0 && base.startsWith('.')) {
    return email.length > base.length && sameIgnoringAsciiCase(email.slice(email.length - base.length), base)
      ? 'ok' : 'PERMITTED_VIOLATION';
  }
  let baseHost = base;
  if (baseAt >= 0) {
    if (baseAt > 0) {
      const baseLocal = base.slice(0, baseAt);
      const local = email.slice(0, emailAt);
      if (baseLocal.length !== local.length) return 'PERMITTED_VIOLATION';
      if (baseLocal.includes('\0') || local.includes('\0')) return 'UNSUPPORTED_NAME_SYNTAX';
      if (baseLocal !== local) return 'PERMITTED_VIOLATION';
    }
    baseHost = base.slice(baseAt + 1);
  }
  return sameIgnoringAsciiCase(email.slice(emailAt + 1), baseHost) ? 'ok' : 'PERMITTED_VIOLATION';
}

/** RFC 8398 §6: an SmtpUTF8Mailbox (UTF-8) against an rfc822Name constraint, the constraint's
 *  host turned from A-labels to U-labels first. */
function matchEaiEmail(gen: GeneralName, base: string): NameConstraintVerdict {
  if (base.includes('\0')) return 'UNSUPPORTED_NAME_SYNTAX';
  // AnotherName's value is [0] EXPLICIT (checked by readGeneralName); it holds the UTF8String.
  const mailbox = der.decode(der.children(gen.node)[1]!.content);
  if (mailbox.tag !== der.Tag.UTF8_STRING) return 'UNSUPPORTED_NAME_SYNTAX';
  const email = der.readString(mailbox);
  const emailAt = email.lastIndexOf('@');
  if (emailAt < 0) return 'UNSUPPORTED_NAME_SYNTAX';
  const toULabel = (host: string): string | undefined => {
    const u = domainToUnicode(host);
    return u === '' && host !== '' ? undefined : u;
  };
  if (base.startsWith('.')) {
    const u = toULabel(base.slice(1));
    if (u === undefined) return 'UNSPECIFIED';
    const suffix = `.${u}`;
    return email.length > suffix.length && sameIgnoringAsciiCase(email.slice(email.length - suffix.length), suffix)
      ? 'ok' : 'PERMITTED_VIOLATION';
  }
  const baseAt = base.indexOf('@');
  if (baseAt > 0 && base.slice(0, baseAt) !== email.slice(0, emailAt)) return 'PERMITTED_VIOLATION';
  const host = toULabel(baseAt >= 0 ? base.slice(baseAt + 1) : base);
  if (host === undefined) return 'UNSPECIFIED';
  return sameIgnoringAsciiCase(email.slice(emailAt + 1), host) ? 'ok' : 'PERMITTED_VIOLATION';
}

/** §4.2.1.10 URI: the constraint applies to the host part ("scheme://host[:port][/...]"); a
 *  leading '.' matches hosts below it. */
function matchUri(uri: string, base: string): NameConstraintVerdict {
  const colon = uri.indexOf(':');
  if (colon < 0 || uri.length - colon < 3 || uri[colon + 1] !== '/' || uri[colon + 2] !== '/') {
    return 'UNSUPPORTED_NAME_SYNTAX';
  }
  const rest = uri.slice(colon + 3);
  let end = rest.indexOf(':');
  if (end < 0) end = rest.indexOf('/');
  const host = end < 0 ? rest : rest.slice(0, end);
  if (host.length === 0) return 'UNSUPPORTED_NAME_SYNTAX';
  if (base.startsWith('.')) {
    return host.length > base.length && sameIgnoringAsciiCase(host.slice(host.length - base.length), base)
      ? 'ok' : 'PERMITTED_VIOLATION';
  }
  return sameIgnoringAsciiCase(host, base) ? 'ok' : 'PERMITTED_VIOLATION';
}

/** §4.2.1.10 iPAddress: address and mask (8 octets for IPv4, 32 for IPv6); IPv4 never matches
 *  an IPv6 subtree. */
function matchIp(ip: Uint8Array, base: Uint8Array): NameConstraintVerdict {
  if (ip.length !== 4 && ip.length !== 16) return 'UNSUPPORTED_NAME_SYNTAX';
  if (base.length !== 8 && base.length !== 32) return 'UNSUPPORTED_NAME_SYNTAX';
  if (ip.length * 2 !== base.length) return 'PERMITTED_VIOLATION';
  for (let i = 0; i < ip.length; i++) {
    const mask = base[ip.length + i]!;
    if ((ip[i]! & mask) !== (base[i]! & mask)) return 'PERMITTED_VIOLATION';
  }
  return 'ok';
}
