// npm run bench: secure-duplex against node:tls in the same run, on loopback.
// Measures bulk throughput (one direction), handshakes per second, and idle renegotiation
// latency. Numbers only; nothing here is asserted.
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { connect, createServer } from '../lib/index.js';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { nodeCryptoProvider } from '../lib/crypto/node-provider.js';

const MiB = 1024 * 1024;
const cert = generateCertificate({ keyType: 'ec-p256' });
const opts = { cert: cert.certPem, key: cert.keyPem };
const clientOpts = { ca: cert.certPem, host: '127.0.0.1', servername: 'localhost' };

type Stack = 'secure-duplex' | 'secure-duplex+node-crypto' | 'node:tls';
const STACKS: Stack[] = ['secure-duplex', 'secure-duplex+node-crypto', 'node:tls'];
const provider = (stack: Stack) => (stack === 'secure-duplex+node-crypto' ? { cryptoProvider: nodeCryptoProvider } : {});
type AnyServer = tls.Server | ReturnType<typeof createServer>;
type AnySocket = tls.TLSSocket | ReturnType<typeof connect>;

/** PSK (no certificates): the IoT setup. */
const PSK_KEY = Buffer.alloc(16, 0x5a);
const pskServerOpts = { pskCallback: () => PSK_KEY };
const pskClientOpts = { pskCallback: () => ({ psk: PSK_KEY, identity: 'bench' }), checkServerIdentity: () => undefined };
const isPsk = (ciphers?: string): boolean => ciphers !== undefined && ciphers.includes('PSK');

function server(stack: Stack, onSocket: (s: AnySocket) => void, ciphers?: string): Promise<{ srv: AnyServer; port: number }> {
  const psk = isPsk(ciphers) ? pskServerOpts : {};
  const srv: AnyServer = stack === 'node:tls'
    ? tls.createServer({ ...opts, maxVersion: 'TLSv1.2', ciphers, ...psk }, onSocket)
    : createServer({ ...opts, ciphers, ...provider(stack), ...psk }, onSocket);
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({ srv, port: (srv.address() as AddressInfo).port })));
}

function client(stack: Stack, port: number, ciphers?: string): Promise<AnySocket> {
  return new Promise((resolve, reject) => {
    const psk = isPsk(ciphers) ? pskClientOpts : {};
    const c: AnySocket = stack === 'node:tls'
      ? tls.connect({ ...clientOpts, port, maxVersion: 'TLSv1.2', ciphers, ...psk }, () => resolve(c))
      : connect({ ...clientOpts, port, ciphers, ...provider(stack), ...psk }, () => resolve(c));
    c.on('error', reject);
  });
}

async function throughput(stack: Stack, ciphers: string, total: number): Promise<number> {
  let done!: (ms: number) => void;
  const finished = new Promise<number>((r) => { done = r; });
  let t0 = 0;
  const { srv, port } = await server(stack, (s) => {
    let got = 0;
    s.on('data', (d: Buffer) => { got += d.length; if (got >= total) done(performance.now() - t0); });
  }, ciphers);
  const c = await client(stack, port, ciphers);
  const chunk = Buffer.alloc(64 * 1024, 7);
  t0 = performance.now();
  for (let sent = 0; sent < total; sent += chunk.length) {
    if (!c.write(chunk)) await new Promise((r) => c.once('drain', r));
  }
  const ms = await finished;
  c.destroy();
  srv.close();
  return total / MiB / (ms / 1000);
}

async function handshakes(stack: Stack, n: number, ciphers?: string): Promise<number> {
  const { srv, port } = await server(stack, (s) => s.end(), ciphers);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const c = await client(stack, port, ciphers);
    c.destroy();
  }
  const ms = performance.now() - t0;
  srv.close();
  return n / (ms / 1000);
}

async function renegotiationLatency(stack: Stack, n: number): Promise<number> {
  const { srv, port } = await server(stack, (s) => { (s as tls.TLSSocket).setNoDelay?.(true); s.resume(); });
  const c = await client(stack, port);
  (c as tls.TLSSocket).setNoDelay(true);
  const t0 = performance.now();
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const r = await new Promise<boolean>((resolve) => {
      const started = (c as tls.TLSSocket).renegotiate({}, (err) => resolve(!err));
      if (!started) resolve(false);
    });
    if (r) ok++;
  }
  const ms = performance.now() - t0;
  c.destroy();
  srv.close();
  return ok === n ? ms / n : NaN;
}

async function main(): Promise<void> {
  const total = Number(process.env.BENCH_MIB ?? 32) * MiB;
  const rows: string[] = [];
  for (const ciphers of ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
    for (const stack of STACKS) {
      rows.push(`throughput ${ciphers.padEnd(32)} ${stack.padEnd(26)} ${(await throughput(stack, ciphers, total)).toFixed(1)} MiB/s`);
      console.log(rows[rows.length - 1]);
    }
  }
  for (const stack of STACKS) {
    console.log(`handshakes/s (ECDHE-ECDSA P-256, x25519)            ${stack.padEnd(26)} ${(await handshakes(stack, 100)).toFixed(0)}`);
  }
  for (const stack of STACKS) {
    console.log(`handshakes/s (PSK-AES128-GCM-SHA256)                ${stack.padEnd(26)} ${(await handshakes(stack, 200, 'PSK-AES128-GCM-SHA256')).toFixed(0)}`);
  }
  for (const stack of STACKS) {
    // node:tls allows 3 client renegotiations per 10 minutes by default; 3 it is, for both.
    console.log(`idle client renegotiation (mean of 3)               ${stack.padEnd(26)} ${(await renegotiationLatency(stack, 3)).toFixed(2)} ms`);
  }
  console.log(`memory: rss ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB after the run`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
