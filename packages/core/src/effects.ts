import type { ErrorCode } from './errors.js';
import type { LockMode, RequestId } from './inputs.js';

/**
 * What the machine asks the embedding program to do, in order. Most effects
 * are messages for one session. `reserve-tokens` must be made durable before
 * any effect after it is acted on (persist, then send).
 */
export type Effect =
  | SessionOpenedEffect
  | SessionResumedEffect
  | SessionEndedEffect
  | RenewedEffect
  | QueuedEffect
  | GrantedEffect
  | ReleasedEffect
  | TimeoutEffect
  | CancelledEffect
  | LostEffect
  | RejectedEffect
  | ForceReleasedEffect
  | LeasesRestartedEffect
  | ReserveTokensEffect;

export interface SessionOpenedEffect {
  type: 'session-opened';
  session: string;
  request?: RequestId;
  leaseMs: number;
}

/** A `resume-session` input was applied: the session lives on, its lease renewed from now. */
export interface SessionResumedEffect {
  type: 'session-resumed';
  session: string;
  request?: RequestId;
  leaseMs: number;
}

/** A lock that went away with its session. */
export interface FreedLock {
  resource: string;
  token: string;
}

export interface SessionEndedEffect {
  type: 'session-ended';
  session: string;
  request?: RequestId;
  reason: 'closed' | 'disconnected' | 'lease-expired';
  /** Locks released by the end of the session. */
  released: FreedLock[];
  /** How many waiting requests were withdrawn. */
  withdrawn: number;
}

export interface RenewedEffect {
  type: 'renewed';
  session: string;
  request?: RequestId;
  leaseMs: number;
}

/** The acquire waits; `position` 1 means next in line. */
export interface QueuedEffect {
  type: 'queued';
  session: string;
  request: RequestId;
  resource: string;
  mode: LockMode;
  position: number;
}

export interface GrantedEffect {
  type: 'granted';
  session: string;
  request: RequestId;
  resource: string;
  mode: LockMode;
  /** Fencing token: decimal string, greater than every token granted before. */
  token: string;
  /** Time spent in the queue (0 for an immediate grant). */
  waitedMs: number;
}

export interface ReleasedEffect {
  type: 'released';
  session: string;
  request: RequestId;
  resource: string;
  token: string;
}

/** The acquire was not granted within its waitMs (at once, for a try-lock) and left the queue. */
export interface TimeoutEffect {
  type: 'timeout';
  session: string;
  request: RequestId;
  resource: string;
}

export interface CancelledEffect {
  type: 'cancelled';
  session: string;
  /** The cancel request's id. */
  request: RequestId;
  /** The acquire that was withdrawn. */
  target: RequestId;
  resource: string;
}

/** The session no longer holds this lock although it did not release it. */
export interface LostEffect {
  type: 'lost';
  session: string;
  resource: string;
  token: string;
  reason: 'lease-expired' | 'revoked';
}

/** A request was refused; nothing changed. */
export interface RejectedEffect {
  type: 'rejected';
  session?: string;
  request?: RequestId;
  code: ErrorCode;
  message: string;
}

export interface ForceReleasedEffect {
  type: 'force-released';
  session?: string;
  request?: RequestId;
  resource: string;
  tokens: string[];
}

/** A `restart-leases` input was applied: this many live sessions now have a whole lease from now. */
export interface LeasesRestartedEffect {
  type: 'leases-restarted';
  sessions: number;
}

/**
 * Tokens up to and including `through` may be issued from now on. Persist
 * this value durably before acting on later effects; on restart, construct
 * the machine with `firstToken` greater than the persisted value.
 */
export interface ReserveTokensEffect {
  type: 'reserve-tokens';
  through: string;
}
