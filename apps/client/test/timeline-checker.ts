import { readFileSync } from 'node:fs';
import type { TimelineEntry } from '../src/increment-command.js';

/** Two holders of one resource whose beliefs overlapped in real time. */
export interface Overlap {
  resource: string;
  first: TimelineEntry;
  second: TimelineEntry;
  /** How long both believed they held it, in milliseconds. */
  overlapMs: number;
}

export interface TimelineVerdict {
  entries: number;
  overlaps: Overlap[];
  /** Tokens granted more than once. */
  repeatedTokens: string[];
  /** A later holder (by time) with a token not greater than an earlier one's. */
  tokensOutOfOrder: { earlier: TimelineEntry; later: TimelineEntry }[];
}

/** Every line of the `--timeline` files. */
export function readTimelines(paths: readonly string[]): TimelineEntry[] {
  return paths.flatMap((path) =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as TimelineEntry),
  );
}

/**
 * The checker over the intervals clients logged on CLOCK_MONOTONIC: no two
 * holders of one (exclusive) resource at one instant, no token twice, tokens
 * growing with time. Sorted by start, each interval is compared with the one
 * that ends latest among those before it, so every overlap shows up.
 */
export function checkTimeline(entries: readonly TimelineEntry[]): TimelineVerdict {
  const overlaps: Overlap[] = [];
  const tokensOutOfOrder: TimelineVerdict['tokensOutOfOrder'] = [];
  const seen = new Map<string, number>();
  for (const entry of entries) seen.set(`${entry.resource}\u0000${entry.token}`, (seen.get(`${entry.resource}\u0000${entry.token}`) ?? 0) + 1);
  const byResource = new Map<string, TimelineEntry[]>();
  for (const entry of entries) byResource.set(entry.resource, [...(byResource.get(entry.resource) ?? []), entry]);
  for (const [resource, list] of byResource) {
    const sorted = [...list].sort((a, b) => (BigInt(a.from) < BigInt(b.from) ? -1 : BigInt(a.from) > BigInt(b.from) ? 1 : 0));
    let latest: TimelineEntry | undefined;
    for (const entry of sorted) {
      if (latest !== undefined) {
        if (BigInt(entry.from) < BigInt(latest.to)) {
          const end = BigInt(entry.to) < BigInt(latest.to) ? BigInt(entry.to) : BigInt(latest.to);
          overlaps.push({ resource, first: latest, second: entry, overlapMs: Number(end - BigInt(entry.from)) / 1e6 });
        }
        if (BigInt(entry.token) <= BigInt(latest.token)) tokensOutOfOrder.push({ earlier: latest, later: entry });
      }
      if (latest === undefined || BigInt(entry.to) > BigInt(latest.to)) latest = entry;
    }
  }
  const repeatedTokens = [...seen].filter(([, count]) => count > 1).map(([key]) => key.split('\u0000')[1]!);
  return { entries: entries.length, overlaps, repeatedTokens, tokensOutOfOrder };
}
