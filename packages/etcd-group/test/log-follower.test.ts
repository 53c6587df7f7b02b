/**
 * A follower's hot copy of the group's log (log-follower.ts), on a real
 * 3-member etcd cluster: whatever the leader wrote — batches, snapshots,
 * the deletes after them — the copy's takeover equals what reading the
 * whole log gives, and it reads only the tail when it can.
 */
import { describeWithEtcd, useEtcdCluster } from '@baton/etcd-testing';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CoordinatorElection, EtcdLog, LogFollower, readEtcdLog } from '../src/index.js';
import type { Leadership } from '../src/index.js';

describeWithEtcd('LogFollower on a real 3-member etcd cluster', () => {
  const etcd = useEtcdCluster({ members: 3 });
  let client: Etcd3;
  let group = 0;

  beforeAll(() => {
    client = new Etcd3({ hosts: etcd.cluster().endpoints });
  });
  afterAll(() => {
    client?.close();
  });

  async function leaderOfNewGroup(): Promise<{ prefix: string; log: EtcdLog; election: CoordinatorElection }> {
    group += 1;
    const prefix = `baton/follower-test-${process.pid}-${group}/`;
    let elected!: (leadership: Leadership) => void;
    const term = new Promise<Leadership>((resolve) => (elected = resolve));
    const election = new CoordinatorElection({ client, prefix: `${prefix}election/`, advertise: 'tcp://127.0.0.1:6101', leaseTtlSeconds: 2, onElected: elected });
    etcd.afterThisTest(() => election.close());
    await election.start();
    await term;
    const log = new EtcdLog({ client, prefix, leadership: () => election.term, isLeader: () => election.isLeader });
    return { prefix, log, election };
  }

  /** Append `count` records in several group commits. */
  async function write(log: EtcdLog, count: number, label: string): Promise<void> {
    for (let index = 0; index < count; index++) {
      log.append({ kind: 'input', label, index });
      if (index % 7 === 0) await log.whenDurable();
    }
    await log.whenDurable();
  }

  function withoutSource(result: Awaited<ReturnType<LogFollower['takeOver']>>): Omit<typeof result, 'source' | 'tailBatches'> {
    const { source: _source, tailBatches: _tail, ...rest } = result;
    return rest;
  }

  it('follows batches and snapshots as they are written: its takeover is the whole log, read from the copy', async () => {
    const { prefix, log, election } = await leaderOfNewGroup();
    await write(log, 30, 'before');
    const follower = await LogFollower.start(client, prefix);
    etcd.afterThisTest(() => follower.close());
    await write(log, 40, 'after');
    const state = { big: 'x'.repeat(1_500_000), lsn: log.lastAppendedLsn };
    await log.snapshot(log.lastAppendedLsn, state); // over MAX_BATCH_BYTES: two chunks
    await write(log, 25, 'after the snapshot');
    await follower.whenCaughtUp(log.durableLsn);
    expect(follower.recordCount).toBe(25);
    await election.close();
    const taken = await follower.takeOver();
    const read = await readEtcdLog(client, prefix);
    expect(taken.source).toBe('tail');
    expect(withoutSource(taken)).toEqual(read);
    expect(read.snapshot).toEqual({ lsn: 70, state });
    expect(read.records.map((record) => record.lsn)).toEqual(Array.from({ length: 25 }, (_, index) => 71 + index));
  });

  it('reads only the batches it has not seen at takeover, and the whole log when a snapshot passed it by', async () => {
    const { prefix, log, election } = await leaderOfNewGroup();
    await write(log, 20, 'seen');
    const lagging = await LogFollower.start(client, prefix);
    const passed = await LogFollower.start(client, prefix);
    etcd.afterThisTest(() => lagging.close());
    etcd.afterThisTest(() => passed.close());
    // Stop both copies' watches: what follows they have not seen.
    await lagging.close();
    await passed.close();
    await write(log, 3, 'unseen');
    const tail = await lagging.takeOver();
    expect(tail.source).toBe('tail');
    expect(tail.tailBatches).toBeGreaterThan(0);
    expect(withoutSource(tail)).toEqual(await readEtcdLog(client, prefix));

    await log.snapshot(log.lastAppendedLsn, { at: log.lastAppendedLsn });
    await write(log, 2, 'after');
    await election.close();
    const full = await passed.takeOver();
    expect(full.source).toBe('full');
    expect(withoutSource(full)).toEqual(await readEtcdLog(client, prefix));
  });
});
