import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerMessage } from '@baton/core';
import type { Listener } from '@baton/transport';
import { memoryTransport } from '@baton/transport-memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Coordinator, FileTokenStore } from '../src/index.js';
import type { CoordinatorOptions } from '../src/index.js';
import { RawClient } from './raw-client.js';
import { VirtualTime } from './virtual-time.js';

let coordinator: Coordinator;
let listener: Listener;
const clients: RawClient[] = [];

async function start(options: CoordinatorOptions = {}): Promise<void> {
  coordinator = new Coordinator(options);
  listener = await coordinator.listen(memoryTransport, '127.0.0.1', 0);
}

async function client(name?: string, leaseMs?: number): Promise<RawClient> {
  const raw = await RawClient.dial(memoryTransport, listener.port);
  clients.push(raw);
  if (name !== undefined) await raw.hello(name, leaseMs);
  return raw;
}

function granted(message: ServerMessage): Extract<ServerMessage, { op: 'granted' }> {
  expect(message.op).toBe('granted');
  return message as Extract<ServerMessage, { op: 'granted' }>;
}

beforeEach(async () => {
  await start();
});

afterEach(async () => {
  for (const raw of clients.splice(0)) raw.close();
  await coordinator.close();
});

describe('sessions', () => {
  it('answers hello with a welcome carrying the session, a secret and the lease', async () => {
    const raw = await client();
    const welcome = await raw.hello('worker-1', 2_000);
    expect(welcome).toMatchObject({ op: 'welcome', id: 'hello', v: 1, leaseMs: 2_000, resumed: false });
    expect(welcome.session).toMatch(/^s\d+-[0-9a-f]{8}$/);
    expect(welcome.secret).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses requests before hello with NO_SESSION and a second hello with SESSION_EXISTS', async () => {
    const raw = await client();
    expect(await raw.call({ op: 'acquire', id: 1, resource: 'file_A' })).toMatchObject({ op: 'error', id: 1, code: 'NO_SESSION' });
    await raw.hello();
    expect(await raw.call({ op: 'hello', id: 2 })).toMatchObject({ op: 'error', id: 2, code: 'SESSION_EXISTS' });
  });

  it('refuses a protocol version it does not speak', async () => {
    const raw = await client();
    expect(await raw.call({ op: 'hello', id: 1, v: 2 })).toMatchObject({ op: 'error', code: 'UNSUPPORTED_VERSION' });
  });

  it('keeps a disconnected session and its lock until the lease ends, then grants the next waiter', async () => {
    const holder = await client('holder', 1_000);
    const waiter = await client('waiter');
    const first = granted(await holder.call({ op: 'acquire', id: 1, resource: 'file_A' }));
    expect(await waiter.call({ op: 'acquire', id: 1, resource: 'file_A' })).toMatchObject({ op: 'queued', position: 1 });
    holder.close();
    await holder.closedPromise;
    // Still held right after the disconnect: the session may come back.
    expect(coordinator.inspect('file_A')[0]!.holders.map((h) => h.token)).toEqual([first.token]);
    const second = granted(await waiter.next((message) => message.op === 'granted'));
    expect(BigInt(second.token)).toBeGreaterThan(BigInt(first.token));
  });

  it('resumes a session on a new connection with its id and secret: the lock and queue place are kept', async () => {
    const holder = await client();
    const welcome = await holder.hello('holder', 5_000);
    const lock = granted(await holder.call({ op: 'acquire', id: 1, resource: 'file_A' }));
    const queued = await holder.call({ op: 'acquire', id: 2, resource: 'file_B', mode: 'exclusive' });
    expect(queued.op).toBe('granted');
    holder.close();
    await holder.closedPromise;

    const other = await client('other');
    expect(await other.call({ op: 'acquire', id: 1, resource: 'file_A', waitMs: 0 })).toMatchObject({ op: 'timeout' });

    const again = await client();
    const resumed = await again.call({ op: 'hello', id: 'h', session: welcome.session, secret: welcome.secret });
    expect(resumed).toMatchObject({ op: 'welcome', session: welcome.session, resumed: true });
    expect(await again.call({ op: 'release', id: 3, resource: 'file_A', token: lock.token })).toMatchObject({ op: 'released', token: lock.token });
  });

  it('delivers, on resume, a grant that happened while the session was detached', async () => {
    const blocker = await client('blocker');
    const lock = granted(await blocker.call({ op: 'acquire', id: 1, resource: 'file_A' }));
    const waiter = await client();
    const welcome = await waiter.hello('waiter', 5_000);
    expect(await waiter.call({ op: 'acquire', id: 7, resource: 'file_A' })).toMatchObject({ op: 'queued' });
    waiter.close();
    await waiter.closedPromise;
    await blocker.call({ op: 'release', id: 2, resource: 'file_A', token: lock.token });
    const again = await client();
    const grant = again.next((message) => message.op === 'granted');
    again.send({ op: 'hello', id: 'h', session: welcome.session, secret: welcome.secret });
    expect(await grant).toMatchObject({ op: 'granted', id: 7, resource: 'file_A' });
    expect(again.received[0]).toMatchObject({ op: 'welcome', resumed: true });
  });

  it('refuses a resume with a wrong secret (UNKNOWN_SESSION)', async () => {
    const holder = await client();
    const welcome = await holder.hello();
    const intruder = await client();
    expect(await intruder.call({ op: 'hello', id: 1, session: welcome.session, secret: '0'.repeat(32) })).toMatchObject({ op: 'error', code: 'UNKNOWN_SESSION' });
  });

  it('releases everything at once on goodbye and answers bye', async () => {
    const holder = await client('holder');
    const waiter = await client('waiter');
    granted(await holder.call({ op: 'acquire', id: 1, resource: 'file_A' }));
    await waiter.call({ op: 'acquire', id: 1, resource: 'file_A' });
    const grant = waiter.next((message) => message.op === 'granted');
    expect(await holder.call({ op: 'goodbye', id: 9 })).toEqual({ op: 'bye', id: 9 });
    expect(await grant).toMatchObject({ op: 'granted', id: 1 });
  });

  it('tells a connected session whose lease ran out, and its lost locks', async () => {
    // A lease can only run out on a live connection if the client stays silent.
    const holder = await client('silent', 1_000);
    const lock = granted(await holder.call({ op: 'acquire', id: 1, resource: 'file_A' }));
    const lost = await holder.next((message) => message.op === 'lost');
    expect(lost).toEqual({ op: 'lost', resource: 'file_A', token: lock.token, reason: 'lease-expired' });
    expect(await holder.next((message) => message.op === 'error')).toMatchObject({ code: 'SESSION_ENDED' });
    expect(await holder.call({ op: 'acquire', id: 2, resource: 'file_A' })).toMatchObject({ code: 'NO_SESSION' });
  });
});

