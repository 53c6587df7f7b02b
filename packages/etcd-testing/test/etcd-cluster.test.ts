import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithEtcd, startEtcdCluster } from '../src/index.js';
import type { EtcdCluster } from '../src/index.js';

/** `/health` of one member: true only while the cluster has a quorum (it answers a linearizable read). */
async function healthy(endpoint: string): Promise<boolean> {
  const response = await fetch(`${endpoint}/health`);
  const body = (await response.json()) as { health: string };
  return body.health === 'true';
}

describeWithEtcd('a 3-member etcd cluster on loopback', () => {
  let cluster: EtcdCluster;
  let client: Etcd3;

  beforeAll(async () => {
    cluster = await startEtcdCluster({ members: 3 });
    client = new Etcd3({ hosts: cluster.endpoints });
  });

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('serves on every member, keeps serving without one, and loses its quorum without two', async () => {
    expect(new Set(cluster.endpoints).size).toBe(3);
    await client.put('baton/test').value('one');
    await Promise.all(cluster.members.map((member) => member.healthy()));

    await cluster.members[0]!.kill();
    expect(cluster.members[0]!.running).toBe(false);
    const survivor = new Etcd3({ hosts: [cluster.members[1]!.endpoint, cluster.members[2]!.endpoint] });
    try {
      await survivor.put('baton/test').value('two');
      expect(await survivor.get('baton/test').string()).toBe('two');

      await cluster.members[1]!.kill();
      expect(await healthy(cluster.members[2]!.endpoint)).toBe(false);

      cluster.members[0]!.start();
      cluster.members[1]!.start();
      await Promise.all([cluster.members[0]!.healthy(), cluster.members[1]!.healthy()]);
      await survivor.put('baton/test').value('three');
      expect(await client.get('baton/test').string()).toBe('three');
      await Promise.all(cluster.members.map((member) => member.healthy()));
    } finally {
      survivor.close();
    }
  });

  it('pauses a member with SIGSTOP and resumes it with SIGCONT', async () => {
    const member = cluster.members[2]!;
    // A client of the two others: a request sent to a paused member hangs (no deadline), it does not fail over.
    const others = new Etcd3({ hosts: [cluster.members[0]!.endpoint, cluster.members[1]!.endpoint] });
    try {
      await member.signal('SIGSTOP');
      await others.put('baton/paused').value('yes');
      await cluster.members[0]!.healthy();
      await member.signal('SIGCONT');
      await member.healthy(); // a resumed member catches up first; until then its /health says false
    } finally {
      others.close();
    }
  });
});
