import { isBatonError } from '@baton/client';
import { StaleTokenError } from '@baton/fenced-file';

/**
 * lock-client's exit codes, so that a script can tell why it failed.
 * Every failure also prints `lock-client: <message> [<CODE>]` on stderr.
 */
export const ExitCode = {
  /** Done. */
  OK: 0,
  /** Any other failure at run time. */
  FAILURE: 1,
  /** Input refused before anything was sent (bad resource name, bad arguments). */
  USAGE: 2,
  /** The lock was not granted within --wait-ms (TIMEOUT). */
  TIMEOUT: 3,
  /** The server could not be reached: at connect (CONNECT_FAILED), or while waiting, before the lease could no longer be proven (UNAVAILABLE, REQUEST_TIMEOUT). */
  UNAVAILABLE: 4,
  /** The server is stopping (SHUTTING_DOWN): a waiting request was refused, or a held lock ended with the server. */
  SHUTTING_DOWN: 5,
  /** The lock was lost before the read or write, which was not done (LOCK_LOST, LEASE_UNCONFIRMED, SESSION_ENDED, STALE_TOKEN). */
  LOCK_LOST: 6,
} as const;

let serverStopping = false;

/** The server said SHUTTING_DOWN: a lock lost from now on was lost to the shutdown. */
export function noteServerStopping(): void {
  serverStopping = true;
}

/** The exit code for a failure. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof StaleTokenError) return ExitCode.LOCK_LOST;
  if (!isBatonError(error)) return ExitCode.FAILURE;
  switch (error.code) {
    case 'TIMEOUT':
      return ExitCode.TIMEOUT;
    case 'UNAVAILABLE':
    case 'CONNECT_FAILED':
    case 'REQUEST_TIMEOUT':
      return ExitCode.UNAVAILABLE;
    case 'SHUTTING_DOWN':
      return ExitCode.SHUTTING_DOWN;
    case 'LOCK_LOST':
    case 'LEASE_UNCONFIRMED':
    case 'SESSION_ENDED':
      return serverStopping ? ExitCode.SHUTTING_DOWN : ExitCode.LOCK_LOST;
    default:
      return ExitCode.FAILURE;
  }
}

/** The lock went away under us: lost, unconfirmed, its session ended, or fenced off by a newer holder. */
export function isLockLoss(error: unknown): boolean {
  return (
    error instanceof StaleTokenError ||
    isBatonError(error, 'LOCK_LOST') ||
    isBatonError(error, 'LEASE_UNCONFIRMED') ||
    isBatonError(error, 'SESSION_ENDED')
  );
}
