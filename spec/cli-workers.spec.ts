// `server --workers N` (bin/server-workers.ts): one port served by N node:cluster workers that
// share the session-ticket keys. openssl s_client's session, issued by one worker, is resumed by
// another: s_client prints "Reused" and the worker that answered prints session=reused. And the
// refusals: --workers with -u (DTLS) on a Node without dgram's reusePort, a count that is not a
// number. DTLS with workers on Node 22.12+: spec/cli-workers-dtls.spec.ts.
import { expect } from 'chai';
import { join } from 'node:path';
import { expectExit, useCliProcesses, type Proc } from './helpers/cli-process.js';
import { requirePeer } from './helpers/peers.js';
import { alive, nodeHasDgramReusePort, workerLines, workerLinesCount } from './helpers/server-workers.js';

describe('CLI: server --workers', function () {
  this.timeout(90_000);
  const { run, openssl, files } = useCliProcesses();

  it('two workers on one port: a session openssl s_client got from one worker is resumed by the other (shared ticket keys); SIGTERM stops them all', async function () {
    requirePeer(this, 'openssl');
    const server = run('server --workers 2', ['server', '--workers', '2', '-p', '0', '-c', files.cert, '-k', files.key, '-e']);
    await server.waitFor(/^workers: 2 \(node:cluster\), session-ticket keys shared$/m);
    // Both workers listen on the same port.
    await server.waitFor(/^listening: 127\.0\.0\.1:(\d+)\n(?:.*\n)*listening: 127\.0\.0\.1:\1$/m);
    const port = Number(/^listening: 127\.0\.0\.1:(\d+)$/m.exec(server.stdout)![1]);
    const sess = join(files.dir, 'workers.sess');
    const sClient = async (extra: string[], seen: number): Promise<Proc> => {
      const c = openssl('openssl s_client', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-CAfile', files.ca, '-verify_return_error', ...extra]);
      c.endInput();
      await expectExit(c, 0);
      // The worker's line for this connection (connections are one after another).
      await workerLinesCount(server, seen + 1);
      return c;
    };
    const first = await sClient(['-sess_out', sess], 0);
    expect(first.stdout).to.match(/^New, TLSv1\.2, /m);
    const issuer = workerLines(server)[0]!;
    expect(issuer.reused).to.equal(false);
    // node:cluster hands connections to the workers in turn; a few tries reach the other one.
    let other: { id: number; reused: boolean } | undefined;
    for (let i = 1; i <= 8 && other === undefined; i++) {
      const again = await sClient(['-sess_in', sess], i);
      expect(again.stdout, `connection ${i}`).to.match(/^Reused, TLSv1\.2, /m);
      const line = workerLines(server)[i]!;
      expect(line.reused, `worker ${line.id} resumed`).to.equal(true);
      if (line.id !== issuer.id) other = line;
    }
    expect(other, 'a connection answered by the worker that did not issue the session').to.not.equal(undefined);
    const pids = [...new Set(workerLines(server).map((l) => l.pid))];
    expect(pids).to.have.length(2);
    expect(server.stderr).to.not.match(/^error:/m);

    server.child.kill('SIGTERM');
    await expectExit(server, 0);
    for (const pid of pids) expect(alive(pid), `worker pid ${pid} after the primary stopped`).to.equal(false);
  });

  it('--workers with -u is refused on a Node without node:dgram\'s reusePort (before 22.12), saying what is needed; a bad count is a usage error', async function () {
    // The running Node is the suite's (20); spec/cli-workers-dtls runs -u with workers on 22.12.
    if (nodeHasDgramReusePort(process.versions.node)) this.skip();
    const dtls = run('server --workers -u', ['server', '--workers', '2', '-u', '-p', '0']);
    await expectExit(dtls, 2);
    expect(dtls.stderr).to.match(/^error: ERR_USAGE: --workers with -u needs node:dgram's reusePort \(SO_REUSEPORT: Node 22\.12\+ or 23\.1\+, on Linux\), which this Node \(v\d+\.[\d.]+, linux\) does not have/m);
    expect(dtls.stdout, 'no worker started').to.not.match(/^workers:/m);
    const bad = run('server --workers x', ['server', '--workers', 'x', '-p', '0']);
    await expectExit(bad, 2);
    expect(bad.stderr).to.match(/--workers expects a whole number/);
  });
});
