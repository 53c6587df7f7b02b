/**
 * The SDK over an exactly-once session (docs/protocol.md 3.1) and its
 * never-hang rules, against the real coordinator over the memory transport.
 * A wrapping transport drops one chosen message and closes the connection at
 * that instant, as a reset with that message in flight would.
 */
import type { Connection, ConnectionHandlers, Listener, Transport } from '@baton/transport';
import { Coordinator } from '@baton/server';
import { memoryTransport } from '@baton/transport-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect, isBatonError } from '../src/index.js';
import type { BatonClient, ClientEvent, ConnectOptions } from '../src/index.js';

let coordinator: Coordinator;
let listener: Listener;
const clients: BatonClient[] = [];

beforeEach(async () => {
  coordinator = new Coordinator();
  listener = await coordinator.listen(memoryTransport, '127.0.0.1', 0);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(clients.splice(0).map((connected) => connected.close()));
  await coordinator.close();
});

/** A transport whose connections drop the first message matching `cut` (either direction) and close at once. */
function cuttingTransport(cut: { toServer?: RegExp; toClient?: RegExp }): Transport & { cuts: number } {
  const transport = {
    scheme: 'memory',
    cuts: 0,
    listen: memoryTransport.listen.bind(memoryTransport),
    async dial(options: Parameters<Transport['dial']>[0]): Promise<Connection> {
      const inner = await memoryTransport.dial(options);
      const cutOnce = (pattern: RegExp | undefined, text: string): boolean => {
        if (!pattern || transport.cuts > 0 || !pattern.test(text)) return false;
        transport.cuts++;
        inner.close();
        return true;
      };
      return {
        id: inner.id,
        remoteAddress: inner.remoteAddress,
        send: (text: string) => {
          if (!cutOnce(cut.toServer, text)) inner.send(text);
        },
        close: () => inner.close(),
        setHandlers: (handlers: ConnectionHandlers) =>
          inner.setHandlers({
            onMessage: (text) => {
              if (!cutOnce(cut.toClient, text)) handlers.onMessage(text);
            },
            onClose: (error) => handlers.onClose(error),
          }),
      };
    },
  };
  return transport;
}

async function client(name: string, options: Partial<ConnectOptions> = {}): Promise<BatonClient> {
  const connected = await connect(`memory://127.0.0.1:${listener.port}`, { transport: memoryTransport, client: name, ...options });
  clients.push(connected);
  return connected;
}

describe('a message lost with its connection is recovered after one reconnect', () => {
  it.each([
    ['acquire', { toServer: /"op":"acquire"/ }],
    ['granted', { toClient: /"op":"granted"/ }],
  ])('a lost %s (immediate grant)', async (_name, cut) => {
    const transport = cuttingTransport(cut);
    const events: ClientEvent['type'][] = [];
    const a = await client('a', { transport, onEvent: (event) => events.push(event.type) });
    const lock = await a.acquire('file_A');
    expect(transport.cuts).toBe(1);
    expect(events).toContain('resumed');
    expect(coordinator.inspect('file_A')[0]!.holders.map((holder) => holder.token)).toEqual([lock.token]);
    await lock.release();
    expect(coordinator.stats().holders).toBe(0);
  });

  it.each([
    ['queued', { toClient: /"op":"queued"/ }],
    ['granted', { toClient: /"op":"granted"/ }],
  ])('a lost %s of a waiting acquire', async (_name, cut) => {
    const holder = await client('holder');
    const held = await holder.acquire('file_A');
    const transport = cuttingTransport(cut);
    const waiter = await client('waiter', { transport });
    const waiting = waiter.acquire('file_A');
    await expect.poll(() => coordinator.stats().waiters).toBe(1);
    await held.release();
    const lock = await waiting;
    expect(transport.cuts).toBe(1);
    expect(coordinator.inspect('file_A')[0]!.holders.map((entry) => entry.token)).toEqual([lock.token]);
    await lock.release();
  });

  it.each([
    ['release', { toServer: /"op":"release"/ }],
    ['released', { toClient: /"op":"released"/ }],
  ])('a lost %s', async (_name, cut) => {
    const transport = cuttingTransport(cut);
    const a = await client('a', { transport });
    const lock = await a.acquire('file_A');
    await lock.release();
    expect(transport.cuts).toBe(1);
    expect(coordinator.stats().holders).toBe(0);
    expect(a.pendingCount).toBe(0);
  });

  it('without exactlyOnce (the old behaviour), a lost granted is never recovered', async () => {
    const transport = cuttingTransport({ toClient: /"op":"granted"/ });
    const a = await client('a', { transport, exactlyOnce: false, leaseMs: 1_000 });
    const outcome = await Promise.race([a.acquire('file_A').then(() => 'granted'), new Promise((resolve) => coordinator.subscribe((event) => event.effect.type === 'renewed' && resolve('still pending')))]);
    expect(outcome).toBe('still pending');
  });
});

