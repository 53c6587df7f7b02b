import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMarkdown } from '../src/report/render-markdown.js';
import type { BenchResults } from '../src/results.js';
import { EtcdServer, etcdVersion } from '../src/servers/etcd-server.js';
import { stopAll } from '../src/servers/managed-process.js';
import { summarize } from '../src/statistics.js';
import { prefixEnd } from '../src/systems/etcd-fifo-client.js';
import { openLockClient } from '../src/systems/lock-client.js';
import { describeSystem } from '../src/systems/system-ids.js';
import type { SystemTarget } from '../src/systems/system-target.js';
import { evaluateTargets } from '../src/targets.js';
import { prepareHandoff, readCounter } from '../src/workloads/handoff.js';
import { prepareSequential } from '../src/workloads/sequential.js';
import type { HandoffResult, SequentialResult } from '../src/worker/tasks.js';
import { sampleResults } from './fixtures.js';

/** The sample run with the replicated systems and a failover. */
function replicatedResults(): BenchResults {
  const results = sampleResults();
  const w1 = (pair: number[], acquire: number[]) => ({ pairMedianUs: summarize(pair), pairP99Us: summarize(pair.map((value) => value * 3)), acquireMedianUs: summarize(acquire), pairsPerRun: summarize([500, 500, 500]) });
  const w2 = (rates: number[]) => ({ pairsPerSecond: summarize(rates), clientCpuUsPerPair: summarize([35, 36, 34]) });
  results.w1!.systems['baton-group-tcp'] = w1([5000, 5200, 6000], [2400, 2600, 3000]);
  results.w1!.systems['etcd-cluster'] = w1([7000, 7000, 7000], [4000, 4000, 4000]);
  results.w1!.systems['etcd-txn'] = w1([2000, 2000, 2000], [2000, 2000, 2000]);
  for (const variant of results.w2!.variants) {
    variant.systems['baton-group-tcp'] = w2([6000, 4000, 5000]);
    variant.systems['etcd-cluster'] = w2([500, 500, 500]);
  }
  results.failover = {
    system: 'baton-group-tcp',
    kills: 3,
    electionLeaseSeconds: 2,
    firstGrantMs: summarize([1700, 1990, 1690]),
    electedMs: summarize([1680, 1970, 1675]),
    runs: [
      { kill: 1, from: 'tcp://127.0.0.1:1', to: 'tcp://127.0.0.1:2', electedMs: 1680, firstGrantMs: 1700 },
      { kill: 2, from: 'tcp://127.0.0.1:2', to: 'tcp://127.0.0.1:3', electedMs: 1970, firstGrantMs: 1990 },
      { kill: 3, from: 'tcp://127.0.0.1:3', to: 'tcp://127.0.0.1:1', electedMs: 1675, firstGrantMs: 1690 },
    ],
  };
  return results;
}

describe('replicated systems', () => {
  it('are their own family, apart from the single-member etcd and the memory-mode Baton', () => {
    expect(describeSystem('baton-group-tcp')).toEqual({ family: 'baton', transport: 'tcp', replicated: true });
    expect(describeSystem('etcd-fifo')).toEqual({ family: 'etcd', replicated: true });
    expect(describeSystem('etcd')).toEqual({ family: 'etcd' });
  });

  it('are judged against etcd transactions in W1 and etcd3’s lock in W2, repetition by repetition', () => {
    const targets = new Map(evaluateTargets(replicatedResults()).map((target) => [target.id, target]));
    // pair ÷ (2 × txn): 5000/4000, 5200/4000, 6000/4000
    expect(targets.get('w1-group-vs-txn')!.measured!.runs).toEqual([1.25, 1.3, 1.5]);
    expect(targets.get('w1-group-vs-txn')!.met).toBe(true);
    // acquire ÷ txn: 1.2, 1.3, 1.5
    expect(targets.get('w1-group-acquire-vs-txn')!.measured!.median).toBeCloseTo(1.3);
    expect(targets.get('w2-1p-group-vs-etcd-cluster')!.measured!.median).toBe(10);
    expect(targets.get('w2-1p-group-vs-etcd-cluster')!.met).toBe(true);
    expect(targets.get('w2-2p-group-vs-etcd-cluster')!.short).toMatch(/etcd×3/);
  });

  it('are left out of the targets of runs without them', () => {
    expect(evaluateTargets(sampleResults()).some((target) => target.id.includes('group'))).toBe(false);
  });

  it('show the two-transaction column and the failover table', () => {
    const markdown = renderMarkdown(replicatedResults());
    expect(markdown).toContain('÷ two etcd ×3 txns');
    expect(markdown).toMatch(/Baton tcp, group of 3 on etcd ×3 .*\|\s+1\.30 \(1\.25–1\.50\)× \|/);
    expect(markdown).toContain('the leader killed (SIGKILL) 3 times');
    expect(markdown).toMatch(/first grant by the next leader\s+\|\s+1,700 \(1,690–1,990\)/);
  });

  it('range over a prefix up to its successor', () => {
    expect(prefixEnd(Buffer.from('fifo/r/')).toString()).toBe('fifo/r0');
    expect([...prefixEnd(Buffer.from([0x61, 0xff]))]).toEqual([0x62]);
  });
});

