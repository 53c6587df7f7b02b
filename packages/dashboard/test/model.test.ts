import { describe, expect, it } from 'vitest';
import type { FeedResource, FeedStats } from '../src/feed-protocol.js';
import { countText, DashboardModel, formatDuration } from '../src/page/model.js';
import { chartGeometry, niceCeiling } from '../src/page/grants-chart.js';

const stats: FeedStats = { sessions: 1, resources: 1, holders: 1, waiters: 0, connections: 1, lastToken: '1', grantsTotal: 1 };

function resource(name: string, waiting: number, grantedAt = 1_000): FeedResource {
  return {
    name,
    holders: [{ session: 's1', client: 'alice', mode: 'exclusive', token: '1', grantedAt }],
    holding: 1,
    waiters: Array.from({ length: Math.min(waiting, 100) }, (_, index) => ({ session: `s${index + 2}`, client: `w${index}`, mode: 'exclusive' as const, since: 2_000 })),
    waiting,
  };
}

describe('DashboardModel', () => {
  it('replaces everything on a snapshot, then applies updates and removals', () => {
    const model = new DashboardModel();
    model.apply({ type: 'hello', v: 1, serverTime: 10_000, adminEnabled: true, maxWaiters: 100, maxHolders: 100, historySeconds: 60, maxResources: 10_000 }, 9_000);
    expect(model.adminEnabled).toBe(true);
    expect(model.serverOffsetMs).toBe(1_000);
    model.apply({ type: 'snapshot', serverTime: 10_000, part: 0, last: false, resources: [resource('a', 0), resource('b', 1)] }, 10_000);
    expect(model.synced).toBe(false);
    model.apply({ type: 'snapshot', serverTime: 10_000, part: 1, last: true, resources: [resource('c', 2)], stats, grants: [[9, 4]] }, 10_000);
    expect(model.synced).toBe(true);
    expect(model.size).toBe(3);
    expect(model.stats).toEqual(stats);

    model.apply({ type: 'update', serverTime: 11_000, resources: [resource('a', 5)], removed: ['b'] }, 11_000);
    expect(model.get('a')?.waiting).toBe(5);
    expect(model.get('b')).toBeUndefined();

    // A new snapshot (after a reconnect) forgets what is gone.
    model.apply({ type: 'snapshot', serverTime: 12_000, part: 0, last: true, resources: [resource('z', 0)], stats, grants: [] }, 12_000);
    expect(model.size).toBe(1);
    expect(model.get('a')).toBeUndefined();
  });

  it('filters by name, sorts by queue length and returns only the top rows, out of 10,000', () => {
    const model = new DashboardModel();
    const resources = Array.from({ length: 10_000 }, (_, index) => resource(`res-${String(index).padStart(5, '0')}`, index % 97));
    model.apply({ type: 'snapshot', serverTime: 0, part: 0, last: true, resources, stats, grants: [] }, 0);
    const view = model.view({ filter: '', sort: 'queue', limit: 200 }, 0);
    expect(view.rows).toHaveLength(200);
    expect(view.matching).toBe(10_000);
    const queues = view.rows.map((row) => row.resource.waiting);
    expect(queues[0]).toBe(96);
    expect([...queues].sort((a, b) => b - a)).toEqual(queues);
    // Ties are broken by name.
    const firstTied = view.rows.filter((row) => row.resource.waiting === 96).map((row) => row.resource.name);
    expect([...firstTied].sort()).toEqual(firstTied);

    const filtered = model.view({ filter: 'RES-0999', sort: 'name', limit: 200 }, 0);
    expect(filtered.matching).toBe(10);
    expect(filtered.rows.map((row) => row.resource.name)).toEqual(Array.from({ length: 10 }, (_, index) => `res-0999${index}`));

    const byName = model.view({ filter: '', sort: 'name', limit: 3 }, 0);
    expect(byName.rows.map((row) => row.resource.name)).toEqual(['res-00000', 'res-00001', 'res-00002']);
  });

  it('sorts by how long the lock has been held, unheld last', () => {
    const model = new DashboardModel();
    const free: FeedResource = { name: 'free', holders: [], holding: 0, waiters: [{ session: 's', client: 'c', mode: 'shared', since: 1 }], waiting: 1 };
    model.apply({ type: 'snapshot', serverTime: 0, part: 0, last: true, resources: [resource('new', 0, 5_000), free, resource('old', 0, 1_000)], stats, grants: [] }, 0);
    expect(model.view({ filter: '', sort: 'held', limit: 10 }, 0).rows.map((row) => row.resource.name)).toEqual(['old', 'new', 'free']);
  });

  it('hides a resource kept only by a lock-delay once the delay is over', () => {
    const model = new DashboardModel();
    const blocked: FeedResource = { name: 'delayed', holders: [], holding: 0, waiters: [], waiting: 0, blockedUntil: 5_000 };
    model.apply({ type: 'snapshot', serverTime: 0, part: 0, last: true, resources: [blocked], stats, grants: [] }, 0);
    expect(model.view({ filter: '', sort: 'queue', limit: 10 }, 4_999).matching).toBe(1);
    expect(model.view({ filter: '', sort: 'queue', limit: 10 }, 5_000).matching).toBe(0);
  });

  it('bumps a resource version only when it changes, so unchanged rows are not redrawn', () => {
    const model = new DashboardModel();
    model.apply({ type: 'snapshot', serverTime: 0, part: 0, last: true, resources: [resource('a', 0), resource('b', 0)], stats, grants: [] }, 0);
    const before = new Map(model.view({ filter: '', sort: 'name', limit: 10 }, 0).rows.map((row) => [row.resource.name, row.version]));
    model.apply({ type: 'update', serverTime: 0, resources: [resource('a', 1)], removed: [] }, 0);
    const after = new Map(model.view({ filter: '', sort: 'name', limit: 10 }, 0).rows.map((row) => [row.resource.name, row.version]));
    expect(after.get('a')).not.toBe(before.get('a'));
    expect(after.get('b')).toBe(before.get('b'));
  });

  it('keeps grants per second for the last minute, by the server clock', () => {
    const model = new DashboardModel();
    model.apply({ type: 'snapshot', serverTime: 100_500, part: 0, last: true, resources: [], stats, grants: [[40, 9], [41, 7], [99, 3], [100, 1]] }, 100_500);
    const series = model.grantsPerSecond(100_500);
    expect(series).toHaveLength(60);
    expect(series[59]).toBe(1); // second 100, still filling
    expect(series[58]).toBe(3);
    expect(series[0]).toBe(7); // seconds 41..100: 40 is over a minute old
    model.apply({ type: 'update', serverTime: 101_200, resources: [], removed: [], grants: [[100, 4], [101, 2]] }, 101_200);
    expect(model.grantsPerSecond(101_200).slice(-3)).toEqual([3, 4, 2]);
  });
});

