/**
 * What the oracle knows of the server's state, learnt only from the server's
 * own replies in the order it sent them: each session's locks, waiting
 * requests and exactly-once counters, and which sessions exist. This is what
 * lets it say that a `release` of a held token must be `released`, that a
 * `cancel` of a waiting request must be `cancelled`, that an exactly-once
 * reply must carry the next `sn`, or that a resume with the wrong secret must
 * be refused — without re-implementing the lock service.
 *
 * Nothing is guessed from timing except lower bounds: a lease cannot have run
 * out before `leaseMs` after the last message the server is known to have
 * read from the session was sent, and so on (see reply-oracle.ts).
 */
import type { RequestId } from './request-analysis.js';

/** A map key for a request id that keeps its type: 77 and "77" are two ids (docs/protocol.md 1). */
export function idKey(id: RequestId): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}

export type LockMode = 'exclusive' | 'shared';

/** An acquire that was answered `queued` and has not been granted, timed out or cancelled since. */
export interface PendingAcquire {
  id: RequestId;
  resource: string;
  mode: LockMode;
  waitMs: number | undefined;
  /** When the acquire was sent: its timeout cannot come before this + waitMs. */
  sentAt: number;
}

export interface HeldLock {
  resource: string;
  mode: LockMode;
  token: string;
}

/** attached: a live connection of the fuzzer speaks for it; detached-clean: its connection closed with every request answered. */
export type SessionPlace = 'attached' | 'detached-clean' | 'detached-unclean' | 'ended';

/** How many messages of an exactly-once session are kept to compare with what a resume sends again. */
const STORED_MESSAGES = 2_000;

export class SessionModel {
  readonly pending = new Map<string, PendingAcquire>();
  readonly held = new Map<string, HeldLock>();
  /** Exactly-once: the highest `seq` the server applied. */
  applied = 0;
  /** Exactly-once: the highest `sn` received (every smaller one received too). */
  lastSn = 0;
  /** Exactly-once: the highest `ack` sent on a request the server read (bounds what it still keeps). */
  highestAck = 0;
  /** Exactly-once: the text of each message received, by `sn`, to compare with what a resume sends again. */
  readonly stored = new Map<number, string>();
  /** Lower bound of the server's last renewal: when the last message it is known to have read from the session was sent. */
  lastRenewSentAt: number;
  /**
   * When the last request was sent whose answer only a live session gets (alive, granted, NOT_HELD, …).
   * A REQ peer is told of nothing it did not ask for (2.1), so its session can end unseen, and a reply
   * that does not depend on the session (BAD_JSON, a status) proves nothing: its lease bound is this.
   */
  lastProvenSentAt: number;
  place: SessionPlace = 'attached';
  /** The connection's label while attached. */
  attachedTo: string | undefined;
  /** Set when the session came to a connection by resuming (its locks may have been revoked meanwhile). */
  inheritedAt: number | undefined;
  /** A resume of this session was sent from another connection while it was attached to `from` (which may then be closed: 3). */
  takeover: { from: string; sentAt: number } | undefined;

  constructor(
    readonly id: string,
    public secret: string,
    readonly exactlyOnce: boolean,
    readonly leaseMs: number,
    openedAt: number,
  ) {
    this.lastRenewSentAt = openedAt;
    this.lastProvenSentAt = openedAt;
  }

  /** Keeps a copy of an exactly-once message (bounded: the oldest are forgotten). */
  store(sn: number, text: string): void {
    this.stored.set(sn, text);
    if (this.stored.size > STORED_MESSAGES) {
      const oldest = this.stored.keys().next().value;
      if (oldest !== undefined) this.stored.delete(oldest);
    }
  }

  renewedBy(sentAt: number): void {
    if (sentAt > this.lastRenewSentAt) this.lastRenewSentAt = sentAt;
  }
}

