/** Whether a and b hold the same bytes (not constant-time: for public data such as encodings;
 *  secrets are compared with constantTimeEqual). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}
