// Two DTLS Engines back to back on one virtual clock (EnginePair with transport 'dtls'),
// optionally with a stateless cookie exchange (HelloVerifyRequest, RFC 6347 §4.2.1), and the
// simulated datagram link between them (LossyLink) that drives that clock.
import { generateCertificate } from '../../lib/crypto/certificate-generator.js';
import { nobleProvider } from '../../lib/crypto/noble-provider.js';
import { CookieJar } from '../../lib/engine/dtls/cookie.js';
import type { EngineOptions } from '../../lib/engine/engine.js';
import { seededRandom } from './deterministic-random.js';
import { EnginePair } from './engine-pair.js';
import { LossyLink, type LinkRates } from './lossy-link.js';

export interface DtlsEnginePairOptions {
  /** Seeds the engines' randomness, the cookie secret and (unless given there) the link. */
  seed: string;
  /** The server answers a ClientHello without a valid cookie with a HelloVerifyRequest. */
  cookies?: boolean;
  /** Both sides' path MTU (default 1200). */
  mtu?: number;
  /** Default: an ECDSA P-256 certificate made once per process. */
  serverCert?: { certPem: string; keyPem: string };
  /** Merged over the defaults (renegotiationLimit 1000 on both sides). */
  client?: Partial<EngineOptions>;
  server?: Partial<EngineOptions>;
}

export interface DtlsEnginePair {
  p: EnginePair;
  /** The virtual clock both engines read; a LossyLink advances it. */
  time: { t: number };
  /** A link between the two engines on that clock. */
  link(rates?: LinkRates, seed?: string, onDeliver?: (to: 'client' | 'server', d: Uint8Array) => void): LossyLink;
}

let defaultCert: { certPem: string; keyPem: string } | undefined;

export function dtlsEnginePair(o: DtlsEnginePairOptions): DtlsEnginePair {
  const time = { t: 1_000_000 };
  const now = (): number => time.t;
  const cookies = o.cookies ? new CookieJar(nobleProvider, seededRandom(`${o.seed}/cookie`), now) : undefined;
  const dtls = { mtu: o.mtu ?? 1200 };
  const p = new EnginePair({
    serverCert: o.serverCert ?? (defaultCert ??= generateCertificate({ keyType: 'ec-p256' })),
    seed: o.seed,
    client: { transport: 'dtls', now, renegotiationLimit: 1000, dtls, ...o.client },
    server: {
      transport: 'dtls', now, renegotiationLimit: 1000, dtls,
      dtlsCookies: cookies && { make: (ch) => cookies.make('peer', ch), verify: (ch) => cookies.verify('peer', ch) },
      ...o.server,
    },
  });
  return {
    p,
    time,
    link: (rates = {}, seed = o.seed, onDeliver) => new LossyLink(time, p.client, p.server, rates, seed, onDeliver),
  };
}
