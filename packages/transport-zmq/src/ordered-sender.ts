/**
 * An unbounded FIFO drained by one async loop, because zeromq.js allows only
 * one pending `send` per socket (a second concurrent one rejects with EBUSY)
 * while the transport contract wants `send` to return at once and keep order.
 */
export class OrderedSender<Item> {
  readonly #transmit: (item: Item) => Promise<void>;
  #items: Item[] = [];
  #head = 0;
  #draining = false;
  #idleWaiters: Array<() => void> = [];

  /** @param transmit Sends one item; it must handle its own errors and never reject. */
  constructor(transmit: (item: Item) => Promise<void>) {
    this.#transmit = transmit;
  }

  push(item: Item): void {
    this.#items.push(item);
    if (!this.#draining) void this.#drain();
  }

  /** Drops what is queued and not yet handed to the socket. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  /** Resolves once everything pushed so far has been handed to the socket. */
  whenIdle(): Promise<void> {
    if (!this.#draining) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#head < this.#items.length) {
        const item = this.#items[this.#head]!;
        this.#head++;
        // Compact now and then, so a long-lived queue does not keep every item ever sent.
        if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
          this.#items = this.#items.slice(this.#head);
          this.#head = 0;
        }
        await this.#transmit(item);
      }
    } finally {
      this.#items = [];
      this.#head = 0;
      this.#draining = false;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
