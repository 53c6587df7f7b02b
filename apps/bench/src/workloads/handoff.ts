import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { HandoffResult, HandoffTask } from '../worker/tasks.js';
import type { Job } from './job.js';
import { closeAll, openLockClients } from './job.js';

/** What the counter file holds: the count, and who wrote it last. */
export interface CounterState {
  value: number;
  /** The client that incremented it last, or undefined for a fresh file. */
  holder: string | undefined;
}

/** Read `"<count>"` or `"<count> <holder>"`. */
export function readCounter(file: string): CounterState {
  const [value, holder] = readFileSync(file, 'utf8').trim().split(' ');
  return { value: Number(value), holder: holder === undefined || holder === '' ? undefined : holder };
}

/**
 * The holder's work: read the counter, add one, write it back with its own
 * name, and say who held the lock before (so a hand-off to another client
 * can be told from a client taking the lock again right after itself).
 */
export function incrementCounter(file: string, holder: string): CounterState {
  const previous = readCounter(file);
  writeFileSync(file, `${previous.value + 1} ${holder}`);
  return previous;
}

/**
 * W3: `clients` clients on ONE resource. Each asks, waits until it holds
 * the lock, increments the counter file, releases, and asks again, until
 * the time is up. The file's final value must equal the number of
 * acquisitions: anything else means two holders at once. A hand-off is an
 * acquisition by another client than the one that held the lock last (a
 * client that takes the lock again right after releasing it, as Redis
 * allows, hands nothing off).
 */
export async function prepareHandoff(task: HandoffTask, name: string): Promise<Job> {
  const clients = await openLockClients(task.target, task.clients, name);
  return {
    async run(): Promise<HandoffResult> {
      const waitsMs: number[] = [];
      let handoffs = 0;
      let maxHoldMs = 0;
      let totalHoldMs = 0;
      let warmupAcquisitions = 0;
      const start = performance.now() + task.warmupMs;
      const until = start + task.durationMs;
      const acquisitionsPerClient = await Promise.all(
        clients.map(async (client, index) => {
          const me = `${name}-${index}`;
          let acquisitions = 0;
          while (performance.now() < until) {
            const asked = performance.now();
            const lock = await client.acquire(task.resource);
            const held = performance.now();
            const previous = incrementCounter(task.counterFile, me);
            const holdMs = performance.now() - held;
            await lock.release();
            if (asked < start) {
              warmupAcquisitions++;
              continue;
            }
            waitsMs.push(held - asked);
            if (previous.holder !== me) handoffs++;
            acquisitions++;
            totalHoldMs += holdMs;
            if (holdMs > maxHoldMs) maxHoldMs = holdMs;
          }
          return acquisitions;
        }),
      );
      const acquisitions = acquisitionsPerClient.reduce((sum, count) => sum + count, 0);
      return { acquisitionsPerClient, warmupAcquisitions, waitsMs, handoffs, meanHoldMs: acquisitions === 0 ? 0 : totalHoldMs / acquisitions, maxHoldMs, elapsedMs: performance.now() - start };
    },
    dispose: () => closeAll(clients),
  };
}
