import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, isBatonError, type BatonClient, type Lock } from '@baton/client';
import { DASHBOARD_FEED_PATH, FEED_MAX_MESSAGE_BYTES } from '@baton/dashboard';
import { Coordinator } from '@baton/server';
import { wsTransport } from '@baton/transport-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { listenWithDashboard, type ListenWithDashboardOptions } from '../src/index.js';
import { FeedReader, lineUp } from './feed-reader.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A page directory with stand-in files (the real page is built and loaded in the Chromium tests). */
function fakeAssets(): string {
  const directory = mkdtempSync(join(tmpdir(), 'baton-dashboard-assets-'));
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  writeFileSync(join(directory, 'index.html'), '<!doctype html><title>Baton</title>');
  writeFileSync(join(directory, 'app.js'), 'export {};');
  writeFileSync(join(directory, 'app.css'), 'body{}');
  return directory;
}

async function start(options: Partial<ListenWithDashboardOptions> & { adminToken?: string; statusInlineResources?: number } = {}) {
  const coordinator = new Coordinator({ adminToken: options.adminToken, statusInlineResources: options.statusInlineResources, statusWorkPerSlice: 20 });
  const endpoint = await listenWithDashboard(coordinator, {
    host: '127.0.0.1',
    port: 0,
    adminEnabled: options.adminToken !== undefined,
    assetsDirectory: options.assetsDirectory ?? fakeAssets(),
    ...options,
  });
  cleanups.push(async () => {
    await endpoint.close();
    await coordinator.close();
  });
  return { coordinator, endpoint };
}

async function client(port: number, name: string, leaseMs?: number): Promise<BatonClient> {
  const connected = await connect(`ws://127.0.0.1:${port}`, { transport: wsTransport, client: name, leaseMs });
  cleanups.push(() => connected.close());
  return connected;
}

async function feed(port: number): Promise<FeedReader> {
  const reader = await FeedReader.open(port);
  cleanups.push(() => reader.close());
  return reader;
}

/** Start an acquire and resolve once the server has queued it. */
async function queue(who: BatonClient, resource: string): Promise<{ granted: Promise<Lock> }> {
  let queued!: () => void;
  const isQueued = new Promise<void>((resolve) => (queued = resolve));
  const granted = who.acquire(resource, { onQueued: () => queued() });
  granted.catch(() => {});
  await Promise.race([isQueued, granted]);
  return { granted };
}

describe('one port: the Baton endpoint, the page and its feed', () => {
  it('serves the page files with a strict content security policy, and nothing else', async () => {
    const { endpoint } = await start();
    expect(endpoint.dashboardUrl).toBe(`http://127.0.0.1:${endpoint.port}/`);
    const page = await fetch(endpoint.dashboardUrl!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'.*connect-src 'self'/);
    expect(await page.text()).toContain('<title>Baton</title>');
    expect((await fetch(`${endpoint.dashboardUrl}app.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${endpoint.dashboardUrl}app.css`)).status).toBe(200);
    for (const path of ['nothing', 'package.json', '..%2Fpackage.json', '%2e%2e/%2e%2e/package.json', 'dist/www/app.js']) {
      expect((await fetch(`${endpoint.dashboardUrl}${path}`)).status, path).toBe(404);
    }
    const post = await fetch(endpoint.dashboardUrl!, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers 503 with a hint when the page was never built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'baton-dashboard-unbuilt-'));
    cleanups.push(() => rmSync(empty, { recursive: true, force: true }));
    mkdirSync(join(empty, 'www'));
    const { endpoint } = await start({ assetsDirectory: join(empty, 'www') });
    const response = await fetch(endpoint.dashboardUrl!);
    expect(response.status).toBe(503);
    expect(await response.text()).toMatch(/not built.*pnpm build/);
  });

  it('keeps serving Baton clients on / and refuses WebSockets on other paths', async () => {
    const { endpoint } = await start();
    const alice = await client(endpoint.port, 'alice');
    const lock = await alice.acquire('file_A');
    expect(lock.token).toBe('1');
    await lock.release();
    await expect(wsTransport.dial({ host: '127.0.0.1', port: endpoint.port, path: '/elsewhere' })).rejects.toThrow(/could not open/);
  });

  it('without the dashboard: Baton only, no page and no feed', async () => {
    const { endpoint } = await start({ dashboard: false });
    expect(endpoint.dashboardUrl).toBeUndefined();
    expect(endpoint.feed).toBeUndefined();
    expect((await fetch(`http://127.0.0.1:${endpoint.port}/`)).status).toBe(404);
    await expect(FeedReader.open(endpoint.port)).rejects.toThrow(/404/);
    const alice = await client(endpoint.port, 'alice');
    await (await alice.acquire('file_A')).release();
  });
});

