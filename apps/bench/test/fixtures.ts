import type { BenchResults } from '../src/results.js';
import { summarize } from '../src/statistics.js';

/** A small but complete results file: three repetitions, every workload. */
export function sampleResults(): BenchResults {
  const w1 = (pair: number[], p99: number[]) => ({
    pairMedianUs: summarize(pair),
    pairP99Us: summarize(p99),
    acquireMedianUs: summarize(pair.map((value) => value / 2)),
    pairsPerRun: summarize([5000, 5000, 5000]),
  });
  const w2 = (rates: number[]) => ({ pairsPerSecond: summarize(rates), serverCpuUsPerPair: summarize([30, 31, 29]), clientCpuUsPerPair: summarize([35, 36, 34]) });
  const w3 = (handoffs: number[], acquisitions: number[], within: boolean, retry?: number) => ({
    handoffsPerSecond: summarize(handoffs),
    acquisitionsPerSecond: summarize(acquisitions),
    maxOverMedianWait: summarize([1.5, 1.6, 1.7]),
    medianWaitMs: summarize([5, 5.1, 5.2]),
    maxWaitMs: summarize([8, 8.1, 8.2]),
    meanHoldMs: summarize([0.2, 0.2, 0.2]),
    maxHoldMs: summarize([2, 3, 4]),
    minAcquisitions: [100, 101, 99],
    maxAcquisitions: [101, 102, within ? 100 : 140],
    equalShare: [100.5, 101.5, within ? 99.5 : 110],
    withinOneOfEqualShare: within,
    counterCorrect: true,
    ...(retry === undefined ? {} : { retryDelayMs: retry, retryJitterMs: retry / 2 }),
  });
  return {
    format: 1,
    startedAt: '2026-11-25T08:00:00.000Z',
    finishedAt: '2026-11-25T08:05:00.000Z',
    durationMs: 300_000,
    mode: 'full',
    repetitions: 3,
    command: 'pnpm bench',
    machine: { cpus: 2, cpuModel: 'Test CPU', memoryGiB: 24, node: 'v20.20.2', platform: 'linux x64', loadAverageAtStart: 0.1, peers: { redis: '7.0.15', etcd: '3.4.23' } },
    skipped: [],
    errors: [],
    w1: {
      maxPairs: 5000,
      maxMs: 1500,
      blocks: 10,
      placement: 'one CPU (1)',
      systems: {
        'baton-tcp': w1([100, 110, 90], [300, 310, 290]),
        'raw-tcp': w1([50, 50, 50], [100, 100, 100]),
        'baton-zmq': w1([200, 200, 200], [400, 400, 400]),
        'raw-zmq': w1([180, 180, 180], [300, 300, 300]),
        redis: w1([120, 100, 100], [500, 500, 500]),
        etcd: w1([2500, 2400, 2600], [9000, 9000, 9000]),
      },
    },
    w2: {
      clients: 64,
      durationMs: 2000,
      blocks: 8,
      variants: [
        { processes: 1, clientsPerProcess: 64, systems: { 'baton-tcp': w2([30_000, 32_000, 31_000]), 'raw-tcp': w2([40_000, 40_000, 40_000]), redis: w2([20_000, 20_000, 20_000]), etcd: w2([1000, 1000, 1000]) } },
        { processes: 2, clientsPerProcess: 32, systems: { 'baton-tcp': w2([20_000, 20_000, 20_000]), 'raw-tcp': w2([40_000, 40_000, 40_000]), redis: w2([25_000, 25_000, 25_000]), etcd: w2([1000, 1000, 1000]) } },
      ],
    },
    w3: {
      clients: 16,
      durationMs: 3000,
      systems: {
        'baton-tcp': w3([3000, 3100, 2900], [3000, 3100, 2900], true),
        'redis-retry-2ms': w3([1000, 1000, 1000], [2500, 2500, 2500], false, 2),
        'redis-retry-200ms': w3([50, 50, 50], [1900, 1900, 1900], false, 200),
      },
    },
    w4: {
      system: 'baton-tcp',
      sessions: 1000,
      heldLocks: 100_000,
      smallHeldLocks: 1000,
      connectedSessions: 10_000,
      probePlacement: 'one CPU (1)',
      acquireMedianUsSmall: summarize([60, 61, 59]),
      acquireMedianUsLarge: summarize([63, 60, 62]),
      acquireP99UsSmall: summarize([200, 210, 190]),
      acquireP99UsLarge: summarize([220, 230, 210]),
      heapBytesPerLock: 520,
      rssBytesPerLock: 900,
      rssBytesPerSession: 13_000,
      heapBytesPerSession: 4_000,
      acquireAllMs: 4000,
      connectSessionsMs: 3000,
      troubles: 0,
      troubleSamples: [],
      memory: [],
    },
    targets: [],
    checks: [],
  };
}
