// Certificate revocation lists: the X.509 v2 CRL (RFC 5280 §5) as node:tls's `crl` option takes
// it. This module only reads CRLs; certificate-verifier.ts decides which CRL applies to which
// certificate and what that means (OpenSSL 3's check_revocation, which node enables with
// X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL as soon as one CRL is given).
//
// Input rules follow node's SecureContext.addCRL: every `crl` entry (string or bytes) is read with
// PEM_read_bio_X509_CRL, i.e. the FIRST "X509 CRL" PEM block of the entry is used (other PEM
// blocks before it are skipped, anything after it is ignored), DER input is not accepted, and a
// failure throws at context creation with code ERR_CRYPTO_OPERATION_FAILED ("Failed to parse CRL").

import { TlsError } from '../errors.js';
import * as der from './der.js';
import { toHex } from '../hex.js';

/** node's code and message when addCRL cannot read an entry. */
export const CRL_PARSE_ERROR_CODE = 'ERR_CRYPTO_OPERATION_FAILED';
const CRL_PARSE_ERROR_MESSAGE = 'Failed to parse CRL';

/** The three parts of a SIGNED{} structure (RFC 5280 §4.1.1 Certificate, §5.1.1 CertificateList),
 *  plus the algorithm repeated inside the signed part (§4.1.2.3, §5.1.2.2). */
export interface SignedData {
  /** DER of tbsCertificate / tbsCertList: the signed bytes. */
  readonly tbs: Uint8Array;
  /** AlgorithmIdentifier inside the tbs part. */
  readonly innerAlgorithm: der.DerNode;
  /** AlgorithmIdentifier next to the signature. */
  readonly algorithm: der.DerNode;
  /** signatureValue BIT STRING. */
  readonly signature: der.DerNode;
}

/** Splits a SIGNED{} structure; `tbsFields` picks the AlgorithmIdentifier out of the tbs
 *  SEQUENCE's fields (its position depends on the optional version field). Throws DerError. */
export function signedParts(signedDer: Uint8Array, tbsFields: (tbs: der.DerNode[]) => der.DerNode): SignedData {
  const outer = der.children(der.expectTag(der.decode(signedDer), der.Tag.SEQUENCE, 'signed structure'));
  if (outer.length !== 3) throw new der.DerError('signed structure must have three fields');
  const tbs = der.expectTag(outer[0], der.Tag.SEQUENCE, 'tbs');
  return {
    tbs: tbs.bytes,
    innerAlgorithm: der.expectTag(tbsFields(der.children(tbs)), der.Tag.SEQUENCE, 'signature'),
    algorithm: der.expectTag(outer[1], der.Tag.SEQUENCE, 'signatureAlgorithm'),
    signature: der.expectTag(outer[2], der.Tag.BIT_STRING, 'signatureValue'),
  };
}

/** authorityKeyIdentifier (RFC 5280 §4.2.1.1, also a CRL extension §5.2.1): key identifier and
 *  serial as hex, the first directoryName of authorityCertIssuer as its Name node. */
export interface RawAuthorityKeyId {
  keyId?: string;
  serial?: string;
  issuerName?: der.DerNode;
}

export function readAuthorityKeyId(value: der.DerNode): RawAuthorityKeyId {
  const akid: RawAuthorityKeyId = {};
  for (const f of der.children(der.expectTag(value, der.Tag.SEQUENCE, 'AuthorityKeyIdentifier'))) {
    if (f.tag === der.contextTag(0, false)) akid.keyId = toHex(f.content);
    else if (f.tag === der.contextTag(2, false)) akid.serial = toHex(f.content);
    else if (f.tag === der.contextTag(1, true)) {
      // authorityCertIssuer GeneralNames: the first directoryName [4] counts.
      const dir = der.children(f).find((g) => g.tag === der.contextTag(4, true));
      if (dir !== undefined && akid.issuerName === undefined) akid.issuerName = der.decode(dir.content);
    }
  }
  return akid;
}

/** DistributionPointName (RFC 5280 §4.2.1.13): fullName GeneralNames, or a name relative to the
 *  CRL issuer (one RDN). */
