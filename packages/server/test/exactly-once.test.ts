/**
 * The coordinator's side of exactly-once sessions (docs/protocol.md 3.1),
 * renewal by every message (3) and shutdown (3.2), spoken raw over the
 * memory transport.
 */
import type { ServerMessage } from '@baton/core';
import type { Listener } from '@baton/transport';
import { MAX_UNACKNOWLEDGED_MESSAGES } from '@baton/core';
import { memoryTransport } from '@baton/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../src/index.js';
import type { CoordinatorOptions } from '../src/index.js';
import { RawClient } from './raw-client.js';

let coordinator: Coordinator;
let listener: Listener;
const clients: RawClient[] = [];

async function start(options: CoordinatorOptions = {}): Promise<void> {
  coordinator = new Coordinator(options);
  listener = await coordinator.listen(memoryTransport, '127.0.0.1', 0);
}

async function dial(): Promise<RawClient> {
  const raw = await RawClient.dial(memoryTransport, listener.port);
  clients.push(raw);
  return raw;
}

type Welcome = Extract<ServerMessage, { op: 'welcome' }>;

/** A connection with a new exactly-once session. */
async function exactlyOnceClient(name = 'eo', leaseMs?: number): Promise<{ raw: RawClient; welcome: Welcome }> {
  const raw = await dial();
  const welcome = (await raw.call({ op: 'hello', id: 'hello', client: name, leaseMs, exactlyOnce: true })) as Welcome;
  expect(welcome).toMatchObject({ op: 'welcome', exactlyOnce: true, applied: 0, sn: 0, resumed: false });
  return { raw, welcome };
}

afterEach(async () => {
  for (const raw of clients.splice(0)) raw.close();
  await coordinator.close();
});

describe('exactly-once sessions', () => {
  it('stamps every message of the session with the next sn; a plain session gets none', async () => {
    await start();
    const { raw } = await exactlyOnceClient();
    expect(await raw.call({ op: 'acquire', id: 1, resource: 'file_A', seq: 1, ack: 0 })).toMatchObject({ op: 'granted', id: 1, sn: 1 });
    expect(await raw.call({ op: 'keepalive', id: 2, seq: 2, ack: 1 })).toMatchObject({ op: 'alive', id: 2, sn: 2 });
    const plain = await dial();
    await plain.hello('plain');
    const reply = await plain.call({ op: 'acquire', id: 1, resource: 'file_B' });
    expect(reply.op).toBe('granted');
    expect('sn' in reply).toBe(false);
  });

  it('applies a resent request once: a duplicate seq gets no reply and changes nothing', async () => {
    await start();
    const { raw } = await exactlyOnceClient();
    const first = await raw.call({ op: 'acquire', id: 1, resource: 'file_A', seq: 1, ack: 0 });
    expect(first).toMatchObject({ op: 'granted', sn: 1 });
    raw.send({ op: 'acquire', id: 1, resource: 'file_A', seq: 1, ack: 1 });
    expect(await raw.call({ op: 'keepalive', id: 2, seq: 2, ack: 1 })).toMatchObject({ op: 'alive', sn: 2 });
    expect(raw.received.filter((message) => message.op === 'granted' || message.op === 'queued')).toHaveLength(1);
    expect(coordinator.stats()).toMatchObject({ holders: 1, waiters: 0 });
  });

  it('refuses a gap in seq (BAD_SEQUENCE) and a missing seq (MISSING_FIELD), outside the stream, applying nothing', async () => {
    await start();
    const { raw } = await exactlyOnceClient();
    const gap = await raw.call({ op: 'acquire', id: 1, resource: 'file_A', seq: 2, ack: 0 });
    expect(gap).toMatchObject({ op: 'error', id: 1, code: 'BAD_SEQUENCE' });
    expect('sn' in gap).toBe(false);
    const missing = await raw.call({ op: 'acquire', id: 2, resource: 'file_A' });
    expect(missing).toMatchObject({ op: 'error', id: 2, code: 'MISSING_FIELD' });
    expect(coordinator.stats().holders).toBe(0);
    expect(await raw.call({ op: 'acquire', id: 3, resource: 'file_A', seq: 1, ack: 0 })).toMatchObject({ op: 'granted', sn: 1 });
  });

  it('consumes the seq of a request refused for another field, and its error is in the stream', async () => {
    await start();
    const { raw } = await exactlyOnceClient();
    expect(await raw.call({ op: 'acquire', id: 1, resource: 'nul\u0000name', seq: 1, ack: 0 })).toMatchObject({ op: 'error', code: 'BAD_RESOURCE_NAME', sn: 1 });
    expect(await raw.call({ op: 'acquire', id: 2, resource: 'file_A', mode: 'weird', seq: 2, ack: 1 })).toMatchObject({ op: 'error', code: 'BAD_FIELD', sn: 2 });
    expect(await raw.call({ op: 'acquire', id: 3, resource: 'file_A', seq: 3, ack: 2 })).toMatchObject({ op: 'granted', sn: 3 });
  });

  it('refuses an ack past the last sn sent', async () => {
    await start();
    const { raw } = await exactlyOnceClient();
    expect(await raw.call({ op: 'keepalive', id: 1, seq: 1, ack: 5 })).toMatchObject({ op: 'error', code: 'BAD_FIELD' });
  });

  it('replays, after the welcome of a resume, every message after the ack, and says what it applied', async () => {
    await start();
    const { raw, welcome } = await exactlyOnceClient();
    await raw.call({ op: 'acquire', id: 1, resource: 'file_A', seq: 1, ack: 0 });
    await raw.call({ op: 'acquire', id: 2, resource: 'file_B', seq: 2, ack: 0 });
    await raw.call({ op: 'keepalive', id: 3, seq: 3, ack: 1 });
    raw.close();
    const again = await dial();
    const resumed = await again.call({ op: 'hello', id: 'h', session: welcome.session, secret: welcome.secret, ack: 1 });
    expect(resumed).toMatchObject({ op: 'welcome', resumed: true, exactlyOnce: true, applied: 3, sn: 3 });
    await again.next((message) => message.op === 'alive');
    expect(again.received.slice(1)).toMatchObject([
      { op: 'granted', id: 2, resource: 'file_B', sn: 2 },
      { op: 'alive', id: 3, sn: 3 },
    ]);
  });

  it('a grant pushed while the connection is down is delivered on resume, exactly once', async () => {
    await start();
    const holder = await exactlyOnceClient('holder');
    const holding = await holder.raw.call({ op: 'acquire', id: 1, resource: 'file_A', seq: 1, ack: 0 });
    const waiter = await exactlyOnceClient('waiter');
    expect(await waiter.raw.call({ op: 'acquire', id: 1, resource: 'file_A', seq: 1, ack: 0 })).toMatchObject({ op: 'queued', sn: 1 });
    waiter.raw.close();
    await waiter.raw.closedPromise;
    await holder.raw.call({ op: 'release', id: 2, resource: 'file_A', token: (holding as { token: string }).token, seq: 2, ack: 1 });
    const again = await dial();
    await again.call({ op: 'hello', id: 'h', session: waiter.welcome.session, secret: waiter.welcome.secret, ack: 1 });
    expect(await again.next((message) => message.op === 'granted')).toMatchObject({ op: 'granted', id: 1, sn: 2 });
    // A second resume that acknowledges it gets nothing again.
    again.close();
    const third = await dial();
    await third.call({ op: 'hello', id: 'h', session: waiter.welcome.session, secret: waiter.welcome.secret, ack: 2 });
    await third.call({ op: 'keepalive', id: 9, seq: 2, ack: 2 });
    expect(third.received.map((message) => message.op)).toEqual(['welcome', 'alive']);
  });

  it(`ends a session that leaves more than MAX_UNACKNOWLEDGED_MESSAGES (${MAX_UNACKNOWLEDGED_MESSAGES}) unacknowledged`, async () => {
    await start();
    const { raw } = await exactlyOnceClient();
    for (let seq = 1; seq <= MAX_UNACKNOWLEDGED_MESSAGES + 1; seq++) raw.send({ op: 'keepalive', id: seq, seq });
    expect(await raw.next((message) => message.op === 'error')).toMatchObject({ code: 'SESSION_ENDED' });
    expect(coordinator.stats().sessions).toBe(0);
  });

  it('does not end a session that acknowledges as it goes', async () => {
    await start();
    const { raw } = await exactlyOnceClient();
    for (let seq = 1; seq <= MAX_UNACKNOWLEDGED_MESSAGES + 10; seq++) raw.send({ op: 'keepalive', id: seq, seq, ack: seq - 1 });
    expect(await raw.call({ op: 'keepalive', id: 'last', seq: MAX_UNACKNOWLEDGED_MESSAGES + 11, ack: MAX_UNACKNOWLEDGED_MESSAGES + 10 })).toMatchObject({ op: 'alive' });
    expect(coordinator.stats().sessions).toBe(1);
  });
});

