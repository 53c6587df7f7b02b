/**
 * A coordinator on a real write-ahead log in a temp directory: replies wait
 * for the log, snapshots are taken every so many records, and a new
 * coordinator on the same directory has every session and lock back.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerMessage } from '@baton/core';
import { memoryTransport } from '@baton/transport-memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDurableCoordinator } from '../src/index.js';
import type { DurableCoordinator } from '../src/index.js';
import { RawClient } from './raw-client.js';

let directory: string;
const opened: { durable: DurableCoordinator; clients: RawClient[] }[] = [];

async function open(snapshotEveryRecords?: number): Promise<{ durable: DurableCoordinator; dial: () => Promise<RawClient> }> {
  const durable = await openDurableCoordinator(directory, { snapshotEveryRecords, onFailure: (error) => expect.fail(`the log failed: ${error.message}`) });
  const clients: RawClient[] = [];
  opened.push({ durable, clients });
  const listener = await durable.coordinator.listen(memoryTransport, '127.0.0.1', 0);
  return {
    durable,
    dial: async () => {
      const raw = await RawClient.dial(memoryTransport, listener.port);
      clients.push(raw);
      return raw;
    },
  };
}

/** Stop as a crash would leave it: everything acknowledged is on disk, but no closing snapshot. */
async function crash(durable: DurableCoordinator): Promise<void> {
  await durable.coordinator.close();
  await durable.journal.flush();
  await durable.log.close();
}

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'baton-durable-'));
});

afterEach(async () => {
  for (const { durable, clients } of opened.splice(0)) {
    for (const raw of clients) raw.close();
    await durable.coordinator.close();
    await durable.log.close().catch(() => {});
  }
  rmSync(directory, { recursive: true, force: true });
});

describe('a coordinator on a write-ahead log', () => {
  it('has every session and lock back after a crash, from the records alone', async () => {
    const first = await open();
    const raw = await first.dial();
    const welcome = await raw.hello('holder', 5_000);
    const lock = (await raw.call({ op: 'acquire', id: 1, resource: 'file_A' })) as Extract<ServerMessage, { op: 'granted' }>;
    expect(lock.op).toBe('granted');
    await crash(first.durable);

    const second = await open();
    expect(second.durable.recovered).toMatchObject({ sessions: 1, fromSnapshot: false });
    expect(second.durable.recovered.records).toBeGreaterThanOrEqual(2);
    const back = await second.dial();
    expect(await back.call({ op: 'hello', id: 'h', session: welcome.session, secret: welcome.secret })).toMatchObject({ op: 'welcome', resumed: true });
    expect(await back.call({ op: 'release', id: 2, resource: 'file_A', token: lock.token })).toMatchObject({ op: 'released', token: lock.token });
  });

  it('takes a snapshot every snapshotEveryRecords records and deletes the segments before it; recovery starts from it', async () => {
    const first = await open(10);
    const raw = await first.dial();
    await raw.hello('busy', 5_000);
    for (let id = 1; id <= 40; id++) await raw.call({ op: 'keepalive', id });
    const lock = await raw.call({ op: 'acquire', id: 41, resource: 'r' });
    await crash(first.durable);
    const files = readdirSync(directory);
    expect(files.filter((file) => file.startsWith('snapshot-'))).toHaveLength(1);
    expect(files.filter((file) => file.startsWith('wal-')).length).toBeLessThanOrEqual(2);

    const second = await open(10);
    expect(second.durable.recovered).toMatchObject({ sessions: 1, fromSnapshot: true });
    expect(second.durable.recovered.records).toBeLessThan(20);
    expect(second.durable.coordinator.inspect('r')[0]?.holders.map((holder) => holder.token)).toEqual([(lock as { token: string }).token]);
  });

  it('stops cleanly with a snapshot, so the next start replays next to nothing', async () => {
    const first = await open();
    const raw = await first.dial();
    await raw.hello('h', 5_000);
    await raw.call({ op: 'acquire', id: 1, resource: 'r' });
    await first.durable.coordinator.shutdown();
    await first.durable.close();
    const second = await open();
    expect(second.durable.recovered).toMatchObject({ sessions: 1, fromSnapshot: true, records: 0 });
  });
});
