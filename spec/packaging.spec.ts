// The package as users install it: `npm pack`, installed into a fresh project, then loaded with
// require() from CommonJS, imported from ESM (compared with the repository's own exports) and
// type-checked by a strict TypeScript consumer that checks our declaration files
// (skipLibCheck: false).

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lib from '../lib/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function run(cmd: string, args: readonly string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 240_000, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}` };
}

describe('the packed package in a consumer project', function () {
  this.timeout(300_000);
  let dir: string;

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-duplex-consumer-'));
    const pack = run('npm', ['pack', '--pack-destination', dir], root);
    expect(pack.status, pack.out).to.equal(0);
    const tarball = fs.readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tarball, pack.out).to.be.a('string');
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    const install = run('npm', ['install', '--prefer-offline', '--no-save', `./${tarball!}`], dir);
    expect(install.status, install.out).to.equal(0);
  });

  after(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('require() from a .cjs file gives the same exports as the ESM entry', () => {
    fs.writeFileSync(path.join(dir, 'load.cjs'), "process.stdout.write(JSON.stringify(Object.keys(require('secure-duplex')).sort()));\n");
    const r = run(process.execPath, ['load.cjs'], dir);
    expect(r.status, r.out).to.equal(0);
    expect(JSON.parse(r.out)).to.deep.equal(Object.keys(lib).sort());
  });

  it('import from an .mjs file works and connect/createServer are functions', () => {
    fs.writeFileSync(path.join(dir, 'load.mjs'),
      "import { connect, createServer } from 'secure-duplex';\nprocess.stdout.write(`${typeof connect} ${typeof createServer}`);\n");
    const r = run(process.execPath, ['load.mjs'], dir);
    expect(r.status, r.out).to.equal(0);
    expect(r.out).to.equal('function function');
  });

  it('a strict TypeScript consumer type-checks against the shipped declarations (skipLibCheck: false), with typed events', () => {
    fs.writeFileSync(path.join(dir, 'consumer.ts'), [
      "import type * as tls from 'node:tls';",
      "import { connect, createServer, type RenegotiatedInfo, type SecureDuplex } from 'secure-duplex';",
      "const server = createServer({}, (socket: SecureDuplex) => { socket.end(); });",
      // The Server's events, their arguments inferred from the declarations.
      "server.on('secureConnection', (s) => { const c: tls.CipherNameAndProtocol = s.getCipher(); void c.standardName; });",
      "server.on('tlsClientError', (err, s) => { void err.message; void s.encrypted; });",
      "server.on('keylog', (line, s) => { const b: Buffer = line; void b; void s.authorized; });",
      "server.on('OCSPRequest', (certificate, issuer, cb) => { void certificate.length; void issuer?.length; cb(null, null); });",
      "server.on('newSession', (id, data, cb) => { void id.length; void data.length; cb(); });",
      "server.once('resumeSession', (id, cb) => { void id.length; cb(null, null); });",
      '// @ts-expect-error a \'secureConnection\' listener gets a SecureDuplex, not a number',
      "server.on('secureConnection', (n: number) => { void n; });",
      "server.listen(0, '127.0.0.1', () => server.close());",
      "const client: SecureDuplex = connect({ port: 1, host: '127.0.0.1' });",
      "client.on('error', (e: Error) => { void e.message; });",
      "client.on('secureConnect', () => { void client.getProtocol(); });",
      "client.on('session', (session) => { const b: Buffer = session; void b; });",
      "client.on('keylog', (line) => { const b: Buffer = line; void b; });",
      "client.on('OCSPResponse', (response) => { const r: Buffer | null = response; void r; });",
      "client.once('renegotiated', (info: RenegotiatedInfo) => { void info.cipher.standardName; void info.initiator; });",
      "client.on('close', (hadError) => { const h: boolean = hadError; void h; });",
      "client.on('an event of the application', (a: number, b: string) => { void a; void b; });",
      '// @ts-expect-error \'session\' gives a Buffer',
      "client.on('session', (session: number) => { void session; });",
      '// @ts-expect-error \'renegotiated\' gives { cipher, initiator, authorized }',
      "client.prependListener('renegotiated', (info: string) => { void info; });",
      '// @ts-expect-error \'secureConnect\' gives no argument',
      "client.once('secureConnect', (n: number) => { void n; });",
      // getCipher() is node's type; a value typed as either library's socket still takes listeners.
      "const cipher: tls.CipherNameAndProtocol = client.getCipher();",
      "void cipher.version;",
      "const either = client as tls.TLSSocket | SecureDuplex;",
      "either.on('secureConnect', () => { void either.authorized; });",
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        types: ['node'],
        typeRoots: [path.join(root, 'node_modules', '@types')],
      },
      files: ['consumer.ts'],
    }));
    const r = run(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', '.'], dir);
    expect(r.out.trim(), 'tsc output').to.equal('');
    expect(r.status).to.equal(0);
  });
});
