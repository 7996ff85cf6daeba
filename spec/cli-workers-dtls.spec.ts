// `server --workers N -u` (bin/server-workers.ts, bin/reuse-port.ts): DTLS from N node:cluster
// workers on one UDP port, each worker with its own socket bound with SO_REUSEPORT so the kernel
// keeps each client address and port on one worker. It needs node:dgram's reusePort (Node
// 22.12+), so the server runs under the Node 22.12 that .ci/run installs (SECURE_DUPLEX_NODE22);
// the suite's own Node (20) must refuse it with ERR_USAGE (spec/cli-workers.spec.ts).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CLI, expectExit, useCliProcesses, type Proc } from './helpers/cli-process.js';
import { isListening, requireCapability, requirePeer } from './helpers/peers.js';
import { alive, nodeHasDgramReusePort, workerLines, workerLinesCount } from './helpers/server-workers.js';

/** The Node .ci/run installs for this spec (its NODE22_VERSION and folder). */
const NODE22_VERSION = 'v22.12.0';

/** SECURE_DUPLEX_NODE22, or where .ci/run puts it; undefined when neither runs. */
function node22(): { path: string; version: string } | undefined {
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const cache = process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  const path = process.env['SECURE_DUPLEX_NODE22'] ?? join(cache, 'secure-duplex', `node-${NODE22_VERSION}-linux-${arch}`, 'bin', 'node');
  if (!existsSync(path)) return undefined;
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? { path, version: r.stdout.trim() } : undefined;
}

describe('CLI: server --workers -u (DTLS, Node 22.12+)', function () {
  this.timeout(180_000);
  const { spawnPeer, openssl, files } = useCliProcesses();

  it('two workers, one UDP port, a socket each (SO_REUSEPORT); openssl s_client -dtls1_2 clients, several at once, each completes and echoes; a session from one worker is Reused at the other; SIGTERM stops them all', async function () {
    requirePeer(this, 'openssl');
    const node = node22();
    requireCapability(this, node !== undefined, `Node ${NODE22_VERSION} is not installed (SECURE_DUPLEX_NODE22, or the folder .ci/run installs it in: run .ci/run)`);
    expect(nodeHasDgramReusePort(node!.version), `${node!.path} is ${node!.version}`).to.equal(true);

    const server = spawnPeer(`server --workers 2 -u (node ${node!.version})`, node!.path,
      [CLI, 'server', '--workers', '2', '-u', '-p', '0', '-c', files.cert, '-k', files.key, '-e']);
    await server.waitFor(/^workers: 2 \(node:cluster\), session-ticket keys shared, DTLS cookie secret shared, UDP port shared with SO_REUSEPORT$/m);
    await server.waitFor(/^listening: 127\.0\.0\.1:(\d+)\n(?:.*\n)*listening: 127\.0\.0\.1:\1$/m);
    const port = Number(/^listening: 127\.0\.0\.1:(\d+)$/m.exec(server.stdout)![1]);
    // The primary has let go of the port before the workers said they listen.
    expect(isListening(server.child.pid!, port, 'udp'), 'the primary holds no socket on the port').to.equal(false);

    const sess = join(files.dir, 'workers-dtls.sess');
    let served = 0;
    /** One s_client: handshake, a line echoed back, then EOF; resolves with its output. */
    const sClient = async (n: number, extra: string[]): Promise<Proc> => {
      const c = openssl(`openssl s_client #${n}`, ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${port}`, '-CAfile', files.ca, '-verify_return_error', ...extra]);
      await c.waitFor(/^(?:New|Reused), TLSv1\.2, /m, 60_000);
      c.write(`ping ${n}\n`);
      await c.waitFor(new RegExp(`^ping ${n}$`, 'm'), 60_000); // our echo, as s_client prints what it reads
      c.endInput();
      await expectExit(c, 0, 60_000);
      return c;
    };
    const linesFor = (count: number): Promise<void> => workerLinesCount(server, count, 60_000);

    const first = await sClient(0, ['-sess_out', sess]);
    expect(first.stdout).to.match(/^New, TLSv1\.2, /m);
    await linesFor(++served);
    const issuer = workerLines(server)[0]!;
    expect(issuer.reused).to.equal(false);

    // Three clients at a time, each from its own port, so the kernel's hash sends them to either
    // worker; rounds until the worker that did not issue the session has resumed it (each
    // client reaches the other worker with probability 1/2: 8 rounds leave 2^-24 to chance).
    for (let round = 0; round < 8 && !workerLines(server).some((l) => l.pid !== issuer.pid); round++) {
      const clients = await Promise.all([1, 2, 3].map((k) => sClient(round * 3 + k, ['-sess_in', sess])));
      for (const c of clients) expect(c.stdout, c.name).to.match(/^Reused, TLSv1\.2, /m);
      served += clients.length;
      await linesFor(served);
    }
    const lines = workerLines(server);
    expect(lines).to.have.length(served);
    for (const l of lines.slice(1)) expect(l.reused, `worker ${l.id} pid ${l.pid} resumed`).to.equal(true);
    const pids = [...new Set(lines.map((l) => l.pid))];
    expect(pids, 'both workers served').to.have.length(2);
    for (const pid of pids) expect(isListening(pid, port, 'udp'), `worker pid ${pid} has its own socket on port ${port}`).to.equal(true);
    expect(server.stderr).to.not.match(/^error:/m);

    server.child.kill('SIGTERM');
    await expectExit(server, 0);
    for (const pid of pids) expect(alive(pid), `worker pid ${pid} after the primary stopped`).to.equal(false);
  });
});
