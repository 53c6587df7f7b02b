import type { Listener } from '@baton/transport';
import { Coordinator } from '@baton/server';
import { memoryTransport } from '@baton/transport-memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatonError, connect, isBatonError } from '../src/index.js';
import type { BatonClient, ClientEvent, ConnectOptions } from '../src/index.js';

let coordinator: Coordinator;
let listener: Listener;
const clients: BatonClient[] = [];

async function start(): Promise<void> {
  coordinator = new Coordinator({ adminToken: 'admin' });
  listener = await coordinator.listen(memoryTransport, '127.0.0.1', 0);
}

async function client(name: string, options: Partial<ConnectOptions> = {}): Promise<BatonClient> {
  const connected = await connect(`memory://127.0.0.1:${listener.port}`, { transport: memoryTransport, client: name, ...options });
  clients.push(connected);
  return connected;
}

beforeEach(start);
afterEach(async () => {
  await Promise.all(clients.splice(0).map((connected) => connected.close()));
  await coordinator.close();
});

describe('acquire and release', () => {
  it('grants a free resource with a token and hands it to the next waiter on release', async () => {
    const a = await client('a');
    const b = await client('b');
    const lockA = await a.acquire('file_A');
    let position = 0;
    const waiting = b.acquire('file_A', { onQueued: (at) => (position = at) });
    await expect.poll(() => position).toBe(1);
    await lockA.release();
    const lockB = await waiting;
    expect(BigInt(lockB.token)).toBeGreaterThan(BigInt(lockA.token));
    await lockB.release();
  });

  it('releases with `await using` at the end of the block', async () => {
    const a = await client('a');
    {
      await using lock = await a.acquire('file_A');
      expect(lock.released).toBe(false);
    }
    expect(await a.tryAcquire('file_A')).toBeDefined();
  });

  it('runs withLock holding the lock and releases it even when the work throws', async () => {
    const a = await client('a');
    const b = await client('b');
    await expect(
      a.withLock('file_A', async (signal, lock) => {
        expect(signal.aborted).toBe(false);
        expect((await b.tryAcquire('file_A'))).toBeUndefined();
        expect(lock.resource).toBe('file_A');
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(await b.tryAcquire('file_A')).toBeDefined();
  });

  it('refuses a bad resource name before sending', async () => {
    const a = await client('a');
    await expect(a.acquire('bell\u0007name')).rejects.toMatchObject({ code: 'BAD_RESOURCE_NAME' });
  });
});

describe('waiting', () => {
  it('answers a try-lock at once and times a wait out with TIMEOUT, leaving the queue empty', async () => {
    const a = await client('a');
    const b = await client('b');
    const lock = await a.acquire('file_A');
    expect(await b.tryAcquire('file_A')).toBeUndefined();
    await expect(b.acquire('file_A', { waitMs: 50 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(coordinator.inspect('file_A')[0]!.waiters).toEqual([]);
    await lock.release();
  });

  it('withdraws a wait when its AbortSignal aborts', async () => {
    const a = await client('a');
    const b = await client('b');
    const lock = await a.acquire('file_A');
    const controller = new AbortController();
    const waiting = b.acquire('file_A', { signal: controller.signal, onQueued: () => controller.abort() });
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    expect(coordinator.inspect('file_A')[0]!.waiters).toEqual([]);
    await lock.release();
  });

  it('lets readers share and queues a writer', async () => {
    const [a, b, c] = [await client('a'), await client('b'), await client('c')];
    const first = await a.acquire('file_A', { mode: 'shared' });
    const second = await b.acquire('file_A', { mode: 'shared' });
    expect(await c.tryAcquire('file_A')).toBeUndefined();
    await first.release();
    await second.release();
  });
});

describe('loss', () => {
  it('aborts the lock signal when an admin force-releases the lock', async () => {
    const a = await client('a');
    const admin = await client('admin');
    const lock = await a.acquire('file_A');
    const aborted = new Promise<unknown>((resolve) => lock.signal.addEventListener('abort', () => resolve(lock.signal.reason)));
    expect(await admin.forceRelease('file_A', 'admin')).toEqual([lock.token]);
    const reason = await aborted;
    expect(isBatonError(reason, 'LOCK_LOST')).toBe(true);
    await lock.release(); // a lost lock's release is a no-op
  });

  it('reports the lock lost and opens a new session when a restarted server no longer knows the session', async () => {
    const events: ClientEvent['type'][] = [];
    const a = await client('a', { onEvent: (event) => events.push(event.type) });
    const lock = await a.acquire('file_A');
    const firstSession = a.session;
    await coordinator.close();
    coordinator = new Coordinator();
    listener = await coordinator.listen(memoryTransport, '127.0.0.1', listener.port);
    await expect.poll(() => events.filter((type) => type === 'session-opened').length).toBe(2);
    expect(events).toContain('session-lost');
    expect(lock.lost).toBe(true);
    expect(isBatonError(lock.signal.reason, 'LOCK_LOST')).toBe(true);
    expect(a.session).not.toBe(firstSession);
    const again = await a.acquire('file_A');
    expect(again.token).toBe('1');
  });

  it('rejects an acquire still waiting with SESSION_ENDED when the session turns out to be gone at resume', async () => {
    const a = await client('a');
    await a.acquire('file_A');
    const b = await client('b');
    let queued!: () => void;
    const isQueued = new Promise<void>((resolve) => (queued = resolve));
    const waiting = b.acquire('file_A', { onQueued: () => queued() });
    const outcome = waiting.then(
      () => undefined,
      (error: unknown) => error,
    );
    await isQueued;
    await coordinator.close();
    coordinator = new Coordinator();
    listener = await coordinator.listen(memoryTransport, '127.0.0.1', listener.port);
    const error = await outcome;
    expect(isBatonError(error, 'SESSION_ENDED'), String(error)).toBe(true);
    // The new session works: ask again.
    expect((await b.acquire('file_A')).token).toBeDefined();
  });
});

describe('status', () => {
  it('shows the holder and the queue', async () => {
    const a = await client('alice');
    const b = await client('bob');
    const lock = await a.acquire('file_A');
    const waiting = b.acquire('file_A');
    await expect.poll(async () => (await a.status('file_A')).resources[0]?.waiting).toBe(1);
    const status = await a.status();
    expect(status.resources[0]).toMatchObject({ resource: 'file_A', holders: [{ client: 'alice', token: lock.token }], waiters: [{ client: 'bob', position: 1 }] });
    await lock.release();
    await (await waiting).release();
  });
});

describe('status of everything', () => {
  it('follows nextOffset across pages and returns every resource once', async () => {
    const a = await client('a');
    await Promise.all(Array.from({ length: 150 }, (_, index) => a.acquire(`r-${String(index).padStart(3, '0')}`)));
    const firstPage = await a.status();
    expect(firstPage.resources).toHaveLength(100);
    expect(firstPage.nextOffset).toBe(100);
    const everything = await a.statusOfEverything();
    expect(everything.resources.map((resource) => resource.resource)).toEqual(Array.from({ length: 150 }, (_, index) => `r-${String(index).padStart(3, '0')}`));
    expect(everything.nextOffset).toBeUndefined();
  });
});

describe('errors', () => {
  it('are BatonErrors with stable codes', async () => {
    const a = await client('a');
    const error = await a.forceRelease('file_A', 'wrong').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BatonError);
    expect(error).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

describe('session loss while connected', () => {
  it('marks every lock lost, opens a new session on the same connection, and keeps working', async () => {
    await coordinator.close();
    let now = 0;
    coordinator = new Coordinator({ clock: () => now });
    listener = await coordinator.listen(memoryTransport, '127.0.0.1', 0);
    const events: ClientEvent['type'][] = [];
    const a = await client('a', { leaseMs: 1_000, onEvent: (event) => events.push(event.type) });
    const lock = await a.acquire('file_A');
    const first = a.session;
    now += 5_000; // the server's clock jumps past the lease
    coordinator.inspect(); // brings the machine's time up to date: the lease expires
    await expect.poll(() => events.filter((type) => type === 'session-opened').length).toBe(2);
    expect(events).toContain('session-lost');
    expect(isBatonError(lock.signal.reason, 'LOCK_LOST')).toBe(true);
    expect(a.session).not.toBe(first);
    const again = await a.acquire('file_A');
    expect(BigInt(again.token)).toBeGreaterThan(BigInt(lock.token));
    await again.release();
  });
});

describe('keepalive', () => {
  it('keeps one idle session on one connection alive by itself', async () => {
    let renewals = 0;
    let opened = 0;
    coordinator.subscribe((event) => {
      if (event.effect.type === 'renewed') renewals++;
      if (event.effect.type === 'session-opened') opened++;
    });
    const events: ClientEvent['type'][] = [];
    const a = await client('idle', { leaseMs: 1_000, onEvent: (event) => events.push(event.type) });
    await expect.poll(() => renewals, { timeout: 5_000 }).toBeGreaterThanOrEqual(4);
    expect(opened).toBe(1);
    expect(events).toEqual(['session-opened']);
    expect(coordinator.stats()).toMatchObject({ sessions: 1, connections: 1 });
    expect(await a.tryAcquire('file_A')).toBeDefined();
  });
});

describe('lease safety', () => {
  it('aborts the lock signal with LEASE_UNCONFIRMED before the lease could end when the server stops answering', async () => {
    // A server that grants and then goes silent (a partition, a stalled server).
    let connections = 0;
    const silent = await memoryTransport.listen({
      host: '127.0.0.1',
      port: 0,
      onConnection: (connection) => {
        connections++;
        connection.setHandlers({
          onMessage: (text) => {
            const message = JSON.parse(text) as { op: string; id: number; resource?: string };
            if (message.op === 'hello') connection.send(JSON.stringify({ op: 'welcome', id: message.id, v: 1, session: 's', secret: 'x', leaseMs: 1_000, resumed: false }));
            if (message.op === 'acquire') connection.send(JSON.stringify({ op: 'granted', id: message.id, resource: message.resource, mode: 'exclusive', token: '7', waitedMs: 0 }));
          },
          onClose: () => {},
        });
      },
    });
    const a = await connect(`memory://127.0.0.1:${silent.port}`, { transport: memoryTransport, leaseMs: 1_000 });
    clients.push(a);
    const sentAt = performance.now();
    const lock = await a.acquire('file_A');
    const abortedAt = await new Promise<number>((resolve) => lock.signal.addEventListener('abort', () => resolve(performance.now())));
    expect(isBatonError(lock.signal.reason, 'LEASE_UNCONFIRMED')).toBe(true);
    // The server could end the lease at sentAt + 1000 at the earliest; the SDK gave up before that.
    expect(abortedAt).toBeLessThan(sentAt + 1_000);
    // ...and it drops the silent connection and dials again, to resume if the server is still there.
    await expect.poll(() => connections).toBe(2);
    await silent.close();
  });
});
