/**
 * A merge sort that can stop and go on: `step(budget)` does at most about
 * `budget` units of work (one per element compared or moved) and returns
 * whether the array is sorted. The coordinator uses it to order a million
 * resources for a `status` page without holding the event loop for the
 * whole sort (one `Array.prototype.sort` of 1 M entries takes about a
 * second here): it runs a slice, serves the sockets, and comes back.
 *
 * Bottom-up and stable: runs of RUN_LENGTH are sorted with the built-in sort
 * (a run is one unit of work per element times its depth), then merged in
 * passes of doubling width between two buffers; a merge is resumable at any
 * element.
 */
const RUN_LENGTH = 256;
const RUN_COST = RUN_LENGTH * 8;

export class SlicedSort<T> {
  private source: T[];
  private target: T[];
  /** Next run to sort (phase 1), while below the length. */
  private nextRun = 0;
  private width = RUN_LENGTH;
  /** The merge in progress of this pass: its left start, and the three cursors. */
  private left = 0;
  private i = 0;
  private j = 0;
  private k = 0;
  private merging = false;

  constructor(
    items: T[],
    private readonly compare: (a: T, b: T) => number,
  ) {
    this.source = items;
    this.target = new Array<T>(items.length);
  }

  /** The sorted items, once `step` returned true. */
  get result(): T[] {
    return this.source;
  }

  step(budget: number): boolean {
    const length = this.source.length;
    let work = 0;
    while (this.nextRun < length) {
      if (work >= budget) return false;
      const end = Math.min(this.nextRun + RUN_LENGTH, length);
      const run = this.source.slice(this.nextRun, end).sort(this.compare);
      for (let index = 0; index < run.length; index++) this.source[this.nextRun + index] = run[index]!;
      this.nextRun = end;
      work += RUN_COST;
    }
    while (this.width < length) {
      if (!this.merging) {
        this.merging = true;
        this.i = this.left;
        this.j = Math.min(this.left + this.width, length);
        this.k = this.left;
      }
      const middle = Math.min(this.left + this.width, length);
      const end = Math.min(this.left + 2 * this.width, length);
      const source = this.source;
      const target = this.target;
      while (this.k < end) {
        if (work++ >= budget) return false;
        if (this.i < middle && (this.j >= end || this.compare(source[this.j]!, source[this.i]!) >= 0)) target[this.k++] = source[this.i++]!;
        else target[this.k++] = source[this.j++]!;
      }
      this.merging = false;
      this.left = end;
      if (this.left >= length) {
        this.source = target;
        this.target = source;
        this.left = 0;
        this.width *= 2;
      }
    }
    return true;
  }
}
