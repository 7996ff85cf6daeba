// The client's 'session' event, node:tls and secure-duplex side by side (spec/parity/harness.ts):
// when it comes (after 'secureConnect') and for which handshakes (full ones; a resumption only
// when the server renews the ticket), with tickets and with session IDs.
import { constants } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { parity, type Ends, type Recorder } from './harness.js';
import { clientOptions, listen, serverOptions } from './fixtures.js';

/** Connect (offering `session`), record the order of 'secureConnect' and 'session' until the
 *  connection is closed by the server; return the last session. */
async function connectRecording(rec: Recorder, m: Ends, port: number, channel: string, session?: Buffer): Promise<Buffer | undefined> {
  const c = rec.track(m.client.connect(clientOptions(port, { session })) as Duplex & { isSessionReused(): boolean });
  let last: Buffer | undefined;
  c.on('secureConnect', () => rec.add(channel, 'secureConnect', { reused: c.isSessionReused() }));
  c.on('session', (s: Buffer) => {
    last = s;
    rec.add(channel, 'session');
  });
  c.on('error', (e: Error) => rec.add(channel, 'error', e));
  c.resume();
  await rec.settle(channel, 'close', new Promise((res) => c.once('close', res)));
  return last;
}

function sessionScenario(tickets: boolean) {
  return async (m: Ends, rec: Recorder): Promise<void> => {
    const server = m.server.createServer(serverOptions(tickets ? {} : { secureOptions: constants.SSL_OP_NO_TICKET }));
    // The server ends each connection after a short reply (the ticket, if any, is sent by then).
    server.on('secureConnection', (s: Duplex) => s.end('bye'));
    const port = await listen(rec, server);
    const first = await connectRecording(rec, m, port, 'full handshake');
    const second = await connectRecording(rec, m, port, 'resumption', first);
    await connectRecording(rec, m, port, 'resumption of the resumed session', second ?? first);
  };
}

describe("parity with node:tls: the client's 'session' event", function () {
  parity("'session' after 'secureConnect'; with tickets", sessionScenario(true));
  // Our client against node's server only: node's server (no sessionIdContext given) resumes
  // no session ID, ours does, so the servers' traces differ for reasons of their own.
  parity("'session' after 'secureConnect'; with session IDs (SSL_OP_NO_TICKET)", sessionScenario(false), { runs: ['client'] });
});
