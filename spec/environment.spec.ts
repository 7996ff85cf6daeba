// Environment variables node:tls honours, checked side by side: a child process (the variables
// are read once per process) connects a node:tls client and our client, neither given `ca`, to
// one server, and reports what each saw.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePki } from './helpers/pki.js';
import { EVENT_WAIT_MS } from './helpers/within.js';

const distLib = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'index.js');

/** The child: a server with `certPath`/`keyPath`, then node's client and ours, in turn. */
const CHILD = `
import * as tls from 'node:tls';
import * as fs from 'node:fs';
import { connect } from ${JSON.stringify(distLib)};
const [certPath, keyPath] = process.argv.slice(2);
const server = tls.createServer({ cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) }, (s) => { s.on('error', () => {}); s.end(); });
const verdict = (c) => new Promise((resolve) => {
  c.on('secureConnect', () => { resolve({ authorized: c.authorized }); c.destroy(); });
  c.on('error', (e) => resolve({ error: e.code }));
});
server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  const node = await verdict(tls.connect({ port, host: '127.0.0.1', servername: 'localhost', maxVersion: 'TLSv1.2' }));
  const ours = await verdict(connect({ port, host: '127.0.0.1', servername: 'localhost' }));
  process.stdout.write(JSON.stringify({ node, ours }));
  server.close();
});
`;

function runChild(env: NodeJS.ProcessEnv): Promise<{ node: unknown; ours: unknown }> {
  const pki = makePki();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-duplex-env-'));
  const script = path.join(dir, 'child.mjs');
  fs.writeFileSync(script, CHILD);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', script, pki.leaves['ec-p256'].certPath, pki.leaves['ec-p256'].keyPath], {
      env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), EVENT_WAIT_MS);
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('close', (code) => {
      clearTimeout(timer);
      fs.rmSync(dir, { recursive: true, force: true });
      if (code !== 0) reject(new Error(`child exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as { node: unknown; ours: unknown });
    });
  });
}

describe('environment variables, side by side with node:tls', function () {
  this.timeout(60_000);

  it('NODE_EXTRA_CA_CERTS extends the default trust store (no ca option): both clients trust the test CA', async () => {
    const pki = makePki();
    const r = await runChild({ ...process.env, NODE_EXTRA_CA_CERTS: pki.ca.certPath });
    expect(r.node).to.deep.equal({ authorized: true });
    expect(r.ours).to.deep.equal(r.node);
  });

  it('without it the same server is refused by both, with the same code', async () => {
    const env = { ...process.env };
    delete env['NODE_EXTRA_CA_CERTS'];
    const r = await runChild(env);
    expect(r.node).to.deep.equal({ error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(r.ours).to.deep.equal(r.node);
  });
});
