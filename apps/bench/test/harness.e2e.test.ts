import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeFairness } from '../src/fairness.js';
import { BatonServer } from '../src/servers/baton-server.js';
import { EchoServer } from '../src/servers/echo-server.js';
import { stopAll } from '../src/servers/managed-process.js';
import type { SystemTarget } from '../src/systems/system-target.js';
import { readCounter } from '../src/workloads/handoff.js';
import { prepareHandoff } from '../src/workloads/handoff.js';
import { prepareSequential } from '../src/workloads/sequential.js';
import { prepareSessions } from '../src/workloads/sessions.js';
import { prepareThroughput } from '../src/workloads/throughput.js';
import type { HandoffResult, SequentialResult, SessionsResult, ThroughputResult } from '../src/worker/tasks.js';

// The workloads against real processes on 127.0.0.1, small: the harness works end to end.
describe('the benchmark harness against real servers', () => {
  const directory = mkdtempSync(join(tmpdir(), 'bench-harness-'));
  let echo: EchoServer;
  let baton: BatonServer;

  beforeAll(async () => {
    [echo, baton] = await Promise.all([EchoServer.start(directory), BatonServer.start({ cwd: directory, memoryProbe: true })]);
  });

  afterAll(async () => {
    await stopAll();
    rmSync(directory, { recursive: true, force: true });
  });

  it.each(['tcp', 'zmq', 'ws'] as const)('times sequential pairs against the raw %s echo', async (transport) => {
    const target: SystemTarget = { kind: 'raw', transport, host: '127.0.0.1', port: echo.ports[transport] };
    const job = await prepareSequential({ kind: 'sequential', target, resource: 'r', warmupPairs: 20, warmupMs: 1000, maxPairs: 50, maxMs: 5000 }, 'test');
    const result = (await job.run()) as SequentialResult;
    await job.dispose();
    expect(result.pair.count).toBe(50);
    expect(result.pair.median).toBeGreaterThan(0);
    expect(result.acquire.median).toBeLessThan(result.pair.median);
  });

  it.each(['tcp', 'zmq', 'ws'] as const)('counts pairs of many Baton clients over %s', async (transport) => {
    const target: SystemTarget = { kind: 'baton', transport, url: baton.urls[transport] };
    const job = await prepareThroughput({ kind: 'throughput', target, clients: 8, resourcePrefix: `t-${transport}-`, warmupMs: 50, durationMs: 200 }, 'test');
    const result = (await job.run()) as ThroughputResult;
    await job.dispose();
    expect(result.pairs).toBeGreaterThan(8);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(200);
  });

  it('hands one resource round Baton clients in FIFO order, and the counter adds up', async () => {
    const counterFile = join(directory, 'counter.txt');
    writeFileSync(counterFile, '0');
    const target: SystemTarget = { kind: 'baton', transport: 'tcp', url: baton.urls.tcp };
    const job = await prepareHandoff({ kind: 'handoff', target, clients: 4, resource: 'w3', counterFile, warmupMs: 100, durationMs: 300 }, 'test');
    const result = (await job.run()) as HandoffResult;
    await job.dispose();
    const total = result.acquisitionsPerClient.reduce((sum, count) => sum + count, 0);
    // The warm-up's acquisitions are in the file but not in the measurements.
    expect(result.warmupAcquisitions).toBeGreaterThan(0);
    expect(result.waitsMs).toHaveLength(total);
    expect(readCounter(counterFile).value).toBe(total + result.warmupAcquisitions);
    expect(result.handoffs).toBe(total);
    expect(computeFairness(result.waitsMs, result.acquisitionsPerClient).withinOneOfEqualShare).toBe(true);
  });

  it('holds many locks in many sessions without trouble, and reports server memory', async () => {
    const before = await baton.memory();
    const target: SystemTarget = { kind: 'baton', transport: 'tcp', url: baton.urls.tcp };
    const job = await prepareSessions({ kind: 'sessions', target, sessions: 20, locksPerSession: 5, resourcePrefix: 's-', concurrency: 10 }, 'test');
    const grown = (await job.run({ action: 'grow', locksPerSession: 10 })) as SessionsResult;
    const held = (await job.run({ action: 'hold', ms: 50 })) as SessionsResult;
    await job.dispose();
    expect(grown.held).toBe(200);
    expect(held.troubles).toBe(0);
    expect(before.vmRssBytes).toBeGreaterThan(0);
    expect(before.heapUsedBytes).toBeGreaterThan(0);
  });
});
