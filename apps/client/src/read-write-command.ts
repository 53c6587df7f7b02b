import type { CommonOptions } from './connection-options.js';
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
    const lock = await client.acquire(resource, {
      mode: operation === 'READ' ? 'shared' : 'exclusive',
      waitMs: arguments_.waitMs,
    });
    console.log(`LOCKED ${resource}`);
    try {
      if (sleepSeconds > 0) {
        console.log(`Sleeping for ${sleepSeconds} seconds...`);
        await holdFor(sleepSeconds * 1000, lock.signal);
      }
      // By the clock, right now: a process resumed from a pause learns here
      // that its lease is gone, before its timers have run.
      try {
        lock.assertHeld();
      } catch (error) {
        console.log(`LOST ${resource} before ${operation === 'WRITE' ? 'writing' : 'reading'}: ${(error as Error).message}`);
        throw error;
      }
      if (operation === 'WRITE') {
        file.write(value ?? '', lock.token);
        console.log(`WROTE '${value ?? ''}' to ${resource}`);
      } else {
        console.log(`READ from ${resource}: ${file.read()}`);
      }
    } finally {
      await lock.release();
    }
    console.log(`UNLOCKED ${resource}`);
  } finally {
    await client.close();
  }
}