export interface DistributionPointName {
  /** The GeneralName nodes of fullName [0]. */
  fullName?: readonly der.DerNode[];
  /** nameRelativeToCRLIssuer [1]: the RDN as a SET node (tag rewritten). */
  relative?: der.DerNode;
}

/** issuingDistributionPoint (RFC 5280 §5.2.5). */
export interface IssuingDistributionPoint {
  distributionPoint?: DistributionPointName;
  onlyUser: boolean;
  onlyCA: boolean;
  onlyAttributes: boolean;
  onlySomeReasons: boolean;
  indirect: boolean;
  /** Undecodable, or more than one of onlyUser / onlyCA / onlyAttributes (OpenSSL IDP_INVALID). */
  invalid: boolean;
}

export interface RevokedEntry {
  /** CRLReason (§5.3.1) when the entry has one; 8 is removeFromCRL. */
  readonly reason?: number;
}

/** A parsed CRL. Times are ms since the epoch, NaN when the field cannot be read as a time. */
export interface Crl {
  readonly der: Uint8Array;
  readonly signed: SignedData;
  /** Version field value (1 = v2; -1 when negative or huge), or undefined when absent (v1). */
  readonly version?: number;
  readonly issuer: der.DerNode;
  readonly thisUpdate: number;
  readonly nextUpdate?: number;
  /** Revoked serial numbers (keyed by serialKey()) and their entries. */
  readonly revoked: ReadonlyMap<string, RevokedEntry>;
  readonly authorityKeyId?: RawAuthorityKeyId;
  readonly issuingDistributionPoint?: IssuingDistributionPoint;
  /** Has a deltaCRLIndicator (§5.2.4). */
  readonly delta: boolean;
  /** A critical extension OpenSSL does not handle, on the CRL (anything but IDP, AKID,
   *  deltaCRLIndicator) or on an entry (anything but certificateIssuer): EXFLAG_CRITICAL. */
  readonly unhandledCritical: boolean;
}

const OID = {
  authorityKeyIdentifier: '2.5.29.35',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  reasonCode: '2.5.29.21',
  certificateIssuer: '2.5.29.29',
} as const;

const ENUMERATED = 0x0a;


/** An INTEGER's content as minimal two's complement hex, so that equal values give equal keys
 *  whatever redundant leading 00 / FF octets an encoder left in (ASN1_INTEGER_cmp equality). */
export function serialKey(content: Uint8Array): string {
  let start = 0;
  while (start + 1 < content.length) {
    const a = content[start]!;
    const b = content[start + 1]!;
    if ((a === 0x00 && b < 0x80) || (a === 0xff && b >= 0x80)) start++;
    else break;
  }
  return toHex(content.subarray(start));
}

function readTimeOrNaN(node: der.DerNode): number {
  try {
    return der.readTime(node);
  } catch {
    return Number.NaN;
  }
}

const isTime = (n: der.DerNode | undefined): boolean =>
  n !== undefined && (n.tag === der.Tag.UTC_TIME || n.tag === der.Tag.GENERALIZED_TIME);

interface Extension {
  id: string;
  critical: boolean;
  value: Uint8Array;
}

/** Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension (RFC 5280 §4.1). */
function readExtensions(seq: der.DerNode): Extension[] {
  return der.children(der.expectTag(seq, der.Tag.SEQUENCE, 'Extensions')).map((ext) => {
    const parts = der.children(der.expectTag(ext, der.Tag.SEQUENCE, 'Extension'));
    if (parts.length < 2 || parts.length > 3) throw new der.DerError('malformed Extension');
    const critical = parts.length === 3 && der.readBoolean(parts[1]!);
    const value = der.expectTag(parts[parts.length - 1], der.Tag.OCTET_STRING, 'extnValue').content;
    return { id: der.readOid(parts[0]!), critical, value };
  });
}

function readDistributionPointName(node: der.DerNode): DistributionPointName {
  // DistributionPointName is a CHOICE, so its [0] tag in IDP / DistributionPoint is explicit.
  const [choice, ...rest] = der.children(node);
  if (choice === undefined || rest.length > 0) throw new der.DerError('malformed DistributionPointName');
  if (choice.tag === der.contextTag(0, true)) return { fullName: der.children(choice) };
  if (choice.tag === der.contextTag(1, true)) {
    der.children(choice); // must hold AttributeTypeAndValue elements
    return { relative: { tag: der.Tag.SET, bytes: der.encode(der.Tag.SET, choice.content), content: choice.content } };
  }
  throw new der.DerError('unknown DistributionPointName choice');
}

