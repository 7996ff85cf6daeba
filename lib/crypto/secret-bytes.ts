// Key material that must not show through ordinary logging. SecretBytes is a Uint8Array (so
// the code using it is unchanged) that util.inspect — hence console.log — prints as
// `SecretBytes(48) <redacted>` and JSON.stringify as "<redacted>". Its slices and subarrays
// are SecretBytes too (Symbol.species), so keys cut from a key block stay redacted. Copying it
// into a Buffer (Buffer.from) is an explicit export and is not redacted.
import { inspect } from 'node:util';

export class SecretBytes extends Uint8Array<ArrayBuffer> {
  [inspect.custom](): string {
    return `SecretBytes(${this.length}) <redacted>`;
  }

  toJSON(): string {
    return '<redacted>';
  }
}

/** The same bytes as SecretBytes: a view of them (no copy), or with `copy`, its own copy. */
export function secretBytes(b: Uint8Array, copy = false): SecretBytes {
  if (b instanceof SecretBytes && !copy) return b;
  if (copy || !(b.buffer instanceof ArrayBuffer)) {
    const out = new SecretBytes(new ArrayBuffer(b.length));
    out.set(b);
    return out;
  }
  return new SecretBytes(b.buffer, b.byteOffset, b.length);
}
