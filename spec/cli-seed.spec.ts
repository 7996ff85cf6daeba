// The seed's command lines, line for line: `server -M -m -d -N [-u]` with
// `client -R -i scr-app-data -N [-u]` print what wolfSSL's example programs print for them.
//
// wolfSSL's programs (examples/client/client.c, examples/server/server.c) do, with these flags:
// - client -R -i scr-app-data -N: wolfSSL_Rehandshake(); while it returns WANT_READ it writes
//   "msg sent during renegotiation" (ClientWrite), keeps calling wolfSSL_connect() until it
//   succeeds and prints
//       printf("NON-BLOCKING RENEGOTIATION SUCCESSFUL\n");
//   then writes its normal message kHelloMsg "hello wolfssl!" and prints the reply.
// - server -M -m -d -N: ServerRead() reads the first message; data that arrives during a
//   renegotiation (APP_DATA_READY) is printed with
//       printf("Client message received during secure renegotiation: %s\n", input);
//   and the read goes on; the message read is printed with
//       printf("Client message: %s\n", input);
//   only then (-m, forceScr) wolfSSL_Rehandshake(), printing on success
//       printf("NON-BLOCKING RENEGOTIATION SUCCESSFUL\n");
//   and the reply kReplyMsg "I hear you fa shizzle!" is written.
import { expect } from 'chai';
import { expectExit, listeningLine, useCliProcesses } from './helpers/cli-process.js';

/** The lines quoted above, each side in the order wolfSSL prints them. */
const WOLFSSL_SERVER_LINES = [
  'Client message received during secure renegotiation: msg sent during renegotiation',
  'Client message: hello wolfssl!',
  'NON-BLOCKING RENEGOTIATION SUCCESSFUL',
];
const WOLFSSL_CLIENT_LINES = [
  'NON-BLOCKING RENEGOTIATION SUCCESSFUL',
  'Server response: I hear you fa shizzle!',
];

/** `lines` appear in `output` as whole lines, in this order (other lines may come between). */
function expectLinesInOrder(output: string, lines: readonly string[], who: string): void {
  const got = output.split('\n');
  let at = -1;
  for (const line of lines) {
    const next = got.indexOf(line, at + 1);
    expect(next, `${who}: ${JSON.stringify(line)} after line ${at}\n${output}`).to.be.greaterThan(at);
    at = next;
  }
}

describe('CLI: the seed command lines print the seed\'s lines', function () {
  this.timeout(60_000);
  const { run } = useCliProcesses();

  for (const dtls of [false, true]) {
    it(`server -M -m -d -N${dtls ? ' -u' : ''} with client -R -i scr-app-data -N${dtls ? ' -u' : ''} (${dtls ? 'DTLS' : 'TLS'})`, async () => {
      const u = dtls ? ['-u'] : [];
      const server = run('server', ['server', '-M', '-m', '-d', '-N', ...u, '-p', '0']);
      const port = await listeningLine(server);
      // No -A and no -d: the client verifies the server's generated certificate against the
      // CLI's demo CA, as the wolfSSL examples verify against certs/ca-cert.pem.
      const client = run('client', ['client', '-R', '-i', 'scr-app-data', '-N', ...u, '-p', String(port)]);
      await expectExit(client, 0);
      await expectExit(server, 0);
      expectLinesInOrder(server.stdout, WOLFSSL_SERVER_LINES, 'server');
      expectLinesInOrder(client.stdout, WOLFSSL_CLIENT_LINES, 'client');
      // Our own status lines around them: the client's renegotiation, then the server's.
      const proto = dtls ? 'DTLSv1.2' : 'TLSv1.2';
      expectLinesInOrder(client.stdout, [`protocol: ${proto}`, 'peer: localhost authorized=true'], 'client');
      expect(client.stdout).to.match(/^renegotiation: complete \(local, TLS_ECDHE_\w+\)\nNON-BLOCKING RENEGOTIATION SUCCESSFUL$/m);
      expect(client.stdout).to.match(/^renegotiation: complete \(peer, TLS_ECDHE_\w+\)$/m);
      expect(server.stdout).to.match(/^renegotiation: complete \(peer, TLS_ECDHE_\w+\)$/m);
      expect(server.stdout).to.match(/^renegotiation: complete \(local, TLS_ECDHE_\w+\)\nNON-BLOCKING RENEGOTIATION SUCCESSFUL$/m);
      // Each message once; the message written during the renegotiation gets no reply (the
      // wolfSSL server reads on), the normal one gets one.
      expect(server.stdout.match(/^Client message/gm)).to.have.length(2);
      expect(client.stdout.match(/I hear you fa shizzle!/g)).to.have.length(1);
      expect(client.stderr + server.stderr).to.equal('');
    });
  }

  it('without -N: "Beginning secure renegotiation." and "RENEGOTIATION SUCCESSFUL" (wolfSSL\'s blocking path)', async () => {
    // client.c, blocking: printf("Beginning secure renegotiation.\n"); ... printf("RENEGOTIATION SUCCESSFUL\n");
    // server.c, blocking: printf("RENEGOTIATION SUCCESSFUL\n");
    const server = run('server', ['server', '-M', '-m', '-d', '-p', '0']);
    const port = await listeningLine(server);
    const client = run('client', ['client', '-R', '-i', '-p', String(port)]);
    await expectExit(client, 0);
    await expectExit(server, 0);
    expectLinesInOrder(client.stdout, ['Beginning secure renegotiation.', 'RENEGOTIATION SUCCESSFUL', 'Server response: I hear you fa shizzle!'], 'client');
    expectLinesInOrder(server.stdout, ['Client message: hello wolfssl!', 'RENEGOTIATION SUCCESSFUL'], 'server');
    expect(server.stdout).not.to.match(/during secure renegotiation/);
  });
});
