// Peer programs a test needs (openssl, gnutls-serv, gnutls-cli, tshark): without them a test
// fails under CI and is skipped, loudly, elsewhere.
import { spawnSync } from 'node:child_process';

export type PeerCommand = 'openssl' | 'gnutls-serv' | 'gnutls-cli' | 'tshark';

const peerAvailability = new Map<PeerCommand, string | null>();

/** Version line of `cmd`, or null when it cannot be run. Cached. */
export function peerVersion(cmd: PeerCommand): string | null {
  if (!peerAvailability.has(cmd)) {
    const r = spawnSync(cmd, cmd === 'openssl' ? ['version'] : ['--version'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ok = !r.error && r.status === 0;
    peerAvailability.set(cmd, ok ? (r.stdout.split('\n')[0] ?? '').trim() || cmd : null);
  }
  return peerAvailability.get(cmd) ?? null;
}

/**
 * Makes sure `cmd` can be run. When it cannot: under CI (process.env.CI set) it throws, so the
 * test FAILS; elsewhere it prints a loud warning on stderr and skips the test (ctx.skip()).
 * Call it as `requirePeer(this, 'openssl')` inside a `function () {}` test or hook.
 */
export function requirePeer(ctx: Mocha.Context, cmd: PeerCommand): void {
  if (peerVersion(cmd) !== null) return;
  const pkg = cmd === 'openssl' || cmd === 'tshark' ? cmd : 'gnutls-bin';
  requireCapability(ctx, false, `peer program '${cmd}' is not installed (Debian package: ${pkg}; .ci/run installs it)`);
}

/**
 * A test that needs something of the machine (`ok`): without it, under CI the test FAILS (so CI
 * never passes by skipping), elsewhere it is skipped with a loud warning saying `what` is missing.
 */
export function requireCapability(ctx: Mocha.Context, ok: boolean, what: string): void {
  if (ok) return;
  if (process.env['CI']) throw new Error(`${what} -- tests must not be skipped in CI`);
  process.stderr.write(
    `\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n` +
      `!!! WARNING: SKIPPING test: ${what}\n` +
      `!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`,
  );
  ctx.skip();
}
