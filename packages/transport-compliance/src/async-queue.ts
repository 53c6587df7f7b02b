/**
 * A first-in first-out queue you can await: `push` from callbacks, `next`
 * from the test. It turns callback-style events (messages, accepted
 * connections) into something a test can wait on without sleeping.
 *
 * Once {@link AsyncQueue.end} is called, items already queued can still be
 * taken; after that `next` rejects instead of hanging, so a test waiting for
 * a message that will never come fails at once with a reason rather than at
 * the test timeout.
 */
export class AsyncQueue<Item> implements AsyncIterable<Item> {
  #items: Item[] = [];
  #waiters: { resolve: (item: Item) => void; reject: (error: Error) => void }[] = [];
  #endError: Error | undefined;
  #ended = false;
  readonly #describe: string;

  /** @param describe names the queue in error messages, e.g. `messages of tcp-3`. */
  constructor(describe = 'queue') {
    this.#describe = describe;
  }

  /** How many items wait to be taken. */
  get size(): number {
    return this.#items.length;
  }

  /** Whether {@link AsyncQueue.end} was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Adds an item, or hands it straight to the oldest waiting `next`. Ignored after `end`. */
  push(item: Item): void {
    if (this.#ended) {
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter === undefined) {
      this.#items.push(item);
    } else {
      waiter.resolve(item);
    }
  }

  /**
   * No more items will come. Waiting and later `next` calls reject (once the
   * queued items are taken) with an error that mentions `reason` when given.
   */
  end(reason?: Error): void {
    if (this.#ended) {
      return;
    }
    this.#ended = true;
    this.#endError = reason;
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(this.#endedError());
    }
  }

  /** The next item, as soon as there is one. */
  next(): Promise<Item> {
    if (this.#items.length > 0) {
      return Promise.resolve(this.#items.shift() as Item);
    }
    if (this.#ended) {
      return Promise.reject(this.#endedError());
    }
    return new Promise<Item>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  /** The next `count` items, in order. */
  async take(count: number): Promise<Item[]> {
    const items: Item[] = [];
    while (items.length < count) {
      items.push(await this.next());
    }
    return items;
  }

  /** Iterates until the queue ends; ending is not an error here. */
  async *[Symbol.asyncIterator](): AsyncIterator<Item> {
    while (this.#items.length > 0 || !this.#ended) {
      try {
        yield await this.next();
      } catch (error) {
        if (this.#ended && this.#items.length === 0) {
          return;
        }
        throw error;
      }
    }
  }

  #endedError(): Error {
    const suffix = this.#endError === undefined ? '' : `: ${this.#endError.message}`;
    return new Error(`${this.#describe} ended before the next item arrived${suffix}`, { cause: this.#endError });
  }
}
