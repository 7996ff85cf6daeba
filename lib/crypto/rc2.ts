// RC2 (RFC 2268), the block cipher of old PKCS #12 files (pbeWithSHAAnd40BitRC2-CBC, the
// default of `openssl pkcs12 -legacy`): key expansion and block decryption only.

/** RFC 2268 §2: PITABLE, a permutation of 0..255 based on the digits of pi. */
const PITABLE = Uint8Array.from([
  'd9 78 f9 c4 19 dd b5 ed 28 e9 fd 79 4a a0 d8 9d',
  'c6 7e 37 83 2b 76 53 8e 62 4c 64 88 44 8b fb a2',
  '17 9a 59 f5 87 b3 4f 13 61 45 6d 8d 09 81 7d 32',
  'bd 8f 40 eb 86 b7 7b 0b f0 95 21 22 5c 6b 4e 82',
  '54 d6 65 93 ce 60 b2 1c 73 56 c0 14 a7 8c f1 dc',
  '12 75 ca 1f 3b be e4 d1 42 3d d4 30 a3 3c b6 26',
  '6f bf 0e da 46 69 07 57 27 f2 1d 9b bc 94 43 03',
  'f8 11 c7 f6 90 ef 3e e7 06 c3 d5 2f c8 66 1e d7',
  '08 e8 ea de 80 52 ee f7 84 aa 72 ac 35 4d 6a 2a',
  '96 1a d2 71 5a 15 49 74 4b 9f d0 5e 04 18 a4 ec',
  'c2 e0 41 6e 0f 51 cb cc 24 91 af 50 a1 f4 70 39',
  '99 7c 3a 85 23 b8 b4 7a fc 02 36 5b 25 55 97 31',
  '2d 5d fa 98 e3 8a 92 ae 05 df 29 10 67 6c ba c9',
  'd3 00 e6 cf e1 9e a8 2c 63 16 01 3f 58 e2 89 a9',
  '0d 38 34 1b ab 33 ff b0 bb 48 0c 5f b9 b1 cd 2e',
  'c5 f3 db 47 e5 a5 9c 77 0a a6 20 68 fe 7f c1 ad',
].join(' ').split(' '), (h) => parseInt(h, 16));

/** RFC 2268 §2 key expansion: 64 16-bit subkeys for `bits` effective key bits. */
export function rc2Expand(key: Uint8Array, bits: number): Uint16Array {
  const T = key.length;
  const L = new Uint8Array(128);
  L.set(key);
  for (let i = T; i < 128; i++) L[i] = PITABLE[(L[i - 1]! + L[i - T]!) & 0xff]!;
  const T8 = (bits + 7) >> 3;
  const TM = 0xff >> (8 * T8 - bits);
  L[128 - T8] = PITABLE[L[128 - T8]! & TM]!;
  for (let i = 127 - T8; i >= 0; i--) L[i] = PITABLE[L[i + 1]! ^ L[i + T8]!]!;
  const K = new Uint16Array(64);
  for (let i = 0; i < 64; i++) K[i] = L[2 * i]! | (L[2 * i + 1]! << 8);
  return K;
}

/** RFC 2268 §4: decrypt one 8-byte block in place. */
export function rc2DecryptBlock(K: Uint16Array, b: Uint8Array, o: number): void {
  const R = [0, 1, 2, 3].map((i) => b[o + 2 * i]! | (b[o + 2 * i + 1]! << 8));
  const S = [1, 2, 3, 5];
  let j = 63;
  const mix = (): void => {
    for (let i = 3; i >= 0; i--) {
      const x = R[i]!;
      const r = ((x >>> S[i]!) | (x << (16 - S[i]!))) & 0xffff;
      const a = R[(i + 3) & 3]!, c = R[(i + 2) & 3]!, d = R[(i + 1) & 3]!;
      R[i] = (r - K[j--]! - (a & c) - (~a & d)) & 0xffff;
    }
  };
  const mash = (): void => {
    for (let i = 3; i >= 0; i--) R[i] = (R[i]! - K[R[(i + 3) & 3]! & 63]!) & 0xffff;
  };
  for (const [rounds, then] of [[5, true], [6, true], [5, false]] as const) {
    for (let n = 0; n < rounds; n++) mix();
    if (then) mash();
  }
  for (let i = 0; i < 4; i++) {
    b[o + 2 * i] = R[i]! & 0xff;
    b[o + 2 * i + 1] = R[i]! >> 8;
  }
}
