// Revocation: OpenSSL x509_vfy.c check_revocation with X509_V_FLAG_CRL_CHECK_ALL (node's `crl`
// semantics), RFC 5280 §6.3.

import { parseCrls, type Crl, type DistributionPointName } from './crl.js';
import * as der from './der.js';
import { verifySigned } from './certificate-signature.js';
import { akidMatches, canonicalAkid, publicKeyOf, KU, type AuthorityKeyId, type Cert } from './parsed-certificate.js';
import { V, type VerifyError } from './verify-errors.js';
import { canonicalName } from './x509-name.js';
import { equalBytes } from '../equal-bytes.js';
import { toHex } from '../hex.js';

/** A CRL with its names in canonical form (X509_NAME_cmp). */
interface CrlEntry {
  readonly crl: Crl;
  readonly issuer: string;
  readonly akid?: AuthorityKeyId;
}

/** CRLs by canonical issuer name, in input order. */
export type CrlIndex = ReadonlyMap<string, readonly CrlEntry[]>;

const crlCache = new WeakMap<readonly (string | Uint8Array)[], { items: (string | Uint8Array)[]; index: CrlIndex }>();

export function crlIndex(input: readonly (string | Uint8Array)[]): CrlIndex {
  const hit = crlCache.get(input);
  if (hit !== undefined && hit.items.length === input.length && hit.items.every((v, k) => v === input[k])) {
    return hit.index;
  }
  const index = new Map<string, CrlEntry[]>();
  for (const crl of parseCrls(input)) {
    const entry: CrlEntry = {
      crl,
      issuer: canonicalName(crl.issuer),
      ...(crl.authorityKeyId === undefined ? {} : { akid: canonicalAkid(crl.authorityKeyId) }),
    };
    const list = index.get(entry.issuer);
    if (list === undefined) index.set(entry.issuer, [entry]);
    else if (!list.some((o) => equalBytes(o.crl.der, crl.der))) list.push(entry); // X509_STORE_add_crl dedup
  }
  crlCache.set(input, { items: [...input], index });
  return index;
}

/** get_crl_score bits. */
const SCORE = {
  NOCRITICAL: 0x100,
  SCOPE: 0x080,
  TIME: 0x040,
  ISSUER_NAME: 0x020,
  ISSUER_CERT: 0x018,
  SAME_PATH: 0x008,
  AKID: 0x004,
} as const;

/** RFC 5280 §5.1.2.4-5: thisUpdate <= now < nextUpdate (absent nextUpdate: no expiry). With
 *  `report`, every failure is reported (check_crl_time notify mode); returns whether all held. */
export function crlTimeValid(crl: Crl, now: number, report?: (e: VerifyError) => void): boolean {
  let ok = true;
  if (Number.isNaN(crl.thisUpdate)) {
    ok = false;
    report?.(V.ERROR_IN_CRL_LAST_UPDATE_FIELD);
  } else if (crl.thisUpdate > now) {
    ok = false;
    report?.(V.CRL_NOT_YET_VALID);
  }
  if (!ok && report === undefined) return false;
  if (crl.nextUpdate !== undefined) {
    if (Number.isNaN(crl.nextUpdate)) {
      ok = false;
      report?.(V.ERROR_IN_CRL_NEXT_UPDATE_FIELD);
    } else if (crl.nextUpdate <= now) {
      ok = false;
      report?.(V.CRL_HAS_EXPIRED);
    }
  }
  return ok;
}

/** Names a DistributionPointName stands for: fullName GeneralNames (directoryName canonical,
 *  others by DER), or the issuer's name extended by the relative RDN (DIST_POINT_set_dpname). */
function dpNames(name: DistributionPointName, issuer: der.DerNode): { relative?: string; general: string[] } {
  if (name.relative !== undefined) {
    const full = der.sequence(...der.children(issuer).map((n) => n.bytes), name.relative.bytes);
    return { relative: canonicalName(der.decode(full)), general: [] };
  }
  return {
    general: (name.fullName ?? []).map((g) => (g.tag === der.contextTag(4, true)
      ? `dn:${canonicalName(der.decode(g.content))}`
      : `raw:${toHex(g.bytes)}`)),
  };
}

/** idp_check_dp: the certificate's distribution point name and the CRL's IDP name share a name. */
function dpNamesMatch(a: ReturnType<typeof dpNames>, b: ReturnType<typeof dpNames>): boolean {
  if (a.relative !== undefined && b.relative !== undefined) return a.relative === b.relative;
  const dn = a.relative ?? b.relative;
  if (dn !== undefined) return (a.relative === undefined ? a : b).general.includes(`dn:${dn}`);
  return a.general.some((n) => b.general.includes(n));
}

/** crl_crldp_check: is `x` within the CRL's scope (issuingDistributionPoint, RFC 5280 §5.2.5)? */
function crlCoversCert(x: Cert, entry: CrlEntry, certIssuerName: der.DerNode): boolean {
  const idp = entry.crl.issuingDistributionPoint;
  if (idp === undefined) return true;
  if (idp.onlyAttributes) return false;
  if (x.isCA ? idp.onlyUser : idp.onlyCA) return false;
  if (idp.distributionPoint === undefined) return true;
  const crlNames = dpNames(idp.distributionPoint, entry.crl.issuer);
  for (const dp of x.crlDistributionPoints ?? []) {
    if (dp.crlIssuer !== undefined && !dp.crlIssuer.some((g) =>
      g.tag === der.contextTag(4, true) && canonicalName(der.decode(g.content)) === entry.issuer)) continue;
    if (dp.name === undefined || dpNamesMatch(dpNames(dp.name, certIssuerName), crlNames)) return true;
  }
  return false;
}

