import { SingleBar, Presets } from 'cli-progress';
import type { CommonOptions } from './connection-options.js';
import { connectFromOptions } from './connection-options.js';
import { readCounter, resourceFilePath, writeResourceFile } from './resource-file.js';

export interface IncrementArguments {
  resource: string;
  iterations: number;
  file?: string;
  verbose: boolean;
}

/**
 * The seed's counter program: `iterations` times, lock the resource, read the
 * number in the file, add one, write it back, unlock. With several processes
 * at once the final number is exactly processes × iterations — or the lock
 * service is broken.
 */
export async function increment(arguments_: IncrementArguments, options: CommonOptions): Promise<void> {
  const { resource, iterations, verbose } = arguments_;
  const path = arguments_.file ?? resourceFilePath(options.dataDir, resource);
  const client = await connectFromOptions(options, `counter-${process.pid}`);
  const bar = !verbose && process.stdout.isTTY ? new SingleBar({ format: `${resource} [{bar}] {value}/{total} increments` }, Presets.shades_classic) : undefined;
  bar?.start(iterations, 0);
  let sum = 0;
  try {
    for (let iteration = 1; iteration <= iterations; iteration++) {
      if (verbose) {
        console.log(`Iteration = ${iteration}`);
        console.log('Sent request to server');
      }
      const lock = await client.acquire(resource);
      if (verbose) console.log('Received grant from server');
      try {
        lock.signal.throwIfAborted();
        sum = readCounter(path) + 1;
        writeResourceFile(path, `${sum}\n`);
        if (verbose) console.log(`sum is ${sum}`);
      } finally {
        await lock.release();
      }
      if (verbose) console.log('Sent release to server');
      bar?.update(iteration);
    }
  } finally {
    bar?.stop();
    await client.close();
  }
  console.log(`sum is ${sum}`);
}