/** CRLDistributionPoints entries (RFC 5280 §4.2.1.13), as the certificate side of an IDP match. */
export interface DistributionPoint {
  name?: DistributionPointName;
  /** cRLIssuer GeneralName nodes. */
  crlIssuer?: readonly der.DerNode[];
}

export function readCrlDistributionPoints(value: der.DerNode): DistributionPoint[] {
  return der.children(der.expectTag(value, der.Tag.SEQUENCE, 'CRLDistributionPoints')).map((dp) => {
    const out: DistributionPoint = {};
    for (const f of der.children(der.expectTag(dp, der.Tag.SEQUENCE, 'DistributionPoint'))) {
      if (f.tag === der.contextTag(0, true)) out.name = readDistributionPointName(f);
      else if (f.tag === der.contextTag(2, true)) out.crlIssuer = der.children(f);
    }
    return out;
  });
}

function readIdp(value: Uint8Array): IssuingDistributionPoint {
  const idp: IssuingDistributionPoint = {
    onlyUser: false, onlyCA: false, onlyAttributes: false, onlySomeReasons: false, indirect: false, invalid: false,
  };
  try {
    const flag = (n: der.DerNode): boolean => {
      if (n.content.length !== 1) throw new der.DerError('bad BOOLEAN');
      return n.content[0] !== 0;
    };
    for (const f of der.children(der.expectTag(der.decode(value), der.Tag.SEQUENCE, 'IssuingDistributionPoint'))) {
      switch (f.tag) {
        case der.contextTag(0, true): idp.distributionPoint = readDistributionPointName(f); break;
        case der.contextTag(1, false): idp.onlyUser = flag(f); break;
        case der.contextTag(2, false): idp.onlyCA = flag(f); break;
        case der.contextTag(3, false): idp.onlySomeReasons = true; break;
        case der.contextTag(4, false): idp.indirect = flag(f); break;
        case der.contextTag(5, false): idp.onlyAttributes = flag(f); break;
        default: throw new der.DerError('unknown IssuingDistributionPoint field');
      }
    }
    // OpenSSL setup_idp: at most one of the "only contains" flags.
    if (Number(idp.onlyUser) + Number(idp.onlyCA) + Number(idp.onlyAttributes) > 1) idp.invalid = true;
  } catch {
    idp.invalid = true;
  }
  return idp;
}

/** CRLReason ::= ENUMERATED (RFC 5280 §5.3.1), or undefined when it does not decode. */
function readReasonCode(value: Uint8Array): number | undefined {
  try {
    const node = der.decode(value);
    if (node.tag !== ENUMERATED || node.content.length === 0 || node.content.length > 4) return undefined;
    let v = 0;
    for (const b of node.content) v = v * 256 + b;
    return v;
  } catch {
    return undefined;
  }
}

/** AlgorithmIdentifier (RFC 5280 §4.1.1.2): an OID and optional parameters. */
function checkAlgorithm(node: der.DerNode): void {
  const [id, ...params] = der.children(der.expectTag(node, der.Tag.SEQUENCE, 'AlgorithmIdentifier'));
  der.readOid(der.expectTag(id, der.Tag.OID, 'algorithm'));
  if (params.length > 1) throw new der.DerError('malformed AlgorithmIdentifier');
}

/** Name (RFC 5280 §4.1.2.4) structure, with string contents OpenSSL's d2i would refuse (invalid
 *  UTF8String, odd-length BMPString, UniversalString not a multiple of 4) refused likewise. */
