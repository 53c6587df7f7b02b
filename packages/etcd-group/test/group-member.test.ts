import { performance } from 'node:perf_hooks';
import { connect } from '@baton/client';
import type { BatonClient } from '@baton/client';
import { describeWithEtcd, useEtcdCluster } from '@baton/etcd-testing';
import { memoryTransport } from '@baton/transport-memory';
import { Etcd3 } from 'etcd3';
import { expect, it } from 'vitest';
import { GroupMember } from '../src/index.js';

const TTL_SECONDS = 2;

/** A member with its own etcd client; it listens on the memory transport when it leads. */
class Member {
  readonly client: Etcd3;
  readonly member: GroupMember;
  port: number | undefined;
  readonly deposed: string[] = [];
  private leadingWaiters: (() => void)[] = [];
  leadingAt: number | undefined;

  constructor(hosts: string[], prefix: string, name: string) {
    this.client = new Etcd3({ hosts });
    this.member = new GroupMember({
      client: this.client,
      prefix,
      advertise: `memory://${name}`,
      leaseTtlSeconds: TTL_SECONDS,
      onLeading: async (leader) => {
        const listener = await leader.coordinator.listen(memoryTransport, '127.0.0.1', 0);
        this.port = listener.port;
        this.leadingAt = performance.now();
        for (const resolve of this.leadingWaiters.splice(0)) resolve();
      },
      onDeposed: (reason) => this.deposed.push(reason),
    });
  }

  leading(): Promise<void> {
    if (this.port !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.leadingWaiters.push(resolve));
  }

  async dial(name: string): Promise<BatonClient> {
    return connect(`memory://127.0.0.1:${this.port}`, { transport: memoryTransport, client: name, leaseMs: 5_000 });
  }
}

describeWithEtcd('GroupMember: coordinators in a group on a real 3-member etcd cluster', () => {
  const etcd = useEtcdCluster({ members: 3 });
  let group = 0;

  function members(count: number): Member[] {
    group += 1;
    return Array.from({ length: count }, (_, index) => {
      const member = new Member(etcd.cluster().endpoints, `baton/member-test-${group}/`, `member-${index}`);
      etcd.afterThisTest(async () => {
        await member.member.close();
        member.client.close();
      });
      return member;
    });
  }

  it('a standby that takes over after the leader crashed has its locks: same holder, same token, nothing granted to another', async () => {
    const [first, second] = members(2);
    await first!.member.start();
    await first!.leading();
    await second!.member.start();

    const holder = await first!.dial('holder');
    etcd.afterThisTest(() => holder.close());
    const lock = await holder.acquire('orders/42');
    const waiter = await first!.dial('waiter');
    etcd.afterThisTest(() => waiter.close());
    expect(await waiter.tryAcquire('orders/42')).toBeUndefined();

    // The crash: the leader's coordinator stops without a word and its etcd client goes away; its lease runs out.
    const crashed = performance.now();
    await first!.member.coordinator!.coordinator.close();
    first!.client.close();
    await second!.leading();
    expect(second!.leadingAt! - crashed).toBeLessThan(TTL_SECONDS * 1000 + 1_000);

    expect(second!.member.coordinator!.recovered).toMatchObject({ sessions: 2 });
    const observer = await second!.dial('observer');
    etcd.afterThisTest(() => observer.close());
    const status = await observer.status('orders/42');
    expect(JSON.stringify(status)).toContain(lock.token);
    expect(await observer.tryAcquire('orders/42')).toBeUndefined();
  });

  it('a leader that resigns hands over at once, and its log goes on from the next lsn', async () => {
    const [first, second] = members(2);
    await first!.member.start();
    await first!.leading();
    await second!.member.start();
    const client = await first!.dial('one');
    const lock = await client.acquire('user:1');
    await lock.release();
    const lsn = first!.member.coordinator!.log.durableLsn;
    expect(lsn).toBeGreaterThanOrEqual(3);
    client.close().catch(() => undefined);

    await first!.member.close();
    await second!.leading();
    const recovered = second!.member.coordinator!;
    expect(recovered.log.lastAppendedLsn).toBeGreaterThanOrEqual(lsn);
    const next = await second!.dial('two');
    etcd.afterThisTest(() => next.close());
    const again = await next.acquire('user:1');
    expect(BigInt(again.token)).toBeGreaterThan(BigInt(lock.token));
  });
});