// etcd's FIFO recipe and the transaction probe against a real (single-member) etcd: the recipe excludes and queues.
const etcdInstalled = (await etcdVersion()) !== undefined;
describe.skipIf(!etcdInstalled)('etcd’s FIFO recipe against a real etcd', () => {
  const directory = mkdtempSync(join(tmpdir(), 'bench-etcd-fifo-'));
  let target: SystemTarget;

  beforeAll(async () => {
    const etcd = await EtcdServer.start(directory);
    target = { kind: 'etcd-fifo', endpoints: [etcd.endpoint] };
  });

  /** Until `count` keys are under `prefix` (each waiter has put its key). */
  const keysUnder = async (prefix: string, count: number) => {
    const client = new Etcd3({ hosts: (target as { endpoints: string[] }).endpoints });
    try {
      while ((await client.getAll().prefix(prefix).keys()).length < count) await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      client.close();
    }
  };

  afterAll(async () => {
    await stopAll();
    rmSync(directory, { recursive: true, force: true });
  });

  it('lets one holder in at a time, and the counter adds up', async () => {
    const counterFile = join(directory, 'counter.txt');
    writeFileSync(counterFile, '0');
    const job = await prepareHandoff({ kind: 'handoff', target, clients: 4, resource: 'w3', counterFile, warmupMs: 50, durationMs: 400 }, 'test');
    const result = (await job.run()) as HandoffResult;
    await job.dispose();
    const total = result.acquisitionsPerClient.reduce((sum, count) => sum + count, 0);
    expect(total).toBeGreaterThan(4);
    expect(readCounter(counterFile).value).toBe(total + result.warmupAcquisitions);
  });

  it('grants in the order the requests reached etcd', async () => {
    const [first, second, third] = await Promise.all([0, 1, 2].map((index) => openLockClient(target, `order-${index}`)));
    const order: string[] = [];
    const held = await first!.acquire('order');
    const waitSecond = second!.acquire('order').then((lock) => (order.push('second'), lock));
    // The second's key exists before the third asks: it waits on the first, the third behind it.
    await keysUnder('fifo/order/', 2);
    const waitThird = third!.acquire('order').then((lock) => (order.push('third'), lock));
    await keysUnder('fifo/order/', 3);
    expect(order).toEqual([]);
    await held.release();
    const secondLock = await waitSecond;
    expect(order).toEqual(['second']);
    await secondLock.release();
    await (await waitThird).release();
    expect(order).toEqual(['second', 'third']);
    await Promise.all([first, second, third].map((client) => client!.close()));
  });

  it('times one transaction as a W1 pair', async () => {
    const txn: SystemTarget = { kind: 'etcd-txn', endpoints: (target as { endpoints: string[] }).endpoints };
    const job = await prepareSequential({ kind: 'sequential', target: txn, resource: 'r', warmupPairs: 5, warmupMs: 1000, maxPairs: 20, maxMs: 5000 }, 'test');
    const result = (await job.run()) as SequentialResult;
    await job.dispose();
    expect(result.pair.count).toBe(20);
    expect(result.acquire.median).toBeGreaterThan(0);
  });
});
