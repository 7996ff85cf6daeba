// DTLS anti-replay in authenticated epochs (RFC 6347 §4.1.2.6), tried by an attacker who holds
// the keys: a relay between our DTLS client and the server (our DtlsServer, and `openssl
// s_server -dtls1_2` as the reference receiver) that learns the master secret from the client's
// 'keylog' line and derives every epoch's record keys with the library's key schedule
// (spec/helpers/keyed-dtls-relay.ts). It replays authenticated records as they were, replays a
// previous epoch's records after a renegotiation, seals new records with a valid MAC under
// sequence numbers below, inside and far ahead of the window, and replays the Finished of a
// finished handshake. Each case checks what the server's application received (every line,
// each exactly once: the lists and their SHA-256 compared), what the server sent back (no
// alert; no handshake answer unless the RFC asks for one), and that the association still
// carries data both ways afterwards.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { connect, createServer, type DtlsServer, type SecureDuplex } from '../lib/index.js';
import { ContentType, HandshakeType } from '../lib/engine/constants.js';
import { DTLS_RECORD_HEADER_LENGTH } from '../lib/engine/record/framing.js';
import { KeyedDtlsRelay, type SeenRecord } from './helpers/keyed-dtls-relay.js';
import { makePki } from './helpers/pki.js';
import { requirePeer, startPeer, type PeerProcess } from './helpers/peers.js';
import { runCleanups } from './helpers/cleanups.js';
import { Condition } from './helpers/condition.js';
import { EVENT_WAIT_MS, within } from './helpers/within.js';

const SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';
/** RFC 6347 §4.1.2.6: the window this library and OpenSSL keep (64 records). */
const WINDOW = 64;

/** The server end as a case sees it: the lines its application received, and a way to send. */
interface ServerEnd {
  name: string;
  /** Every `D:` line the server's application received, in order. */
  lines(): string[];
  /** The server's application sends `line` to the client. */
  say(line: string): Promise<void>;
  /** What went wrong on the server's side (our errors; s_server having exited). */
  failures(): string[];
}

interface Session {
  client: SecureDuplex;
  relay: KeyedDtlsRelay;
  server: ServerEnd;
  /** Lines the client's application received. */
  clientLines: string[];
  clientErrors: Error[];
  /** Wakes at every line either application receives. */
  arrived: Condition;
}

const LINE = /^D:[^\n]*$/gm;
const linesOf = (text: string): string[] => text.match(LINE) ?? [];
const sha = (lines: readonly string[]): string => createHash('sha256').update(lines.join('\n')).digest('hex');

