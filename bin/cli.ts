// secure-duplex command line: `server`, `client` and `demo` (docs/cli.md).
// Launched by bin/secure-duplex.js, or `node dist/bin/cli.js`.
import { readFileSync } from 'node:fs';
import { runClient } from './client-command.js';
import { runDemo } from './demo-command.js';
import { runServer } from './server-command.js';
import { errorLine } from './status.js';
import { clientUsage, demoUsage, mainUsage, serverUsage } from './usage.js';

type Command = { run: (argv: readonly string[]) => Promise<number>; usage: () => string };

const COMMANDS: Record<string, Command> = {
  server: { run: runServer, usage: serverUsage },
  client: { run: runClient, usage: clientUsage },
  demo: { run: runDemo, usage: demoUsage },
};

const isHelp = (arg: string): boolean => arg === '--help' || arg === '-?';

/** --version: the package's name and version (package.json), as `gnutls-cli --version` starts. */
function versionText(): string {
  // dist/bin/cli.js → package.json
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return `${pkg.name} ${pkg.version}\nTLS 1.2 and DTLS 1.2 with RFC 5746 secure renegotiation; Node.js ${process.version}\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === 'version') {
    process.stdout.write(versionText());
    return 0;
  }
  if (name === undefined || isHelp(name) || name === '-h' || name === 'help') {
    const topic = name === 'help' && rest[0] !== undefined ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(topic ? topic.usage() : mainUsage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`error: ERR_USAGE: unknown command ${JSON.stringify(name)} (server, client or demo)\n`);
    process.stderr.write('Run "secure-duplex --help" for usage.\n');
    return 2;
  }
  if (rest.some(isHelp)) {
    process.stdout.write(command.usage());
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    process.stderr.write(errorLine(e) + '\n');
    const usage = (e as { name?: string }).name === 'UsageError';
    if (usage && (e as { code?: string }).code === 'ERR_USAGE') {
      process.stderr.write(`Run "secure-duplex ${name} --help" for usage.\n`);
    }
    return usage ? 2 : 1;
  }
}

/** Exit once what was written to stdout and stderr has been handed to the OS (pipes are
 *  asynchronous; stdin may still hold the event loop open in --pipe mode). */
function exit(code: number): void {
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main(process.argv.slice(2)).then(exit, (e: unknown) => {
  process.stderr.write(errorLine(e) + '\n');
  exit(1);
});
