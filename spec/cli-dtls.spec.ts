// The CLI over DTLS (-u): closing against a peer that has gone, and the DTLS proxy.
import { expect } from 'chai';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { runCleanups } from './helpers/cleanups.js';
import { expectExit, useCliProcesses, type Proc } from './helpers/cli-process.js';
import { randomBytesSeeded, requirePeer } from './helpers/peers.js';
import { UdpRelay } from './helpers/udp-relay.js';

/** A UDP echo service on 127.0.0.1 (the backend of server -u --forward). */
async function udpEchoBackend(): Promise<{ sock: UdpSocket; port: number }> {
  const sock = createSocket('udp4');
  sock.on('message', (m, from) => sock.send(m, from.port, from.address));
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
  return { sock, port: sock.address().port };
}

/** The port in a `listening: 127.0.0.1:PORT...` line. */
async function listeningPort(p: Proc): Promise<number> {
  await p.waitFor(/^listening: 127\.0\.0\.1:\d+/m);
  return Number(/^listening: 127\.0\.0\.1:(\d+)/m.exec(p.stdout)![1]);
}

/** Datagram i: its index (4 bytes) then 40–939 seeded bytes, so each one received can be checked whole. */
function numberedDatagram(seed: string, i: number): Buffer {
  const len = 40 + (randomBytesSeeded(`${seed}-len-${i}`, 2).readUInt16BE(0) % 900);
  const d = randomBytesSeeded(`${seed}-${i}`, len);
  d.writeUInt32BE(i, 0);
  return d;
}

const MARKER = 0xffff_ffff;

