// Two Engines back to back in memory (DESIGN.md "Engine tests"): deterministic RNG and clock.
import { createHash, X509Certificate } from 'node:crypto';
import { nobleProvider } from '../../lib/crypto/noble-provider.js';
import { CIPHER_SUITES, type CipherSuite } from '../../lib/engine/cipher-suites.js';
import type { CertificateVerifier } from '../../lib/engine/config.js';
import { Engine, type EngineEvent, type EngineOptions } from '../../lib/engine/engine.js';
import { DEFAULT_GROUPS, DEFAULT_SIGNATURE_SCHEMES } from '../../lib/engine/defaults.js';
import { seededRandom } from './deterministic-random.js';

export interface PairOptions {
  seed?: string;
  serverCert: { certPem: string; keyPem: string };
  clientCert?: { certPem: string; keyPem: string };
  suites?: readonly CipherSuite[];
  client?: Partial<EngineOptions>;
  server?: Partial<EngineOptions>;
}

export const acceptAll: CertificateVerifier = () => ({ ok: true });

function identity(c: { certPem: string; keyPem: string }) {
  return { chain: [new Uint8Array(new X509Certificate(c.certPem).raw)], key: nobleProvider.loadPrivateKey(c.keyPem) };
}

export class EnginePair {
  readonly client: Engine;
  readonly server: Engine;
  clock = 1_000_000;
  readonly clientEvents: EngineEvent[] = [];
  readonly serverEvents: EngineEvent[] = [];
  /** Bytes in flight, per direction, so tests can tamper with or inspect them. */
  toServer: Uint8Array[] = [];
  toClient: Uint8Array[] = [];

  constructor(o: PairOptions) {
    const seed = o.seed ?? 'pair';
    const base = {
      provider: nobleProvider,
      now: () => this.clock,
      cipherSuites: o.suites ?? CIPHER_SUITES,
      groups: DEFAULT_GROUPS,
      signatureSchemes: DEFAULT_SIGNATURE_SCHEMES,
      verifier: acceptAll,
      rejectUnauthorized: true,
      requestCert: false,
    };
    this.client = new Engine({
      ...base, role: 'client', random: seededRandom(`${seed}/client`), servername: 'localhost',
      identities: o.clientCert ? [identity(o.clientCert)] : [], ...o.client,
    });
    this.server = new Engine({
      // DH parameters as node's dhparam: 'auto', so that every suite, DHE too, can be chosen.
      ...base, role: 'server', random: seededRandom(`${seed}/server`), dhParam: 'auto',
      identities: [identity(o.serverCert)], ...o.server,
    });
  }

  /** Move bytes both ways until nothing is left in flight (bounded). */
  run(maxRounds = 50): void {
    for (let i = 0; i < maxRounds; i++) {
      this.collect();
      if (this.toServer.length === 0 && this.toClient.length === 0) return;
      const ts = this.toServer;
      this.toServer = [];
      for (const b of ts) this.server.receive(b);
      const tc = this.toClient;
      this.toClient = [];
      for (const b of tc) this.client.receive(b);
    }
    throw new Error('engine pair did not settle');
  }

  collect(): void {
    this.toServer.push(...this.client.takeOutput());
    this.toClient.push(...this.server.takeOutput());
    this.drainEvents();
  }

  /** Move the engines' pending events into clientEvents / serverEvents. */
  drainEvents(): void {
    this.clientEvents.push(...this.client.takeEvents());
    this.serverEvents.push(...this.server.takeEvents());
  }

  handshake(): void {
    this.client.start();
    this.run();
  }

  static dataOf(events: EngineEvent[]): Buffer {
    return Buffer.concat(events.filter((e) => e.type === 'data').map((e) => (e as { data: Uint8Array }).data));
  }

  static errors(events: EngineEvent[]): EngineEvent[] {
    return events.filter((e) => e.type === 'error');
  }
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
