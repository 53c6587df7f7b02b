import { join, resolve } from 'node:path';
import { resourceNameProblem } from '@baton/core';
import { FencedFile } from '@baton/fenced-file';

/**
 * Where lock-client keeps a resource's data: `<data-dir>/<resource>.txt`.
 * The name is checked with the protocol's own rule first, so no name can
 * leave the data directory or break a file system.
 */
export function resourceFilePath(dataDirectory: string, resource: string): string {
  const problem = resourceNameProblem(resource);
  if (problem) throw new Error(problem);
  return join(resolve(dataDirectory), `${resource}.txt`);
}

/**
 * The resource's file, fenced: every write names the lock's token, and a
 * write with a token older than one already written is refused — so a holder
 * that was paused past its lease cannot overwrite its successor's work.
 */
export function resourceFile(path: string): FencedFile {
  return new FencedFile(path);
}

/** The counter in a file: an empty or missing file counts as 0. */
export function parseCounter(path: string, text: string): number {
  const trimmed = text.trim();
  if (trimmed === '') return 0;
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value)) throw new Error(`${path} does not hold a whole number: ${JSON.stringify(trimmed.slice(0, 40))}`);
  return value;
}
