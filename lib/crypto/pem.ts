// PEM (RFC 7468) ⇄ DER for certificates, and the input forms node:tls accepts for `ca`/`cert`.

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const DASHES = '-----';
const LABEL = /^[A-Z0-9 ]+$/;

/** The label of a `-----BEGIN X-----` / `-----END X-----` line whose marker starts at `at`
 *  (its text starting at `labelStart`), or undefined when the line is not one. */
function labelAt(text: string, labelStart: number): { label: string; after: number } | undefined {
  const close = text.indexOf(DASHES, labelStart);
  if (close < 0) return undefined;
  const label = text.slice(labelStart, close);
  // On the same line, and a label's characters only (RFC 7468 §3).
  if (!LABEL.test(label)) return undefined;
  return { label, after: close + DASHES.length };
}

/**
 * Every PEM block of the given label (default CERTIFICATE) in `text`, as DER. Two passes, each
 * linear: the END lines by label first, then each BEGIN is paired with the first END of its
 * label after it (so hostile input, BEGIN lines without END, costs no rescans).
 */
export function pemBlocks(text: string, label = 'CERTIFICATE'): Uint8Array[] {
  const ends = new Map<string, number[]>();
  for (let at = text.indexOf(END); at >= 0; at = text.indexOf(END, at + END.length)) {
    const l = labelAt(text, at + END.length);
    if (!l) continue;
    let list = ends.get(l.label);
    if (!list) ends.set(l.label, (list = []));
    list.push(at);
  }
  const next = new Map<string, number>(); // per label: index of its first END not yet passed
  const out: Uint8Array[] = [];
  let at = text.indexOf(BEGIN);
  while (at >= 0) {
    const l = labelAt(text, at + BEGIN.length);
    let resume = at + BEGIN.length;
    const list = l ? ends.get(l.label) : undefined;
    if (l && list) {
      let k = next.get(l.label) ?? 0;
      while (k < list.length && list[k]! < l.after) k++;
      next.set(l.label, k);
      if (k < list.length) {
        const endAt = list[k]!;
        if (l.label === label) out.push(new Uint8Array(Buffer.from(text.slice(l.after, endAt).replace(/[^A-Za-z0-9+/=]/g, ''), 'base64')));
        resume = endAt + END.length + l.label.length + DASHES.length;
      }
    }
    at = text.indexOf(BEGIN, resume);
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
