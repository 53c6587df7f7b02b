import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import type { HeldLock, LockClient } from '../systems/lock-client.js';
import { openBatonClient } from '../systems/baton-client.js';
import type { JobCommand, SessionsResult, SessionsTask } from '../worker/tasks.js';
import type { Job } from './job.js';
import { closeAll, forEachLimited } from './job.js';

/**
 * W4: `sessions` Baton sessions, each holding `locksPerSession` locks on
 * resources of its own, all at once. Commands then grow the locks per
 * session, or hold everything for a while (long enough for keepalives to
 * run) while counting every sign of trouble the SDK reports.
 */
export async function prepareSessions(task: SessionsTask, name: string): Promise<Job> {
  if (task.target.kind !== 'baton') throw new Error('the sessions task runs against Baton only');
  const target = task.target;
  const started = performance.now();
  const troubleSamples: string[] = [];
  let troubles = 0;
  const onTrouble = (event: { type: string }) => {
    troubles++;
    if (troubleSamples.length < 5) troubleSamples.push(JSON.stringify(event));
  };
  const clients: LockClient[] = new Array<LockClient>(task.sessions);
  const held: HeldLock[][] = Array.from({ length: task.sessions }, () => []);
  let locksPerSession = 0;

  const acquireUpTo = async (count: number) => {
    await forEachLimited(clients, task.concurrency, async (client, session) => {
      const mine = held[session]!;
      const wanted = Array.from({ length: count - mine.length }, (_unused, offset) => `${task.resourcePrefix}${session}-${mine.length + offset}`);
      mine.push(...(await Promise.all(wanted.map((resource) => client.acquire(resource)))));
    });
    locksPerSession = count;
  };

  try {
    await forEachLimited(clients, task.concurrency, async (_unused, index) => {
      clients[index] = await openBatonClient(target, `${name}-${index}`, { onTrouble });
    });
    await acquireUpTo(task.locksPerSession);
  } catch (error) {
    await closeAll(clients.filter(Boolean));
    throw error;
  }

  const result = (): SessionsResult => ({
    sessions: clients.length,
    held: clients.length * locksPerSession,
    troubles,
    troubleSamples,
    elapsedMs: performance.now() - started,
  });

  return {
    async run(command?: JobCommand): Promise<SessionsResult> {
      if (command?.action === 'grow') await acquireUpTo(command.locksPerSession);
      else if (command?.action === 'hold') await sleep(command.ms);
      return result();
    },
    dispose: () => closeAll(clients),
  };
}
