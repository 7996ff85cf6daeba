// Bounded waits for specs: every promise a test awaits on a peer or a socket gets a deadline.

/** How long a spec waits for one event of a peer or a socket (a process to be ready, a line, an
 *  exit) before it fails. Generous: the deadline only bounds a test that is already broken, and
 *  a loaded machine (CI's 2 busy cores) can take seconds to start a process. */
export const EVENT_WAIT_MS = 30_000;

/** `p`, or a rejection naming `what` after `ms`. The timer never keeps the process alive, and a
 *  late rejection of the race is not reported as unhandled. */
export function within<T>(p: Promise<T>, what: string, ms = EVENT_WAIT_MS): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    t = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    t.unref();
  });
  const r = Promise.race([p, timeout]).finally(() => clearTimeout(t));
  r.catch(() => undefined);
  return r;
}