describe('DTLS replay in authenticated epochs, through a relay that holds the keys (RFC 6347 §4.1.2.6)', function () {
  this.timeout(120_000);
  const pki = makePki();
  const leaf = pki.leaves['ec-p256'];
  const cleanups: (() => unknown)[] = [];
  afterEach(() => runCleanups(cleanups));

  /** Our client → relay → `kind` server, handshake done, the relay keyed. */
  async function open(kind: 'ours' | 'openssl'): Promise<Session> {
    const arrived = new Condition();
    let server: ServerEnd;
    let port: number;
    if (kind === 'ours') {
      let conn: SecureDuplex | undefined;
      let text = '';
      const errors: string[] = [];
      const connected = new Condition();
      const dtls: DtlsServer = createServer({ transport: 'udp', cert: leaf.certPem, key: leaf.keyPem, ciphers: SUITE }, (s) => {
        conn = s;
        s.setEncoding('latin1');
        s.on('data', (d: string) => { text += d; arrived.wake(); });
        s.on('error', (e) => errors.push(`${(e as { code?: string }).code}: ${e.message}`));
        connected.wake();
      });
      dtls.on('tlsClientError', (e) => errors.push(`tlsClientError ${e.message}`));
      cleanups.push(() => dtls.destroy());
      port = await within(new Promise<number>((r) => dtls.listen(0, '127.0.0.1', () => r(dtls.address().port))), 'DtlsServer listening');
      server = {
        name: 'our DtlsServer',
        lines: () => linesOf(text),
        say: async (line) => {
          await connected.until(() => conn !== undefined, 'the server connection', EVENT_WAIT_MS);
          conn!.write(line);
        },
        failures: () => [...errors, ...(conn?.destroyed ? ['the server connection was destroyed'] : [])],
      };
    } else {
      // -accept port 0: s_server binds an ephemeral port and prints it (ACCEPT host:port); without
      // -brief its stdout mixes diagnostics with the data, hence the D: lines.
      const s: PeerProcess = await startPeer('openssl', [
        's_server', '-accept', '127.0.0.1:0', '-dtls1_2', '-cert', leaf.certPath, '-key', leaf.keyPath,
        '-cipher', SUITE, '-naccept', '1', '-client_renegotiation',
      ], { ready: /ACCEPT 127\.0\.0\.1:\d+/ });
      cleanups.push(() => s.kill());
      port = Number(/ACCEPT 127\.0\.0\.1:(\d+)/.exec(s.stdout())![1]);
      s.proc.stdout.on('data', () => arrived.wake());
      server = {
        name: 'openssl s_server -dtls1_2',
        lines: () => linesOf(s.stdout()),
        say: (line) => s.write(line),
        failures: () => (s.exited() ? [`s_server exited: ${JSON.stringify(s.exited())} ${s.stderr()}`] : []),
      };
    }
    const relay = new KeyedDtlsRelay(port);
    cleanups.push(() => relay.close());
    const front = await relay.listen();
    const client = connect({ transport: 'udp', host: '127.0.0.1', port: front, ca: pki.ca.certPem, servername: 'localhost', ciphers: SUITE, renegotiationLimit: 100 });
    cleanups.push(() => client.destroy());
    client.on('keylog', (line: Buffer) => relay.keylog(line));
    const clientLines: string[] = [];
    const clientErrors: Error[] = [];
    let clientText = '';
    client.setEncoding('latin1');
    client.on('data', (d: string) => {
      clientText += d;
      clientLines.splice(0, clientLines.length, ...linesOf(clientText));
      arrived.wake();
    });
    client.on('error', (e) => clientErrors.push(e));
    await within(new Promise<void>((r, j) => { client.once('secureConnect', () => r()); client.once('error', j); }), 'DTLS handshake through the relay');
    return { client, relay, server, clientLines, clientErrors, arrived };
  }

  /** The client sends each line in its own record; resolves once the relay has passed them on. */
  async function clientSends(s: Session, lines: readonly string[]): Promise<void> {
    const before = s.relay.seen('toServer', ContentType.application_data).length;
    for (const l of lines) s.client.write(`${l}\n`);
    await s.relay.until(() => s.relay.seen('toServer', ContentType.application_data).length >= before + lines.length, 'the client\'s records at the relay');
  }

  /** Waits until the server's application has received `n` lines. */
  function serverHas(s: Session, n: number): Promise<void> {
    return s.arrived.until(() => s.server.lines().length >= n, `${n} lines at ${s.server.name}`, EVENT_WAIT_MS);
  }

  /**
   * Proves the association carries data both ways, and that whatever the server answered to
   * what was injected before is in the relay's records: a fresh line from the client must reach
   * the server's application (so the server has read every datagram sent before it, in order),
   * then a line from the server must reach the client (so every datagram the server sent before
   * it has crossed the relay). Returns the records the server sent from `from` on.
   */
  async function probe(s: Session, from: number, tag: string): Promise<SeenRecord[]> {
    const up = `D:probe-up-${tag}`;
    const down = `D:probe-down-${tag}`;
    s.client.write(`${up}\n`);
    await s.arrived.until(() => s.server.lines().includes(up), `${up} at ${s.server.name}`, EVENT_WAIT_MS);
    await s.server.say(`${down}\n`);
    await s.arrived.until(() => s.clientLines.includes(down), `${down} at the client`, EVENT_WAIT_MS);
    return s.relay.records.filter((r) => r.index >= from && r.direction === 'toClient');
  }

  function expectQuiet(answer: SeenRecord[], what: string): void {
    const kinds = answer.filter((r) => r.type !== ContentType.application_data).map((r) => `type ${r.type} epoch ${r.epoch}`);
    expect(kinds, `the server's answer to ${what}: application data only (no alert, no handshake)`).to.deep.equal([]);
  }

  function expectHealthy(s: Session): void {
    expect(s.server.failures(), `${s.server.name}`).to.deep.equal([]);
    expect(s.clientErrors.map((e) => e.message), 'client errors').to.deep.equal([]);
  }

  const numbered = (tag: string, n: number): string[] => Array.from({ length: n }, (_, i) => `D:${tag}-${i}`);
  /** The server's lines without the probes. */
  const data = (s: Session): string[] => s.server.lines().filter((l) => !l.startsWith('D:probe-'));

  for (const kind of ['ours', 'openssl'] as const) {
    describe(kind === 'ours' ? 'our DtlsServer' : 'openssl s_server -dtls1_2 (the reference)', function () {
      beforeEach(function () {
        if (kind === 'openssl') requirePeer(this, 'openssl');
      });

      it('replayed application data records (each twice, as they were) are dropped: every line once, no answer, the association goes on', async function () {
        const s = await open(kind);
        const sent = numbered('once', 20);
        await clientSends(s, sent);
        await serverHas(s, sent.length);
        const from = s.relay.records.length;
        const replays = s.relay.seen('toServer', ContentType.application_data, 1);
        expect(replays.length).to.be.at.least(sent.length);
        for (let i = 0; i < 2; i++) s.relay.injectToServer(...replays.map((r) => r.wire));
        expectQuiet(await probe(s, from, 'replay'), 'the replays');
        expect(data(s)).to.deep.equal(sent);
        expect(sha(data(s))).to.equal(sha(sent));
        expectHealthy(s);
        if (kind === 'ours') {
          // The other direction: the server's records replayed to our client.
          const back = numbered('back', 10);
          for (const l of back) await s.server.say(`${l}\n`);
          await s.arrived.until(() => back.every((l) => s.clientLines.includes(l)), 'the server\'s lines at the client', EVENT_WAIT_MS);
          const fromBack = s.relay.records.length;
          const toClient = s.relay.seen('toClient', ContentType.application_data, 1);
          for (let i = 0; i < 2; i++) s.relay.injectToClient(...toClient.map((r) => r.wire));
          const up = s.relay.records.filter((r) => r.index >= fromBack && r.direction === 'toServer' && r.type !== ContentType.application_data);
          await probe(s, fromBack, 'replay-back');
          expect(up.map((r) => r.type), 'the client answered the replays').to.deep.equal([]);
          expect(s.clientLines.filter((l) => l.startsWith('D:back-'))).to.deep.equal(back);
          expectHealthy(s);
        }
      });

      it('after a renegotiation, every record of the previous epoch replayed (data, Finished, the renegotiation\'s own handshake) or newly sealed with its keys is dropped without an answer', async function () {
        const s = await open(kind);
        const before = numbered('epoch1', 10);
        await clientSends(s, before);
        await serverHas(s, before.length);
        await within(new Promise<void>((resolve, reject) => {
          if (!s.client.renegotiate({}, (e) => (e ? reject(e) : resolve()))) reject(new Error('renegotiate() returned false'));
        }), 'the renegotiation');
        const after = numbered('epoch2', 10);
        await clientSends(s, after);
        await serverHas(s, before.length + after.length);
        expect(s.relay.seen('toServer', ContentType.application_data, 2).length, 'data in epoch 2').to.be.at.least(after.length);
        const old = s.relay.records.filter((r) => r.direction === 'toServer' && r.epoch === 1);
        expect(old.map((r) => r.type)).to.include.members([ContentType.handshake, ContentType.application_data]);
        const from = s.relay.records.length;
        s.relay.injectToServer(...old.map((r) => r.wire));
        expectQuiet(await probe(s, from, 'old-epoch'), 'the previous epoch\'s records');
        // Not a replay: a new record sealed with the replaced keys under a number never used.
        // Once the renegotiation is complete the previous epoch opens nothing (OpenSSL: nothing
        // past its ChangeCipherSpec).
        const fromFresh = s.relay.records.length;
        const oldTop = Math.max(...old.map((r) => r.seq));
        s.relay.injectToServer(s.relay.seal('toServer', ContentType.application_data, 1, oldTop + 1, new TextEncoder().encode('D:fresh-in-old-epoch\n')));
        expectQuiet(await probe(s, fromFresh, 'fresh-old-epoch'), 'a new record in the previous epoch');
        expect(data(s)).to.deep.equal([...before, ...after]);
        expect(sha(data(s))).to.equal(sha([...before, ...after]));
        expectHealthy(s);
      });

      it('records sealed with a valid MAC: a number below the window or already seen is dropped, an unseen one inside it is taken, one far ahead is taken once and moves the window', async function () {
        const s = await open(kind);
        // One genuine datagram never reaches the server: the numbers of its records stay unseen
        // inside the window (its lines are lost, as DTLS may lose them).
        const heldLine = 'D:window-70';
        const lost: string[] = [];
        let gap: number | undefined;
        s.relay.hold = (records, direction) => {
          if (direction !== 'toServer' || gap !== undefined) return false;
          const texts = records.map((r) => (r.type === ContentType.application_data ? new TextDecoder().decode(s.relay.open(r) ?? new Uint8Array()) : ''));
          const at = texts.findIndex((t) => t.includes(`${heldLine}\n`));
          if (at < 0) return false;
          gap = records[at]!.seq;
          for (const t of texts) lost.push(...linesOf(t));
          return true;
        };
        const sent = numbered('window', 80);
        await clientSends(s, sent);
        const delivered = sent.filter((l) => !lost.includes(l));
        await serverHas(s, delivered.length);
        expect(gap, 'the held record').to.be.a('number');
        expect(lost).to.include(heldLine);
        const top = Math.max(...s.relay.seen('toServer', ContentType.application_data, 1).map((r) => r.seq));
        const forged = (line: string, seq: number): Uint8Array => s.relay.seal('toServer', ContentType.application_data, 1, seq, new TextEncoder().encode(`${line}\n`));
        const from = s.relay.records.length;
        s.relay.injectToServer(
          forged('D:forged-below-window', top - WINDOW - 5), // never seen, but older than the window
          forged('D:forged-seen', top - 3), // inside the window, a number already taken
          forged('D:forged-gap', gap!), // inside the window, never seen: new
        );
        expectQuiet(await probe(s, from, 'window'), 'the sealed records');
        expect(data(s)).to.deep.equal([...delivered, 'D:forged-gap']);

        // Far ahead (RFC 6347 §4.1.2.6: right of the window is new): taken, and the window moves.
        const far = top + 10_000;
        const ahead = forged('D:forged-ahead', far);
        const fromAhead = s.relay.records.length;
        s.relay.injectToServer(ahead, ahead);
        // The client's next records are numbered just above `top`: now far below the window.
        const late = numbered('late', 5);
        await clientSends(s, late);
        s.relay.injectToServer(forged('D:forged-after', far + 1));
        await s.arrived.until(() => s.server.lines().includes('D:forged-after'), 'the record after the jump', EVENT_WAIT_MS);
        expect(data(s)).to.deep.equal([...delivered, 'D:forged-gap', 'D:forged-ahead', 'D:forged-after']);
        // The association is alive: the server's data still reaches the client, and the
        // client's records get through again once numbered above the window (here: by the
        // relay, re-sealed; the client's own counter would take 10 000 records to catch up).
        const down = 'D:still-down';
        await s.server.say(`${down}\n`);
        await s.arrived.until(() => s.clientLines.includes(down), 'the server\'s line at the client', EVENT_WAIT_MS);
        s.relay.injectToServer(forged('D:resealed-late', far + 2));
        await s.arrived.until(() => s.server.lines().includes('D:resealed-late'), 'a record above the moved window', EVENT_WAIT_MS);
        expectQuiet(s.relay.records.filter((r) => r.index >= fromAhead && r.direction === 'toClient'), 'the records far ahead');
        expect(s.server.lines().filter((l) => l.startsWith('D:late-'))).to.deep.equal([]);
        expectHealthy(s);
      });

      it('the client\'s Finished of the finished handshake: replayed as it was, dropped without an answer; sealed under a new number, the server resends its last flight (RFC 6347 §4.2.4)', async function () {
        const s = await open(kind);
        // A full handshake: the server's ChangeCipherSpec and Finished are the last flight, the
        // client's Finished is epoch 1's first handshake record.
        const finished = s.relay.seen('toServer', ContentType.handshake, 1)[0]!;
        expect(finished.seq).to.equal(0);
        const body = s.relay.open(finished)!;
        expect(body[0], 'a Finished').to.equal(HandshakeType.finished);
        const from = s.relay.records.length;
        s.relay.injectToServer(finished.wire, finished.wire);
        expectQuiet(await probe(s, from, 'finished-replay'), 'the replayed Finished');

        const top = Math.max(...s.relay.records.filter((r) => r.direction === 'toServer' && r.epoch === 1).map((r) => r.seq));
        const fromResend = s.relay.records.length;
        s.relay.injectToServer(s.relay.seal('toServer', ContentType.handshake, 1, top + 10, body));
        const resent = (): SeenRecord[] => s.relay.records.filter((r) => r.index >= fromResend && r.direction === 'toClient');
        await s.relay.until(() => resent().some((r) => r.type === ContentType.handshake && r.epoch === 1), 'the server\'s Finished again');
        // The whole final flight, as first sent: NewSessionTicket (both servers issue one),
        // ChangeCipherSpec, Finished.
        const flight = resent().filter((r) => r.type !== ContentType.application_data);
        expect(flight.map((r) => [r.type, r.epoch]), 'NewSessionTicket and ChangeCipherSpec (epoch 0), Finished (epoch 1)')
          .to.deep.equal([[ContentType.handshake, 0], [ContentType.change_cipher_spec, 0], [ContentType.handshake, 1]]);
        expect(flight[0]!.wire[DTLS_RECORD_HEADER_LENGTH], 'NewSessionTicket').to.equal(HandshakeType.new_session_ticket);
        const again = s.relay.open(flight[2]!)!;
        const original = s.relay.open(s.relay.seen('toClient', ContentType.handshake, 1)[0]!)!;
        expect(Buffer.from(again).equals(Buffer.from(original)), 'the same Finished message').to.equal(true);
        const fromAfter = s.relay.records.length;
        expectQuiet(await probe(s, fromAfter, 'after-finished'), 'the probe after');
        expectHealthy(s);
      });
    });
  }
});
