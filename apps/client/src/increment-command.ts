import { appendFileSync } from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import { isBatonError } from '@baton/client';
import type { Lock } from '@baton/client';
import type { CommonOptions } from './connection-options.js';
import { StaleTokenError } from '@baton/fenced-file';
import { isLockLoss } from './exit-codes.js';
import { holdFor } from './hold.js';
import { connectFromOptions } from './connection-options.js';
import { parseCounter, resourceFile, resourceFilePath } from './resource-file.js';

/**
 * SHUTTING_DOWN or UNAVAILABLE this many times in a row (no grant between)
 * and the counter gives up: the server is not coming back.
 */
export const MAX_REFUSALS_IN_A_ROW = 3;

/**
 * The file refused this many writes in a row as STALE_TOKEN while the lock
 * was still held by the clock, and the counter gives up: the file has seen a
 * token newer than any the server now grants, which happens when the server
 * restarted without its state file (`--no-state-file`). Redoing the
 * iteration could never succeed.
 */
export const MAX_STALE_WHILE_HELD_IN_A_ROW = 3;

export interface IncrementArguments {
  resource: string;
  iterations: number;
  file?: string;
  verbose: boolean;
  /** Hold each lock this long before writing, to simulate work (and make contention visible). */
  holdMs: number;
  /**
   * Append one JSON line per lock held to this file: `{"pid","resource","token","from","to"}`, the
   * times in nanoseconds of CLOCK_MONOTONIC (process.hrtime), from the grant's arrival to the moment
   * this process stopped believing it held the lock (it called release, or the lock's signal aborted).
   * The clock is the machine's, so the lines of several processes can be checked for overlaps.
   */
  timeline?: string;
}

/** One line of the `--timeline` file. */
export interface TimelineEntry {
  pid: number;
  resource: string;
  token: string;
  /** Nanoseconds on CLOCK_MONOTONIC, as decimal strings (they exceed 2^53). */
  from: string;
  to: string;
}

/**
 * The seed's counter program: `iterations` times, lock the resource, read the
 * number in the file, add one, write it back, unlock. With several processes
 * at once the final number is exactly processes × iterations — or the lock
 * service is broken.
 *
 * An iteration whose lock is lost before its write lands (the process was
 * paused past its lease, say) is not counted and is done again: the fenced
 * file refuses the stale write, so the total stays exact.
 */
export async function increment(arguments_: IncrementArguments, options: CommonOptions): Promise<void> {
  const { resource, iterations, verbose } = arguments_;
  const path = arguments_.file ?? resourceFilePath(options.dataDir, resource);
  const file = resourceFile(path);
  const client = await connectFromOptions(options, `counter-${process.pid}`);
  const bar = !verbose && process.stdout.isTTY ? new SingleBar({ format: `${resource} [{bar}] {value}/{total} increments` }, Presets.shades_classic) : undefined;
  bar?.start(iterations, 0);
  let sum = 0;
  let retries = 0;
  let refusalsInARow = 0;
  let staleWhileHeldInARow = 0;
  try {
    for (let iteration = 1; iteration <= iterations; iteration++) {
      if (verbose) {
        console.log(`Iteration = ${iteration}`);
        console.log('Sent request to server');
      }
      let lock: Lock;
      try {
        lock = await client.acquire(resource);
        refusalsInARow = 0;
      } catch (error) {
        // Nothing was done in this iteration, so asking again keeps the count
        // exact. SESSION_ENDED: the session ended under the waiting request
        // (its lease ran out while the process was paused, say) and the SDK
        // has opened a new one. SHUTTING_DOWN / UNAVAILABLE: the server stopped
        // or could not be reached; the SDK reconnects, and a server that is
        // back gets the request — but not forever.
        const code = isBatonError(error) ? error.code : undefined;
        if (code === 'SESSION_ENDED') {
          process.stderr.write(`SESSION ENDED while waiting for ${resource} in iteration ${iteration}; asking again\n`);
        } else if ((code === 'SHUTTING_DOWN' || code === 'UNAVAILABLE') && ++refusalsInARow < MAX_REFUSALS_IN_A_ROW) {
          process.stderr.write(`${code} while waiting for ${resource} in iteration ${iteration}; asking again\n`);
        } else {
          throw error;
        }
        iteration--;
        continue;
      }
      if (verbose) console.log('Received grant from server');
      const lockedAt = process.hrtime.bigint();
      let believedUntil: bigint | undefined;
      const stopBelieving = () => {
        believedUntil ??= process.hrtime.bigint();
      };
      lock.signal.addEventListener('abort', stopBelieving, { once: true });
      try {
        sum = await incrementOnce(file, path, lock, arguments_.holdMs, verbose);
        if (verbose) console.log(`sum is ${sum}`);
      } catch (error) {
        if (!isLockLoss(error)) throw error;
        if (error instanceof StaleTokenError && lock.expiresIn() > 0) {
          if (++staleWhileHeldInARow >= MAX_STALE_WHILE_HELD_IN_A_ROW) {
            throw new Error(
              `${path} refused ${MAX_STALE_WHILE_HELD_IN_A_ROW} writes in a row with locks that were still held (token ${lock.token}): it has seen a newer token than this server grants — was the server restarted without its state file?`,
              { cause: error },
            );
          }
        } else {
          staleWhileHeldInARow = 0;
        }
        process.stderr.write(`LOST ${resource} during iteration ${iteration} (${(error as Error).message}); not counted, doing it again\n`);
        retries++;
        iteration--;
        continue;
      } finally {
        stopBelieving();
        lock.signal.removeEventListener('abort', stopBelieving);
        if (arguments_.timeline !== undefined) {
          const entry: TimelineEntry = { pid: process.pid, resource, token: lock.token, from: lockedAt.toString(), to: String(believedUntil) };
          appendFileSync(arguments_.timeline, `${JSON.stringify(entry)}\n`);
        }
        await lock.release().catch(() => {});
      }
      staleWhileHeldInARow = 0;
      if (verbose) console.log('Sent release to server');
      bar?.update(iteration);
    }
  } finally {
    bar?.stop();
    await client.close();
  }
  console.log(`sum is ${sum}`);
  if (retries > 0) console.log(`(${retries} iteration(s) lost their lock and were done again)`);
}

async function incrementOnce(file: ReturnType<typeof resourceFile>, path: string, lock: Lock, holdMs: number, verbose: boolean): Promise<number> {
  const check = () => lock.assertHeld();
  const value = parseCounter(path, file.read(lock.token, { check })) + 1;
  if (holdMs > 0) {
    // The wait begins before the line says so (tests pause the process on it).
    const holding = holdFor(holdMs, lock.signal);
    if (verbose) console.log(`Holding for ${holdMs} ms`);
    await holding;
  }
  // By the clock, right now (a resumed process's timers may not have run yet),
  // under the file's mutex right before the compare; the fence stays the final guard.
  file.write(`${value}\n`, lock.token, { check });
  return value;
}
