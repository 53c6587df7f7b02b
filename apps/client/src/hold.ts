import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Wait `milliseconds` while holding a lock; if the lock is lost meanwhile,
 * reject at once with the lock's own reason (a BatonError with LOCK_LOST or
 * LEASE_UNCONFIRMED), not node's generic AbortError, so callers can tell a
 * lost lock from other failures.
 */
export async function holdFor(milliseconds: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(milliseconds, undefined, { signal });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error;
  }
}
