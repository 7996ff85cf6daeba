// The three stacks the benchmark puts side by side, and how each opens a TLS server and client
// on loopback with the same options: secure-duplex on its default provider (noble), secure-duplex
// with `cryptoProvider: nodeCryptoProvider`, and node:tls pinned to TLS 1.2.
import type { AddressInfo } from 'node:net';
import { constants } from 'node:crypto';
import tls from 'node:tls';
import { connect, createServer } from '../lib/index.js';
import { nodeCryptoProvider } from '../lib/crypto/node-provider.js';
import { PSK_CLIENT, PSK_SERVER, type Credentials } from './credentials.js';

export type Stack = 'noble' | 'native' | 'node:tls';
export const STACKS: readonly Stack[] = ['noble', 'native', 'node:tls'];
/** secure-duplex's two stacks (DTLS has no node:tls counterpart). */
export const OUR_STACKS: readonly Stack[] = ['noble', 'native'];

export const STACK_LABEL: Record<Stack, string> = {
  noble: 'secure-duplex (noble)',
  native: 'secure-duplex + nodeCryptoProvider',
  'node:tls': 'node:tls (TLS 1.2)',
};

// node:tls allows 3 client renegotiations per 10 minutes; the benchmark renegotiates on purpose.
Object.assign(tls, { CLIENT_RENEG_LIMIT: Number.MAX_SAFE_INTEGER });

/** What one connection uses: suite, certificate, group, and (client) a session to resume. */
export interface ConnectionSpec {
  ciphers: string;
  credentials: Credentials;
  /** The ECDHE group: 'X25519' or 'P-256'. */
  group?: 'X25519' | 'P-256';
  session?: Uint8Array;
  /** Server: no RFC 5077 tickets (SSL_OP_NO_TICKET), so sessions resume by session ID. */
  noTickets?: boolean;
}

export type AnyServer = tls.Server | ReturnType<typeof createServer>;
export type AnySocket = tls.TLSSocket | ReturnType<typeof connect>;

const isPsk = (ciphers: string): boolean => ciphers.startsWith('PSK');

/** ecdhCurve for both sides. In TLS 1.2 the supported_groups list also names the curves an
 *  ECDSA certificate may use (RFC 8422 §5.1.1; OpenSSL refuses a P-256 certificate otherwise),
 *  so X25519 comes first with P-256 after it: the group chosen is X25519. */
export function ecdhCurveOf(group: ConnectionSpec['group']): string | undefined {
  return group === 'X25519' ? 'X25519:P-256' : group;
}

function providerOf(stack: Stack): object {
  return stack === 'native' ? { cryptoProvider: nodeCryptoProvider } : {};
}

export function listen(stack: Stack, spec: ConnectionSpec, onSocket: (s: AnySocket) => void): Promise<{ server: AnyServer; port: number }> {
  const common = {
    cert: spec.credentials.certPem,
    key: spec.credentials.keyPem,
    ciphers: spec.ciphers,
    ecdhCurve: ecdhCurveOf(spec.group),
    ...(isPsk(spec.ciphers) ? PSK_SERVER : {}),
    ...(spec.noTickets ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}),
  };
  const accepted = new Set<AnySocket>();
  const wrapped = (s: AnySocket): void => {
    s.on('error', () => undefined); // a client destroyed mid-flight is not the server's failure
    accepted.add(s);
    s.once('close', () => accepted.delete(s));
    onSocket(s);
  };
  const server: AnyServer = stack === 'node:tls'
    ? tls.createServer({ ...common, maxVersion: 'TLSv1.2' }, wrapped)
    : createServer({ ...common, ...providerOf(stack), renegotiationLimit: Number.MAX_SAFE_INTEGER }, wrapped);
  ACCEPTED.set(server, accepted);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

/** A client connected and through its handshake. */
export function dial(stack: Stack, port: number, spec: ConnectionSpec): Promise<AnySocket> {
  const common = {
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ca: spec.credentials.certPem,
    ciphers: spec.ciphers,
    ecdhCurve: ecdhCurveOf(spec.group),
    session: spec.session === undefined ? undefined : Buffer.from(spec.session),
    ...(isPsk(spec.ciphers) ? PSK_CLIENT : {}),
  };
  return new Promise((resolve, reject) => {
    const c: AnySocket = stack === 'node:tls'
      ? tls.connect({ ...common, maxVersion: 'TLSv1.2' }, () => resolve(c))
      : connect({ ...common, ...providerOf(stack) }, () => resolve(c));
    // Before the handshake an error fails the dial; after it, the measurement ends the
    // connection its own way (destroying one end resets the other), so errors are expected.
    c.on('error', reject);
  });
}

/** The connections a server made, until they close. */
const ACCEPTED = new WeakMap<AnyServer, Set<AnySocket>>();

/** Close a server and destroy its connections at once, so that nothing it still holds (records
 *  read but not yet decrypted) runs into the next measurement. */
export function shut(server: AnyServer): void {
  server.close();
  for (const s of ACCEPTED.get(server) ?? []) s.destroy();
}

/** Fail unless the handshake used the group asked for (node:tls names P-256 'prime256v1'). */
export function expectGroup(c: AnySocket, spec: ConnectionSpec): void {
  if (spec.group === undefined) return;
  const info = c.getEphemeralKeyInfo() as { name?: string } | null;
  const want = spec.group === 'P-256' ? 'prime256v1' : spec.group;
  if (info?.name !== want) throw new Error(`negotiated group ${info?.name ?? 'none'}, not ${want}`);
}