describe('locks', () => {
  it('grants one resource to three sessions in arrival order with increasing tokens', async () => {
    const [a, b, c] = [await client('a'), await client('b'), await client('c')];
    const first = granted(await a.call({ op: 'acquire', id: 1, resource: 'file_A' }));
    expect(await b.call({ op: 'acquire', id: 1, resource: 'file_A' })).toMatchObject({ op: 'queued', position: 1 });
    expect(await c.call({ op: 'acquire', id: 1, resource: 'file_A' })).toMatchObject({ op: 'queued', position: 2 });
    const bGrant = b.next((message) => message.op === 'granted');
    await a.call({ op: 'release', id: 2, resource: 'file_A', token: first.token });
    const second = granted(await bGrant);
    const cGrant = c.next((message) => message.op === 'granted');
    await b.call({ op: 'release', id: 2, resource: 'file_A', token: second.token });
    const third = granted(await cGrant);
    expect(BigInt(second.token)).toBeGreaterThan(BigInt(first.token));
    expect(BigInt(third.token)).toBeGreaterThan(BigInt(second.token));
  });

  it('lists holders and waiters in queue order in a status reply, without a session', async () => {
    const [a, b] = [await client('alice'), await client('bob')];
    const lock = granted(await a.call({ op: 'acquire', id: 1, resource: 'file_A', mode: 'shared' }));
    await b.call({ op: 'acquire', id: 1, resource: 'file_A', mode: 'exclusive', waitMs: 60_000 });
    const observer = await client();
    const reply = await observer.call({ op: 'status', id: 's' });
    // In the order docs/protocol.md 5 shows (1: the server keeps it).
    expect(Object.keys(reply)).toEqual(['op', 'id', 'totalResources', 'offset', 'totalSessions', 'resources', 'sessions']);
    expect(reply).toMatchObject({
      op: 'status',
      totalResources: 1,
      totalSessions: 2,
      resources: [
        {
          resource: 'file_A',
          holders: [{ client: 'alice', mode: 'shared', token: lock.token }],
          waiters: [{ client: 'bob', mode: 'exclusive', position: 1 }],
          waiting: 1,
        },
      ],
    });
  });

  it('refuses force-release without the admin token and performs it with the token', async () => {
    await coordinator.close();
    await start({ adminToken: 'sesame' });
    const holder = await client('holder');
    const waiter = await client('waiter');
    const lock = granted(await holder.call({ op: 'acquire', id: 1, resource: 'file_A' }));
    await waiter.call({ op: 'acquire', id: 1, resource: 'file_A' });
    const admin = await client();
    expect(await admin.call({ op: 'force-release', id: 1, resource: 'file_A' })).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await admin.call({ op: 'force-release', id: 2, resource: 'file_A', adminToken: 'wrong' })).toMatchObject({ code: 'UNAUTHORIZED' });
    const lost = holder.next((message) => message.op === 'lost');
    const grant = waiter.next((message) => message.op === 'granted');
    expect(await admin.call({ op: 'force-release', id: 3, resource: 'file_A', adminToken: 'sesame' })).toEqual({
      op: 'force-released',
      id: 3,
      resource: 'file_A',
      tokens: [lock.token],
    });
    expect(await lost).toMatchObject({ token: lock.token, reason: 'revoked' });
    expect(await grant).toMatchObject({ id: 1 });
  });
});

