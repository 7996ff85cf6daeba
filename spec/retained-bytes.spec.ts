// What the engine keeps must be its own bytes, never a view that pins the transport's chunk:
// Node's Buffer#slice returns a view where Uint8Array#slice copies, and a socket's or a UDP
// socket's chunk can be tens of KiB (pooled), so a 32-byte session_id kept as a view would hold
// the whole chunk for the connection's lifetime. Each test feeds the engines Buffers that view
// one large Buffer, then walks what they keep.
import { expect } from 'chai';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { FragmentedMessage } from '../lib/engine/dtls/fragmented-message.js';
import { HandshakeType } from '../lib/engine/constants.js';
import type { Engine } from '../lib/engine/engine.js';
import { EnginePair } from './helpers/engine-pair.js';
import { dtlsEnginePair } from './helpers/dtls-engine-pair.js';

const CHUNK = 64 * 1024;

/** `bytes` as a Buffer at the start of a fresh CHUNK-byte Buffer, as a socket hands them. */
function inBigChunk(bytes: Uint8Array): Buffer {
  const big = Buffer.alloc(CHUNK);
  big.set(bytes, 0);
  return big.subarray(0, bytes.length);
}

/** Every Uint8Array reachable from `root` (own enumerable properties, arrays), bounded. */
function byteArraysIn(root: unknown, limit = 10_000): Uint8Array[] {
  const found: Uint8Array[] = [];
  const seen = new Set<unknown>();
  const stack: unknown[] = [root];
  while (stack.length > 0 && seen.size < limit) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Uint8Array) {
      found.push(v);
      continue;
    }
    for (const k of Object.keys(v)) stack.push((v as Record<string, unknown>)[k]);
  }
  return found;
}

function runWithBigChunks(p: EnginePair): void {
  for (let i = 0; i < 50; i++) {
    p.collect();
    if (p.toServer.length === 0 && p.toClient.length === 0) return;
    const ts = p.toServer.splice(0);
    for (const b of ts) p.server.receive(inBigChunk(b));
    const tc = p.toClient.splice(0);
    for (const b of tc) p.client.receive(inBigChunk(b));
  }
  throw new Error('engine pair did not settle');
}

describe('Bytes the engine keeps are copies, not views of the transport chunk', () => {
  const pairs: Record<string, () => EnginePair> = {
    TLS: () => new EnginePair({ serverCert: generateCertificate({ keyType: 'ec-p256' }), seed: 'retained' }),
    DTLS: () => dtlsEnginePair({ seed: 'retained/dtls' }).p,
  };
  for (const [transport, makePair] of Object.entries(pairs)) {
    it(`${transport}: the established session of both sides (session_id, randoms, verify_data, peer chain) holds no view of a 64 KiB input chunk`, () => {
      const p = makePair();
      p.client.start();
      runWithBigChunks(p);
      for (const e of [p.client, p.server] as Engine[]) {
        expect(e.session, 'handshake completed').to.not.equal(undefined);
        const arrays = byteArraysIn(e.session);
        expect(arrays.length).to.be.greaterThan(0);
        const pinned = arrays.filter((a) => a.buffer.byteLength >= CHUNK);
        expect(pinned.map((a) => a.length), 'arrays viewing an input chunk').to.deep.equal([]);
      }
    });
  }

  it('a DTLS fragment kept for reassembly is a copy even when the datagram is a Buffer', () => {
    const body = Uint8Array.from({ length: 100 }, (_, i) => i);
    const m = new FragmentedMessage(HandshakeType.certificate, 200);
    const datagram = inBigChunk(body);
    const { parts, cost } = m.newParts(0, datagram);
    m.add(parts, cost);
    datagram.fill(0);
    const kept = byteArraysIn(m).filter((a) => a.buffer.byteLength >= CHUNK);
    expect(kept.length, 'pieces viewing the datagram').to.equal(0);
  });
});
