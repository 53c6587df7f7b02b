import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How long to wait between attempts to take a busy file mutex. */
export const MUTEX_RETRY_MS = 1;
/** Give up taking a file mutex after this long: something is badly wrong (a hung process holding it). */
export const MUTEX_TIMEOUT_MS = 10_000;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * A mutual-exclusion lock between processes on one machine, for the few
 * microseconds a fenced write needs to compare and replace a file. `mkdir` is
 * atomic on every local file system, so the directory's existence is the
 * lock; the owner's pid inside it lets a later process break the lock of one
 * that died holding it (SIGKILL mid-write).
 *
 * This is the storage's own critical section — the thing a database does
 * inside a conditional update — not a substitute for Baton locks.
 */
export function withFileMutex<T>(path: string, body: () => T): T {
  const directory = `${path}.mutex`;
  const deadline = Date.now() + MUTEX_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(directory);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (ownerIsGone(directory)) {
        rmSync(directory, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`could not take ${directory} within ${MUTEX_TIMEOUT_MS} ms`, { cause: error });
      // A synchronous pause: this runs inside a synchronous compare-and-write.
      Atomics.wait(sleeper, 0, 0, MUTEX_RETRY_MS);
    }
  }
  try {
    writeFileSync(join(directory, 'owner'), String(process.pid));
    return body();
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function ownerIsGone(directory: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(directory, 'owner'), 'utf8'));
  } catch {
    return false; // just created, owner not written yet
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
