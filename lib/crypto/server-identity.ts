// Host name check: node's tls.checkServerIdentity (RFC 6125 §6.4), on a DER certificate.

import { isIP } from 'node:net';
import { ErrorCode, TlsError } from '../errors.js';
import { cachedFacet } from './certificate-cache.js';
import { toPeerCertificate, type PeerCertificate } from './peer-certificate.js';

/** The error checkServerIdentity returns, with node's extra fields. */
export class AltNameInvalidError extends TlsError {
  readonly reason: string;
  readonly host: string;
  readonly cert: PeerCertificate;
  constructor(reason: string, host: string, cert: PeerCertificate) {
    super(ErrorCode.ALTNAME_INVALID, `Hostname/IP does not match certificate's altnames: ${reason}`);
    this.reason = reason;
    this.host = host;
    this.cert = cert;
  }
}

/** Checks `hostname` against the certificate as node:tls does: IP literals against iPAddress
 *  SANs; names against dNSName SANs (one leftmost wildcard label, not on a two-label pattern);
 *  the subject CN only when there is no dNSName SAN. */
export function checkServerIdentity(hostname: string, certDer: Uint8Array): TlsError | undefined {
  let names: HostNames;
  try {
    names = cachedFacet(certDer, 'hostNames', readHostNames);
  } catch (e) {
    return new TlsError(ErrorCode.DECODE, `unable to parse certificate: ${(e as Error).message}`);
  }
  const { altNames, dnsNames, ips, cn } = names;

  let valid = false;
  let reason = 'Unknown reason';
  const host = String(hostname).replace(/[.]$/, ''); // unfqdn
  if (isIP(host) !== 0) {
    valid = ips.includes(canonicalizeIp(host));
    if (!valid) reason = `IP: ${host} is not in the cert's list: ${ips.join(', ')}`;
  } else if (dnsNames.length > 0 || cn) {
    const hostParts = splitHost(host);
    const wildcard = (pattern: string): boolean => matchHost(hostParts, pattern, true);
    if (dnsNames.length > 0) {
      valid = dnsNames.some(wildcard);
      if (!valid) reason = `Host: ${host}. is not in the cert's altnames: ${altNames}`;
    } else {
      valid = Array.isArray(cn) ? cn.some(wildcard) : cn ? wildcard(cn) : false;
      if (!valid) reason = `Host: ${host}. is not cert's CN: ${String(cn)}`;
    }
  } else {
    reason = 'Cert does not contain a DNS name';
  }
  return valid ? undefined : new AltNameInvalidError(reason, host, toPeerCertificate([certDer], false) as PeerCertificate);
}

/** What the host-name check reads from a certificate, as node's getPeerCertificate() gives it
 *  (kept with the certificate's other parses: certificate-cache.ts). */
interface HostNames {
  readonly altNames: string | undefined;
  readonly dnsNames: readonly string[];
  readonly ips: readonly (string | undefined)[];
  readonly cn: string | string[] | undefined;
}

function readHostNames(der: Uint8Array): HostNames {
  const cert = toPeerCertificate([der], false) as PeerCertificate;
  const altNames = cert.subjectaltname;
  const dnsNames: string[] = [];
  const ips: (string | undefined)[] = [];
  if (altNames) {
    for (const name of altNames.includes('"') ? splitEscapedAltNames(altNames) : altNames.split(', ')) {
      if (name.startsWith('DNS:')) dnsNames.push(name.slice(4));
      else if (name.startsWith('IP Address:')) ips.push(canonicalizeIp(name.slice(11)));
    }
  }
  return { altNames, dnsNames, ips, cn: cert.subject?.CN };
}

/** Lowercases A-Z only (locale-independent) and splits on dots, after dropping a final dot. */
function splitHost(host: string): string[] {
  return host.replace(/[.]$/, '').replace(/[A-Z]/g, (c) => c.toLowerCase()).split('.');
}

