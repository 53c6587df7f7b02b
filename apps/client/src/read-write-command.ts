import { isBatonError } from '@baton/client';
import type { Lock } from '@baton/client';
import type { CommonOptions } from './connection-options.js';
import { isLockLoss } from './exit-codes.js';
import { holdFor } from './hold.js';
import { connectFromOptions } from './connection-options.js';
import { resourceFile, resourceFilePath } from './resource-file.js';

export interface ReadWriteArguments {
  resource: string;
  operation: 'READ' | 'WRITE';
  value: string | undefined;
  sleepSeconds: number;
  waitMs?: number;
}

/**
 * The seed's program: lock the resource (READ shared, WRITE exclusive), hold
 * it for `sleepSeconds`, read or write its file, unlock. Prints the seed's lines.
 */
export async function readWrite(arguments_: ReadWriteArguments, options: CommonOptions): Promise<void> {
  const { resource, operation, value, sleepSeconds } = arguments_;
  const file = resourceFile(resourceFilePath(options.dataDir, resource));
  const client = await connectFromOptions(options, `lock-client-${process.pid}`);
  try {
    console.log(`REQUESTING lock for resource: ${resource}`);
    let lock: Lock;
    try {
      lock = await client.acquire(resource, {
        mode: operation === 'READ' ? 'shared' : 'exclusive',
        waitMs: arguments_.waitMs,
        onQueued: (position) => console.log(`QUEUED for ${resource} at position ${position}`),
      });
    } catch (error) {
      // TIMEOUT (--wait-ms ran out), UNAVAILABLE (the server could not be reached), SHUTTING_DOWN...
      if (isBatonError(error)) console.log(`NOT LOCKED ${resource} [${error.code}]: ${error.message}`);
      throw error;
    }
    console.log(`LOCKED ${resource}`);
    try {
      if (sleepSeconds > 0) {
        // The wait begins before the line says so: once "Sleeping" is out, its
        // timer is running (a test that pauses the process on this line relies on it).
        const holding = holdFor(sleepSeconds * 1000, lock.signal);
        console.log(`Sleeping for ${sleepSeconds} seconds...`);
        await holding;
      }
      // By the clock, right now, and again under the file's mutex right before
      // the access: a process resumed from a pause learns here that its lease
      // is gone, before its timers have run. The fence stays the final guard.
      lock.assertHeld();
      const check = () => lock.assertHeld();
      if (operation === 'WRITE') {
        file.write(value ?? '', lock.token, { check });
        console.log(`WROTE '${value ?? ''}' to ${resource}`);
      } else {
        console.log(`READ from ${resource}: ${file.read(undefined, { check })}`);
      }
    } catch (error) {
      if (isLockLoss(error)) console.log(`LOST ${resource} before ${operation === 'WRITE' ? 'writing' : 'reading'}: ${(error as Error).message}`);
      throw error;
    } finally {
      await lock.release();
    }
    console.log(`UNLOCKED ${resource}`);
  } finally {
    await client.close();
  }
}