describe('bad input', () => {
  it('answers each malformed message with a stable code and keeps serving everyone', async () => {
    const bad = await client('bad');
    const good = await client('good');
    const cases: [string, unknown][] = [
      ['{not json', { code: 'BAD_JSON' }],
      ['[1,2]', { code: 'BAD_MESSAGE' }],
      [JSON.stringify({ op: 'steal', id: 1 }), { code: 'UNKNOWN_OP', id: 1 }],
      [JSON.stringify({ op: 'acquire', id: 2 }), { code: 'MISSING_FIELD', id: 2 }],
      [JSON.stringify({ op: 'acquire', id: 3, resource: 42 }), { code: 'BAD_FIELD', id: 3 }],
      [JSON.stringify({ op: 'acquire', id: 4, resource: 'line\nbreak' }), { code: 'BAD_RESOURCE_NAME', id: 4 }],
      [JSON.stringify({ op: 'release', id: 5, resource: 'file_A', token: '999' }), { code: 'NOT_HELD', id: 5 }],
      ['\u0000\u00ff\ufffd garbage', { code: 'BAD_JSON' }],
    ];
    for (const [text, expected] of cases) {
      const reply = bad.next((message) => message.op === 'error');
      bad.send(text);
      expect(await reply).toMatchObject({ op: 'error', ...(expected as object) });
      expect(granted(await good.call({ op: 'acquire', id: `g-${text.length}`, resource: 'file_B' })).resource).toBe('file_B');
      const token = (good.received.at(-1) as { token: string }).token;
      await good.call({ op: 'release', id: `r-${text.length}`, resource: 'file_B', token });
    }
  });

  it('closes a connection that sends an oversized message, after telling it why', async () => {
    await coordinator.close();
    await start({ maxMessageBytes: 1_024 });
    const big = await client('big');
    const good = await client('good');
    big.send(JSON.stringify({ op: 'acquire', id: 1, resource: 'x'.repeat(2_000) }));
    await big.closedPromise;
    expect(big.received.at(-1)).toMatchObject({ op: 'error', code: 'MESSAGE_TOO_LARGE' });
    expect(granted(await good.call({ op: 'acquire', id: 1, resource: 'file_A' })).resource).toBe('file_A');
  });

  it('refuses connections beyond maxConnections with TOO_MANY_CONNECTIONS', async () => {
    await coordinator.close();
    await start({ maxConnections: 2 });
    await client('one');
    await client('two');
    const third = await client();
    await third.closedPromise;
    expect(third.received).toEqual([expect.objectContaining({ op: 'error', code: 'TOO_MANY_CONNECTIONS' })]);
  });
});

