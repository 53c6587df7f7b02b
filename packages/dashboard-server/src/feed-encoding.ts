import type { ResourceSnapshot } from '@baton/core';
import type { FeedResource, FeedStats, GrantBucket } from '@baton/dashboard';
import { FEED_MAX_HOLDERS, FEED_MAX_WAITERS } from '@baton/dashboard';

/**
 * A machine snapshot as the feed sends it: wall-clock instants instead of
 * the coordinator's private monotonic times (so the page can show live
 * durations), and at most FEED_MAX_HOLDERS holders and FEED_MAX_WAITERS
 * waiters, with the full counts beside them.
 *
 * @param monotonicFallback The coordinator's clock now, used only when the
 *   snapshot itself carries no reference (a resource held by nobody that a
 *   lock-delay keeps blocked).
 */
export function feedResource(snapshot: ResourceSnapshot, wallNow: number, monotonicFallback: () => number): FeedResource {
  const firstHolder = snapshot.holders[0];
  const firstWaiter = snapshot.waiters[0];
  const monotonicNow =
    firstHolder !== undefined
      ? firstHolder.grantedAt + firstHolder.heldMs
      : firstWaiter !== undefined
        ? firstWaiter.enqueuedAt + firstWaiter.waitedMs
        : monotonicFallback();
  const resource: FeedResource = {
    name: snapshot.resource,
    holders: snapshot.holders.slice(0, FEED_MAX_HOLDERS).map((holder) => ({
      session: holder.session,
      client: holder.client,
      mode: holder.mode,
      token: holder.token,
      grantedAt: Math.round(wallNow - holder.heldMs),
    })),
    holding: snapshot.holders.length,
    waiters: snapshot.waiters.slice(0, FEED_MAX_WAITERS).map((waiter) => {
      const entry: FeedResource['waiters'][number] = {
        session: waiter.session,
        client: waiter.client,
        mode: waiter.mode,
        since: Math.round(wallNow - waiter.waitedMs),
      };
      if (waiter.deadline !== undefined) entry.deadline = Math.round(wallNow + (waiter.deadline - monotonicNow));
      return entry;
    }),
    waiting: snapshot.waiters.length,
  };
  if (snapshot.blockedUntil !== undefined) resource.blockedUntil = Math.round(wallNow + (snapshot.blockedUntil - monotonicNow));
  return resource;
}

export interface FeedBatch {
  type: 'snapshot' | 'update';
  serverTime: number;
  resources: FeedResource[];
  /** update only */
  removed?: string[];
  stats: FeedStats;
  grants: GrantBucket[];
}

/** Room kept in every message for its envelope (type, serverTime, part, ...). */
const ENVELOPE_BYTES = 256;

/**
 * Split a batch into JSON messages of at most `maxBytes` UTF-8 bytes each:
 * resources (and removed names) are spread over as many messages as needed;
 * `stats` and `grants` go with the last one, which a snapshot marks `last`.
 * A resource too big for one message on its own (hundreds of waiters with
 * long names) is cut to the holders and waiters that fit, its counts intact.
 */
export function encodeBatch(batch: FeedBatch, maxBytes: number): string[] {
  const tail = `,"stats":${JSON.stringify(batch.stats)},"grants":${JSON.stringify(batch.grants)}`;
  const budget = maxBytes - ENVELOPE_BYTES;
  if (byteLength(tail) > budget / 2) throw new Error(`feed messages of ${maxBytes} bytes are too small for the stats and grants history`);
  const resourceTexts = batch.resources.map((resource) => encodeResourceWithin(resource, budget));
  const removedTexts = (batch.removed ?? []).map((name) => JSON.stringify(name));

  const parts: { resources: string[]; removed: string[] }[] = [];
  let current = { resources: [] as string[], removed: [] as string[] };
  let used = 0;
  const place = (text: string, list: 'resources' | 'removed') => {
    const size = byteLength(text) + 1;
    if (used + size > budget && used > 0) {
      parts.push(current);
      current = { resources: [], removed: [] };
      used = 0;
    }
    current[list].push(text);
    used += size;
  };
  for (const text of resourceTexts) place(text, 'resources');
  for (const text of removedTexts) place(text, 'removed');
  // The tail must fit with the last part's items.
  if (used + byteLength(tail) > budget && used > 0) {
    parts.push(current);
    current = { resources: [], removed: [] };
  }
  parts.push(current);

  return parts.map((part, index) => {
    const last = index === parts.length - 1;
    const head =
      batch.type === 'snapshot'
        ? `{"type":"snapshot","serverTime":${batch.serverTime},"part":${index},"last":${last}`
        : `{"type":"update","serverTime":${batch.serverTime}`;
    const removed = batch.type === 'update' ? `,"removed":[${part.removed.join(',')}]` : '';
    return `${head},"resources":[${part.resources.join(',')}]${removed}${last ? tail : ''}}`;
  });
}

function encodeResourceWithin(resource: FeedResource, budget: number): string {
  let text = JSON.stringify(resource);
  let keep = Math.max(resource.holders.length, resource.waiters.length);
  while (byteLength(text) > budget && keep > 0) {
    keep = Math.floor(keep / 2);
    text = JSON.stringify({ ...resource, holders: resource.holders.slice(0, keep), waiters: resource.waiters.slice(0, keep) });
  }
  return text;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