function checkName(node: der.DerNode): void {
  for (const rdn of der.children(der.expectTag(node, der.Tag.SEQUENCE, 'Name'))) {
    for (const atv of der.children(der.expectTag(rdn, der.Tag.SET, 'RelativeDistinguishedName'))) {
      const [type, value, ...extra] = der.children(der.expectTag(atv, der.Tag.SEQUENCE, 'AttributeTypeAndValue'));
      der.readOid(der.expectTag(type, der.Tag.OID, 'attribute type'));
      if (value === undefined || extra.length > 0) throw new der.DerError('malformed AttributeTypeAndValue');
      if ((value.tag & 0xc0) !== 0) throw new der.DerError('attribute value is not a universal type');
      if (value.tag === der.Tag.UTF8_STRING) new TextDecoder('utf-8', { fatal: true }).decode(value.content);
      else if (value.tag === der.Tag.BMP_STRING && value.content.length % 2 !== 0) throw new der.DerError('bad BMPString');
      else if (value.tag === der.Tag.UNIVERSAL_STRING && value.content.length % 4 !== 0) throw new der.DerError('bad UniversalString');
      else if ((value.tag & 0x20) !== 0) der.children(value);
    }
  }
}

/** Parses one DER CertificateList (RFC 5280 §5.1). Throws TlsError(CRL_PARSE_ERROR_CODE). */
export function parseCrl(crlDer: Uint8Array): Crl {
  try {
    return parseCrlDer(crlDer);
  } catch (e) {
    if (e instanceof TlsError) throw e;
    throw new TlsError(CRL_PARSE_ERROR_CODE, `${CRL_PARSE_ERROR_MESSAGE}: ${(e as Error).message}`);
  }
}

function parseCrlDer(crlDer: Uint8Array): Crl {
  let fields: der.DerNode[] = [];
  const signed = signedParts(crlDer, (tbs) => {
    fields = tbs;
    return tbs[tbs[0]?.tag === der.Tag.INTEGER ? 1 : 0]!;
  });
  let i = 0;
  let version: number | undefined;
  if (fields[0]?.tag === der.Tag.INTEGER) {
    // Any value is accepted, as by OpenSSL's d2i (RFC 5280 §5.1.2.1 says v2 = 1).
    try {
      version = der.readSmallInteger(fields[0]);
    } catch {
      version = -1;
    }
    i = 1;
  }
  i++; // signature, located by signedParts
  checkAlgorithm(signed.innerAlgorithm);
  checkAlgorithm(signed.algorithm);
  der.readBitString(signed.signature);
  const issuer = der.expectTag(fields[i++], der.Tag.SEQUENCE, 'issuer');
  checkName(issuer);
  const thisUpdateNode = fields[i++];
  if (!isTime(thisUpdateNode)) throw new der.DerError('expected thisUpdate');
  const thisUpdate = readTimeOrNaN(thisUpdateNode!);
  let nextUpdate: number | undefined;
  if (isTime(fields[i])) nextUpdate = readTimeOrNaN(fields[i++]!);

  let unhandledCritical = false;
  const revoked = new Map<string, RevokedEntry>();
  if (fields[i]?.tag === der.Tag.SEQUENCE) {
    // OpenSSL crl_set_issuers reads entry extensions until a reasonCode fails to decode, then
    // stops (the CRL stays usable; later entries keep no reason).
    let readEntryExtensions = true;
    for (const entry of der.children(fields[i++]!)) {
      const parts = der.children(der.expectTag(entry, der.Tag.SEQUENCE, 'revoked certificate'));
      if (parts.length < 2 || parts.length > 3 || !isTime(parts[1])) throw new der.DerError('malformed revoked certificate');
      const serial = serialKey(der.readIntegerBytes(parts[0]!));
      let reason: number | undefined;
      if (parts[2] !== undefined) {
        const exts = readExtensions(parts[2]);
        if (readEntryExtensions) {
          const reasonExt = exts.find((e) => e.id === OID.reasonCode);
          if (reasonExt !== undefined) {
            reason = readReasonCode(reasonExt.value);
            if (reason === undefined) readEntryExtensions = false;
          }
          // One critical entry extension OpenSSL does not handle marks the whole CRL.
          if (readEntryExtensions && exts.some((e) => e.critical && e.id !== OID.certificateIssuer)) unhandledCritical = true;
        }
      }
      if (!revoked.has(serial)) revoked.set(serial, reason === undefined ? {} : { reason });
    }
  }

  let authorityKeyId: RawAuthorityKeyId | undefined;
  let issuingDistributionPoint: IssuingDistributionPoint | undefined;
  let delta = false;
  if (fields[i]?.tag === der.contextTag(0, true)) {
    const [exts, ...extra] = der.children(fields[i++]!);
    if (exts === undefined || extra.length > 0) throw new der.DerError('malformed crlExtensions');
    for (const ext of readExtensions(exts)) {
      switch (ext.id) {
        case OID.authorityKeyIdentifier:
          try {
            authorityKeyId = readAuthorityKeyId(der.decode(ext.value));
          } catch {
            authorityKeyId = undefined; // undecodable: OpenSSL leaves crl->akid NULL
          }
          break;
        case OID.issuingDistributionPoint:
          issuingDistributionPoint = readIdp(ext.value);
          break;
        case OID.deltaCrlIndicator:
          delta = true;
          break;
        default:
          if (ext.critical) unhandledCritical = true;
      }
    }
  }
  if (i !== fields.length) throw new der.DerError('unexpected field in TBSCertList');
  return {
    der: crlDer,
    signed,
    ...(version === undefined ? {} : { version }),
    issuer,
    thisUpdate,
    ...(nextUpdate === undefined ? {} : { nextUpdate }),
    revoked,
    ...(authorityKeyId === undefined ? {} : { authorityKeyId }),
    ...(issuingDistributionPoint === undefined ? {} : { issuingDistributionPoint }),
    delta,
    unhandledCritical,
  };
}