/** A server that welcomes, grants once, then never answers again (a stalled server, a partition). */
async function silentServer(): Promise<Listener> {
  return memoryTransport.listen({
    host: '127.0.0.1',
    port: 0,
    onConnection: (connection) => {
      let granted = false;
      connection.setHandlers({
        onMessage: (text) => {
          const message = JSON.parse(text) as { op: string; id: number; resource?: string };
          if (message.op === 'hello') connection.send(JSON.stringify({ op: 'welcome', id: message.id, v: 1, session: 's', secret: 'x', leaseMs: 1_000, resumed: false }));
          if (message.op === 'acquire' && !granted) {
            granted = true;
            connection.send(JSON.stringify({ op: 'granted', id: message.id, resource: message.resource, mode: 'exclusive', token: '7', waitedMs: 0 }));
          }
        },
        onClose: () => {},
      });
    },
  });
}

describe('the SDK never hangs', () => {
  it('an acquire with waitMs rejects with TIMEOUT when the server does not answer', async () => {
    const silent = await silentServer();
    const a = await connect(`memory://127.0.0.1:${silent.port}`, { transport: memoryTransport, leaseMs: 1_000 });
    clients.push(a);
    await a.acquire('file_A');
    const startedAt = performance.now();
    const error = await a.acquire('file_B', { waitMs: 300 }).catch((caught: unknown) => caught);
    expect(isBatonError(error, 'TIMEOUT')).toBe(true);
    expect(performance.now() - startedAt).toBeLessThan(1_000);
    await silent.close();
  });

  it('an acquire without waitMs rejects with UNAVAILABLE once the lease cannot be proven', async () => {
    const silent = await silentServer();
    const a = await connect(`memory://127.0.0.1:${silent.port}`, { transport: memoryTransport, leaseMs: 1_000 });
    clients.push(a);
    await a.acquire('file_A');
    const error = await a.acquire('file_B').catch((caught: unknown) => caught);
    expect(isBatonError(error, 'UNAVAILABLE')).toBe(true);
    await silent.close();
  });

  it('status rejects with REQUEST_TIMEOUT', async () => {
    const silent = await silentServer();
    const a = await connect(`memory://127.0.0.1:${silent.port}`, { transport: memoryTransport, leaseMs: 1_000, requestTimeoutMs: 200 });
    clients.push(a);
    const error = await a.status().catch((caught: unknown) => caught);
    expect(isBatonError(error, 'REQUEST_TIMEOUT')).toBe(true);
    await silent.close();
  });

  it('a rejected connect leaves no session, connection or reconnecting client behind', async () => {
    const error = await connect(`memory://127.0.0.1:${listener.port}`, { transport: memoryTransport, leaseMs: 10 }).catch((caught: unknown) => caught);
    expect(isBatonError(error, 'BAD_FIELD')).toBe(true);
    await expect.poll(() => coordinator.stats().connections).toBe(0);
    expect(coordinator.stats().sessions).toBe(0);
  });

  it('SHUTTING_DOWN: waiting calls reject with it, held locks are lost, and the client is told', async () => {
    const events: ClientEvent['type'][] = [];
    const a = await client('a', { onEvent: (event) => events.push(event.type) });
    const b = await client('b');
    const lock = await a.acquire('file_A');
    const waiting = b.acquire('file_A').catch((caught: unknown) => caught);
    await expect.poll(() => coordinator.stats().waiters).toBe(1);
    await coordinator.shutdown();
    expect(isBatonError(await waiting, 'SHUTTING_DOWN')).toBe(true);
    expect(lock.lost).toBe(true);
    expect(events).toContain('shutting-down');
  });
});

describe('the synchronous check', () => {
  it('assertHeld says the lock is gone as soon as the clock passes the proven lease, before any timer has run', async () => {
    const a = await client('a', { leaseMs: 1_000 });
    const lock = await a.acquire('file_A');
    expect(lock.expiresIn()).toBeGreaterThan(0);
    expect(() => lock.assertHeld()).not.toThrow();
    const now = performance.now();
    // As after a SIGSTOP: the clock has moved on, the timers have not fired yet.
    vi.spyOn(performance, 'now').mockReturnValue(now + 5_000);
    expect(lock.lost).toBe(false);
    expect(lock.expiresIn()).toBe(0);
    expect(() => lock.assertHeld()).toThrow(expect.objectContaining({ code: 'LEASE_UNCONFIRMED' }) as Error);
    expect(lock.signal.aborted).toBe(true);
  });
});
