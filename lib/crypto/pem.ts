// PEM (RFC 7468) ⇄ DER for certificates, and the input forms node:tls accepts for `ca`/`cert`.

const BEGIN = '-----BEGIN ';
const DASHES = '-----';

/**
 * Every PEM block of the given label (default CERTIFICATE) in `text`, as DER. One pass: a label
 * whose END line is missing is remembered, so hostile input (many BEGIN lines, no END) costs
 * linear time, not a rescan per BEGIN.
 */
export function pemBlocks(text: string, label = 'CERTIFICATE'): Uint8Array[] {
  const out: Uint8Array[] = [];
  const unterminated = new Set<string>();
  let at = text.indexOf(BEGIN);
  while (at >= 0) {
    const labelStart = at + BEGIN.length;
    const labelEnd = text.indexOf(DASHES, labelStart);
    if (labelEnd < 0) break;
    const found = text.slice(labelStart, labelEnd);
    let next = labelEnd + DASHES.length;
    if (/^[A-Z0-9 ]+$/.test(found) && !unterminated.has(found)) {
      const end = `-----END ${found}-----`;
      const endAt = text.indexOf(end, next);
      if (endAt < 0) {
        unterminated.add(found);
      } else {
        if (found === label) out.push(new Uint8Array(Buffer.from(text.slice(next, endAt).replace(/[^A-Za-z0-9+/=]/g, ''), 'base64')));
        next = endAt + end.length;
      }
    }
    at = text.indexOf(BEGIN, next);
  }
  return out;
}

/** DER certificate → PEM text. */
export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

export type CertificateInput = string | Uint8Array | readonly (string | Uint8Array)[];

/** node:tls's `ca` / `cert` forms (PEM string or Buffer, DER Buffer, or arrays of them) → DER list. */
export function certificatesFrom(input: CertificateInput | undefined): Uint8Array[] {
  if (input === undefined) return [];
  const items = Array.isArray(input) ? input : [input as string | Uint8Array];
  const out: Uint8Array[] = [];
  for (const item of items) {
    if (typeof item === 'string') {
      out.push(...pemBlocks(item));
    } else if (looksLikePem(item)) {
      out.push(...pemBlocks(Buffer.from(item).toString('latin1')));
    } else {
      out.push(item);
    }
  }
  return out;
}

function looksLikePem(b: Uint8Array): boolean {
  // "-----BEGIN" somewhere near the start (after optional text / whitespace).
  return Buffer.from(b.subarray(0, Math.min(b.length, 4096))).toString('latin1').includes('-----BEGIN');
}
