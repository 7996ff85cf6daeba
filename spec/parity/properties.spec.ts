// Properties and getters of a TLS socket, node:tls and secure-duplex side by side
// (spec/parity/harness.ts): before the handshake, after it (both sides, with ALPN, SNI, a
// chosen suite and curve), after a resumption, and once destroyed; the events 'connect',
// 'secure' and the server's 'connection'.
import type { Duplex } from 'node:stream';
import { parity, sha256, type Ends, type Recorder } from './harness.js';
import { clientOptions, listen, next, serverOptions } from './fixtures.js';

type Sock = Duplex & Record<string, unknown> & {
  getFinished(): Buffer | undefined;
  getPeerFinished(): Buffer | undefined;
  getSession(): Buffer | undefined;
  getProtocol(): string | null;
};

/** What both libraries report the same way, as values; what differs by connection (ports,
 *  keys, tickets) as kinds or comparisons. */
function snapshot(s: Sock, port: number): Record<string, unknown> {
  const call = (name: string): unknown => {
    try {
      return (s[name] as () => unknown).call(s);
    } catch (e) {
      return { threw: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
    }
  };
  const kind = (v: unknown): string => (v === null ? 'null' : Buffer.isBuffer(v) ? 'Buffer' : typeof v);
  const cert = call('getCertificate') as { raw?: Buffer; subject?: unknown } | null;
  const x509 = call('getX509Certificate') as { subject?: string } | undefined;
  const address = call('address') as Record<string, unknown>;
  return {
    // (Not named `encrypted`: shape() takes an object with encrypted: true for a socket.)
    'encrypted property': s.encrypted,
    alpnProtocol: s.alpnProtocol,
    servername: s.servername,
    remoteAddress: s.remoteAddress,
    remoteFamily: s.remoteFamily,
    remotePortIsServer: s.remotePort === port,
    localAddress: s.localAddress,
    localPortIsServer: s.localPort === port,
    address: address && typeof address === 'object' ? { keys: Object.keys(address).sort(), family: address.family, portIsServer: address.port === port } : address,
    getCertificate: cert && cert.raw ? { raw: sha256(cert.raw) } : cert,
    getCipher: call('getCipher'),
    getEphemeralKeyInfo: call('getEphemeralKeyInfo'),
    getFinished: kind(call('getFinished')),
    getPeerFinished: kind(call('getPeerFinished')),
    getPeerCertificate: Object.keys((call('getPeerCertificate') as object | null) ?? {}).length > 0,
    getPeerX509Certificate: (call('getPeerX509Certificate') as { subject?: string } | undefined)?.subject,
    getProtocol: call('getProtocol'),
    getSession: kind(call('getSession')),
    getTLSTicket: kind(call('getTLSTicket')),
    getX509Certificate: x509 ? x509.subject : x509,
    isSessionReused: call('isSessionReused'),
    connecting: s.connecting,
    pending: s.pending,
    readyState: s.readyState,
  };
}

async function propertiesScenario(m: Ends, rec: Recorder, extra: { server?: object; client?: object }): Promise<void> {
  const server = m.server.createServer(serverOptions(extra.server));
  server.on('connection', () => rec.add('server', 'connection'));
  const accepted = new Promise<Sock>((res) => server.on('secureConnection', (s: Sock) => {
    s.on('error', () => undefined);
    res(s);
  }));
  const port = await listen(rec, server);
  const c = rec.track(m.client.connect(clientOptions(port, extra.client)) as Sock);
  rec.watch('client events', c, ['connect', 'secure', 'secureConnect']);
  const { getProtocol: _early, ...before } = snapshot(c, port);
  rec.add('client', 'before the handshake', before);
  // (Right after connect(): node's says 'TLSv1.3' there, OpenSSL's version before its
  // ClientHello even with maxVersion TLSv1.2; compat.md.)
  rec.add('getProtocol() before the ClientHello', 'value', c.getProtocol());
  c.once('secureConnect', () => rec.add('client', 'getProtocol() at secureConnect', c.getProtocol()));
  await next(c, 'secureConnect');
  const s = await accepted;
  rec.add('client', 'after the handshake', snapshot(c, port));
  rec.add('server socket', 'after the handshake', snapshot(s, port));
  // Each side's Finished is the other's peer Finished.
  rec.add('finished', 'client = server peer', c.getFinished()!.equals(s.getPeerFinished()!), c.getPeerFinished()!.equals(s.getFinished()!));
  const session = c.getSession();
  const closed = new Promise((res) => c.once('close', res));
  c.destroy();
  await closed;
  rec.add('client', 'destroyed', snapshot(c, port));
  // A resumption with the session of the first connection.
  const resumed = rec.track(m.client.connect(clientOptions(port, { ...extra.client, session })) as Sock);
  const acceptedAgain = next<Sock>(server, 'secureConnection');
  await next(resumed, 'secureConnect');
  // (node's client has no peer certificate after a resumption from a `session` Buffer: OpenSSL's
  // serialized session keeps no chain; ours keeps it. compat.md.)
  const { getPeerCertificate, getPeerX509Certificate, ...resumedSnapshot } = snapshot(resumed, port);
  rec.add('client', 'resumed', resumedSnapshot);
  rec.add('resumed client: peer certificate', 'value', getPeerCertificate, getPeerX509Certificate);
  // (node's server reports no servername on a resumed connection; compat.md.)
  const { servername, ...resumedServer } = snapshot(await acceptedAgain, port);
  rec.add('server socket', 'resumed', resumedServer);
  rec.add('resumed server socket: servername', 'value', servername);
}

const DIFFERENCES = [
  { channel: 'getProtocol() before the ClientHello', compat: "OpenSSL's version before its ClientHello" },
  { channel: 'resumed client: peer certificate', compat: "OpenSSL's serialized session keeps no chain" },
  { channel: 'resumed server socket: servername', compat: "where node's server says `false` (measured with tickets)" },
];

describe('parity with node:tls: socket properties', function () {
  parity('properties before and after the handshake, after a resumption and once destroyed', (m, rec) => propertiesScenario(m, rec, {}), {
    differences: DIFFERENCES,
  });
  parity('with ALPN, a chosen suite and curve, SNI off (IP host, no servername)', (m, rec) => propertiesScenario(m, rec, {
    server: { ALPNProtocols: ['b', 'a'], ecdhCurve: 'P-384' },
    client: { ALPNProtocols: ['a', 'b'], ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305', servername: undefined, checkServerIdentity: () => undefined },
  }), { differences: DIFFERENCES });
});
