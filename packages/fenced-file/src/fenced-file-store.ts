import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { withFileMutex } from './file-mutex.js';

/** Thrown when a read or write carries a token lower than one already used: the caller's lock is stale. */
export class StaleTokenError extends Error {
  override readonly name = 'StaleTokenError';
  readonly code = 'STALE_TOKEN';

  constructor(
    readonly path: string,
    readonly token: bigint,
    readonly latestToken: bigint,
  ) {
    super(`refused ${path} to token ${token}: token ${latestToken} has already been used there`);
  }
}

/** Options of a fenced read or write. */
export interface FenceOptions {
  /**
   * Runs under the file's mutex immediately before the token is compared
   * (and before an unfenced read): throw to refuse the access. Pass
   * `() => lock.assertHeld()` so that a writer that waited for the mutex, or
   * was paused, past its lease finds out before it writes.
   */
  check?: () => void;
}

/**
 * The resource-side half of fencing. A lock alone cannot stop a holder that
 * was paused (GC, SIGSTOP, a slow network) past its lease from writing after
 * the lock moved on; the resource must check. Every write names the writer's
 * fencing token, and the file refuses any token lower than the highest it has
 * seen, on a write or on a fenced read. Tokens equal to the highest pass, so
 * one holder may read and write many times under one lock.
 *
 * The data stays in `path` exactly as written (the counter file holds just
 * the number, a lock-client resource file just the value); the highest token
 * is kept beside it in `path.fence`. Compare-and-write runs under a
 * cross-process file mutex, and the data is replaced by rename, so readers
 * never see a torn value.
 */
export class FencedFile {
  constructor(readonly path: string) {}

  /**
   * The current text, or '' when the file does not exist yet. With a token,
   * the read is fenced too: it is refused if a newer token was already seen,
   * and it raises the fence to `token`. That is what makes a read-modify-write
   * safe: once the new holder has read, a paused old holder can no longer
   * write back a value computed from what it read before.
   */
  read(token?: string | bigint, options: FenceOptions = {}): string {
    if (token === undefined) {
      options.check?.();
      return readOrEmpty(this.path);
    }
    const value = typeof token === 'bigint' ? token : parseToken(token);
    return withFileMutex(this.path, () => {
      options.check?.();
      this.admit(value);
      return readOrEmpty(this.path);
    });
  }

  /** The highest token written so far, or undefined for a file never written with a token. */
  latestToken(): bigint | undefined {
    const text = readOrEmpty(`${this.path}.fence`).trim();
    return /^[0-9]+$/.test(text) ? BigInt(text) : undefined;
  }

  /** Replace the content, if `token` is not lower than every token written before. Throws {@link StaleTokenError} otherwise. */
  write(text: string, token: string | bigint, options: FenceOptions = {}): void {
    const value = typeof token === 'bigint' ? token : parseToken(token);
    withFileMutex(this.path, () => {
      options.check?.();
      this.admit(value);
      replace(this.path, text);
    });
  }

  /** Under the mutex: refuse a token older than the fence, raise the fence to a newer one. */
  private admit(token: bigint): void {
    const latest = this.latestToken();
    if (latest !== undefined && token < latest) throw new StaleTokenError(this.path, token, latest);
    if (latest === undefined || token > latest) replace(`${this.path}.fence`, `${token}\n`);
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
