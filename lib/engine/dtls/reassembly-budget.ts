// Memory for DTLS handshake reassembly (and records held for the next epoch), bounded per peer
// and in total. A DtlsServer has one budget shared by all its peers and gives each peer an
// account; the peer's channel reserves bytes as fragments arrive and releases them when a
// message is delivered or dropped, and the server closes the account when the peer goes, so the
// total stays bounded however many peers send partial messages.

export class ReassemblyBudget {
  private usedBytes = 0;

  constructor(readonly limit: number) {}

  /** Bytes currently held by all accounts of this budget. */
  get used(): number {
    return this.usedBytes;
  }

  /** An account for one peer, holding at most `limit` bytes of this budget. */
  account(limit: number): ReassemblyAccount {
    return new ReassemblyAccount(this, limit);
  }

  /** @internal */
  take(n: number): boolean {
    if (this.usedBytes + n > this.limit) return false;
    this.usedBytes += n;
    return true;
  }

  /** @internal */
  give(n: number): void {
    this.usedBytes -= n;
  }
}

export class ReassemblyAccount {
  private heldBytes = 0;
  private closed = false;

  constructor(private readonly budget: ReassemblyBudget, readonly limit: number) {}

  get held(): number {
    return this.heldBytes;
  }

  /** Take `n` bytes if they fit both this peer's limit and the shared budget. */
  reserve(n: number): boolean {
    if (this.closed || this.heldBytes + n > this.limit || !this.budget.take(n)) return false;
    this.heldBytes += n;
    return true;
  }

  release(n: number): void {
    const m = Math.min(n, this.heldBytes);
    this.heldBytes -= m;
    this.budget.give(m);
  }

  /** The peer is gone: everything it held goes back, and it may hold nothing more. */
  close(): void {
    this.release(this.heldBytes);
    this.closed = true;
  }
}
