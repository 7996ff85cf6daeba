// The UDP port `server --workers N -u` shares between its workers. Each worker binds its own
// socket with SO_REUSEPORT (node:dgram's `reusePort`, Node 22.12+ and 23.1+), and the kernel
// sends all datagrams of one client address and port to the same socket (Linux hashes the
// 4-tuple over the sockets of the group), so a DTLS association stays in the worker that holds
// it. Whether this Node and this system can is found out by doing it, not from the version
// string: a Node whose dgram ignores `reusePort` (Node 20) binds the first socket without
// SO_REUSEPORT and a second bind on the same port fails with EADDRINUSE.
//
// The primary keeps the first socket bound until the workers have bound theirs, so a port given
// as 0 is chosen once, and no other program can take it between the primary's choice and the
// workers' binds. It reads nothing on that socket and closes it before the workers are
// announced as listening (a datagram the kernel hashed to it would be lost).
import { createSocket, type Socket, type SocketOptions, type SocketType } from 'node:dgram';

export interface SharedUdpPort {
  /** The port bound (the one chosen by the system for port 0). */
  readonly port: number;
  /** Close the primary's socket: the workers' sockets are the group from now on (once; later
   *  calls resolve with the first). */
  release(): Promise<void>;
}

/** Errors of a system that has SO_REUSEPORT for no UDP socket (node:dgram raises one at bind). */
const UNSUPPORTED = new Set(['ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EINVAL']);

/** Bind a socket with `reusePort` on host:port; rejects with the bind's error. */
function bindShared(type: SocketType, host: string, port: number): Promise<Socket> {
  // `reusePort` is typed in @types/node 22.12+; Node 20's dgram ignores it (the probe's point).
  const sock = createSocket({ type, reusePort: true } as SocketOptions);
  return new Promise((resolve, reject) => {
    sock.once('error', (err) => {
      sock.close();
      reject(err);
    });
    sock.bind(port, host, () => {
      sock.removeAllListeners('error');
      sock.on('error', () => undefined); // nothing is read on it; it only holds the port
      resolve(sock);
    });
  });
}

function close(sock: Socket): Promise<void> {
  return new Promise((resolve) => sock.close(() => resolve()));
}

/**
 * Bind host:port for sharing with SO_REUSEPORT and check that it is shared (a second socket
 * binds the same port). Resolves undefined when this Node or this system cannot share a UDP
 * port that way; rejects with the bind's error when the port cannot be had at all (in use
 * by a program that does not share it, not allowed).
 */
export async function reserveSharedUdpPort(type: SocketType, host: string, port: number): Promise<SharedUdpPort | undefined> {
  let first: Socket;
  try {
    first = await bindShared(type, host, port);
  } catch (e) {
    if (UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw e;
  }
  const bound = first.address().port;
  try {
    await close(await bindShared(type, host, bound));
  } catch (e) {
    await close(first);
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'EADDRINUSE' || UNSUPPORTED.has(code)) return undefined;
    throw e;
  }
  let released: Promise<void> | undefined;
  return { port: bound, release: () => (released ??= close(first)) };
}
