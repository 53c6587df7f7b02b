import { closeSync, constants, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
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

/**
 * Thrown when the data file, its `.fence` or a temporary file is a symbolic
 * link: someone who can write to the data directory planted it, and following
 * it would read or overwrite a file elsewhere.
 */
export class SymbolicLinkError extends Error {
  override readonly name = 'SymbolicLinkError';
  readonly code = 'SYMBOLIC_LINK';

  constructor(readonly path: string) {
    super(`refused ${path}: it is a symbolic link, and a fenced file never follows one (remove it; the store's files must be plain files)`);
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
 *
 * No file is reached through a symbolic link: reads open with O_NOFOLLOW,
 * the temporary file is created with O_CREAT | O_EXCL | O_NOFOLLOW, and a
 * link at the data or fence name is refused before the rename, each with a
 * {@link SymbolicLinkError}. (Before this, a link planted at the temporary
 * name made a write overwrite the file it pointed to, outside the directory.)
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

/** O_NOFOLLOW where the platform has it (not on Windows, which has no such links in a data directory by default). */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW;

function readOrEmpty(path: string): string {
  let descriptor: number;
  try {
    descriptor = openSync(path, constants.O_RDONLY | NO_FOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return '';
    if (code === 'ELOOP') throw new SymbolicLinkError(path);
    throw error;
  }
  try {
    return readFileSync(descriptor, 'utf8');
  } finally {
    closeSync(descriptor);
  }
}

function replace(path: string, text: string): void {
  refuseSymbolicLink(path);
  const temporary = `${path}.${process.pid}.tmp`;
  const descriptor = createTemporary(temporary);
  try {
    writeFileSync(descriptor, text);
  } finally {
    closeSync(descriptor);
  }
  // rename never follows a link at `path` (it would replace the link), but one there was refused above anyway.
  renameSync(temporary, path);
}

/**
 * Create the temporary file, never through a link: O_EXCL fails on anything
 * already at the name, links included. A plain file there is the leftover of
 * an earlier process with this pid that died between create and rename: it
 * is removed and the create tried once more.
 */
function createTemporary(path: string): number {
  try {
    return openSync(path, CREATE_NEW, 0o666);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    refuseSymbolicLink(path);
    unlinkSync(path);
    return openSync(path, CREATE_NEW, 0o666);
  }
}

function refuseSymbolicLink(path: string): void {
  let isLink: boolean;
  try {
    isLink = lstatSync(path).isSymbolicLink();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (isLink) throw new SymbolicLinkError(path);
}
