// Each primitive alone, called the way a TLS record or handshake calls it, with no TLS around
// it: the ceiling a stack built on that library can reach. noble (@noble/ciphers, @noble/curves)
// against node:crypto (OpenSSL). RSA is node:crypto's in both of secure-duplex's providers.
import {
  constants, createCipheriv, createDecipheriv, createECDH, diffieHellman, generateKeyPairSync, randomBytes, sign, verify,
  type CipherGCMTypes, type KeyObject,
} from 'node:crypto';
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { syncOpsPerSecond } from './timed-loop.js';
import type { Budget } from './budget.js';

export type Library = 'noble' | 'node:crypto';
export type Aead = 'AES-128-GCM' | 'CHACHA20-POLY1305';
export type Primitive =
  | `seal ${Aead} ${RecordSize}` | `open ${Aead} ${RecordSize}`
  | 'X25519' | 'P-256 ECDH' | 'ECDSA P-256 sign' | 'ECDSA P-256 verify' | 'RSA-2048 sign' | 'RSA-2048 verify';
export type RecordSize = '16 KiB' | '1 KiB';

export const RECORD_BYTES: Record<RecordSize, number> = { '16 KiB': 16_384, '1 KiB': 1024 };
const MiB = 1024 * 1024;

/** One measured primitive: MiB/s for the AEADs, operations/s for the rest. */
export interface PrimitiveResult {
  primitive: Primitive;
  unit: 'MiB/s' | 'ops/s';
  /** Absent where the library has no such primitive (noble has no RSA). */
  values: Partial<Record<Library, number>>;
}

// RFC 5246 §6.2.3.3 / RFC 5288 §3: a 12-byte nonce and 13 bytes of additional data per record.
const AAD = new Uint8Array(13);
const KEY = new Uint8Array(randomBytes(16));
const CHACHA_KEY = new Uint8Array(randomBytes(32));

function nonceOf(seq: number): Uint8Array {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setUint32(8, seq);
  return n;
}

function nobleAead(aead: Aead, seq: number): ReturnType<typeof gcm> {
  return aead === 'AES-128-GCM' ? gcm(KEY, nonceOf(seq), AAD) : chacha20poly1305(CHACHA_KEY, nonceOf(seq), AAD);
}

function nodeCipherName(aead: Aead): CipherGCMTypes | 'chacha20-poly1305' {
  return aead === 'AES-128-GCM' ? 'aes-128-gcm' : 'chacha20-poly1305';
}

