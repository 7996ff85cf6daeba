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
   * servername, ca, cert, key, rejectUnauthorized, ...). node's https.Agent also caches TLS
   * sessions here; secure-duplex has no session resumption yet, so nothing is cached.
   */
  override createConnection(
    options: https.RequestOptions,
    _callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex {
    const o = options as https.RequestOptions & ConnectOptions;
    return connect({
      ...o,
      host: o.host ?? o.hostname ?? 'localhost',
      port: o.port === undefined || o.port === null ? 443 : Number(o.port),
    } as ConnectOptions);
  }
}