describe('the dashboard feed', () => {
  it('starts with hello and a snapshot of every holder and queue in order', async () => {
    const { endpoint } = await start({ adminToken: 'secret' });
    const [alice, bob, carol] = await Promise.all([client(endpoint.port, 'alice'), client(endpoint.port, 'bob'), client(endpoint.port, 'carol')]);
    const held = await alice.acquire('file_A');
    await queue(bob, 'file_A');
    await queue(carol, 'file_A');
    await carol.acquire('db', { mode: 'shared' });

    const reader = await feed(endpoint.port);
    await reader.until((model) => model.synced, 'a whole snapshot');
    expect(reader.messages[0]).toMatchObject({ type: 'hello', v: 1, adminEnabled: true, maxWaiters: 100, historySeconds: 60 });
    expect(reader.messages[1]).toMatchObject({ type: 'snapshot', part: 0, last: true });
    expect(lineUp(reader.model, 'file_A')).toEqual({ holders: ['alice'], queue: ['bob', 'carol'] });
    const fileA = reader.model.get('file_A')!;
    expect(fileA.holders[0]).toMatchObject({ client: 'alice', mode: 'exclusive', token: held.token, session: alice.session });
    expect(fileA.holders[0]!.grantedAt).toBeLessThanOrEqual(Date.now());
    expect(fileA.waiting).toBe(2);
    expect(reader.model.get('db')?.holders[0]).toMatchObject({ client: 'carol', mode: 'shared' });
    expect(reader.model.stats).toMatchObject({ sessions: 3, holders: 2, waiters: 2, resources: 2, lastToken: '2' });
    expect(reader.model.grantsPerSecond(Date.now()).reduce((sum, count) => sum + count, 0)).toBe(2);
  });

  it('pushes the queue forming, the holder changing on release, and the resource going away', async () => {
    const { endpoint } = await start();
    const reader = await feed(endpoint.port);
    await reader.until((model) => model.synced, 'a snapshot');
    expect(reader.model.size).toBe(0);

    const [alice, bob, carol] = await Promise.all([client(endpoint.port, 'alice'), client(endpoint.port, 'bob'), client(endpoint.port, 'carol')]);
    const first = await alice.acquire('file_A');
    await reader.until((model) => lineUp(model, 'file_A').holders[0] === 'alice', 'alice holding file_A');
    const bobWaits = await queue(bob, 'file_A');
    const carolWaits = await queue(carol, 'file_A');
    await reader.until((model) => lineUp(model, 'file_A').queue.join() === 'bob,carol', 'bob then carol waiting');

    await first.release();
    const second = await bobWaits.granted;
    await reader.until((model) => lineUp(model, 'file_A').holders.join() === 'bob' && lineUp(model, 'file_A').queue.join() === 'carol', 'bob holding, carol waiting');
    expect(reader.model.get('file_A')!.holders[0]!.token).toBe(second.token);

    await second.release();
    await (await carolWaits.granted).release();
    await reader.until((model) => model.get('file_A') === undefined, 'file_A gone');
    const removal = reader.messages.find((message) => message.type === 'update' && message.removed.includes('file_A'));
    expect(removal).toBeDefined();
    expect(reader.model.stats).toMatchObject({ holders: 0, waiters: 0, grantsTotal: 3 });
  });

  it("drops a session's waiting requests from the queue when the session ends", async () => {
    const { endpoint } = await start();
    const reader = await feed(endpoint.port);
    const [alice, bob, carol] = await Promise.all([client(endpoint.port, 'alice'), client(endpoint.port, 'bob'), client(endpoint.port, 'carol')]);
    await alice.acquire('file_A');
    await queue(bob, 'file_A');
    await queue(bob, 'file_B');
    await queue(carol, 'file_A');
    await reader.until((model) => lineUp(model, 'file_A').queue.join() === 'bob,carol', 'bob and carol waiting');
    await bob.close(); // goodbye: bob's waits are withdrawn; no effect names the resources
    await reader.until((model) => lineUp(model, 'file_A').queue.join() === 'carol' && model.get('file_B') === undefined, 'bob gone from both queues');
  });

  it('shows a force-release moving the lock to the next waiter, the holder being told it is lost', async () => {
    const { endpoint } = await start({ adminToken: 'secret' });
    const reader = await feed(endpoint.port);
    const [alice, bob, admin] = await Promise.all([client(endpoint.port, 'alice'), client(endpoint.port, 'bob'), client(endpoint.port, 'admin')]);
    const held = await alice.acquire('file_A');
    const bobWaits = await queue(bob, 'file_A');
    await reader.until((model) => lineUp(model, 'file_A').queue.join() === 'bob', 'bob waiting');

    await expect(admin.forceRelease('file_A', 'wrong')).rejects.toSatisfy((error) => isBatonError(error, 'UNAUTHORIZED'));
    expect(await admin.forceRelease('file_A', 'secret')).toEqual([held.token]);
    await bobWaits.granted;
    expect(held.signal.aborted).toBe(true);
    await reader.until((model) => lineUp(model, 'file_A').holders.join() === 'bob' && lineUp(model, 'file_A').queue.length === 0, 'bob holding after the force-release');
  });

  it('sends 10,000 resources as many messages of at most 64 KiB, and batches busy updates', async () => {
    const { endpoint } = await start();
    const [holder, waiter] = await Promise.all([client(endpoint.port, 'holder'), client(endpoint.port, 'waiter')]);
    const names = Array.from({ length: 10_000 }, (_, index) => `resource-${String(index).padStart(5, '0')}`);
    await Promise.all(names.map((name) => holder.acquire(name)));
    await Promise.all(names.slice(0, 50).map((name) => queue(waiter, name)));

    const reader = await feed(endpoint.port);
    await reader.until((model) => model.synced, 'the whole snapshot');
    expect(reader.model.size).toBe(10_000);
    const snapshotParts = reader.messages.filter((message) => message.type === 'snapshot');
    expect(snapshotParts.length).toBeGreaterThan(10);
    expect(snapshotParts.map((message) => message.type === 'snapshot' && message.part)).toEqual(snapshotParts.map((_, index) => index));
    expect(Math.max(...reader.sizes)).toBeLessThanOrEqual(FEED_MAX_MESSAGE_BYTES);
    expect(reader.model.view({ filter: '', sort: 'queue', limit: 200 }, Date.now()).rows[0]!.resource.waiting).toBe(1);

    // 2,000 grants and releases as fast as they go: far fewer update messages.
    const before = reader.messages.length;
    const worker = await client(endpoint.port, 'worker');
    for (let round = 0; round < 2_000; round++) await (await worker.acquire('hot')).release();
    await reader.until((model) => model.stats?.grantsTotal === 10_000 + 2_000, 'every grant counted');
    await reader.until((model) => model.get('hot') === undefined, 'hot released');
    const updates = reader.messages.length - before;
    expect(updates).toBeLessThan(1_000);
    expect(Math.max(...reader.sizes)).toBeLessThanOrEqual(FEED_MAX_MESSAGE_BYTES);
  });

  it('sends a page at most maxResources resources, the busiest, re-ranks them as the load moves, and sends nothing of the others', async () => {
    // A sliced order (statusInlineResources 10 < 80 busy), as with a million resources.
    const { endpoint } = await start({ statusInlineResources: 10, feed: { maxResources: 50, rerankIntervalMs: 20 } });
    const [holder, waiter] = await Promise.all([client(endpoint.port, 'holder'), client(endpoint.port, 'waiter')]);
    const name = (index: number) => `r-${String(index).padStart(2, '0')}`;
    const locks = await Promise.all(Array.from({ length: 80 }, (_, index) => holder.acquire(name(index))));
    for (let index = 70; index < 75; index++) await queue(waiter, name(index));

    const reader = await feed(endpoint.port);
    const shown = (model: FeedReader['model']) => model.view({ filter: '', sort: 'name', limit: 1_000 }, Date.now()).rows.map((row) => row.resource.name);
    const busiest = [...Array.from({ length: 45 }, (_, index) => name(index)), ...[70, 71, 72, 73, 74].map(name)].sort();
    await reader.until((model) => model.synced && shown(model).join() === busiest.join(), 'the 50 busiest: the five queues, then by name');
    expect(reader.model.stats?.resources).toBe(80);
    expect(reader.messages[0]).toMatchObject({ type: 'hello', maxResources: 50 });

    // r-60 gets a queue: the next ranking brings it in, and r-44 (the last by name) leaves.
    await queue(waiter, name(60));
    await reader.until((model) => model.get(name(60))?.waiting === 1 && model.get(name(44)) === undefined && model.size === 50, 'r-60 in, r-44 out');

    // Changes outside the shown set are never sent, not even their release.
    const before = reader.messages.length;
    await locks[79]!.release();
    await locks[1]!.release();
    await reader.until((model) => model.get(name(1)) === undefined, 'r-01 released');
    await reader.until((model) => model.stats?.resources === 78, 'the counts');
    const later = JSON.stringify(reader.messages.slice(before));
    expect(later).not.toContain(name(79));
    expect(Math.max(...reader.sizes)).toBeLessThanOrEqual(FEED_MAX_MESSAGE_BYTES);
  });

  it('skips a page that stops reading, then sends it a fresh snapshot once it has caught up', async () => {
    const warnings: string[] = [];
    const logger = { info() {}, warn: (fields: object) => warnings.push(JSON.stringify(fields)), error() {} };
    const { endpoint } = await start({ logger, feed: { maxBufferedBytes: 64 * 1024 } });
    const holder = await client(endpoint.port, 'holder');
    const names = Array.from({ length: 3_000 }, (_, index) => `r-${'n'.repeat(100)}-${index}`);
    let locks = await Promise.all(names.map((name) => holder.acquire(name)));
    const reader = await feed(endpoint.port);
    await reader.until((model) => model.synced, 'the first snapshot');
    // The page stops reading: the server's socket buffer fills up.
    const tcp = (reader.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();
    const firstSnapshot = reader.messages.length;
    for (let round = 0; !warnings.some((warning) => warning.includes('dashboard-behind')); round++) {
      if (round === 100) throw new Error('100 rounds of 3,000 changes never filled the socket buffer');
      await Promise.all(locks.map((lock) => lock.release()));
      locks = await Promise.all(names.map((name) => holder.acquire(name)));
    }
    await Promise.all(locks.map((lock) => lock.release()));
    tcp.resume();
    await reader.until(
      (model) => model.synced && model.size === 0 && reader.messages.slice(firstSnapshot).some((message) => message.type === 'snapshot' && message.part === 0),
      'a fresh snapshot with everything released',
    );
  });

  it('serves the feed only on its own path, and only to its own page (or clients that send no Origin)', async () => {
    const { endpoint } = await start();
    await expect(FeedReader.open(endpoint.port, `${DASHBOARD_FEED_PATH}/x`)).rejects.toThrow(/404/);
    await expect(FeedReader.open(endpoint.port, DASHBOARD_FEED_PATH, 'http://evil.example')).rejects.toThrow(/403/);
    const samePage = await FeedReader.open(endpoint.port, DASHBOARD_FEED_PATH, `http://127.0.0.1:${endpoint.port}`);
    await samePage.until((model) => model.synced, 'a snapshot for the same-origin page');
    await samePage.close();
  });
});
