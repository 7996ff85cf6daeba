// A lossy UDP relay on loopback: datagrams from the client to the server and back are dropped,
// duplicated, reordered and delayed with a seeded RNG. Bounded: it stops with close().
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { seededUnit } from './deterministic-random.js';

export interface RelayRates {
  loss?: number;
  duplicate?: number;
  reorder?: number;
  /** Base one-way delay (ms). */
  delay?: number;
}

export class UdpRelay {
  private readonly front: Socket = createSocket('udp4');
  private readonly back: Socket = createSocket('udp4');
  private client: RemoteInfo | undefined;
  private readonly rnd: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();
  stats = { forwarded: 0, dropped: 0, duplicated: 0 };
  /** Size of every datagram received, per direction (before loss is applied). */
  readonly sizes = { toServer: [] as number[], toClient: [] as number[] };

  constructor(private readonly serverPort: number, private readonly rates: RelayRates, seed: string) {
    this.rnd = seededUnit(seed);
    this.front.on('message', (m, rinfo) => {
      this.client = rinfo;
      this.sizes.toServer.push(m.length);
      this.forward(m, (d) => this.back.send(d, this.serverPort, '127.0.0.1'));
    });
    this.back.on('message', (m) => {
      const c = this.client;
      this.sizes.toClient.push(m.length);
      if (c) this.forward(m, (d) => this.front.send(d, c.port, c.address));
    });
  }

  /** Port clients should connect to. */
  async listen(): Promise<number> {
    await new Promise<void>((r) => this.back.bind(0, '127.0.0.1', () => r()));
    return new Promise((r) => this.front.bind(0, '127.0.0.1', () => r(this.front.address().port)));
  }

  private forward(m: Buffer, send: (d: Buffer) => void): void {
    if (this.rnd() < (this.rates.loss ?? 0)) {
      this.stats.dropped++;
      return;
    }
    const delay = (this.rates.delay ?? 1) + (this.rnd() < (this.rates.reorder ?? 0) ? Math.floor(this.rnd() * 20) : 0);
    const copies = this.rnd() < (this.rates.duplicate ?? 0) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.stats.forwarded++;
        try { send(m); } catch { /* closed */ }
      }, delay + i * 2);
      this.timers.add(t);
    }
  }

  /** A datagram to the server from the relay's side: the same 4-tuple as the client's traffic,
   *  as an attacker who spoofs the client's address would send it. */
  injectToServer(d: Uint8Array): void {
    this.back.send(d, this.serverPort, '127.0.0.1');
  }

  /** A datagram to the client from the address it talks to (the server, as it sees it). */
  injectToClient(d: Uint8Array): void {
    const c = this.client;
    if (c) this.front.send(d, c.port, c.address);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.front.close();
    this.back.close();
  }
}
