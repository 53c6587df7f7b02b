import { performance } from 'node:perf_hooks';
import { summarizeLatencies } from '../statistics.js';
import { openLockClient } from '../systems/lock-client.js';
import type { JobCommand, SequentialResult, SequentialTask } from '../worker/tasks.js';
import type { Job } from './job.js';

/**
 * W1 (and W4's latency probe): one client acquires and releases one resource
 * over and over, each pair timed on its own. Warm-up pairs come first, so
 * the JIT and the connection are warm when measuring starts. `run()`
 * measures once; `run({action:'block'})` measures a block and keeps the
 * samples until `run({action:'result'})` summarises them all.
 */
export async function prepareSequential(task: SequentialTask, name: string): Promise<Job> {
  const client = await openLockClient(task.target, name);
  const warmupEnd = performance.now() + task.warmupMs;
  for (let index = 0; index < task.warmupPairs && performance.now() < warmupEnd; index++) {
    const lock = await client.acquire(task.resource);
    await lock.release();
  }
  let pairs: number[] = [];
  let acquires: number[] = [];
  /** Pairs until `maxPairs` more are done or `ms` have passed (at least one pair). */
  const measure = async (maxPairs: number, ms: number) => {
    const end = performance.now() + ms;
    for (let count = 0; count < maxPairs; count++) {
      const start = performance.now();
      if (start >= end && count > 0) break;
      const lock = await client.acquire(task.resource);
      const held = performance.now();
      await lock.release();
      const done = performance.now();
      acquires.push((held - start) * 1000);
      pairs.push((done - start) * 1000);
    }
  };
  const result = (): SequentialResult => {
    const summary = { pair: summarizeLatencies(pairs), acquire: summarizeLatencies(acquires) };
    pairs = [];
    acquires = [];
    return summary;
  };
  return {
    async run(command?: JobCommand): Promise<SequentialResult | undefined> {
      if (command?.action === 'block') {
        await measure(command.maxPairs ?? task.maxPairs, command.ms);
        return undefined;
      }
      if (command?.action === 'result') return result();
      await measure(task.maxPairs, task.maxMs);
      return result();
    },
    dispose: () => client.close(),
  };
}