describe('countText', () => {
  const view = (rows: number, matching: number) => ({ rows: Array.from({ length: rows }, () => ({ resource: resource('r', 0), version: 0 })), matching, total: matching });

  it('counts every busy resource from the server, not only the ones the page was sent', () => {
    expect(countText(view(200, 10_000), 1_000_000, 10_000, '')).toBe('showing the top 200 of 1,000,000 resources (the page is sent the 10,000 busiest)');
    expect(countText(view(10, 10), 1_000_000, 10_000, 'abc')).toBe('10 of 1,000,000 resources match (among the 10,000 busiest)');
    expect(countText(view(200, 300), 1_000_000, 10_000, 'abc')).toBe('showing the top 200 of 300 matching (among the 10,000 busiest)');
  });

  it('says nothing of a bound when the page has everything', () => {
    expect(countText(view(200, 10_005), 10_005, 10_005, '')).toBe('showing the top 200 of 10,005 resources');
    expect(countText(view(10, 10), 10_005, 10_005, 'resource-0999')).toBe('10 of 10,005 resources match');
    expect(countText(view(3, 3), 3, 3, '')).toBe('3 resources');
    expect(countText(view(3, 3), undefined, 3, '')).toBe('3 resources');
  });
});

describe('formatting', () => {
  it('formats durations for people', () => {
    expect(formatDuration(-5)).toBe('0 ms');
    expect(formatDuration(950)).toBe('950 ms');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(7_380_000)).toBe('2 h 03 min');
  });

  it('scales the chart to a round number at or above the busiest second', () => {
    expect([1, 2, 3, 7, 10, 11, 49, 51, 1_000, 1_001].map(niceCeiling)).toEqual([1, 2, 5, 10, 10, 20, 50, 100, 1_000, 2_000]);
    const quiet = chartGeometry(new Array<number>(60).fill(0), 600, 64);
    expect(quiet.bars.every((bar) => bar.height === 0)).toBe(true);
    expect(quiet.scale).toBe(1);
    const busy = chartGeometry([...new Array<number>(58).fill(0), 40, 13], 600, 64);
    expect(busy.peak).toBe(40);
    expect(busy.scale).toBe(50);
    expect(busy.lastSecond).toBe(40);
    expect(busy.bars[58]!.height).toBeCloseTo((40 / 50) * 64);
    expect(busy.bars[59]!.x).toBeCloseTo(590);
  });
});
