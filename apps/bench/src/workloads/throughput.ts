import { performance } from 'node:perf_hooks';
import type { LockClient } from '../systems/lock-client.js';
import { openLockClient } from '../systems/lock-client.js';
import type { JobCommand, ThroughputResult, ThroughputTask } from '../worker/tasks.js';
import type { Job } from './job.js';
import { closeAll, forEachLimited } from './job.js';

/**
 * W2: `clients` clients, each looping acquire + release on its own resource
 * until the time is up. Counted: pairs completed, over the time from the
 * start until the last client's last pair ended.
 */
export async function prepareThroughput(task: ThroughputTask, name: string): Promise<Job> {
  const clients: LockClient[] = new Array<LockClient>(task.clients);
  await forEachLimited(clients, 16, async (_unused, index) => {
    clients[index] = await openLockClient(task.target, `${name}-${index}`);
  }).catch(async (error: unknown) => {
    await closeAll(clients.filter(Boolean));
    throw error;
  });
  const loop = async (until: number): Promise<number> => {
    const counts = await Promise.all(
      clients.map(async (client, index) => {
        const resource = `${task.resourcePrefix}${index}`;
        let pairs = 0;
        while (performance.now() < until) {
          const lock = await client.acquire(resource);
          await lock.release();
          pairs++;
        }
        return pairs;
      }),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  };
  await loop(performance.now() + task.warmupMs);
  return {
    /** Measure for the task's duration, or for one block of `ms`. */
    async run(command?: JobCommand): Promise<ThroughputResult> {
      const durationMs = command?.action === 'block' ? command.ms : task.durationMs;
      const cpu = process.cpuUsage();
      const start = performance.now();
      const pairs = await loop(start + durationMs);
      const elapsedMs = performance.now() - start;
      const used = process.cpuUsage(cpu);
      return { pairs, elapsedMs, clientCpuUs: used.user + used.system };
    },
    dispose: () => closeAll(clients),
  };
}
