// A one-line progress bar on stderr, drawn only when stderr is a terminal (never in a pipe or
// a log file).
export class Progress {
  private done = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly total: number) {}

  /** Show that `label` is being measured. */
  start(label: string): void {
    if (!this.tty) return;
    const width = 30;
    const filled = Math.round((this.done / this.total) * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} `;
    const room = Math.max(0, (process.stderr.columns || 80) - bar.length - 1);
    process.stderr.write(`\r\x1b[K${bar}${label.slice(0, room)}`);
  }

  finish(): void {
    this.done++;
  }

  /** Clear the line before the tables are printed. */
  end(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
  }
}
