// A local TCP port where nothing listens, held so that nothing can start listening there: for
// tests of "connection refused" without find-then-release (a released port may be taken by any
// process before the test connects).
import * as net from 'node:net';
import { within } from './within.js';

export interface RefusingPort {
  readonly port: number;
  /** Releases the port. */
  close(): Promise<void>;
}

/**
 * The local end of a loopback connection this process holds open. A connect to it matches no
 * listening socket, so the kernel answers with a RST: ECONNREFUSED. Measured on Linux: a
 * connect got ECONNREFUSED, and net.Server.listen on that port EADDRINUSE, while it was held.
 */
export async function refusingPort(): Promise<RefusingPort> {
  const server = net.createServer();
  const accepted: net.Socket[] = [];
  server.on('connection', (s) => accepted.push(s));
  await within(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 'refusingPort: listen');
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await within(new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject)), 'refusingPort: connect');
  return {
    port: client.localPort!,
    close: async () => {
      client.destroy();
      for (const s of accepted) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
