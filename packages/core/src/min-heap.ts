/**
 * A binary min-heap of deadlines. The machine keeps every future deadline
 * (lease expiry, wait timeout, lock-delay end) here so that `nextDeadline()`
 * and `tick` cost O(log n) instead of a scan over every session and waiter.
 * Entries are never removed early: a stale entry is recognised and skipped
 * when it reaches the top (lazy deletion).
 */
export class MinHeap<T> {
  private readonly times: number[] = [];
  private readonly items: T[] = [];

  get size(): number {
    return this.times.length;
  }

  push(time: number, item: T): void {
    const times = this.times;
    const items = this.items;
    let index = times.length;
    times.push(time);
    items.push(item);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (times[parent]! <= time) break;
      times[index] = times[parent]!;
      items[index] = items[parent]!;
      index = parent;
    }
    times[index] = time;
    items[index] = item;
  }

  /**
   * Every entry in the heap's own array order (not sorted), for a snapshot.
   * {@link MinHeap.fromEntries} of this list rebuilds the very same heap, so
   * ties and stale entries come out in the same order as they would have.
   */
  entries(): { time: number; item: T }[] {
    return this.times.map((time, index) => ({ time, item: this.items[index]! }));
  }

  /** The heap {@link MinHeap.entries} was taken from. */
  static fromEntries<T>(entries: readonly { time: number; item: T }[]): MinHeap<T> {
    const heap = new MinHeap<T>();
    for (const entry of entries) {
      heap.times.push(entry.time);
      heap.items.push(entry.item);
    }
    return heap;
  }

  /** Earliest time, or undefined when empty. */
  peekTime(): number | undefined {
    return this.times[0];
  }

  /** Remove and return the earliest item. */
  pop(): T | undefined {
    const times = this.times;
    const items = this.items;
    if (times.length === 0) return undefined;
    const top = items[0];
    const lastTime = times.pop()!;
    const lastItem = items.pop()!;
    const length = times.length;
    if (length > 0) {
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= length) break;
        const right = left + 1;
        const child = right < length && times[right]! < times[left]! ? right : left;
        if (times[child]! >= lastTime) break;
        times[index] = times[child]!;
        items[index] = items[child]!;
        index = child;
      }
      times[index] = lastTime;
      items[index] = lastItem;
    }
    return top;
  }
}
