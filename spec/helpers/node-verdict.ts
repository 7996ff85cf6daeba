// node:tls as the reference for client-certificate checks: what a node:tls server with
// requestCert says of a client that presents a given chain.
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';

/** `ok`, or node's socket.authorizationError code (node exposes only the code there). The
 *  server uses `serverCert`; `extra` adds options such as `crl`. */
export function nodeServerVerdictOf(
  client: { chainPem: string; keyPem: string },
  serverCert: { certPem: string; keyPem: string },
  ca: string[],
  extra: tls.TlsOptions = {},
): Promise<string> {
  return new Promise((resolve) => {
    const server = tls.createServer(
      { cert: serverCert.certPem, key: serverCert.keyPem, requestCert: true, rejectUnauthorized: false, ca, maxVersion: 'TLSv1.2', ...extra },
      (s) => {
        s.on('error', () => {});
        resolve(s.authorized ? 'ok' : String(s.authorizationError));
        s.end();
        server.close();
      },
    );
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      const c = tls.connect({ port, host: '127.0.0.1', cert: client.chainPem, key: client.keyPem, rejectUnauthorized: false });
      c.on('error', () => {});
      c.on('data', () => {});
      c.on('end', () => c.destroy());
    });
  });
}

/** What a node:tls client (with `ca` and `extra`, e.g. `crl`; no host name check) says of a
 *  server that sends `chainPem`: `{ code: 'ok' }` or node's error code and message. */
export function nodeClientVerdictOf(
  server: { chainPem: string; keyPem: string },
  ca: string[] | undefined,
  extra: tls.ConnectionOptions = {},
): Promise<{ code: string; message?: string }> {
  return new Promise((resolve) => {
    const srv = tls.createServer({ cert: server.chainPem, key: server.keyPem }, (s) => {
      s.on('error', () => {});
      s.end();
    });
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      const c = tls.connect({ port, host: '127.0.0.1', ca, rejectUnauthorized: true, checkServerIdentity: () => undefined, ...extra });
      c.on('secureConnect', () => {
        c.destroy();
        srv.close();
        resolve({ code: 'ok' });
      });
      c.on('error', (e: NodeJS.ErrnoException) => {
        srv.close();
        resolve({ code: String(e.code), message: e.message });
      });
    });
  });
}
