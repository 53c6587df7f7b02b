import type { LockMode, RequestId } from './inputs.js';

/**
 * Everything a {@link LockMachine} holds, as plain JSON-safe data: what a
 * coordinator writes to disk so that it can start again from it instead of
 * replaying its whole log.
 *
 * It is exact, not just equivalent: `LockMachine.restore(machine.snapshot())`
 * answers every later input with the very effects, in the very order, that
 * `machine` itself would. That is why it keeps what a looser copy would
 * drop — the deadline heap in its own array order (ties and stale entries
 * decide the order of effects, and each entry counts against a sliced
 * catch-up's budget), the resources an instant cut in two by that budget
 * still has to settle, the order of every table (a session's waiting requests
 * are withdrawn in that order when it ends, which decides who is granted
 * first elsewhere). A coordinator that replays the rest of its log from a
 * snapshot must reach the state, and write the messages, of the machine that
 * never stopped: a client that resumes expects the message numbers it saw.
 *
 * `null` stands for "never" (−∞) where JSON has no infinity.
 */
export interface MachineSnapshot {
  format: typeof MACHINE_SNAPSHOT_FORMAT;
  /** The machine's clock (the instant it caught up to) and the latest `now` any call brought. */
  now: number | null;
  latestNow: number | null;
  nextToken: string;
  lastToken: string | null;
  reservedThrough: string;
  grantsHeldUntil: number | null;
  /** In the machine's table order. */
  sessions: SessionState[];
  /** In the machine's table order, idle entries not yet swept included. */
  resources: ResourceState[];
  /** The deadline heap, in its array order. */
  deadlines: DeadlineState[];
  /**
   * Resources waiting to be settled, in order: empty unless a sliced
   * catch-up stopped in the middle of an instant, which is settled when its
   * last deadline is taken. `null`: one swept out of the table meanwhile.
   */
  dirty: (string | null)[];
}

export const MACHINE_SNAPSHOT_FORMAT = 1;

export interface SessionState {
  id: string;
  client: string;
  leaseMs: number;
  openedAt: number;
  expiresAt: number;
  /** The tokens it holds, in the order of its (unordered, swap-removed) list. */
  held: string[];
  /** Its waiting requests, in the order they started waiting. */
  waiting: RequestId[];
}

export interface ResourceState {
  name: string;
  blockedUntil: number | null;
  idle: boolean;
  /** In grant order. */
  holders: HolderState[];
  /** In queue order. */
  queue: WaiterState[];
}

export interface HolderState {
  token: string;
  session: string;
  request: RequestId;
  mode: LockMode;
  grantedAt: number;
  lockDelayMs: number;
}

export interface WaiterState {
  session: string;
  request: RequestId;
  mode: LockMode;
  enqueuedAt: number;
  deadline: number | null;
  lockDelayMs: number;
}

/**
 * One entry of the deadline heap. Entries are deleted lazily, so some are
 * stale: their session ended, their waiter left the queue, their resource
 * was swept out of the table. A stale entry does nothing when taken, but it
 * still counts as work, so it is kept as such.
 */
export type DeadlineState =
  | { time: number; kind: 'lease'; session: string }
  | { time: number; kind: 'lease-ended' }
  | { time: number; kind: 'wait'; session: string; request: RequestId }
  | { time: number; kind: 'wait-ended' }
  | { time: number; kind: 'lock-delay'; resource: string }
  | { time: number; kind: 'lock-delay-swept' };
