import type { LockClient } from '../systems/lock-client.js';
import { openLockClient } from '../systems/lock-client.js';
import type { SystemTarget } from '../systems/system-target.js';
import type { JobCommand } from '../worker/tasks.js';

/** A prepared task inside a worker: measured by `run`, cleaned up by `dispose`. */
export interface Job {
  run(command?: JobCommand): Promise<unknown>;
  dispose(): Promise<void>;
}

/** Run `work` over `items` with at most `limit` at a time; rejects on the first failure, after the others settled. */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: Error | undefined;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && failure === undefined) {
      const index = next++;
      try {
        await work(items[index]!, index);
      } catch (error) {
        failure ??= error instanceof Error ? error : new Error('a non-Error was thrown', { cause: error });
      }
    }
  });
  await Promise.all(lanes);
  if (failure !== undefined) throw failure;
}

/** Close every client, ignoring the ones that fail to close (the measurement is over). */
export async function closeAll(clients: readonly { close(): Promise<void> }[]): Promise<void> {
  await forEachLimited(clients, 64, async (client) => {
    await client.close().catch(() => {});
  });
}

/** Open `count` clients named `<name>-<index>`, 16 at a time; if one fails, close those opened and rethrow. */
export async function openLockClients(target: SystemTarget, count: number, name: string): Promise<LockClient[]> {
  const clients: LockClient[] = new Array<LockClient>(count);
  await forEachLimited(clients, 16, async (_unused, index) => {
    clients[index] = await openLockClient(target, `${name}-${index}`);
  }).catch(async (error: unknown) => {
    await closeAll(clients.filter(Boolean));
    throw error;
  });
  return clients;
}
