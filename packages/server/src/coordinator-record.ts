import type { ErrorCode, Input, MachineSnapshot, RequestId } from '@baton/core';

/**
 * One change of the coordinator's state, as its write-ahead log keeps it.
 *
 * The coordinator is deterministic given these records: every state change
 * — of the lock machine, and of what the coordinator keeps beside it (the
 * sessions' hashed secrets, exactly-once sequences and replay buffers) — is
 * applied from a record, live or on recovery, by the same code
 * (`Coordinator.applyRecord`). What is not in a record is not state: which
 * connection speaks for a session, timers, logs, a plain session's
 * undelivered messages. Replaying the records of a run therefore rebuilds the
 * state that run had, down to the `sn` of every message an exactly-once
 * client may still ask for again.
 */
export type CoordinatorRecord = OpenRecord | InputRecord | StreamErrorRecord;

/** A hello opened a session: the open-session input, and what the coordinator keeps of the session. */
export interface OpenRecord {
  kind: 'open';
  now: number;
  session: string;
  /** SHA-256 of the secret, hex: a log or snapshot that leaks does not let anyone resume the session. */
  secretHash: string;
  client: string;
  leaseMs?: number;
  exactlyOnce: boolean;
  request?: RequestId;
}

/**
 * One machine input at `now`. For an exactly-once session (`session`), the
 * client's `ack` is taken first, then `seq` counts as applied. `silent`: a
 * renewal for a message that is not itself an input of the session (a
 * status, a refused or repeated request), whose reply is not sent.
 */
export interface InputRecord {
  kind: 'input';
  now: number;
  input: Input;
  session?: string;
  seq?: number;
  ack?: number;
  silent?: true;
}

/**
 * An error that is part of a session's stream although no input produced it:
 * a bad request that still took its place in the sequence (`seq`), a
 * force-release refused for want of the admin token.
 */
export interface StreamErrorRecord {
  kind: 'stream-error';
  session: string;
  seq?: number;
  request?: RequestId;
  code: ErrorCode;
  message: string;
}

/**
 * Where the coordinator hands each record before it acts on it (the
 * write-ahead log), and how it holds back what it sends until then: persist,
 * then send, as etcd's raft does with `Ready`.
 */
export interface CoordinatorJournal {
  /** Keep the record (it may become durable later, with others: group commit). */
  append(record: CoordinatorRecord): void;
  /**
   * Run `action` once every record appended so far is durable — at once when
   * they all are — and in the order the actions were given. Every message and
   * close the coordinator sends, and every event its subscribers hear, goes
   * through here, so nothing leaves the process that a crash could undo.
   */
  afterDurable(action: () => void): void;
}

/** Everything the coordinator keeps, as plain JSON-safe data: what a snapshot holds. */
export interface CoordinatorState {
  format: typeof COORDINATOR_STATE_FORMAT;
  machine: MachineSnapshot;
  /** Sessions are named `s<counter>-<random>`; the counter goes on from here. */
  sessionCounter: number;
  sessions: SessionState[];
}

export const COORDINATOR_STATE_FORMAT = 1;

export interface SessionState {
  id: string;
  secretHash: string;
  client: string;
  /** An exactly-once session's sequence: the last `seq` applied, the last `sn` sent, and the messages not yet acknowledged (stamped). */
  stream?: { applied: number; lastSent: number; unacknowledged: string[] };
}