/** get_crl_score (without X509_V_FLAG_EXTENDED_CRL_SUPPORT): 0 when the CRL cannot serve for
 *  path[i]; else the score and the chain certificate that issued the CRL (crl_akid_check). */
function crlScore(path: readonly Cert[], i: number, entry: CrlEntry, now: number): { score: number; issuer?: Cert } {
  const x = path[i]!;
  const crl = entry.crl;
  const idp = crl.issuingDistributionPoint;
  if (idp !== undefined && (idp.invalid || idp.indirect || idp.onlySomeReasons)) return { score: 0 };
  if (entry.issuer !== x.issuer) return { score: 0 };
  let score = SCORE.ISSUER_NAME;
  if (!crl.unhandledCritical) score |= SCORE.NOCRITICAL;
  if (crlTimeValid(crl, now)) score |= SCORE.TIME;
  // crl_akid_check: the next certificate up (the top one checks its own CRL), else any higher
  // certificate named as the CRL issuer whose key identifiers agree.
  let issuer: Cert | undefined;
  const next = i === path.length - 1 ? i : i + 1;
  if (akidMatches(path[next]!, entry.akid)) {
    issuer = path[next]!;
    score |= SCORE.AKID | SCORE.ISSUER_CERT;
  } else {
    for (let j = next + 1; j < path.length; j++) {
      if (path[j]!.subject === entry.issuer && akidMatches(path[j]!, entry.akid)) {
        issuer = path[j]!;
        score |= SCORE.AKID | SCORE.SAME_PATH;
        break;
      }
    }
  }
  if (issuer === undefined) return { score: 0 };
  const certIssuerName = crl.issuer; // equal (canonically) to x's issuer here
  if (crlCoversCert(x, entry, certIssuerName)) score |= SCORE.SCOPE;
  return { score, issuer };
}

/** check_cert for path[i]: pick the best CRL (get_crl_sk: highest score, then the latest
 *  thisUpdate), check it (check_crl) and look the certificate up in it (cert_crl). */
function checkCertRevocation(path: readonly Cert[], i: number, crls: CrlIndex, now: number, report: (e: VerifyError) => void): void {
  const x = path[i]!;
  let best: CrlEntry | undefined;
  let bestScore = 0;
  let bestIssuer: Cert | undefined;
  for (const entry of crls.get(x.issuer) ?? []) {
    const { score, issuer } = crlScore(path, i, entry, now);
    if (score === 0 || score < bestScore) continue;
    // An equally good CRL replaces the current one only when strictly newer.
    if (score === bestScore && best !== undefined && !(entry.crl.thisUpdate > best.crl.thisUpdate)) continue;
    best = entry;
    bestScore = score;
    bestIssuer = issuer;
  }
  if (best === undefined || bestIssuer === undefined) {
    report(V.UNABLE_TO_GET_CRL);
    return;
  }
  const crl = best.crl;
  // check_crl. Delta CRLs skip the key usage and scope checks (OpenSSL; without extended CRL
  // support a delta CRL is otherwise used like a complete one).
  if (!crl.delta) {
    if (bestIssuer.keyUsage !== undefined && (bestIssuer.keyUsage & KU.cRLSign) === 0) report(V.KEYUSAGE_NO_CRL_SIGN);
    if ((bestScore & SCORE.SCOPE) === 0) report(V.DIFFERENT_CRL_SCOPE);
  }
  if ((bestScore & SCORE.TIME) === 0) crlTimeValid(crl, now, report);
  const key = publicKeyOf(bestIssuer);
  if (key === null) report(V.UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY);
  else if (!verifySigned(crl.signed, key)) report(V.CRL_SIGNATURE_FAILURE);
  // cert_crl: a CRL with an unhandled critical extension cannot clear anything (RFC 5280 §5.2);
  // an entry whose reason is removeFromCRL (8) does not revoke.
  if (crl.unhandledCritical) report(V.UNHANDLED_CRITICAL_CRL_EXTENSION);
  const revoked = crl.revoked.get(x.serialKey);
  if (revoked !== undefined && revoked.reason !== 8) report(V.CERT_REVOKED);
  // Out of scope: the CRL covered no reasons for x, and no other CRL can.
  if ((bestScore & SCORE.SCOPE) === 0) report(V.UNABLE_TO_GET_CRL);
}

/** check_revocation with CRL_CHECK_ALL: every certificate of the path, leaf first, up to and
 *  including the top (a trust anchor is looked up in its own CRL). */
export function checkRevocation(path: readonly Cert[], crls: CrlIndex, now: number, report: (e: VerifyError) => void): void {
  for (let i = 0; i < path.length; i++) checkCertRevocation(path, i, crls, now, report);
}
