// What a test started (servers, sockets, peers) is stopped after it, newest first.

/** Run and empty `cleanups`, newest first, awaiting each; one that throws (e.g. a server
 *  already closed) does not stop the rest. */
export async function runCleanups(cleanups: (() => unknown)[]): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch {
      /* already closed */
    }
  }
}
