import { describeWithEtcd, useEtcdCluster } from '@baton/etcd-testing';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { logRecordText } from '@baton/server';
import { CoordinatorElection, EtcdLog, EtcdLogCorruptError, NotLeaderError, batchKey, readEtcdLog } from '../src/index.js';
import type { Leadership } from '../src/index.js';

describeWithEtcd('EtcdLog on a real 3-member etcd cluster', () => {
  const etcd = useEtcdCluster({ members: 3 });
  let client: Etcd3;
  let group = 0;

  beforeAll(() => {
    client = new Etcd3({ hosts: etcd.cluster().endpoints });
  });
  afterAll(() => {
    client?.close();
  });

  /** A fresh group prefix and an elected candidate in it. */
  async function leaderOfNewGroup(): Promise<{ prefix: string; election: CoordinatorElection; term: Leadership }> {
    group += 1;
    const prefix = `baton/log-test-${group}/`;
    let elected!: (leadership: Leadership) => void;
    const term = new Promise<Leadership>((resolve) => (elected = resolve));
    const election = new CoordinatorElection({ client, prefix: `${prefix}election/`, advertise: 'tcp://127.0.0.1:6001', leaseTtlSeconds: 2, onElected: elected });
    etcd.afterThisTest(() => election.close());
    await election.start();
    return { prefix, election, term: await term };
  }

  function logOf(prefix: string, election: CoordinatorElection, lastLsn = 0, failures: Error[] = []): EtcdLog {
    return new EtcdLog({ client, prefix, leadership: () => election.term, isLeader: () => election.isLeader, onFailure: (error) => failures.push(error) }, { lastLsn, batches: [] });
  }

  it('group-commits what was appended meanwhile, in order, and reads it back', async () => {
    const { prefix, election } = await leaderOfNewGroup();
    const log = logOf(prefix, election);
    const durable: number[] = [];
    log.onDurable = (lsn) => durable.push(lsn);
    expect(log.append({ type: 'input', index: 0 })).toBe(1);
    await Promise.resolve(); // the writer starts in a microtask: lsn 1 is now in flight
    for (let index = 1; index < 100; index += 1) expect(log.append({ type: 'input', index })).toBe(index + 1);
    await log.whenDurable();
    // The first record went alone; the 99 appended while it was in flight go in one commit.
    expect(log.commitCount).toBe(2);
    expect(durable).toEqual([1, 100]);
    expect(log.durableLsn).toBe(100);

    const read = await readEtcdLog(client, prefix);
    expect(read.snapshot).toBeUndefined();
    expect(read.lastLsn).toBe(100);
    expect(read.records.map((record) => record.lsn)).toEqual(Array.from({ length: 100 }, (_, index) => index + 1));
    expect(read.records[41]).toEqual({ lsn: 42, type: 'input', index: 41 });
  });

  it('a deposed leader commits nothing: etcd refuses its transaction, and the next leader continues the log', async () => {
    const { prefix, election, term } = await leaderOfNewGroup();
    const failures: Error[] = [];
    const log = logOf(prefix, election, 0, failures);
    log.append({ type: 'input', before: true });
    await log.whenDurable();

    // A paused leader: it still believes in its term (its local bound not yet passed), but etcd has moved on.
    await election.close();
    const stale = new EtcdLog({ client, prefix, leadership: () => term, isLeader: () => true, onFailure: (error) => failures.push(error) }, { lastLsn: log.lastAppendedLsn, batches: [] });
    stale.append({ type: 'input', stale: true });
    await expect(stale.whenDurable()).rejects.toThrow(NotLeaderError);
    expect(failures.at(-1)!.message).toMatch(/deposed/);
    expect(() => stale.append({ type: 'input' })).toThrow(NotLeaderError);

    let elected!: () => void;
    const wasElected = new Promise<void>((resolve) => (elected = resolve));
    const waiting = new CoordinatorElection({ client, prefix: `${prefix}election/`, advertise: 'tcp://127.0.0.1:6003', leaseTtlSeconds: 2, onElected: () => elected() });
    etcd.afterThisTest(() => waiting.close());
    await waiting.start();
    await wasElected;
    const recovered = await readEtcdLog(client, prefix);
    expect(recovered.records).toEqual([{ lsn: 1, type: 'input', before: true }]);
    const continued = new EtcdLog({ client, prefix, leadership: () => waiting.term, isLeader: () => waiting.isLeader }, recovered);
    expect(continued.append({ type: 'input', after: true })).toBe(2);
    await continued.whenDurable();
    expect((await readEtcdLog(client, prefix)).records.map((record) => record.lsn)).toEqual([1, 2]);
  });

  it('takes a batch already in etcd with its very text for an earlier try that landed, and any other text for corruption', async () => {
    const { prefix, election } = await leaderOfNewGroup();
    // What a commit whose answer was lost leaves behind: its batch, written, unacknowledged.
    await client.put(batchKey(prefix, 1)).value(`[${logRecordText({ type: 'input', index: 0 }, 1)}]`);
    const log = logOf(prefix, election);
    log.append({ type: 'input', index: 0 });
    await log.whenDurable();
    expect(log.durableLsn).toBe(1);

    await client.put(batchKey(prefix, 2)).value(`[${logRecordText({ type: 'input', other: true }, 2)}]`);
    const failures: Error[] = [];
    const next = new EtcdLog({ client, prefix, leadership: () => election.term, isLeader: () => election.isLeader, onFailure: (error) => failures.push(error) }, { lastLsn: 1, batches: [] });
    next.append({ type: 'input', index: 1 });
    await expect(next.whenDurable()).rejects.toThrow(EtcdLogCorruptError);
  });

  it('a snapshot replaces the batches before it, and recovery reads it with the records after it', async () => {
    const { prefix, election } = await leaderOfNewGroup();
    const log = logOf(prefix, election);
    for (let index = 0; index < 10; index += 1) log.append({ type: 'input', index });
    await log.whenDurable();
    const state = { holders: Array.from({ length: 5_000 }, (_, index) => ({ resource: `orders/${index}`, token: String(index + 1) })), name: 'Ünïcode' };
    await log.snapshot(10, state); // over 250k characters: several chunks
    log.append({ type: 'input', index: 10 });
    log.append({ type: 'input', index: 11 });
    await log.whenDurable();

    const read = await readEtcdLog(client, prefix);
    expect(read.snapshot).toEqual({ lsn: 10, state });
    expect(read.records.map((record) => record.lsn)).toEqual([11, 12]);
    expect(read.lastLsn).toBe(12);
    // The one batch of lsn 1–10 is gone; recovery hands the remaining batches on to the next leader's log.
    const batches = await client.getAll().prefix(`${prefix}log/`).keys();
    expect(batches.map((key) => Number(key.slice(`${prefix}log/`.length)))).toEqual([11]);
    expect(read.batches).toEqual([{ key: `${prefix}log/${'11'.padStart(16, '0')}`, lastLsn: 12 }]);
  });
});
