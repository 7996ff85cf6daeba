// The DTLS proxy (`-u` with `--forward` / `--listen`): DTLS carries datagrams, so both ends
// carry datagrams too, one DTLS record per datagram each way:
// - `server -u --forward udp:HOST:PORT`: each DTLS connection gets its own UDP socket connected
//   to the backend; each record received is sent as one datagram, each datagram the backend
//   answers is written back as one record;
// - `client -u --listen PORT`: datagrams accepted on 127.0.0.1:PORT; each source address gets
//   its own DTLS connection to -h/-p, and the records that come back go to that source.
// A datagram lost on the way is lost as a whole, as plain UDP would lose it: nothing is cut or
// spliced into a stream, so no byte stream can come out silently truncated.
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { connect, type ConnectOptions, type SecureDuplex } from '../lib/index.js';
import { cryptoLine, displayHostPort, type HostPort, type ListenProxyOptions } from './proxy-command.js';
import { renegotiateEvery, reportRenegotiations, startRenegotiation, whenIdle } from './renegotiation.js';
import type { Reporter } from './status.js';

/** After the DTLS side has ended, how long before a flow's sockets are dropped. */
const CLOSE_GRACE_MS = 5_000;
/** client --listen: a source that has sent nothing for this long gets its connection closed. */
const FLOW_IDLE_MS = 60_000;

function udpFamily(host: string): 'udp4' | 'udp6' {
  return isIP(host) === 6 ? 'udp6' : 'udp4';
}

/** server -u --forward udp:HOST:PORT: connect this DTLS connection to the UDP backend. */
export function forwardDatagrams(secure: SecureDuplex, target: HostPort, reporter: Reporter): void {
  const backend = createSocket(udpFamily(target.host));
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    try {
      backend.close();
    } catch {
      /* already closed */
    }
  };
  backend.on('error', (err: NodeJS.ErrnoException) => {
    // ECONNREFUSED: the ICMP answer to a datagram sent to a backend port nobody listens on.
    reporter.error(Object.assign(new Error(`backend ${displayHostPort(target)} (UDP) failed: ${err.message}`), { code: err.code ?? 'ERR_BACKEND' }));
    close();
    whenIdle(secure, () => secure.end());
  });
  backend.on('message', (m: Buffer) => {
    if (!secure.writableEnded && !secure.destroyed) secure.write(m);
  });
  const held: Buffer[] = [];
  let connected = false;
  backend.connect(target.port, target.host, () => {
    connected = true;
    for (const m of held.splice(0)) backend.send(m);
  });
  // One 'data' chunk is one record (the DTLS readable side keeps record boundaries).
  secure.on('data', (d: Buffer) => {
    if (!open) return;
    if (connected) backend.send(d);
    else held.push(d);
  });
  secure.once('end', () => {
    whenIdle(secure, () => secure.end());
    setTimeout(close, CLOSE_GRACE_MS).unref();
  });
  secure.once('close', close);
}

interface Flow {
  secure: SecureDuplex;
  idle: NodeJS.Timeout;
}

/** client -u --listen PORT: resolves with the exit code after -C flows have closed. */
export function runDatagramListenProxy(o: ListenProxyOptions, reporter: Reporter): Promise<number> {
  const upstream = displayHostPort({ host: o.connect.host ?? '127.0.0.1', port: o.connect.port ?? 0 });
  const flows = new Map<string, Flow>();
  let started = 0;
  let closed = 0;
  return new Promise<number>((resolve, reject) => {
    const sock: UdpSocket = createSocket('udp4');
    const finishIfDone = (): void => {
      if (o.connections > 0 && closed >= o.connections) {
        sock.close();
        setImmediate(() => resolve(reporter.failed ? 1 : 0));
      }
    };
    const openFlow = (from: RemoteInfo): Flow | undefined => {
      if (o.connections > 0 && started >= o.connections) return undefined; // -C reached: no new flows
      started++;
      const key = `${from.address}:${from.port}`;
      const options: ConnectOptions = { ...o.connect };
      const secure = connect(options, () => {
        reporter.connection(secure);
        if (o.everyMs !== undefined) renegotiateEvery(secure, o.everyMs, reporter);
        if (o.renegotiateAfterHandshake) startRenegotiation(secure, reporter);
      });
      if (o.keylog) secure.on('keylog', o.keylog);
      reportRenegotiations(secure, reporter);
      secure.on('error', (err) => reporter.error(err));
      secure.on('data', (d: Buffer) => sock.send(d, from.port, from.address));
      const endFlow = (): void => whenIdle(secure, () => {
        if (!secure.writableEnded) secure.end();
        setTimeout(() => secure.destroy(), CLOSE_GRACE_MS).unref();
      });
      const flow: Flow = { secure, idle: setTimeout(endFlow, FLOW_IDLE_MS) };
      secure.once('end', endFlow);
      secure.once('close', () => {
        clearTimeout(flow.idle);
        flows.delete(key);
        closed++;
        finishIfDone();
      });
      flows.set(key, flow);
      return flow;
    };
    sock.on('message', (m: Buffer, from: RemoteInfo) => {
      const flow = flows.get(`${from.address}:${from.port}`) ?? openFlow(from);
      if (!flow || flow.secure.writableEnded || flow.secure.destroyed) return;
      flow.idle.refresh();
      // Written before the handshake completes, it is held by the stream and sent after it.
      flow.secure.write(m);
    });
    sock.once('error', (err: Error) => reject(err));
    sock.bind(o.listenPort, '127.0.0.1', () => {
      const addr = sock.address();
      reporter.status(`listening: ${addr.address}:${addr.port} (UDP)`);
      reporter.status(`forwarding: to ${upstream} over DTLS`);
      reporter.status(cryptoLine(o.connect.cryptoProvider));
    });
  });
}
