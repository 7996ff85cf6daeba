// DTLS 1.2 (secure-duplex only: node:tls has no DTLS): throughput with every record filling a
// 1200-byte datagram, and handshakes per second (each with its HelloVerifyRequest cookie
// round trip, RFC 6347 §4.2.1). Both ends in this process, over loopback UDP.
import { connect, createServer, type SecureDuplex } from '../lib/index.js';
import { nodeCryptoProvider } from '../lib/crypto/node-provider.js';
import type { Budget } from './budget.js';
import type { Credentials } from './credentials.js';
import { measureReceive, mibPerSecond, drained, type Window } from './flow.js';
import { opsPerSecond } from './timed-loop.js';
import { ecdhCurveOf, type Stack } from './stacks.js';

export const DTLS_SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';
export const DATAGRAM_BYTES = 1200;
/** RFC 6347 §4.1 record header (13) + RFC 5288 explicit nonce (8) + GCM tag (16). */
const PAYLOAD_BYTES = DATAGRAM_BYTES - 13 - 8 - 16;
/** Datagrams the sender may have in flight: UDP drops what a busy receiver cannot queue, so
 *  the sender waits for the receiver rather than measuring losses. */
const IN_FLIGHT = 64;
/** A datagram not counted after this long is taken as lost. */
const LOSS_WAIT_MS = 100;

function options(stack: Stack) {
  return {
    ciphers: DTLS_SUITE,
    ecdhCurve: ecdhCurveOf('X25519'),
    ...(stack === 'native' ? { cryptoProvider: nodeCryptoProvider } : {}),
    dtls: { mtu: DATAGRAM_BYTES },
  };
}

async function dtlsServer(stack: Stack, credentials: Credentials, onSocket: (s: SecureDuplex) => void) {
  const server = createServer({ transport: 'udp', cert: credentials.certPem, key: credentials.keyPem, ...options(stack) }, (s) => {
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: server.address().port };
}

function dtlsClient(stack: Stack, credentials: Credentials, port: number): Promise<SecureDuplex> {
  return new Promise((resolve, reject) => {
    const c = connect({
      transport: 'udp', host: '127.0.0.1', port, servername: 'localhost', ca: credentials.certPem, ...options(stack),
    }, () => resolve(c));
    c.on('error', reject); // after the handshake: a no-op, as in stacks.ts dial()
  });
}

/** MiB/s of application data received; `lost` counts datagrams that never arrived. */
export async function dtlsThroughput(stack: Stack, credentials: Credentials, budget: Budget): Promise<{ mibs: number; lost: number }> {
  let received = 0;
  let wake: (() => void) | undefined;
  let measured!: Promise<Window>;
  let accepted!: () => void;
  const serverSide = new Promise<void>((r) => { accepted = r; });
  const { server, port } = await dtlsServer(stack, credentials, (s) => {
    s.on('data', () => {
      received++;
      wake?.();
    });
    measured = measureReceive(s, budget.warmup, budget.window);
    accepted();
  });
  try {
    const c = await dtlsClient(stack, credentials, port);
    try {
      await serverSide;
      let done = false;
      const result = measured.finally(() => { done = true; });
      const chunk = new Uint8Array(PAYLOAD_BYTES).fill(7);
      let sent = 0;
      let lost = 0;
      const sending = (async () => {
        while (!done && !c.destroyed) {
          if (sent - received - lost >= IN_FLIGHT) {
            const caughtUp = await new Promise<boolean>((resolve) => {
              const t = setTimeout(() => resolve(false), LOSS_WAIT_MS);
              wake = () => {
                if (sent - received - lost < IN_FLIGHT / 2) {
                  clearTimeout(t);
                  wake = undefined;
                  resolve(true);
                }
              };
            });
            if (!caughtUp) lost = sent - received;
            continue;
          }
          sent++;
          if (!c.write(chunk)) await drained(c);
        }
      })();
      try {
        const w = await result;
        return { mibs: mibPerSecond(w), lost };
      } finally {
        done = true;
        c.destroy();
        await sending;
      }
    } finally {
      c.destroy();
    }
  } finally {
    server.destroy();
  }
}

export async function dtlsHandshakesPerSecond(stack: Stack, credentials: Credentials, budget: Budget): Promise<number> {
  const { server, port } = await dtlsServer(stack, credentials, (s) => s.resume());
  try {
    return await opsPerSecond(budget.window, budget.minOps, async () => {
      (await dtlsClient(stack, credentials, port)).destroy();
    });
  } finally {
    server.destroy();
  }
}
