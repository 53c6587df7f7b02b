/**
 * What the embedding program tells the machine. Every input that names a
 * session also renews that session's lease: any sign of life counts.
 */

/** `exclusive` excludes everyone; `shared` holders coexist with each other. */
export type LockMode = 'exclusive' | 'shared';

/** The client's correlation id for one request: a safe integer or a short string. */
export type RequestId = string | number;

export type Input =
  | OpenSessionInput
  | KeepaliveInput
  | ResumeSessionInput
  | AcquireInput
  | ReleaseInput
  | CancelInput
  | CloseSessionInput
  | ForceReleaseInput
  | RestartLeasesInput
  | TickInput;

/** Start a session. The caller chooses the id (it must be unused). */
export interface OpenSessionInput {
  type: 'open-session';
  session: string;
  /** Free text shown in logs and status listings. */
  client?: string;
  /** Lease length; default DEFAULT_LEASE_MS, bounds MIN_LEASE_MS..MAX_LEASE_MS. */
  leaseMs?: number;
  /** Echoed in the `session-opened` effect so a reply can be correlated. */
  request?: RequestId;
}

/** Renew the lease and nothing else. */
export interface KeepaliveInput {
  type: 'keepalive';
  session: string;
  request?: RequestId;
}

/**
 * A session's client is back (on a new connection, after proving its
 * secret): renew the lease as a keepalive does, and say so with a
 * `session-resumed` effect, which carries the lease for the welcome. A
 * session that has ended (its lease ran out by `now`) is refused with
 * SESSION_ENDED. An input of its own, not a keepalive, so that a log of
 * inputs records the resume itself.
 */
export interface ResumeSessionInput {
  type: 'resume-session';
  session: string;
  /** Echoed in the `session-resumed` effect. */
  request?: RequestId;
}

export interface AcquireInput {
  type: 'acquire';
  session: string;
  request: RequestId;
  resource: string;
  /** Default `exclusive`. */
  mode?: LockMode;
  /** 0: try-lock, answered at once. Absent: wait until granted (or the session ends). */
  waitMs?: number;
  /** If this lock is later lost without a clean release, nobody gets it for this long. */
  lockDelayMs?: number;
}

export interface ReleaseInput {
  type: 'release';
  session: string;
  request: RequestId;
  resource: string;
  /** The fencing token of the grant being released (decimal string). */
  token: string;
}

/** Withdraw a waiting acquire. */
export interface CancelInput {
  type: 'cancel';
  session: string;
  request: RequestId;
  /** The request id of the acquire to withdraw. */
  target: RequestId;
}

/** A clean goodbye: the session's locks are released at once, without lock-delay. */
export interface CloseSessionInput {
  type: 'close-session';
  session: string;
  request?: RequestId;
  /** Why, for the `session-ended` effect. Default `closed`. */
  reason?: 'closed' | 'disconnected';
}

/**
 * An operator takes a lock away (authorisation is the shell's job). Every
 * holder of `resource` (or only the one with `token`) loses the lock and is
 * told so; the next waiters are granted at once.
 */
export interface ForceReleaseInput {
  type: 'force-release';
  resource: string;
  token?: string;
  /** Who asked, so the reply can be routed. */
  session?: string;
  request?: RequestId;
}

/**
 * The coordinator came back from a crash or a restart with its state
 * recovered from a log: every session's lease restarts from now (Chubby's
 * rule: a new master extends every lease), so every client has a whole lease
 * to resume before anything it holds can be granted to anyone else. Leases
 * that had already run out by `now` end first, as with any input.
 */
export interface RestartLeasesInput {
  type: 'restart-leases';
}

/** Time has passed: act on every deadline that is due. */
export interface TickInput {
  type: 'tick';
}
