/**
 * A `status` of every resource on a busy server is ordered in slices
 * (STATUS_INLINE_RESOURCES, STATUS_WORK_PER_SLICE, docs/protocol.md 5): other
 * requests are answered in between, the page is the one an unsliced build
 * gives, a request never sees a state older than itself, and one connection
 * cannot queue more than MAX_PENDING_STATUS_PER_CONNECTION of them. The
 * thresholds are lowered through Coordinator options; time is virtual, so
 * each slice runs when the test fires it.
 */
import type { ServerMessage } from '@baton/core';
import type { Listener } from '@baton/transport';
import { MAX_PENDING_STATUS_PER_CONNECTION } from '@baton/core';
import { memoryTransport } from '@baton/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../src/index.js';
import { RawClient } from './raw-client.js';
import { VirtualTime } from './virtual-time.js';

let coordinator: Coordinator | undefined;
let listener: Listener;
const clients: RawClient[] = [];
const RESOURCES = 40;

async function dial(): Promise<RawClient> {
  const raw = await RawClient.dial(memoryTransport, listener.port);
  clients.push(raw);
  return raw;
}

/** A coordinator that slices above 5 busy resources, 20 units per slice, with RESOURCES held and a queue on r31. */
async function busyServer(time: VirtualTime): Promise<RawClient> {
  coordinator = new Coordinator({ clock: time.clock, timers: time.timers, statusInlineResources: 5, statusWorkPerSlice: 20 });
  listener = await coordinator.listen(memoryTransport, '127.0.0.1', 0);
  const holder = await dial();
  await holder.hello('holder', 60_000);
  for (let index = 0; index < RESOURCES; index++) await holder.call({ op: 'acquire', id: index, resource: `r${String(index).padStart(2, '0')}` });
  const waiter = await dial();
  await waiter.hello('waiter', 60_000);
  expect(await waiter.call({ op: 'acquire', id: 'w', resource: 'r31' })).toMatchObject({ op: 'queued' });
  return holder;
}

function reply(raw: RawClient, id: string): Promise<ServerMessage> {
  return raw.next((message) => 'id' in message && message.id === id);
}

function fireAll(time: VirtualTime): number {
  let fired = 0;
  while (time.fireNext()) fired++;
  return fired;
}

afterEach(async () => {
  for (const raw of clients.splice(0)) raw.close();
  await coordinator?.close();
  coordinator = undefined;
});

describe('a sliced status of every resource', () => {
  it('answers other requests while it orders, then gives the busiest-first page', async () => {
    const time = new VirtualTime();
    await busyServer(time);
    const viewer = await dial();
    const all = reply(viewer, 'all');
    viewer.send({ op: 'status', id: 'all' });
    // Served at once, while the full one waits for its slices.
    expect(await viewer.call({ op: 'status', id: 'one', resource: 'r00' })).toMatchObject({ op: 'status', totalResources: 1 });
    expect(viewer.received.some((message) => 'id' in message && message.id === 'all')).toBe(false);
    expect(fireAll(time)).toBeGreaterThanOrEqual(2);
    const page = (await all) as Extract<ServerMessage, { op: 'status' }>;
    const names = Array.from({ length: RESOURCES }, (_, index) => `r${String(index).padStart(2, '0')}`);
    expect(page.totalResources).toBe(RESOURCES);
    expect(page.resources.map((resource) => resource.resource)).toEqual(['r31', ...names.filter((name) => name !== 'r31')]);
    expect(page.resources[0]).toMatchObject({ holding: 1, waiting: 1 });
  });

  it('answers a request that arrived during a build with the next build, so it sees what happened before it', async () => {
    const time = new VirtualTime();
    const holder = await busyServer(time);
    const viewer = await dial();
    const first = reply(viewer, 'first');
    viewer.send({ op: 'status', id: 'first' });
    await viewer.call({ op: 'status', id: 'sync', resource: 'r00' });
    expect(time.fireNext()).toBe(true);
    await holder.call({ op: 'acquire', id: 'late', resource: 'zz-late' });
    const second = reply(viewer, 'second');
    viewer.send({ op: 'status', id: 'second' });
    await viewer.call({ op: 'status', id: 'sync2', resource: 'r00' });
    fireAll(time);
    await first;
    const page = (await second) as Extract<ServerMessage, { op: 'status' }>;
    expect(page.totalResources).toBe(RESOURCES + 1);
    expect(page.resources.map((resource) => resource.resource)).toContain('zz-late');
  });

  it(`lets one connection wait for at most ${MAX_PENDING_STATUS_PER_CONNECTION}; the next gets TOO_MANY_REQUESTS`, async () => {
    const time = new VirtualTime();
    await busyServer(time);
    const viewer = await dial();
    const replies = Array.from({ length: MAX_PENDING_STATUS_PER_CONNECTION + 1 }, (_, index) => reply(viewer, `s${index}`));
    for (let index = 0; index <= MAX_PENDING_STATUS_PER_CONNECTION; index++) viewer.send({ op: 'status', id: `s${index}` });
    expect(await replies[MAX_PENDING_STATUS_PER_CONNECTION]).toMatchObject({ op: 'error', code: 'TOO_MANY_REQUESTS' });
    fireAll(time);
    for (const waiting of replies.slice(0, MAX_PENDING_STATUS_PER_CONNECTION)) expect(await waiting).toMatchObject({ op: 'status', totalResources: RESOURCES });
    // Answered, they no longer count.
    const again = reply(viewer, 'again');
    viewer.send({ op: 'status', id: 'again' });
    await viewer.call({ op: 'status', id: 'sync', resource: 'r00' });
    fireAll(time);
    expect(await again).toMatchObject({ op: 'status' });
  });
});
