#!/usr/bin/env node
// The `secure-duplex` command: runs the built CLI, dist/bin/cli.js (docs/cli.md).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/bin/cli.js', import.meta.url);
if (existsSync(cli)) {
  await import(cli.href);
} else {
  // A checkout where nothing has been built yet (npm pack builds the published package).
  process.stderr.write('error: ERR_NOT_BUILT: dist/bin/cli.js is missing — run "npm run build" first (npm start and npm test build too)\n');
  process.exitCode = 1;
}
