import { performance } from 'node:perf_hooks';
import { describeWithEtcd, useEtcdCluster } from '@baton/etcd-testing';
import { LinkProxy } from '@baton/transport-compliance';
import { Etcd3 } from 'etcd3';
import { expect, it } from 'vitest';
import { CoordinatorElection, leaseSafetyMarginMs } from '../src/index.js';
import type { Leadership } from '../src/index.js';

const TTL_SECONDS = 2;

/** A candidate with its own etcd client and every event it saw, timed on the monotonic clock. */
class Candidate {
  readonly events: { type: 'elected' | 'deposed' | 'leader' | 'error'; at: number; detail?: string }[] = [];
  readonly election: CoordinatorElection;
  private waiters: { type: string; resolve: () => void }[] = [];

  constructor(
    readonly client: Etcd3,
    readonly advertise: string,
    prefix: string,
  ) {
    this.election = new CoordinatorElection({
      client,
      prefix,
      advertise,
      leaseTtlSeconds: TTL_SECONDS,
      onElected: (leadership: Leadership) => this.record('elected', leadership.createRevision),
      onDeposed: (reason) => this.record('deposed', reason),
      onLeaderChange: (address) => this.record('leader', address),
      onError: (error) => this.record('error', error.message),
    });
  }

  private record(type: Candidate['events'][number]['type'], detail?: string): void {
    this.events.push({ type, at: performance.now(), detail });
    for (const waiter of this.waiters.filter((candidate) => candidate.type === type || candidate.type === `leader:${detail}`)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  /** Resolves at the first `type` event from now on (or at once if `already` and one was seen). */
  next(type: 'elected' | 'deposed', already = true): Promise<void> {
    if (already && this.events.some((event) => event.type === type)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }

  /** Resolves once this candidate has seen `address` as the leader. */
  seesLeader(address: string): Promise<void> {
    if (this.election.leader === address) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ type: `leader:${address}`, resolve }));
  }

  at(type: 'elected' | 'deposed'): number {
    return this.events.find((event) => event.type === type)!.at;
  }
}

describeWithEtcd('CoordinatorElection on a real 3-member etcd cluster', () => {
  const etcd = useEtcdCluster({ members: 3 });
  let group = 0;

  /** Candidates of a fresh group (a prefix of their own), each on its own client (of every member unless `hosts` says). */
  function candidates(count: number, hosts: (index: number) => string[] = () => etcd.cluster().endpoints): Candidate[] {
    group += 1;
    return Array.from({ length: count }, (_, index) => {
      const client = new Etcd3({ hosts: hosts(index) });
      const candidate = new Candidate(client, `tcp://127.0.0.1:${6000 + index}`, `baton/test-group-${group}/election/`);
      etcd.afterThisTest(async () => {
        await candidate.election.close();
        client.close();
      });
      return candidate;
    });
  }

  it('elects exactly one leader, whose address every candidate sees; a resignation elects the next at once', async () => {
    const group = candidates(3);
    for (const candidate of group) await candidate.election.start();
    await Promise.race(group.map((candidate) => candidate.next('elected')));
    const leaders = group.filter((candidate) => candidate.election.isLeader);
    expect(leaders).toHaveLength(1);
    const [leader] = leaders;
    expect(leader).toBe(group[0]); // the first to register has the lowest create revision
    await Promise.all(group.map((candidate) => candidate.seesLeader(leader!.advertise)));
    expect(leader!.election.term!.key).toMatch(/^baton\/test-group-\d+\/election\/\d+$/);

    await leader!.election.close();
    expect(leader!.events.at(-1)!.type).toBe('deposed');
    await group[1]!.next('elected');
    expect(group[2]!.election.isLeader).toBe(false);
    await group[2]!.seesLeader(group[1]!.advertise);
  });

  it('after a crashed leader (its lease left to run out), the next is elected within the lease + 1 s', async () => {
    const [first, second] = candidates(2);
    await first!.election.start();
    await first!.next('elected');
    await second!.election.start();
    // A crash: the client goes away without revoking anything; etcd ends the lease by itself.
    const crashed = performance.now();
    first!.client.close();
    await second!.next('elected');
    const failover = second!.at('elected') - crashed;
    expect(failover).toBeLessThan(TTL_SECONDS * 1000 + 1_000);
    expect(failover).toBeGreaterThan(TTL_SECONDS * 1000 - leaseSafetyMarginMs(TTL_SECONDS) - 1_000 / 3);
  });

  it('a leader cut off from etcd deposes itself before another candidate can be elected', async () => {
    const proxy = await LinkProxy.start(Number(new URL(etcd.cluster().members[0]!.endpoint).port));
    etcd.afterThisTest(() => proxy.close());
    const [isolated, other] = candidates(2, (index) => (index === 0 ? [`http://127.0.0.1:${proxy.port}`] : etcd.cluster().endpoints));
    await isolated!.election.start();
    await isolated!.next('elected');
    await other!.election.start();
    await other!.seesLeader(isolated!.advertise);

    proxy.freeze(); // nothing passes either way, nothing is closed: keepalives just go unanswered
    await Promise.all([isolated!.next('deposed'), other!.next('elected')]);
    expect(isolated!.at('deposed')).toBeLessThan(other!.at('elected'));
    expect(isolated!.election.isLeader).toBe(false);
    expect(isolated!.events.find((event) => event.type === 'deposed')!.detail).toMatch(/no keepalive/);
    expect(other!.election.isLeader).toBe(true);
  });
});
