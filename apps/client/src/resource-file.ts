import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resourceNameProblem } from '@baton/core';

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

/** The file's text, or '' when it does not exist yet. */
export function readResourceFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

export function writeResourceFile(path: string, text: string): void {
  writeFileSync(path, text);
}

/** The counter in a file: an empty or missing file counts as 0. */
export function readCounter(path: string): number {
  const text = readResourceFile(path).trim();
  if (text === '') return 0;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${path} does not hold a whole number: ${JSON.stringify(text.slice(0, 40))}`);
  return value;
}
