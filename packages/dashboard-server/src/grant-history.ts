import type { GrantBucket } from '@baton/dashboard';
import { GRANT_HISTORY_SECONDS } from '@baton/dashboard';

/** Grants counted per wall-clock second, for the last GRANT_HISTORY_SECONDS (and the current one). */
export class GrantHistory {
  readonly #counts = new Map<number, number>();
  readonly #changed = new Set<number>();
  total = 0;

  /** One grant at `at` (epoch ms). */
  count(at: number): void {
    const second = Math.floor(at / 1000);
    this.#counts.set(second, (this.#counts.get(second) ?? 0) + 1);
    this.#changed.add(second);
    this.total++;
    if (this.#counts.size > GRANT_HISTORY_SECONDS * 2) this.#prune(second);
  }

  /** Every bucket of the last minute up to `now`, oldest first. */
  all(now: number): GrantBucket[] {
    this.#prune(Math.floor(now / 1000));
    return [...this.#counts.entries()].sort((a, b) => a[0] - b[0]);
  }

  /** Buckets counted into since the last call, with their full counts. */
  takeChanged(): GrantBucket[] {
    const changed = [...this.#changed].sort((a, b) => a - b).map((second): GrantBucket => [second, this.#counts.get(second) ?? 0]);
    this.#changed.clear();
    return changed;
  }

  get hasChanges(): boolean {
    return this.#changed.size > 0;
  }

  #prune(currentSecond: number): void {
    const oldest = currentSecond - GRANT_HISTORY_SECONDS;
    for (const second of this.#counts.keys()) if (second < oldest) this.#counts.delete(second);
  }
}
