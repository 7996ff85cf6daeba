// A bounded wait on state that changes at known moments (a datagram arrives, a connection ends):
// each change calls wake(), and every waiter whose condition now holds resolves.
import { within } from './within.js';

export class Condition {
  private waiters: (() => void)[] = [];

  /** The state changed: look again. */
  wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `ok()` holds (checked now and at each wake()); rejects naming `what` after
   *  `ms`. */
  until(ok: () => boolean, what: string, ms: number): Promise<void> {
    return within(new Promise<void>((resolve) => {
      const check = (): void => {
        if (ok()) resolve();
        else this.waiters.push(check);
      };
      check();
    }), what, ms);
  }
}
