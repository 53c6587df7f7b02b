import type { ResourceSnapshot } from '@baton/core';
import type { FeedMessage, FeedResource, FeedStats } from '@baton/dashboard';
import { describe, expect, it } from 'vitest';
import { encodeBatch, feedResource, GrantHistory } from '../src/index.js';

const stats: FeedStats = { sessions: 2, resources: 1, holders: 1, waiters: 1, connections: 2, lastToken: '7', grantsTotal: 7 };

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

describe('feedResource', () => {
  it('turns the machine’s monotonic times into wall-clock instants', () => {
    const snapshot: ResourceSnapshot = {
      resource: 'file_A',
      holders: [{ session: 's1', client: 'alice', request: 1, mode: 'exclusive', token: '7', grantedAt: 500, heldMs: 1_500 }],
      waiters: [
        { session: 's2', client: 'bob', request: 2, mode: 'shared', enqueuedAt: 1_200, waitedMs: 800, deadline: 3_000 },
        { session: 's3', client: 'carol', request: 3, mode: 'exclusive', enqueuedAt: 1_900, waitedMs: 100 },
      ],
      blockedUntil: 2_500,
    };
    // The machine's now is 2,000 (grantedAt + heldMs); the wall clock says 1,000,000.
    expect(feedResource(snapshot, 1_000_000, () => Number.NaN)).toEqual({
      name: 'file_A',
      holders: [{ session: 's1', client: 'alice', mode: 'exclusive', token: '7', grantedAt: 998_500 }],
      holding: 1,
      waiters: [
        { session: 's2', client: 'bob', mode: 'shared', since: 999_200, deadline: 1_001_000 },
        { session: 's3', client: 'carol', mode: 'exclusive', since: 999_900 },
      ],
      waiting: 2,
      blockedUntil: 1_000_500,
    });
  });

  it('uses the clock only when nobody holds or waits (a lock-delay alone)', () => {
    const snapshot: ResourceSnapshot = { resource: 'r', holders: [], waiters: [], blockedUntil: 10_000 };
    expect(feedResource(snapshot, 50_000, () => 4_000).blockedUntil).toBe(56_000);
  });

  it('sends at most 100 waiters and 100 holders, with the full counts', () => {
    const snapshot: ResourceSnapshot = {
      resource: 'busy',
      holders: Array.from({ length: 250 }, (_, index) => ({ session: `s${index}`, client: `c${index}`, request: index, mode: 'shared' as const, token: String(index + 1), grantedAt: 0, heldMs: 10 })),
      waiters: Array.from({ length: 300 }, (_, index) => ({ session: `w${index}`, client: `w${index}`, request: index, mode: 'exclusive' as const, enqueuedAt: 0, waitedMs: 10 })),
    };
    const resource = feedResource(snapshot, 1_000, () => 0);
    expect(resource.holders).toHaveLength(100);
    expect(resource.holding).toBe(250);
    expect(resource.waiters).toHaveLength(100);
    expect(resource.waiters[99]!.client).toBe('w99');
    expect(resource.waiting).toBe(300);
  });
});

describe('encodeBatch', () => {
  const resources: FeedResource[] = Array.from({ length: 500 }, (_, index) => ({
    name: `resource-${index}`,
    holders: [{ session: 's1', client: 'alice', mode: 'exclusive', token: String(index + 1), grantedAt: 1 }],
    holding: 1,
    waiters: [],
    waiting: 0,
  }));

  it('splits a snapshot into numbered parts under the limit, stats and history on the last', () => {
    const messages = encodeBatch({ type: 'snapshot', serverTime: 5, resources, stats, grants: [[1, 2]] }, 4_096);
    expect(messages.length).toBeGreaterThan(5);
    const parsed = messages.map((text) => JSON.parse(text) as FeedMessage);
    for (const text of messages) expect(bytes(text)).toBeLessThanOrEqual(4_096);
    parsed.forEach((message, index) => {
      expect(message).toMatchObject({ type: 'snapshot', serverTime: 5, part: index, last: index === parsed.length - 1 });
      if (index < parsed.length - 1) expect(message).not.toHaveProperty('stats');
    });
    expect(parsed.at(-1)).toMatchObject({ stats, grants: [[1, 2]] });
    expect(parsed.flatMap((message) => (message.type === 'snapshot' ? message.resources : []))).toEqual(resources);
  });

  it('sends an empty snapshot as one last part', () => {
    expect(encodeBatch({ type: 'snapshot', serverTime: 1, resources: [], stats, grants: [] }, 4_096).map((text) => JSON.parse(text) as unknown)).toEqual([
      { type: 'snapshot', serverTime: 1, part: 0, last: true, resources: [], stats, grants: [] },
    ]);
  });

  it('splits removed names too, and keeps every one', () => {
    const removed = Array.from({ length: 300 }, (_, index) => `gone-${'x'.repeat(100)}-${index}`);
    const messages = encodeBatch({ type: 'update', serverTime: 1, resources: resources.slice(0, 10), removed, stats, grants: [] }, 4_096);
    for (const text of messages) expect(bytes(text)).toBeLessThanOrEqual(4_096);
    const parsed = messages.map((text) => JSON.parse(text) as FeedMessage);
    expect(parsed.flatMap((message) => (message.type === 'update' ? message.removed : []))).toEqual(removed);
    expect(parsed.flatMap((message) => (message.type === 'update' ? message.resources : []))).toEqual(resources.slice(0, 10));
  });

  it('cuts a resource too big for one message to the holders and waiters that fit', () => {
    const wide = '\u{1F512}'.repeat(64); // 64 characters of 4 UTF-8 bytes each: the longest client name
    const huge: FeedResource = {
      name: 'x'.repeat(128),
      holders: Array.from({ length: 100 }, (_, index) => ({ session: `s${index}`, client: wide, mode: 'shared' as const, token: String(index), grantedAt: 1 })),
      holding: 150,
      waiters: Array.from({ length: 100 }, (_, index) => ({ session: `w${index}`, client: wide, mode: 'exclusive' as const, since: 1 })),
      waiting: 4_000,
    };
    const messages = encodeBatch({ type: 'update', serverTime: 1, resources: [huge], removed: [], stats, grants: [] }, 16_384);
    for (const text of messages) expect(bytes(text)).toBeLessThanOrEqual(16_384);
    const sent = messages.flatMap((text) => (JSON.parse(text) as FeedMessage & { resources: FeedResource[] }).resources);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.waiters.length).toBeLessThan(100);
    expect(sent[0]!.waiters.length).toBeGreaterThan(0);
    expect(sent[0]).toMatchObject({ holding: 150, waiting: 4_000 });
  });
});

describe('GrantHistory', () => {
  it('counts per second, keeps the last minute, and reports what changed since last time', () => {
    const history = new GrantHistory();
    history.count(1_000);
    history.count(1_999);
    history.count(2_000);
    expect(history.total).toBe(3);
    expect(history.takeChanged()).toEqual([
      [1, 2],
      [2, 1],
    ]);
    expect(history.hasChanges).toBe(false);
    history.count(2_500);
    expect(history.takeChanged()).toEqual([[2, 2]]);
    expect(history.all(62_000)).toEqual([[2, 2]]);
    expect(history.all(63_000)).toEqual([]);
  });
});
