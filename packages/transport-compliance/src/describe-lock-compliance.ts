import type { Listener } from '@baton/transport';
import { connect } from '@baton/client';
import type { BatonClient } from '@baton/client';
import { Coordinator } from '@baton/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect } from './collect.js';
import type { ComplianceTarget } from './compliance-target.js';

/** Lock scenarios finish in well under a second; the lease test needs about MIN_LEASE_MS. */
const TEST_TIMEOUT_MS = 20_000;

/**
 * The lock scenarios, end to end through a real coordinator and the SDK over
 * the target transport: what users rely on, whatever carries the messages.
 * FIFO hand-off, increasing fencing tokens, shared readers with a writer
 * that is not overtaken, release on goodbye and on a dropped connection.
 */
export function describeLockCompliance(target: ComplianceTarget): void {
  const host = target.host ?? '127.0.0.1';

  describe(`${target.name} lock scenarios`, { timeout: TEST_TIMEOUT_MS }, () => {
    let coordinator: Coordinator;
    let listener: Listener;
    const clients: BatonClient[] = [];

    async function client(name: string, leaseMs?: number): Promise<BatonClient> {
      const connected = await connect(`${target.transport.scheme}://${host}:${listener.port}`, { transport: target.transport, client: name, leaseMs });
      clients.push(connected);
      return connected;
    }

    beforeEach(async () => {
      coordinator = new Coordinator();
      listener = await coordinator.listen(target.transport, host, 0);
    });

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((connected) => connected.close()));
      await coordinator.close();
    });

    it('grants one resource in arrival order, each token greater than the last', async () => {
      const holders = await Promise.all(['a', 'b', 'c', 'd'].map((name) => client(name)));
      const first = await holders[0]!.acquire('file_A');
      const order: string[] = [];
      const tokens = [first.token];
      const waits: Promise<void>[] = [];
      for (const [index, holder] of holders.slice(1).entries()) {
        let queued!: () => void;
        const isQueued = new Promise<void>((resolve) => (queued = resolve));
        waits.push(
          holder.acquire('file_A', { onQueued: () => queued() }).then(async (lock) => {
            order.push(holder === holders[index + 1] ? String(index + 1) : '?');
            tokens.push(lock.token);
            await lock.release();
          }),
        );
        await isQueued; // the next one arrives strictly after this one
      }
      await first.release();
      await Promise.all(waits);
      expect(order).toEqual(['1', '2', '3']);
      const values = tokens.map((token) => BigInt(token));
      for (let index = 1; index < values.length; index++) expect(values[index]! > values[index - 1]!).toBe(true);
    });

    it('lets readers share while a later writer waits, and keeps later readers behind that writer', async () => {
      const [r1, r2, writer, r3] = await Promise.all(['r1', 'r2', 'writer', 'r3'].map((name) => client(name)));
      const read1 = await r1!.acquire('doc', { mode: 'shared' });
      const read2 = await r2!.acquire('doc', { mode: 'shared' });
      let writerQueued!: () => void;
      const writerIsQueued = new Promise<void>((resolve) => (writerQueued = resolve));
      const write = writer!.acquire('doc', { onQueued: () => writerQueued() });
      await writerIsQueued;
      let readerPosition = 0;
      let readerQueued!: () => void;
      const readerIsQueued = new Promise<void>((resolve) => (readerQueued = resolve));
      const read3 = r3!.acquire('doc', { mode: 'shared', onQueued: (position) => ((readerPosition = position), readerQueued()) });
      await readerIsQueued;
      expect(readerPosition).toBe(2);
      await read1.release();
      await read2.release();
      const writeLock = await write;
      expect(coordinator.inspect('doc')[0]!.waiters.map((waiter) => waiter.client)).toEqual(['r3']);
      await writeLock.release();
      await (await read3).release();
    });

    it('hands the lock on at once when its holder says goodbye', async () => {
      const holder = await client('holder');
      const waiter = await client('waiter');
      await holder.acquire('file_A');
      let queued!: () => void;
      const isQueued = new Promise<void>((resolve) => (queued = resolve));
      const waiting = waiter.acquire('file_A', { onQueued: () => queued() });
      await isQueued;
      await holder.close();
      await (await waiting).release();
    });

    it('keeps the lock of a holder whose connection dropped until its lease ends, then grants the next waiter', async () => {
      // A raw connection that says hello, takes the lock and goes away without goodbye.
      const raw = collect(await target.transport.dial({ host, port: listener.port }));
      raw.connection.send(JSON.stringify({ op: 'hello', id: 1, client: 'vanishing', leaseMs: 1_000 }));
      expect(JSON.parse(await raw.next())).toMatchObject({ op: 'welcome' });
      raw.connection.send(JSON.stringify({ op: 'acquire', id: 2, resource: 'file_A' }));
      expect(JSON.parse(await raw.next())).toMatchObject({ op: 'granted' });
      const waiter = await client('waiter');
      let queued!: () => void;
      const isQueued = new Promise<void>((resolve) => (queued = resolve));
      const waiting = waiter.acquire('file_A', { onQueued: () => queued() });
      await isQueued;
      raw.connection.close();
      await raw.closed;
      expect(coordinator.inspect('file_A')[0]!.holders.map((holder) => holder.client)).toEqual(['vanishing']);
      const lock = await waiting;
      expect(lock.resource).toBe('file_A');
      await lock.release();
    });
  });
}
