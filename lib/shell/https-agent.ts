// An https.Agent whose connections are secure-duplex connections: `https.get(url, { agent })`,
// `https.request()` and anything built on them (fetch excepted: undici has its own stack) then
// speak TLS through this library. The agent's pooling, keep-alive and per-host limits are
// node's; only createConnection() differs from https.Agent (which calls tls.connect()).
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import { connect, type ConnectOptions } from './connect.js';

export class Agent extends https.Agent {
  /**
   * http.Agent calls this with the request's options merged with the agent's (host, port,
   * servername, ca, cert, key, rejectUnauthorized, ...). As node's https.Agent does, TLS
   * sessions are cached per agent key (its `maxCachedSessions` LRU, default 100): a new
   * connection offers the last session of its key, each 'session' event replaces it, and a
   * connection that fails evicts it.
   */
  override createConnection(
    options: https.RequestOptions,
    _callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex {
    // https.Agent's createConnection(port, host, options) forms, as node reads them.
    const [port, host, opts] = arguments as unknown as [unknown, unknown, unknown];
    let given: https.RequestOptions;
    if (port !== null && typeof port === 'object') given = port as https.RequestOptions;
    else if (host !== null && typeof host === 'object') given = { ...(host as https.RequestOptions) };
    else given = opts !== null && typeof opts === 'object' ? { ...(opts as https.RequestOptions) } : {};
    if (typeof port === 'number') given.port = port;
    if (typeof host === 'string') given.host = host;
    const o = given as https.RequestOptions & ConnectOptions & { _agentKey?: string };
    // node's internal session cache of https.Agent (node 20: _getSession/_cacheSession/_evictSession).
    const cache = this as unknown as {
      _getSession?(key: string): Buffer | undefined;
      _cacheSession?(key: string, session: Buffer): void;
      _evictSession?(key: string): void;
    };
    const key = o._agentKey;
    const session = o.session ?? (key !== undefined ? cache._getSession?.(key) : undefined);
    const socket = connect({
      ...o,
      session,
      host: o.host ?? o.hostname ?? 'localhost',
      port: o.port === undefined || o.port === null ? 443 : Number(o.port),
    } as ConnectOptions);
    if (key !== undefined) {
      socket.on('session', (s: Buffer) => cache._cacheSession?.(key, s));
      socket.once('error', () => cache._evictSession?.(key));
    }
    return socket;
  }
}
