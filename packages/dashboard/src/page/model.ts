/**
 * What the page knows: every resource the feed told it about, the server's
 * counters and the grants-per-second history. Pure data and arithmetic (no
 * DOM), so it is unit-tested in Node.js, including with 10,000 resources.
 */
import { firstInOrder } from '@baton/core';
import type { FeedMessage, FeedResource, FeedStats } from '../feed-protocol.js';
import { GRANT_HISTORY_SECONDS } from '../feed-protocol.js';

/** How rows are ordered. */
export type SortOrder = 'queue' | 'name' | 'held';

export const SORT_ORDERS: readonly SortOrder[] = ['queue', 'name', 'held'];

export interface ViewOptions {
  /** Case-insensitive substring of the resource name; empty for all. */
  filter: string;
  sort: SortOrder;
  /** Most rows returned. */
  limit: number;
}

export interface ResourceView {
  resource: FeedResource;
  /** Bumped whenever the resource changes, so a renderer can skip unchanged rows. */
  version: number;
}

export interface View {
  rows: ResourceView[];
  /** How many resources match the filter (rows holds at most `limit` of them). */
  matching: number;
  /** How many resources are known. */
  total: number;
}

export class DashboardModel {
  readonly #resources = new Map<string, ResourceView>();
  readonly #grants = new Map<number, number>();
  #version = 0;
  /** Server clock minus page clock, from the latest message. */
  serverOffsetMs = 0;
  adminEnabled = false;
  /** True once a whole snapshot arrived (false again while a new one is arriving). */
  synced = false;
  stats: FeedStats | undefined;
  /** Bumped on every change: a renderer compares it with what it drew. */
  revision = 0;

  get size(): number {
    return this.#resources.size;
  }

  /** Apply one feed message received at `pageNow` (page clock, epoch ms). */
  apply(message: FeedMessage, pageNow: number): void {
    this.serverOffsetMs = message.serverTime - pageNow;
    this.revision++;
    switch (message.type) {
      case 'hello':
        this.adminEnabled = message.adminEnabled;
        return;
      case 'snapshot':
        if (message.part === 0) {
          this.#resources.clear();
          this.#grants.clear();
          this.synced = false;
        }
        for (const resource of message.resources) this.#put(resource);
        if (message.stats) this.stats = message.stats;
        if (message.grants) for (const [second, count] of message.grants) this.#grants.set(second, count);
        if (message.last) this.synced = true;
        return;
      case 'update':
        for (const resource of message.resources) this.#put(resource);
        for (const name of message.removed) this.#resources.delete(name);
        if (message.stats) this.stats = message.stats;
        if (message.grants) for (const [second, count] of message.grants) this.#grants.set(second, count);
        this.#forgetOldGrants(message.serverTime);
        return;
    }
  }

  /** The connection dropped: what is shown is no longer live. */
  disconnected(): void {
    this.synced = false;
    this.revision++;
  }

  get(name: string): FeedResource | undefined {
    return this.#resources.get(name)?.resource;
  }

  /** The server's time now, by the page's clock corrected with the latest offset. */
  serverNow(pageNow: number): number {
    return pageNow + this.serverOffsetMs;
  }

  /**
   * The rows to draw: resources matching the filter, in the chosen order,
   * at most `limit`. A resource whose only reason to be listed was a
   * lock-delay that has ended (at `serverNow`) is left out.
   */
  view(options: ViewOptions, serverNow: number): View {
    const needle = options.filter.trim().toLowerCase();
    const matching: ResourceView[] = [];
    for (const entry of this.#resources.values()) {
      const resource = entry.resource;
      if (resource.holding === 0 && resource.waiting === 0 && !(resource.blockedUntil !== undefined && resource.blockedUntil > serverNow)) continue;
      if (needle !== '' && !resource.name.toLowerCase().includes(needle)) continue;
      matching.push(entry);
    }
    const compare = comparators[options.sort];
    const rows = firstInOrder(matching, Math.max(0, options.limit), compare);
    return { rows, matching: matching.length, total: this.#resources.size };
  }

  /**
   * Grants in each of the last `seconds` whole seconds up to and including
   * the current one (oldest first), by the server's clock.
   */
  grantsPerSecond(serverNow: number, seconds = GRANT_HISTORY_SECONDS): number[] {
    const current = Math.floor(serverNow / 1000);
    const series: number[] = [];
    for (let second = current - seconds + 1; second <= current; second++) series.push(this.#grants.get(second) ?? 0);
    return series;
  }

  #put(resource: FeedResource): void {
    this.#resources.set(resource.name, { resource, version: ++this.#version });
  }

  #forgetOldGrants(serverNow: number): void {
    const oldest = Math.floor(serverNow / 1000) - GRANT_HISTORY_SECONDS * 2;
    for (const second of this.#grants.keys()) if (second < oldest) this.#grants.delete(second);
  }
}

type Compare = (a: ResourceView, b: ResourceView) => number;

function byName(a: ResourceView, b: ResourceView): number {
  return a.resource.name < b.resource.name ? -1 : a.resource.name > b.resource.name ? 1 : 0;
}

function oldestGrant(resource: FeedResource): number {
  let oldest = Infinity;
  for (const holder of resource.holders) if (holder.grantedAt < oldest) oldest = holder.grantedAt;
  return oldest;
}

const comparators: Record<SortOrder, Compare> = {
  /** Longest queue first, then most holders, then by name. */
  queue: (a, b) => b.resource.waiting - a.resource.waiting || b.resource.holding - a.resource.holding || byName(a, b),
  name: byName,
  /** Held longest first (the earliest grant), unheld last. */
  held: (a, b) => oldestGrant(a.resource) - oldestGrant(b.resource) || byName(a, b),
};

/**
 * The line above the rows. Counts come from the server's `stats.resources`
 * (every busy resource) when it has more than the page was sent, so a
 * server with a million busy resources says so, and says that the page
 * holds only the busiest.
 *
 * @param busy `stats.resources`, when the page has stats.
 * @param known How many resources the page was sent.
 */
export function countText(view: View, busy: number | undefined, known: number, filter: string): string {
  const format = (count: number) => count.toLocaleString('en-US');
  const total = Math.max(busy ?? view.matching, view.matching);
  const partial = known < total;
  const filtered = filter.trim() !== '';
  if (!filtered) {
    if (total > view.rows.length) return `showing the top ${format(view.rows.length)} of ${format(total)} resources${partial ? ` (the page is sent the ${format(known)} busiest)` : ''}`;
    return `${format(view.matching)} resources`;
  }
  const among = partial ? ` (among the ${format(known)} busiest)` : '';
  if (view.matching > view.rows.length) return `showing the top ${format(view.rows.length)} of ${format(view.matching)} matching${among}`;
  return `${format(view.matching)} of ${format(total)} resources match${among}`;
}

/** `950 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(milliseconds: number): string {
  const ms = Math.max(0, milliseconds);
  if (ms < 1_000) return `${Math.floor(ms)} ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const totalSeconds = Math.floor(ms / 1000);
  if (ms < 3_600_000) return `${Math.floor(totalSeconds / 60)} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)} h ${String(totalMinutes % 60).padStart(2, '0')} min`;
}