describe('fencing tokens across restarts', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'baton-tokens-'));
  });
  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('issues, after a restart, a token greater than every token issued before', async () => {
    await coordinator.close();
    const store = new FileTokenStore(join(directory, 'state.json'));
    await start({ tokenStore: store });
    const first = granted(await (await client('a')).call({ op: 'acquire', id: 1, resource: 'file_A' }));
    for (const raw of clients.splice(0)) raw.close();
    await coordinator.close();
    expect(store.load()).toBeGreaterThanOrEqual(BigInt(first.token));

    await start({ tokenStore: new FileTokenStore(join(directory, 'state.json')) });
    const second = granted(await (await client('b')).call({ op: 'acquire', id: 1, resource: 'file_A' }));
    expect(BigInt(second.token)).toBeGreaterThan(store.load()! - 1_000n);
    expect(BigInt(second.token)).toBeGreaterThan(BigInt(first.token));
  });

  it('keeps the longest lease it granted, and a restart that holds grants that long grants nothing before', async () => {
    await coordinator.close();
    const path = join(directory, 'state.json');
    await start({ tokenStore: new FileTokenStore(path) });
    await client('short', 1_000);
    await client('long', 4_000);
    await client('shorter', 2_000);
    for (const raw of clients.splice(0)) raw.close();
    await coordinator.close();
    const store = new FileTokenStore(path);
    expect(store.loadLongestLease()).toBe(4_000);

    const time = new VirtualTime();
    await start({ tokenStore: store, grantsHeldForMs: store.loadLongestLease(), clock: time.clock, timers: time.timers });
    const raw = await client('after');
    expect(await raw.call({ op: 'acquire', id: 1, resource: 'file_A', waitMs: 0 })).toMatchObject({ op: 'timeout' });
    expect(await raw.call({ op: 'acquire', id: 2, resource: 'file_A' })).toMatchObject({ op: 'queued', position: 1 });
    time.advance(3_999);
    expect(coordinator.inspect('file_A')[0]?.holders).toEqual([]);
    time.advance(4_000);
    expect(await raw.next((message) => message.op === 'granted')).toMatchObject({ id: 2, resource: 'file_A' });
  });
});

describe('subscribers', () => {
  it('are told of every effect in order, with the client name', async () => {
    const seen: string[] = [];
    const unsubscribe = coordinator.subscribe((event) => seen.push(`${event.effect.type}:${event.client ?? '-'}`));
    const a = await client('alice');
    const b = await client('bob');
    const lock = granted(await a.call({ op: 'acquire', id: 1, resource: 'file_A' }));
    await b.call({ op: 'acquire', id: 1, resource: 'file_A' });
    const grant = b.next((message) => message.op === 'granted');
    await a.call({ op: 'release', id: 2, resource: 'file_A', token: lock.token });
    await grant;
    unsubscribe();
    await b.call({ op: 'goodbye', id: 3 });
    expect(seen).toEqual(['session-opened:alice', 'session-opened:bob', 'granted:alice', 'queued:bob', 'released:alice', 'granted:bob']);
  });
});

describe('status paging', () => {
  it('pages through every resource, each page fitting in one message, busiest first', async () => {
    const holder = await client('holder');
    const waiterClients = await Promise.all(Array.from({ length: 25 }, (_, index) => client(`waiter-with-a-longish-name-${index}`)));
    // 30 resources with 25 waiters each: pages are cut by bytes, not count.
    for (let index = 0; index < 30; index++) {
      const resource = `busy-${String(index).padStart(2, '0')}`;
      granted(await holder.call({ op: 'acquire', id: `h${index}`, resource }));
      for (const waiter of waiterClients) waiter.send({ op: 'acquire', id: `w${index}`, resource });
    }
    // 150 more resources with only a holder.
    for (let index = 0; index < 150; index++) granted(await holder.call({ op: 'acquire', id: `q${index}`, resource: `quiet-${String(index).padStart(3, '0')}` }));
    await expect.poll(() => coordinator.stats().waiters).toBe(30 * 25);

    const observer = await client();
    const seen: string[] = [];
    let offset: number | undefined = 0;
    let pages = 0;
    while (offset !== undefined) {
      const reply = await observer.call({ op: 'status', id: `page-${pages}`, offset });
      expect(JSON.stringify(reply).length).toBeLessThanOrEqual(60_000);
      const page = reply as Extract<ServerMessage, { op: 'status' }>;
      expect(page.offset).toBe(offset);
      expect(page.totalResources).toBe(180);
      seen.push(...page.resources.map((resource) => resource.resource));
      for (const resource of page.resources) {
        if (resource.resource.startsWith('busy')) expect(resource).toMatchObject({ waiting: 25, holding: 1 });
        if (resource.resource.startsWith('busy')) expect(resource.waiters).toHaveLength(20);
      }
      offset = page.nextOffset;
      pages++;
    }
    expect(pages).toBeGreaterThan(2);
    expect(seen).toHaveLength(180);
    expect(new Set(seen).size).toBe(180);
    expect(seen.slice(0, 30).every((name) => name.startsWith('busy'))).toBe(true);

    const one = await observer.call({ op: 'status', id: 'one', resource: 'busy-07' });
    expect(one).toMatchObject({ resources: [{ resource: 'busy-07', waiting: 25 }] });
    expect((one as Extract<ServerMessage, { op: 'status' }>).resources[0]!.waiters.map((waiter) => waiter.position)).toEqual(Array.from({ length: 25 }, (_, index) => index + 1));
  });
});
