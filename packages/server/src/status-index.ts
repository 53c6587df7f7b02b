import type { ResourceLoad } from '@baton/core';
import { SlicedSort } from './sliced-sort.js';
import { busiestFirst } from './status-reply.js';

/**
 * The order of every busy resource for a `status` page (busiest first),
 * built in slices: first the machine's `resourceLoads()` are read, `budget`
 * at a time, then sorted by a {@link SlicedSort}. With a million resources
 * the whole takes about a second of work, which the coordinator spreads over
 * many event-loop turns instead of stalling every other client for it
 * (a full status of 1 M held locks took 0.6–1.4 s in one piece).
 */
export class StatusIndexBuild {
  private readonly loads: ResourceLoad[] = [];
  private sort: SlicedSort<ResourceLoad> | undefined;

  constructor(private readonly source: Iterator<ResourceLoad>) {}

  /** The order, once `step` returned true. */
  get result(): ResourceLoad[] {
    return this.sort!.result;
  }

  /** Do about `budget` units of work (one per resource read, compared or moved); true when done. */
  step(budget: number): boolean {
    if (!this.sort) {
      for (let work = 0; work < budget; work++) {
        const next = this.source.next();
        if (next.done) {
          this.sort = new SlicedSort(this.loads, busiestFirst);
          return this.sort.step(budget - work);
        }
        this.loads.push(next.value);
      }
      return false;
    }
    return this.sort.step(budget);
  }
}