function nodeSeal(aead: Aead, seq: number, pt: Uint8Array): Buffer {
  const key = aead === 'AES-128-GCM' ? KEY : CHACHA_KEY;
  const c = createCipheriv(nodeCipherName(aead) as CipherGCMTypes, key, nonceOf(seq), { authTagLength: 16 });
  c.setAAD(AAD);
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

function nodeOpen(aead: Aead, seq: number, sealed: Uint8Array): Buffer {
  const key = aead === 'AES-128-GCM' ? KEY : CHACHA_KEY;
  const d = createDecipheriv(nodeCipherName(aead) as CipherGCMTypes, key, nonceOf(seq), { authTagLength: 16 });
  d.setAAD(AAD);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
}

function aeadRates(budget: Budget, aead: Aead, size: RecordSize): PrimitiveResult[] {
  const bytes = RECORD_BYTES[size];
  const pt = new Uint8Array(randomBytes(bytes));
  const nobleSealed = nobleAead(aead, 0).encrypt(pt);
  const nodeSealed = nodeSeal(aead, 0, pt);
  const rate = (op: () => void): number => (syncOpsPerSecond(budget.primitiveWindow, budget.minOps, op) * bytes) / MiB;
  let seq = 0;
  return [
    {
      primitive: `seal ${aead} ${size}`,
      unit: 'MiB/s',
      values: { noble: rate(() => nobleAead(aead, seq++).encrypt(pt)), 'node:crypto': rate(() => nodeSeal(aead, seq++, pt)) },
    },
    {
      primitive: `open ${aead} ${size}`,
      unit: 'MiB/s',
      values: { noble: rate(() => nobleAead(aead, 0).decrypt(nobleSealed)), 'node:crypto': rate(() => nodeOpen(aead, 0, nodeSealed)) },
    },
  ];
}

/** An ECDHE exchange as one side makes it: a fresh key pair, then the shared secret. */
function keyExchangeRates(budget: Budget): PrimitiveResult[] {
  const ops = (op: () => void): number => syncOpsPerSecond(budget.primitiveWindow, budget.minOps, op);
  const peerX = x25519.getPublicKey(x25519.utils.randomSecretKey());
  const peerXNode = generateKeyPairSync('x25519').publicKey;
  const peerP = p256.getPublicKey(p256.utils.randomSecretKey(), false);
  return [
    {
      primitive: 'X25519',
      unit: 'ops/s',
      values: {
        noble: ops(() => {
          const sk = x25519.utils.randomSecretKey();
          x25519.getPublicKey(sk);
          x25519.getSharedSecret(sk, peerX);
        }),
        'node:crypto': ops(() => {
          const { privateKey, publicKey } = generateKeyPairSync('x25519');
          // The raw public value, as a key share sends it (JWK 'x'; an SPKI DER export would
          // time OpenSSL's encoder, not X25519).
          publicKey.export({ format: 'jwk' });
          diffieHellman({ privateKey, publicKey: peerXNode });
        }),
      },
    },
    {
      primitive: 'P-256 ECDH',
      unit: 'ops/s',
      values: {
        noble: ops(() => {
          const sk = p256.utils.randomSecretKey();
          p256.getPublicKey(sk, false);
          p256.getSharedSecret(sk, peerP, true);
        }),
        'node:crypto': ops(() => {
          const e = createECDH('prime256v1');
          e.generateKeys();
          e.computeSecret(peerP);
        }),
      },
    },
  ];
}

/** Signatures over a ServerKeyExchange-sized message (RFC 5246 §7.4.3: randoms + params). */
function signatureRates(budget: Budget): PrimitiveResult[] {
  const ops = (op: () => void): number => syncOpsPerSecond(budget.primitiveWindow, budget.minOps, op);
  const msg = new Uint8Array(randomBytes(64 + 4 + 65));
  const sk = p256.utils.randomSecretKey();
  const pk = p256.getPublicKey(sk, false);
  const nobleSig = p256.sign(msg, sk);
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ecSig = sign('sha256', msg, ec.privateKey);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // RFC 8446 §4.2.3 rsa_pss_rsae_sha256, the scheme both stacks pick in TLS 1.2 with RSA keys.
  const pss = (key: KeyObject) => ({ key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  const rsaSig = sign('sha256', msg, pss(rsa.privateKey));
  return [
    {
      primitive: 'ECDSA P-256 sign',
      unit: 'ops/s',
      values: { noble: ops(() => p256.sign(msg, sk)), 'node:crypto': ops(() => sign('sha256', msg, ec.privateKey)) },
    },
    {
      primitive: 'ECDSA P-256 verify',
      unit: 'ops/s',
      values: { noble: ops(() => p256.verify(nobleSig, msg, pk)), 'node:crypto': ops(() => verify('sha256', msg, ec.publicKey, ecSig)) },
    },
    { primitive: 'RSA-2048 sign', unit: 'ops/s', values: { 'node:crypto': ops(() => sign('sha256', msg, pss(rsa.privateKey))) } },
    { primitive: 'RSA-2048 verify', unit: 'ops/s', values: { 'node:crypto': ops(() => verify('sha256', msg, pss(rsa.publicKey), rsaSig)) } },
  ];
}

export type PrimitiveStep = { label: string; run: (budget: Budget) => PrimitiveResult[] };

/** The primitive measurements, one step each (the progress bar counts steps). */
export const PRIMITIVE_STEPS: readonly PrimitiveStep[] = [
  ...(['AES-128-GCM', 'CHACHA20-POLY1305'] as const).flatMap((aead) => (['16 KiB', '1 KiB'] as const).map((size) => ({
    label: `${aead} ${size} records`,
    run: (b: Budget) => aeadRates(b, aead, size),
  }))),
  { label: 'key exchange', run: keyExchangeRates },
  { label: 'signatures', run: signatureRates },
];
