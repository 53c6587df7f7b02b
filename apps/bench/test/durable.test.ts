import { describe, expect, it } from 'vitest';
import { parseOptions, resolveSystems } from '../src/options.js';
import { renderMarkdown } from '../src/report/render-markdown.js';
import { chartPanels } from '../src/report/render-svg.js';
import type { BenchResults } from '../src/results.js';
import { summarize } from '../src/statistics.js';
import { describeSystem } from '../src/systems/system-ids.js';
import { RECOVERY_OF_100K_LOCKS_GOAL_MS, evaluateTargets } from '../src/targets.js';
import { sampleResults } from './fixtures.js';

/** The sample run with the durable systems, the O_DSYNC floor and a W6 recovery. */
function durableResults(): BenchResults {
  const results = sampleResults();
  const w1 = (pair: number[]) => ({ pairMedianUs: summarize(pair), pairP99Us: summarize(pair.map((value) => value * 3)), acquireMedianUs: summarize(pair.map((value) => value / 2)), pairsPerRun: summarize([500, 500, 500]) });
  const w2 = (rates: number[]) => ({ pairsPerSecond: summarize(rates), clientCpuUsPerPair: summarize([35, 36, 34]) });
  results.w1!.systems['baton-durable-tcp'] = w1([600, 650, 700]);
  results.w1!.systems['redis-fsync'] = w1([700, 600, 800]);
  results.w1!.durableWrite = {
    samples: 200,
    medianMs: summarize([0.25, 0.25, 0.25]),
    minimumMs: summarize([0.2, 0.2, 0.2]),
    maximumMs: summarize([0.9, 0.9, 0.9]),
    twoFsyncsUs: summarize([500, 500, 500]),
  };
  for (const variant of results.w2!.variants) {
    variant.systems['baton-durable-tcp'] = w2([20_000, 20_000, 20_000]);
    variant.systems['redis-fsync'] = w2([10_000, 16_000, 20_000]);
  }
  results.w6 = {
    system: 'baton-durable-tcp',
    emptyStartMs: 170,
    runs: [
      { locks: 1000, sessions: 10, stop: 'SIGKILL', loadMs: 40, recoveredSessions: 10, records: 1011, fromSnapshot: false, recoveryMs: 12, spawnToStartedMs: 180, lockKept: true },
      { locks: 1000, sessions: 10, stop: 'SIGTERM', loadMs: 40, recoveredSessions: 10, records: 0, fromSnapshot: true, recoveryMs: 8, spawnToStartedMs: 175, lockKept: true },
    ],
  };
  return results;
}

describe('durable systems', () => {
  it('are a family of their own and in the default set', () => {
    expect(resolveSystems(['durable'])).toEqual(['etcd', 'baton-durable-tcp', 'redis-fsync']);
    expect(parseOptions([]).systems).toContain('baton-durable-tcp');
    expect(describeSystem('baton-durable-tcp')).toEqual({ family: 'baton', transport: 'tcp', durable: true });
    expect(describeSystem('redis-fsync')).toEqual({ family: 'redis', durable: true });
  });

  it('are judged against two fsyncs, Redis with fsync and etcd', () => {
    const targets = new Map(evaluateTargets(durableResults()).map((target) => [target.id, target]));
    expect(targets.get('w1-durable-vs-fsync')!.measured!.median).toBeCloseTo(1.3);
    expect(targets.get('w1-durable-vs-fsync')!.met).toBe(true);
    expect(targets.get('w1-durable-vs-redis-fsync')!.measured!.median).toBeCloseTo(0.875);
    expect(targets.get('w1-durable-vs-etcd')!.met).toBe(true);
    expect(targets.get('w2-1p-durable-vs-etcd')!.measured!.median).toBe(20);
    expect(targets.get('w2-1p-durable-vs-redis-fsync')!.measured!.median).toBe(1.25);
    expect(targets.get('w2-1p-durable-vs-redis-fsync')!.met).toBe(false);
    expect(targets.get('w2-2p-durable-vs-etcd')!.short).toMatch(/durable/);
  });

  it('judges the recovery of 100,000 locks after a SIGKILL against its named bound, and only that size', () => {
    const results = durableResults();
    expect(evaluateTargets(results).some((target) => target.id === 'w6-recovery')).toBe(false);
    results.w6!.runs.push({ locks: 100_000, sessions: 1000, stop: 'SIGKILL', loadMs: 1300, recoveredSessions: 1000, records: 101_001, fromSnapshot: false, recoveryMs: 410, spawnToStartedMs: 580, lockKept: true });
    const recovery = evaluateTargets(results).find((target) => target.id === 'w6-recovery')!;
    expect(recovery.goal).toBe(RECOVERY_OF_100K_LOCKS_GOAL_MS);
    expect(recovery.measured!.median).toBe(410);
    expect(recovery.met).toBe(true);
    results.w6!.runs.at(-1)!.recoveryMs = 2_500;
    expect(evaluateTargets(results).find((target) => target.id === 'w6-recovery')!.met).toBe(false);
  });

  it('adds no durable targets to a run without durable systems', () => {
    expect(evaluateTargets(sampleResults()).some((target) => target.id.includes('durable'))).toBe(false);
  });

  it('shows the floor and the recovery in the report and the chart', () => {
    const results = durableResults();
    results.targets = evaluateTargets(results);
    const markdown = renderMarkdown(results);
    expect(markdown).toMatch(/two O_DSYNC appends \(the durable floor\) +\| +500 \(500–500\)/);
    expect(markdown).toContain('## W6: recovery');
    expect(markdown).toMatch(/1,000 \(10\) +\| +SIGKILL \(log only\) +\| +10 \/ 1,011 +\| +12 \|/);
    const w1 = chartPanels(results).find((panel) => panel.title.startsWith('W1'))!;
    expect(w1.rows.at(-1)!.label).toBe('two O_DSYNC appends (the durable floor)');
  });
});
