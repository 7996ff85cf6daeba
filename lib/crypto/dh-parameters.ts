// The server's `dhparam` option as node:tls reads it (measured with node 20): 'auto', or PEM
// "DH PARAMETERS" (PKCS #3 DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER,
// privateValueLength INTEGER OPTIONAL }) as a string or Buffer. Text that holds no such block is
// silently ignored (no DHE suites then), a prime under 1024 bits is refused with
// ERR_INVALID_ARG_VALUE, and one under 2048 bits is accepted with a SecurityWarning.
import { children, decode, DerError, expectTag, readIntegerBytes, Tag } from './der.js';
import { bitLength } from './finite-field-dh.js';
import { pemBlocks } from './pem.js';
import type { DhParameters } from './provider.js';
import { ErrorCode, TlsError, invalidArgType } from '../errors.js';

/** What the server uses for DHE: the parameters given, or OpenSSL's automatic choice. */
export type DhParamSetting = DhParameters | 'auto';

/** node's SetDHParam: the smallest prime accepted, and the size under which it warns. */
export const DH_PARAM_MIN_BITS = 1024;
export const DH_PARAM_WARN_BITS = 2048;

/** INTEGER content without the sign byte. */
function unsigned(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/**
 * The dhparam option resolved: undefined when absent or unusable (as node, which then offers no
 * DHE suite), with `warning` set for a prime under 2048 bits (the text node emits as a
 * SecurityWarning).
 */
export function resolveDhParam(value: unknown): { setting: DhParamSetting | undefined; warning?: string } {
  if (value === undefined) return { setting: undefined };
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
    throw invalidArgType('options.dhparam', 'of type string or an instance of Buffer, TypedArray, or DataView', value, 'property');
  }
  const text = typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.length).toString('latin1');
  if (text === 'auto') return { setting: 'auto' };
  const der = pemBlocks(text, 'DH PARAMETERS')[0];
  if (der === undefined) return { setting: undefined };
  let params: DhParameters;
  try {
    const seq = expectTag(decode(der), Tag.SEQUENCE, 'DHParameter');
    const [prime, base] = children(seq);
    params = { p: unsigned(readIntegerBytes(prime!)), g: unsigned(readIntegerBytes(base!)) };
  } catch (e) {
    if (e instanceof DerError || e instanceof TypeError) return { setting: undefined };
    throw e;
  }
  const bits = bitLength(params.p);
  if (bits < DH_PARAM_MIN_BITS) {
    throw new TlsError(ErrorCode.INVALID_ARG, `DH parameter is less than ${DH_PARAM_MIN_BITS} bits`);
  }
  return bits < DH_PARAM_WARN_BITS ? { setting: params, warning: `DH parameter is less than ${DH_PARAM_WARN_BITS} bits` } : { setting: params };
}
