import type { ErrorCode } from '@baton/core';

/**
 * Codes the SDK raises itself, beside the server's {@link ErrorCode}s. Stable
 * strings, like the server's: match on `error.code`, never on the message.
 */
export const ClientErrorCode = {
  /** An acquire was not granted within its waitMs (at once, for a try-lock). */
  TIMEOUT: 'TIMEOUT',
  /** The caller's AbortSignal ended the wait. */
  ABORTED: 'ABORTED',
  /** The server could not be reached within connectTimeoutMs. */
  CONNECT_FAILED: 'CONNECT_FAILED',
  /** The client was closed while the request was outstanding. */
  CLIENT_CLOSED: 'CLIENT_CLOSED',
  /** The lock is gone: the server revoked it or the session's lease ran out. */
  LOCK_LOST: 'LOCK_LOST',
  /** The SDK could not renew the session in time, so it must assume its locks are gone. */
  LEASE_UNCONFIRMED: 'LEASE_UNCONFIRMED',
  /** The server could not be reached before the session's lease could no longer be proven: the call is abandoned. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** A call other than acquire got no reply within requestTimeoutMs. */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** The server said it is stopping (docs/protocol.md 3.2); its sessions end with it. */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** The server answered something the SDK did not expect. */
  PROTOCOL: 'PROTOCOL',
} as const;

export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** Every error the SDK throws or rejects with. */
export class BatonError extends Error {
  override readonly name = 'BatonError';

  constructor(
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** True when `error` is a BatonError with this code. */
export function isBatonError(error: unknown, code?: ErrorCode | ClientErrorCode): error is BatonError {
  return error instanceof BatonError && (code === undefined || error.code === code);
}
