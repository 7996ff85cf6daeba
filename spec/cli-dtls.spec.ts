// The CLI over DTLS (-u): closing against a peer that has gone, and the DTLS proxy.
import { expect } from 'chai';
import { expectExit, useCliProcesses } from './helpers/cli-process.js';
import { freeUdpPort, isListening, requirePeer } from './helpers/peers.js';

describe('CLI over DTLS (-u)', function () {
  this.timeout(60_000);
  const { run, openssl, files } = useCliProcesses();

  it('client -u --pipe exits 0 after a clean close although the server has exited first (ICMP port unreachable)', async function () {
    requirePeer(this, 'openssl');
    const port = await freeUdpPort();
    const sServer = openssl('openssl s_server', ['s_server', '-dtls1_2', '-accept', `127.0.0.1:${port}`, '-cert', files.cert, '-key', files.key, '-naccept', '1']);
    const deadline = Date.now() + 10_000;
    while (!isListening(sServer.child.pid!, port, 'udp')) {
      if (Date.now() > deadline) throw new Error('s_server did not bind');
      await new Promise((r) => setTimeout(r, 25));
    }
    const client = run('client', ['client', '-u', '-p', String(port), '-A', files.ca, '-S', 'localhost', '--pipe']);
    client.write('before the server exits\n');
    await sServer.waitFor('before the server exits\n');
    // s_server quits when its stdin ends; the client's close_notify then meets a closed port.
    sServer.endInput();
    expect(await sServer.exited()).to.equal(0);
    client.endInput();
    await expectExit(client, 0);
    expect(client.stderr).not.to.match(/^error:/m);
  });
});
