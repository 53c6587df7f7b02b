import { performance } from 'node:perf_hooks';
import type { JobCommand, ThroughputResult, ThroughputTask } from '../worker/tasks.js';
import type { Job } from './job.js';
import { closeAll, openLockClients } from './job.js';

/**
 * W2: `clients` clients, each looping acquire + release on its own resource
 * until the time is up. Counted: pairs completed, over the time from the
 * start until the last client's last pair ended.
 */
export async function prepareThroughput(task: ThroughputTask, name: string): Promise<Job> {
  const clients = await openLockClients(task.target, task.clients, name);
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
