// Bounded waits for specs: every promise a test awaits on a peer or a socket gets a deadline.

/** `p`, or a rejection naming `what` after `ms`. The timer never keeps the process alive, and a
 *  late rejection of the race is not reported as unhandled. */
export function within<T>(p: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    t = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    t.unref();
  });
  const r = Promise.race([p, timeout]).finally(() => clearTimeout(t));
  r.catch(() => undefined);
  return r;
}
