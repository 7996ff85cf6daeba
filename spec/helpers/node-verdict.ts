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