describe('CLI over DTLS (-u)', function () {
  this.timeout(60_000);
  const { run, openssl, files } = useCliProcesses();
  const cleanups: (() => unknown)[] = [];
  afterEach(() => runCleanups(cleanups));

  /**
   * UDP sender → client -u --listen → [relay] → server -u --forward udp:... → UDP echo. Sends
   * `count` numbered datagrams (paced), then a marker datagram every 50 ms until one comes back
   * (bounded), and returns every datagram that came back.
   */
  async function throughProxy(seed: string, count: number, relayRates: ConstructorParameters<typeof UdpRelay>[1] | undefined,
    serverArgs: string[] = [], clientArgs: string[] = []): Promise<{ sent: Buffer[]; got: Buffer[]; server: Proc; client: Proc }> {
    const backend = await udpEchoBackend();
    cleanups.push(() => backend.sock.close());
    const server = run('server', ['server', '-u', '-p', '0', '-c', files.cert, '-k', files.key, '-d', '-i', '--forward', `127.0.0.1:${backend.port}`, ...serverArgs]);
    const serverPort = await listeningPort(server);
    await server.waitFor(`forwarding: to 127.0.0.1:${backend.port} over UDP`);
    let port = serverPort;
    if (relayRates) {
      const relay = new UdpRelay(serverPort, relayRates, seed);
      cleanups.push(() => relay.close());
      port = await relay.listen();
    }
    const client = run('client', ['client', '-u', '--listen', '0', '-p', String(port), '-A', files.ca, '-S', 'localhost', ...clientArgs]);
    const front = await listeningPort(client);
    await client.waitFor(/^forwarding: to 127\.0\.0\.1:\d+ over DTLS$/m);
    const app = createSocket('udp4');
    cleanups.push(() => app.close());
    const got: Buffer[] = [];
    let markerBack!: () => void;
    const marker = new Promise<void>((res) => (markerBack = res));
    app.on('message', (m) => {
      if (m.length === 4 && m.readUInt32BE(0) === MARKER) markerBack();
      else got.push(m);
    });
    await new Promise<void>((res) => app.bind(0, '127.0.0.1', () => res()));
    const sent: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      sent.push(numberedDatagram(seed, i));
      app.send(sent[i]!, front, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 3));
      // UDP has no flow control: on the loss-free path at most 8 datagrams are on their way
      // (bounded wait). Through the lossy relay the echo count falls behind by design (about
      // 0.9 × 0.9 of the datagrams make the round trip), so the sender keeps only 60 % of them
      // ahead: enough that the relay's own losses never hold it, while a busy machine cannot
      // make the kernel drop datagrams the sender piled into the processes' socket buffers.
      const until = Date.now() + 5_000;
      const behind = relayRates ? Math.floor(i * 0.6) - 8 : i - 8;
      while (got.length < behind && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
    }
    const m = Buffer.alloc(4);
    m.writeUInt32BE(MARKER, 0);
    const ticker = setInterval(() => app.send(m, front, '127.0.0.1'), 50);
    const deadline = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no marker back; ${got.length} datagrams came back`)), 20_000).unref());
    try {
      await Promise.race([marker, deadline]);
    } finally {
      clearInterval(ticker);
    }
    return { sent, got, server, client };
  }

  it('client -u --pipe exits 0 after a clean close although the server has exited first (ICMP port unreachable)', async function () {
    requirePeer(this, 'openssl');
    const sServer = openssl('openssl s_server', ['s_server', '-dtls1_2', '-accept', '127.0.0.1:0', '-cert', files.cert, '-key', files.key, '-naccept', '1']);
    const port = await sServer.boundPort('udp', 10_000);
    const client = run('client', ['client', '-u', '-p', String(port), '-A', files.ca, '-S', 'localhost', '--pipe']);
    client.write('before the server exits\n');
    await sServer.waitFor('before the server exits\n');
    // s_server quits when its stdin ends; the client's close_notify then meets a closed port.
    sServer.endInput();
    expect(await sServer.exited()).to.equal(0);
    client.endInput();
    await expectExit(client, 0);
    expect(client.stderr).not.to.match(/^error:/m);
  });

  it('client -u --listen → server -u --forward udp: 400 datagrams echoed whole and in order while the client renegotiates every 50 ms', async () => {
    const { sent, got, server, client } = await throughProxy('dtls-proxy', 400, undefined, ['-M'], ['-R', '--renegotiate-every', '50']);
    expect(got.length).to.equal(sent.length);
    got.forEach((d, i) => expect(d.equals(sent[i]!), `datagram ${i}`).to.equal(true));
    expect(client.stdout).to.match(/^protocol: DTLSv1\.2$/m);
    expect(client.stdout.match(/^renegotiation: complete \(local, /gm)?.length ?? 0).to.be.at.least(2);
    expect(server.stderr + client.stderr).not.to.match(/^error:/m);
  });

  it('through a lossy relay (10 % loss, reordering, duplicates): every datagram that comes back is one that was sent, whole; the lost ones are missing, never cut', async () => {
    const { sent, got } = await throughProxy('dtls-proxy-lossy', 300, { loss: 0.1, duplicate: 0.05, reorder: 0.1, delay: 1 });
    const seen = new Set<number>();
    for (const d of got) {
      const i = d.readUInt32BE(0);
      expect(i, 'index').to.be.below(sent.length);
      expect(d.equals(sent[i]!), `datagram ${i} (${d.length} bytes, sent ${sent[i]!.length})`).to.equal(true);
      expect(seen.has(i), `datagram ${i} twice (a replayed record must be dropped)`).to.equal(false);
      seen.add(i);
    }
    // The relay did lose some: loss shows as missing datagrams, not as shorter ones.
    expect(got.length).to.be.below(sent.length);
    expect(got.length).to.be.above(sent.length / 2);
  });

  it('a TCP stream over DTLS is refused with a clear error; a UDP backend without -u too', async () => {
    const cases: [string[], RegExp][] = [
      [['server', '-u', '--forward', 'tcp:127.0.0.1:8080'], /^error: ERR_DTLS_STREAM_REFUSED: --forward tcp:127\.0\.0\.1:8080 with -u: a TCP stream cannot be carried over DTLS without silent gaps .*Drop -u to carry TCP over TLS, or forward a UDP service \(--forward udp:127\.0\.0\.1:8080\)$/m],
      [['client', '-u', '--listen', 'tcp:8080'], /^error: ERR_DTLS_STREAM_REFUSED: --listen tcp:8080 with -u: /m],
      [['server', '--forward', 'udp:127.0.0.1:5683'], /^error: ERR_USAGE: --forward udp:127\.0\.0\.1:5683 needs -u/m],
    ];
    for (const [args, message] of cases) {
      const p = run(args.join(' '), args);
      await expectExit(p, 2);
      expect(p.stderr, args.join(' ')).to.match(message);
    }
  });
});
