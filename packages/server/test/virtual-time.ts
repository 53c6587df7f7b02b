import type { CoordinatorTimers } from '../src/index.js';

interface PendingTimer {
  readonly at: number;
  readonly delayMs: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock and timers for a Coordinator that run only when the test says so:
 * `fireNext()` runs the earliest timer that is due (one slice of a mass
 * expiry, say), `advance(to)` moves the clock and runs everything due.
 * `delays` records every delay the coordinator asked for.
 */
export class VirtualTime {
  now = 0;
  readonly delays: number[] = [];
  private readonly pending: PendingTimer[] = [];

  readonly clock = (): number => this.now;

  readonly timers: CoordinatorTimers = {
    set: (callback, delayMs) => {
      const timer: PendingTimer = { at: this.now + delayMs, delayMs, callback, cancelled: false };
      this.delays.push(delayMs);
      this.pending.push(timer);
      return timer;
    },
    clear: (handle) => {
      (handle as PendingTimer).cancelled = true;
    },
  };

  /** Timers set and neither fired nor cleared. */
  get active(): number {
    return this.pending.filter((timer) => !timer.cancelled).length;
  }

  /** Run the earliest due timer; false when none is due. */
  fireNext(): boolean {
    let earliest: PendingTimer | undefined;
    for (const timer of this.pending) if (!timer.cancelled && timer.at <= this.now && (!earliest || timer.at < earliest.at)) earliest = timer;
    if (!earliest) return false;
    this.pending.splice(this.pending.indexOf(earliest), 1);
    earliest.callback();
    return true;
  }

  /** Move the clock to `to` and run every timer due by then, including those the running ones set. */
  advance(to: number): void {
    this.now = to;
    let fired = 0;
    while (this.fireNext()) if (++fired > 1_000_000) throw new Error('timers keep firing');
    for (let index = this.pending.length - 1; index >= 0; index--) if (this.pending[index]!.cancelled) this.pending.splice(index, 1);
  }
}