const PEM_BEGIN = '-----BEGIN X509 CRL-----';
const PEM_END = '-----END X509 CRL-----';

/** Index of `marker` at the start of a line, searching from `from`; -1 if none. Linear. */
function lineStartIndex(text: string, marker: string, from: number): number {
  for (let at = text.indexOf(marker, from); at !== -1; at = text.indexOf(marker, at + 1)) {
    if (at === 0 || text[at - 1] === '\n' || text[at - 1] === '\r') return at;
  }
  return -1;
}

/** The first "X509 CRL" PEM block (RFC 7468 §5) as PEM_read_bio_X509_CRL finds it: BEGIN and END
 *  lines at line starts, other blocks skipped, base64 body (white space allowed, nothing else).
 *  Linear in the input (no backtracking regular expression). undefined if there is none. */
function firstCrlBlock(text: string): Uint8Array | undefined {
  const begin = lineStartIndex(text, PEM_BEGIN, 0);
  if (begin === -1) return undefined;
  const bodyStart = begin + PEM_BEGIN.length;
  const end = lineStartIndex(text, PEM_END, bodyStart);
  if (end === -1) return undefined;
  const body = text.slice(bodyStart, end).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 === 1) return undefined;
  return new Uint8Array(Buffer.from(body, 'base64'));
}

export type CrlInput = string | Uint8Array | readonly (string | Uint8Array)[];

/** node:tls's `crl` option (a PEM string or buffer, or an array of them) → parsed CRLs, one per
 *  entry, as SecureContext.addCRL reads them. Call at context creation: throws a TlsError with
 *  code ERR_CRYPTO_OPERATION_FAILED for an entry without a readable "X509 CRL" PEM block (DER
 *  entries included, as in node), ERR_INVALID_ARG_TYPE for an entry that is not a string or
 *  bytes. Never throws anything else. */
export function parseCrls(input: CrlInput): Crl[] {
  const items: readonly unknown[] = Array.isArray(input) ? input : [input];
  const out: Crl[] = [];
  for (const item of items) {
    let text: string;
    if (typeof item === 'string') text = item;
    else if (item instanceof Uint8Array) text = Buffer.from(item.buffer, item.byteOffset, item.length).toString('latin1');
    else {
      throw new TlsError('ERR_INVALID_ARG_TYPE',
        'The "options.crl" property must be of type string or an instance of Buffer, TypedArray, or DataView.');
    }
    const first = firstCrlBlock(text);
    if (first === undefined || first.length === 0) throw new TlsError(CRL_PARSE_ERROR_CODE, CRL_PARSE_ERROR_MESSAGE);
    out.push(parseCrl(first));
  }
  return out;
}