describe('renewal by every message', () => {
  /** A coordinator on a virtual clock, with its timer fired by hand. */
  async function startVirtual(): Promise<{ advance: (to: number) => void }> {
    let now = 0;
    await start({ clock: () => now, timers: { set: () => 0, clear: () => {} } });
    return {
      advance(to: number) {
        now = to;
      },
    };
  }

  it.each([
    ['status', { op: 'status', id: 's' }],
    ['an unreadable message', '{"op":'],
    ['a refused force-release', { op: 'force-release', id: 'f', resource: 'file_A' }],
  ])('%s renews the lease of the session its connection speaks for', async (_name, message) => {
    const clock = await startVirtual();
    const raw = await dial();
    await raw.hello('renewing', 1_000);
    clock.advance(900);
    if (typeof message === 'string') {
      raw.send(message);
      await raw.next((reply) => reply.op === 'error');
    } else {
      await raw.call(message);
    }
    clock.advance(1_500);
    coordinator.inspect();
    expect(coordinator.stats().sessions).toBe(1);
    clock.advance(1_901);
    coordinator.inspect();
    expect(coordinator.stats().sessions).toBe(0);
  });

  it('a duplicate renews the lease too', async () => {
    const clock = await startVirtual();
    const { raw } = await exactlyOnceClient('dup', 1_000);
    await raw.call({ op: 'keepalive', id: 1, seq: 1, ack: 0 });
    clock.advance(900);
    raw.send({ op: 'keepalive', id: 1, seq: 1, ack: 1 });
    await raw.call({ op: 'status', id: 's' });
    clock.advance(1_800);
    coordinator.inspect();
    expect(coordinator.stats().sessions).toBe(1);
  });
});

describe('shutdown', () => {
  it('pushes SHUTTING_DOWN to every connection, with or without a session, then closes them', async () => {
    await start();
    const { raw } = await exactlyOnceClient('holder');
    await raw.call({ op: 'acquire', id: 1, resource: 'file_A', seq: 1, ack: 0 });
    const bystander = await dial();
    await coordinator.shutdown();
    for (const client of [raw, bystander]) {
      const notice = await client.next((message) => message.op === 'error');
      expect(notice).toMatchObject({ op: 'error', code: 'SHUTTING_DOWN' });
      expect('id' in notice || 'sn' in notice).toBe(false);
      expect(await client.closedPromise).toBeUndefined();
    }
  });
});
