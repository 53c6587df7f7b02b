import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { withFileMutex } from './file-mutex.js';

/** Thrown when a write carries a token lower than one already written: the writer's lock is stale. */
export class StaleTokenError extends Error {
  override readonly name = 'StaleTokenError';
  readonly code = 'STALE_TOKEN';

  constructor(
    readonly path: string,
    readonly token: bigint,
    readonly latestToken: bigint,
  ) {
    super(`refused write to ${path}: token ${token} is older than token ${latestToken}, already written`);
  }
}

/**
 * The resource-side half of fencing. A lock alone cannot stop a holder that
 * was paused (GC, SIGSTOP, a slow network) past its lease from writing after
 * the lock moved on; the resource must check. Every write names the writer's
 * fencing token, and the file refuses any token lower than the highest it has
 * accepted. Tokens equal to the highest pass, so one holder may write many
 * times under one lock.
 *
 * The data stays in `path` exactly as written (the counter file holds just
 * the number, a lock-client resource file just the value); the highest token
 * is kept beside it in `path.fence`. Compare-and-write runs under a
 * cross-process file mutex, and the data is replaced by rename, so readers
 * never see a torn value.
 */
export class FencedFile {
  constructor(readonly path: string) {}

  /** The current text, or '' when the file does not exist yet. */
  read(): string {
    return readOrEmpty(this.path);
  }

  /** The highest token written so far, or undefined for a file never written with a token. */
  latestToken(): bigint | undefined {
    const text = readOrEmpty(`${this.path}.fence`).trim();
    return /^[0-9]+$/.test(text) ? BigInt(text) : undefined;
  }

  /** Replace the content, if `token` is not lower than every token written before. Throws {@link StaleTokenError} otherwise. */
  write(text: string, token: string | bigint): void {
    const value = typeof token === 'bigint' ? token : parseToken(token);
    withFileMutex(this.path, () => {
      const latest = this.latestToken();
      if (latest !== undefined && value < latest) throw new StaleTokenError(this.path, value, latest);
      replace(this.path, text);
      if (latest === undefined || value > latest) replace(`${this.path}.fence`, `${value}\n`);
    });
  }
}

function parseToken(token: string): bigint {
  if (!/^[0-9]{1,20}$/.test(token)) throw new TypeError(`fencing token ${JSON.stringify(token)} is not a decimal string`);
  return BigInt(token);
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

function replace(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