/** RFC 6125 §6.4.3 as node implements it. */
function matchHost(hostParts: readonly string[], pattern: string, wildcards: boolean): boolean {
  if (!pattern) return false;
  const patternParts = splitHost(pattern);
  if (hostParts.length !== patternParts.length) return false;
  if (patternParts.includes('')) return false;
  // U-labels, control characters and blanks are rejected outright.
  if (patternParts.some((s) => /[^\u0021-\u007F]/u.test(s))) return false;
  for (let i = hostParts.length - 1; i > 0; i--) {
    if (hostParts[i] !== patternParts[i]) return false;
  }
  const hostSub = hostParts[0]!;
  const patternSub = patternParts[0]!;
  const pieces = patternSub.split('*', 3);
  // No wildcard, or an A-label (no wildcard substitution in punycode): exact match.
  if (pieces.length === 1 || patternSub.includes('xn--')) return hostSub === patternSub;
  if (!wildcards) return false;
  if (pieces.length > 2) return false; // more than one wildcard
  if (patternParts.length <= 2) return false; // *.tld
  const [prefix = '', suffix = ''] = pieces;
  if (prefix.length + suffix.length > hostSub.length) return false;
  return hostSub.startsWith(prefix) && hostSub.endsWith(suffix);
}

// Any JSON string literal (ECMA-404): node quotes altnames containing separators this way.
// eslint-disable-next-line no-control-regex
const JSON_STRING = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/;

function splitEscapedAltNames(altNames: string): string[] {
  const result: string[] = [];
  let current = '';
  let offset = 0;
  while (offset !== altNames.length) {
    const nextSep = altNames.indexOf(', ', offset);
    const nextQuote = altNames.indexOf('"', offset);
    if (nextQuote !== -1 && (nextSep === -1 || nextQuote < nextSep)) {
      current += altNames.substring(offset, nextQuote);
      const match = JSON_STRING.exec(altNames.substring(nextQuote));
      if (match === null) throw new TlsError('ERR_TLS_CERT_ALTNAME_FORMAT', 'Invalid subject alternative name string');
      current += JSON.parse(match[0]) as string;
      offset = nextQuote + match[0].length;
    } else if (nextSep !== -1) {
      current += altNames.substring(offset, nextSep);
      result.push(current);
      current = '';
      offset = nextSep + 2;
    } else {
      current += altNames.substring(offset);
      offset = altNames.length;
    }
  }
  result.push(current);
  return result;
}

/** node's canonicalizeIP: inet_pton then inet_ntop (libuv), or undefined if not an address. */
function canonicalizeIp(text: string): string | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return v4.join('.');
  const v6 = parseIpv6(text.split('%')[0]!);
  return v6 === undefined ? undefined : formatIpv6(v6);
}

/** inet_pton4: exactly four decimal octets, no leading zeros. */
function parseIpv4(text: string): number[] | undefined {
  if (!/^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/.test(text)) return undefined;
  const parts = text.split('.').map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

/** inet_pton6 (RFC 4291 §2.2): eight 16-bit groups, one optional '::', optional dotted tail. */
function parseIpv6(text: string): number[] | undefined {
  let s = text;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (lastColon === -1) return undefined;
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    s = s.slice(0, lastColon + 1);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || rest === undefined) return undefined;
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 2 ? explicit > 7 : explicit !== 8) return undefined;
  return [...head, ...new Array<number>(8 - explicit).fill(0), ...rest, ...tail];
}

/** inet_ntop6 as libuv (BIND) writes it: longest zero run (>= 2 groups) as '::', lowercase hex,
 *  IPv4-compatible / -mapped addresses with a dotted tail. */
function formatIpv6(words: readonly number[]): string {
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      cur = cur.base === -1 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
    } else if (cur.base !== -1) {
      if (best.base === -1 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (cur.base !== -1 && (best.base === -1 || cur.len > best.len)) best = cur;
  if (best.base !== -1 && best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 &&
      (best.len === 6 || (best.len === 7 && words[7] !== 0x0001) || (best.len === 5 && words[5] === 0xffff))) {
      out += `${words[6]! >> 8}.${words[6]! & 0xff}.${words[7]! >> 8}.${words[7]! & 0xff}`;
      return out;
    }
    out += words[i]!.toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}