/**
 * The sessions of one transport's run, shared by its connections: to resume
 * one on a new connection, to try a real session id with a wrong secret, to
 * release another session's token (FOREIGN_TOKEN), and to know when a
 * `lost` with reason `revoked` is explained by a force-release someone sent.
 */
export class SessionRegistry {
  readonly sessions = new Map<string, SessionModel>();
  /** Sessions whose connection closed with everything answered, newest last: resumable. */
  readonly detached: SessionModel[] = [];
  /** Sessions offered for a takeover: their connection waits, quiet, to be closed by a resume elsewhere. */
  readonly offered: SessionModel[] = [];

  offer(session: SessionModel): void {
    this.offered.push(session);
  }

  withdraw(session: SessionModel): void {
    const index = this.offered.indexOf(session);
    if (index >= 0) this.offered.splice(index, 1);
  }
  /** Recently granted tokens with their resource, any session. */
  readonly recentTokens: { resource: string; token: string }[] = [];
  /** When a force-release with the right admin token was last sent, per resource. */
  readonly forceReleases = new Map<string, number>();

  add(session: SessionModel): void {
    this.sessions.set(session.id, session);
    // Ended sessions are kept a while (a resume of one must be refused) and then forgotten, bounded.
    if (this.sessions.size > 20_000) {
      for (const [id, entry] of this.sessions) {
        if (entry.place === 'ended' || entry.place === 'detached-unclean') this.sessions.delete(id);
        if (this.sessions.size <= 15_000) break;
      }
    }
  }

  detach(session: SessionModel, clean: boolean): void {
    if (session.place !== 'attached') return;
    session.place = clean ? 'detached-clean' : 'detached-unclean';
    session.attachedTo = undefined;
    // Only a clean detach is ever resumed with its secret: the others need no copies of their messages.
    if (!clean) session.stored.clear();
    if (clean) {
      this.detached.push(session);
      // Only the newest are offered for resuming; the others need no copies of their messages.
      if (this.detached.length > 200) this.detached.shift()!.stored.clear();
    }
  }

  /** Takes a resumable session out of the list (it is being resumed). */
  takeDetached(index: number): SessionModel | undefined {
    const [session] = this.detached.splice(index, 1);
    return session;
  }

  noteToken(resource: string, token: string): void {
    this.recentTokens.push({ resource, token });
    if (this.recentTokens.length > 256) this.recentTokens.shift();
  }

  noteForceRelease(resource: string, at: number): void {
    this.forceReleases.set(resource, at);
    if (this.forceReleases.size > 10_000) this.forceReleases.clear();
  }

  /** Whether a force-release of `resource` with the right admin token was sent before `at`. */
  forceReleasedBefore(resource: string, at: number): boolean {
    const sent = this.forceReleases.get(resource);
    return sent !== undefined && sent <= at;
  }
}

/** One connection's view of its server-side counterpart. */
export class ConnectionState {
  session: SessionModel | undefined;
  /** Lower bound of when the server last started this connection's pre-session clock (3.3). */
  sessionlessSince: number;
  /** The last token granted on this connection: each must be greater (docs/protocol.md 4). */
  lastToken = 0n;
  /** zmq: the server-side connection said WELCOME (the peer is handshaken). */
  handshaken = false;
  /** Arrival times of the latest replies the server may have counted as bad messages (3.3). */
  readonly badArrivals: number[] = [];
  /** The first bad-message window: when its first certainly-bad message was sent, and how many followed. */
  firstWindow: { firstSentAt: number; count: number } | undefined;
  firstWindowOver = false;
  /** Status requests of every resource answered later (5: ordered in slices on a busy server), by id. */
  readonly deferredStatus = new Map<string, { id: RequestId; offset: number }>();

  constructor(startedAt: number) {
    this.sessionlessSince = startedAt;
  }

  noteBadReply(at: number, windowSize: number): void {
    this.badArrivals.push(at);
    if (this.badArrivals.length > windowSize) this.badArrivals.shift();
  }
}
