/**
 * A coordinator rebuilt from its records: sessions, locks, queues and
 * exactly-once streams come back, secrets are checked against their hashes,
 * and every lease starts again from the recovery.
 */
import type { ServerMessage } from '@baton/core';
import type { Listener } from '@baton/transport';
import { memoryTransport } from '@baton/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../src/index.js';
import type { CoordinatorRecord } from '../src/index.js';
import { RawClient } from './raw-client.js';

const running: { coordinator: Coordinator; clients: RawClient[] }[] = [];

async function start(records: CoordinatorRecord[], recoverFrom?: readonly CoordinatorRecord[]): Promise<{ coordinator: Coordinator; listener: Listener; dial: () => Promise<RawClient> }> {
  const coordinator = new Coordinator({ journal: { append: (record) => records.push(record), afterDurable: (action) => action() } });
  const clients: RawClient[] = [];
  running.push({ coordinator, clients });
  if (recoverFrom) coordinator.recover(undefined, JSON.parse(JSON.stringify(recoverFrom)) as CoordinatorRecord[]);
  const listener = await coordinator.listen(memoryTransport, '127.0.0.1', 0);
  const dial = async () => {
    const raw = await RawClient.dial(memoryTransport, listener.port);
    clients.push(raw);
    return raw;
  };
  return { coordinator, listener, dial };
}

afterEach(async () => {
  for (const { coordinator, clients } of running.splice(0)) {
    for (const raw of clients) raw.close();
    await coordinator.close();
  }
});

function granted(message: ServerMessage): Extract<ServerMessage, { op: 'granted' }> {
  expect(message.op).toBe('granted');
  return message as Extract<ServerMessage, { op: 'granted' }>;
}

describe('recovery from records', () => {
  it('keeps a holder, its token and the queue behind it; the holder resumes with its secret and releases; the waiter is granted next', async () => {
    const records: CoordinatorRecord[] = [];
    const first = await start(records);
    const holder = await first.dial();
    const welcome = await holder.hello('holder', 5_000);
    const lock = granted(await holder.call({ op: 'acquire', id: 1, resource: 'file_A' }));
    const waiter = await first.dial();
    const waiterWelcome = await waiter.hello('waiter', 5_000);
    expect(await waiter.call({ op: 'acquire', id: 2, resource: 'file_A' })).toMatchObject({ op: 'queued', position: 1 });
    // No secret is recorded, only its hash.
    expect(JSON.stringify(records)).not.toContain(welcome.secret);
    await first.coordinator.close();

    const recordsAfter: CoordinatorRecord[] = [];
    const second = await start(recordsAfter, records);
    expect(recordsAfter).toEqual([expect.objectContaining({ kind: 'input', input: { type: 'restart-leases' } })]);
    expect(second.coordinator.inspect('file_A')[0]).toMatchObject({
      holders: [expect.objectContaining({ client: 'holder', token: lock.token })],
      waiters: [expect.objectContaining({ client: 'waiter', request: 2 })],
    });
    const wrong = await second.dial();
    expect(await wrong.call({ op: 'hello', id: 'h', session: welcome.session, secret: '0'.repeat(32) })).toMatchObject({ op: 'error', code: 'UNKNOWN_SESSION' });

    const back = await second.dial();
    expect(await back.call({ op: 'hello', id: 'h', session: welcome.session, secret: welcome.secret })).toMatchObject({ op: 'welcome', session: welcome.session, secret: welcome.secret, resumed: true });
    const waiterBack = await second.dial();
    expect(await waiterBack.call({ op: 'hello', id: 'h', session: waiterWelcome.session, secret: waiterWelcome.secret })).toMatchObject({ op: 'welcome', resumed: true });
    expect(await back.call({ op: 'release', id: 3, resource: 'file_A', token: lock.token })).toMatchObject({ op: 'released', token: lock.token });
    const next = granted(await waiterBack.next((message) => message.op === 'granted'));
    expect(next).toMatchObject({ id: 2, resource: 'file_A' });
    expect(BigInt(next.token)).toBeGreaterThan(BigInt(lock.token));
  });

  it('sends an exactly-once client, after the recovery, what it had not acknowledged, with the same sn', async () => {
    const records: CoordinatorRecord[] = [];
    const first = await start(records);
    const client = await first.dial();
    const welcome = await client.call({ op: 'hello', id: 'h', client: 'eo', exactlyOnce: true });
    expect(welcome).toMatchObject({ op: 'welcome', exactlyOnce: true });
    const { session, secret } = welcome as Extract<ServerMessage, { op: 'welcome' }>;
    const lock = granted(await client.call({ op: 'acquire', id: 1, resource: 'r', seq: 1, ack: 0 }));
    expect(lock).toMatchObject({ sn: 1 });
    await first.coordinator.close();

    const second = await start([], records);
    const back = await second.dial();
    // As if the grant had been lost with the connection: ack 0.
    expect(await back.call({ op: 'hello', id: 'h2', session, secret, ack: 0 })).toMatchObject({ op: 'welcome', resumed: true, applied: 1, sn: 1 });
    expect(await back.next((message) => message.op === 'granted')).toEqual(lock);
    expect(await back.call({ op: 'release', id: 2, resource: 'r', token: lock.token, seq: 2, ack: 1 })).toMatchObject({ op: 'released', sn: 2 });
  });

  it('holds every message, and the subscribers, back until the records before it are durable', async () => {
    const held: (() => void)[] = [];
    const appended: CoordinatorRecord[] = [];
    let firstAppend!: () => void;
    const appendedOnce = new Promise<void>((resolve) => (firstAppend = resolve));
    const journal = {
      append: (record: CoordinatorRecord) => {
        appended.push(record);
        firstAppend();
      },
      afterDurable: (action: () => void) => held.push(action),
    };
    const coordinator = new Coordinator({ journal });
    const clients: RawClient[] = [];
    running.push({ coordinator, clients });
    const heard: string[] = [];
    coordinator.subscribe(({ effect }) => heard.push(effect.type));
    const listener = await coordinator.listen(memoryTransport, '127.0.0.1', 0);
    const raw = await RawClient.dial(memoryTransport, listener.port);
    clients.push(raw);
    const welcome = raw.next((message) => message.op === 'welcome');
    raw.send({ op: 'hello', id: 'h', client: 'c' });
    // The hello was applied and recorded, but nothing left: the record is not durable yet.
    await appendedOnce;
    expect(appended).toEqual([expect.objectContaining({ kind: 'open', client: 'c' })]);
    expect(coordinator.stats().sessions).toBe(1);
    // Held: the welcome and the subscribers' event.
    expect(held).toHaveLength(2);
    expect(raw.received).toEqual([]);
    expect(heard).toEqual([]);
    for (const action of held.splice(0)) action();
    expect(await welcome).toMatchObject({ op: 'welcome', resumed: false });
    expect(heard).toEqual(['session-opened']);
  });
});
