/**
 * The client side of a Baton session, without I/O: a deterministic state
 * machine fed messages, connection events and the time, giving effects back.
 * {@link BatonClient} is its I/O shell (sockets, timers, promises); a
 * simulation drives it with a virtual clock over a simulated link.
 *
 * ## Theory of operation
 *
 * **Calls.** Every call (open, acquire, release, status, force-release,
 * close) gets a {@link CallId}, the request id it goes on the wire with. It
 * settles exactly once, by a `resolved` or `rejected` effect. Internal
 * requests (keepalive, cancel, the release of a lock nobody wants any more)
 * are tracked the same way but settle nothing.
 *
 * **Lease proof.** Every reply to a request proves the server renewed the
 * session's lease at or after the moment that request was first sent
 * (docs/protocol.md 3: every message renews). So the lease lasts at least
 * until `sentAt + leaseMs` by this side's clock; the session believes it
 * holds its locks until that instant minus a safety margin
 * ({@link ClientSession.holdsUntil}). When the belief runs out it gives every
 * lock up (`lock-lost`, LEASE_UNCONFIRMED) before the server could grant any
 * of them to anyone else, drops the connection (it may be half-open), and
 * every call made while the lease was still provable rejects with
 * UNAVAILABLE; a call made after that gets one lease of its own.
 *
 * **Exactly-once** (docs/protocol.md 3.1). Requests but status carry `seq`
 * and `ack`; each is kept until its first answer and sent again, in order,
 * after a resume, from the welcome's `applied` on. Messages from the server
 * carry `sn`: a repeat is dropped, a gap drops the connection (the resume
 * makes the server send everything after our `ack` again).
 *
 * **Connections** are the shell's: the session asks for one (`dial`), is told
 * when it is up (`connected`), when a dial failed (`dialFailed`) and when it
 * dropped (`disconnected`). It asks to drop one itself (`close-connection`)
 * and then counts it as gone at once: the shell must not report that close.
 * Reconnects back off from FIRST_RECONNECT_DELAY_MS to LAST_RECONNECT_DELAY_MS.
 *
 * **Time** only enters as the `now` argument (monotonic milliseconds); the
 * shell calls {@link ClientSession.tick} at {@link ClientSession.nextDeadline}.
 */
import type {
  CancelMessage,
  DecodeFailure,
  ForceReleaseMessage,
  GoodbyeMessage,
  HelloMessage,
  KeepaliveMessage,
  LockMode,
  ReleaseMessage,
  ServerMessage,
  StatusMessage,
  StatusReplyMessage,
  WelcomeMessage,
} from '@baton/core';
import { ACK_INTERVAL_MESSAGES, decodeServerReply, encodeMessage, MinHeap, PROTOCOL_VERSION, resourceNameProblem } from '@baton/core';
import { BatonError, ClientErrorCode } from './errors.js';
import { acquireText, releaseText } from './request-text.js';

/** How long before the proven end of the lease the session gives its locks up: a tenth of the lease, within these bounds. */
export const MIN_SAFETY_MARGIN_MS = 100;
export const MAX_SAFETY_MARGIN_MS = 1_000;
/** Keepalives are sent this many times per lease. */
export const KEEPALIVES_PER_LEASE = 3;
/** Default time to wait for a connection and for the welcome on it. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Reconnect attempts back off from the first delay to the last. */
export const FIRST_RECONNECT_DELAY_MS = 50;
export const LAST_RECONNECT_DELAY_MS = 1_000;
/** Default time a status or force-release call waits for its reply before it rejects with REQUEST_TIMEOUT. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/**
 * An acquire's `waitMs` is enforced by the client too: when the server is
 * unreachable the call rejects with TIMEOUT at `waitMs`; while connected the
 * server's own answer gets this much longer to arrive (it is authoritative:
 * its timeout, or a grant that beat it).
 */
export const WAIT_GRACE_MS = 250;
/** How long close() keeps saying goodbye (resuming after a dropped connection) and waiting for the server's bye, which says every lock was released, before it closes anyway. */
export const GOODBYE_TIMEOUT_MS = 2_000;

export interface SessionOptions {
  /** A name for this client, shown in the server's logs and status. */
  client?: string;
  /** Lease to ask for (1 s to 5 min). Default: the server's. */
  leaseMs?: number;
  /** Open an exactly-once session (docs/protocol.md 3.1). Default true. */
  exactlyOnce?: boolean;
  /** Reconnect and resume after a dropped connection. Default true. */
  reconnect?: boolean;
  /** How long status and force-release wait for their reply. Default DEFAULT_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
  /** How long a handshake waits for the welcome. Default DEFAULT_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
}

/** A call's handle: the id of the request that carries it. */
export type CallId = number;

/** A lock the server granted. */
export interface GrantedLock {
  readonly resource: string;
  readonly mode: LockMode;
  /** Fencing token: a decimal string, greater than every token granted before it. */
  readonly token: string;
  readonly waitedMs: number;
}

/** What a call resolves to, by the kind of call. */
export type CallResult =
  | { kind: 'session'; session: string; leaseMs: number }
  | { kind: 'lock'; lock: GrantedLock }
  | { kind: 'released' }
  | { kind: 'status'; reply: StatusReplyMessage }
  | { kind: 'force-released'; tokens: string[] }
  | { kind: 'closed' };

/** Told to the embedding program; nobody is waiting for these. */
export type ClientEvent =
  | { type: 'disconnected'; error?: Error }
  | { type: 'resumed'; session: string }
  | { type: 'session-lost'; session: string; error: BatonError }
  | { type: 'session-opened'; session: string }
  | { type: 'lock-lost'; resource: string; token: string; error: BatonError }
  | { type: 'shutting-down'; message: string }
  | { type: 'server-error'; code: string; message: string };

/** What the shell must do. Effects come out of {@link ClientSession.takeEffects} in the order they must be carried out. */
export type SessionEffect =
  /** Send this text on the current connection. */
  | { type: 'send'; text: string }
  /** Open a connection, then call `connected` (or `dialFailed`). */
  | { type: 'dial' }
  /** Close the current connection; the session already counts it as gone (do not report its close). */
  | { type: 'close-connection' }
  | { type: 'resolved'; call: CallId; result: CallResult }
  | { type: 'rejected'; call: CallId; error: BatonError }
  /** An acquire has to wait: its place in the queue (1 = next). */
  | { type: 'queued'; call: CallId; position: number }
  /** A lock is gone (or must be assumed gone): abort its signal. */
  | { type: 'lock-lost'; token: string; error: BatonError }
  | { type: 'event'; event: ClientEvent };

export interface AcquireRequest {
  mode?: LockMode;
  waitMs?: number;
  lockDelayMs?: number;
}

type CallKind = 'hello' | 'acquire' | 'release' | 'status' | 'force-release' | 'goodbye' | 'keepalive' | 'cancel' | 'give-back';

/** Calls nobody outside waits for. */
const INTERNAL_KINDS: ReadonlySet<CallKind> = new Set(['keepalive', 'cancel', 'give-back']);

interface Call {
  readonly id: CallId;
  readonly kind: CallKind;
  /** The request's wire text without `seq`/`ack`. */
  readonly text: string;
  readonly createdAt: number;
  /** When it first went on the wire; undefined while it waits in the outbox. */
  sentAt: number | undefined;
  /** acquire: the resource; release: the resource and token. */
  readonly resource?: string;
  readonly token?: string;
  /** acquire: the client-side wait deadline has had its grace. */
  graceGiven?: boolean;
  /** Exactly-once: its `seq`, the text it went out with, and whether it still waits for its first answer. */
  seq?: number;
  wireText?: string;
  unanswered?: boolean;
  readonly waitMs?: number;
}

type Phase =
  /** Not yet opened. */
  | 'new'
  /** A dial is under way. */
  | 'dialing'
  /** No connection; the next dial is at `reconnectAt`. */
  | 'waiting'
  /** Connected, hello sent, no welcome yet. */
  | 'handshaking'
  /** Connected with a live session: requests go straight out. */
  | 'ready'
  /** Connected, but the server said it is shutting down: waiting for it to close. */
  | 'draining'
  /** close() was called; waiting for the bye. */
  | 'closing'
  | 'closed';

type HeapEntry = { call: CallId; reason: 'wait' | 'request' | 'patience' };

interface HeldLock {
  readonly resource: string;
  readonly mode: LockMode;
  /** False once release() was called: the caller no longer believes it holds it. */
  held: boolean;
}

/** The sans-IO client session. */
export class ClientSession {
  private phase: Phase = 'new';
  private effects: SessionEffect[] = [];
  private sessionId: string | undefined;
  private secret: string | undefined;
  private grantedLeaseMs = 0;
  private nextRequestId = 1;
  private readonly calls = new Map<CallId, Call>();
  /** Calls made while not ready, in order: transmitted once the session is. */
  private outbox: Call[] = [];
  /** Locks the server granted and that are not known lost, by token. */
  private readonly locks = new Map<string, HeldLock>();
  /** Locks given up locally while the server may still count them: released once the session is resumed. */
  private orphans: { resource: string; token: string }[] = [];
  /** The call id of the open (first hello); settled by the first welcome. */
  private openCall: CallId | undefined;
  /** The hello in flight on the current connection. */
  private helloCall: CallId | undefined;
  private helloDeadline = 0;
  private resuming = false;
  private goodbyeCall: CallId | undefined;
  private goodbyeDeadline = 0;
  private reconnectAt = 0;
  private reconnectDelay = FIRST_RECONNECT_DELAY_MS;
  private keepaliveAt = 0;
  /** Until when (this side's clock) the lease is proven to last. */
  private confirmedUntil = 0;
  /** True once the actions of a lapsed lease ran, until a renewal is proven again. */
  private lapseHandled = false;
  private readonly deadlines = new MinHeap<HeapEntry>();
  // exactly-once (docs/protocol.md 3.1)
  private exactlyOnce = false;
  private nextSeq = 1;
  private lastSn = 0;
  private unacknowledged = 0;
  /** Transmitted requests with no answer yet, by seq (insertion order is seq order). */
  /**
   * Transmitted requests in seq order from `firstUnanswered` on; answered
   * ones are skipped and dropped from the front. An array with fields on the
   * calls rather than two Maps: the bookkeeping runs for every request
   * (it was a fifth of the exactly-once overhead in an in-process profile).
   */
  private sequenced: Call[] = [];
  private firstUnanswered = 0;

  constructor(private readonly options: SessionOptions = {}) {}

  // ---- what the embedding program reads ----

  /** The session id the server gave ('' before the first welcome). */
  get session(): string {
    return this.sessionId ?? '';
  }

  /** The lease the server granted, in milliseconds (0 before the first welcome). */
  get leaseMs(): number {
    return this.grantedLeaseMs;
  }

  /** True while requests go straight to the server. */
  get ready(): boolean {
    return this.phase === 'ready';
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** Calls not settled yet (internal requests not counted). */
  get pendingCount(): number {
    let count = 0;
    for (const call of this.calls.values()) if (call.kind !== 'hello' && !INTERNAL_KINDS.has(call.kind)) count++;
    return count;
  }

  /** The locks the caller holds and believes held: granted, not lost, release not called. */
  heldLocks(): { token: string; resource: string; mode: LockMode }[] {
    const held: { token: string; resource: string; mode: LockMode }[] = [];
    for (const [token, lock] of this.locks) if (lock.held) held.push({ token, resource: lock.resource, mode: lock.mode });
    return held;
  }

  /** Until when the session keeps believing it holds its locks: the proven end of the lease minus the safety margin. */
  holdsUntil(): number {
    return this.confirmedUntil - this.safetyMargin();
  }

  /** The earliest time {@link tick} has something to do, or undefined for never. */
  nextDeadline(): number | undefined {
    let next = this.deadlines.peekTime();
    const consider = (time: number) => {
      if (next === undefined || time < next) next = time;
    };
    switch (this.phase) {
      case 'waiting':
        consider(this.reconnectAt);
        break;
      case 'handshaking':
        consider(this.helloDeadline);
        break;
      case 'ready':
        consider(this.keepaliveAt);
        break;
      case 'closed':
      case 'new':
        return undefined;
      default:
        break;
    }
    if (this.goodbyeCall !== undefined) consider(this.goodbyeDeadline);
    if (!this.lapseHandled && this.grantedLeaseMs > 0) consider(this.holdsUntil());
    return next;
  }

  /** Hand over the effects produced so far, in order. */
  takeEffects(): SessionEffect[] {
    const effects = this.effects;
    this.effects = [];
    return effects;
  }

  // ---- inputs: calls ----

  /** Open the session: dial, hello, welcome. The call resolves with the session, or rejects (and the session is closed). */
  open(): CallId {
    const id = this.nextRequestId++;
    this.openCall = id;
    if (this.phase !== 'new') {
      this.effects.push({ type: 'rejected', call: id, error: new BatonError(ClientErrorCode.PROTOCOL, 'the session was opened already') });
      return id;
    }
    this.phase = 'dialing';
    this.effects.push({ type: 'dial' });
    return id;
  }

  /** Ask for a lock: resolves with a `lock` result, or rejects with the reason. */
  acquire(resource: string, request: AcquireRequest, now: number): CallId {
    const id = this.nextRequestId++;
    const problem = resourceNameProblem(resource);
    if (problem) {
      this.effects.push({ type: 'rejected', call: id, error: new BatonError('BAD_RESOURCE_NAME', problem) });
      return id;
    }
    const mode = request.mode ?? 'exclusive';
    const text = acquireText(id, resource, mode, request);
    const call: Call = { id, kind: 'acquire', text, createdAt: now, sentAt: undefined, resource, waitMs: request.waitMs };
    if (this.start(call, now) && request.waitMs !== undefined && request.waitMs > 0) {
      this.deadlines.push(now + request.waitMs, { call: id, reason: 'wait' });
    }
    return id;
  }

  /** Withdraw a waiting acquire: it rejects with ABORTED at once (a grant that raced it is given back). */
  abort(call: CallId, now: number): void {
    const pending = this.calls.get(call);
    if (!pending || pending.kind !== 'acquire') return;
    this.abandon(pending, new BatonError(ClientErrorCode.ABORTED, `the wait for ${pending.resource ?? ''} was aborted`), now);
  }

  /** Give a lock back: resolves `released`, or rejects (LOCK_LOST when the server no longer counted it). */
  release(token: string, now: number): CallId {
    const id = this.nextRequestId++;
    const lock = this.locks.get(token);
    if (!lock) {
      this.effects.push({ type: 'rejected', call: id, error: new BatonError(ClientErrorCode.LOCK_LOST, `the lock with token ${token} is not held`) });
      return id;
    }
    lock.held = false;
    this.start({ id, kind: 'release', text: releaseText(id, lock.resource, token), createdAt: now, sentAt: undefined, resource: lock.resource, token }, now);
    return id;
  }

  /** Holders and waiters of one resource, or one page of all. Resolves `status`. */
  status(resource: string | undefined, offset: number | undefined, now: number): CallId {
    const id = this.nextRequestId++;
    const message: StatusMessage = { op: 'status', id };
    if (resource !== undefined) message.resource = resource;
    if (offset !== undefined) message.offset = offset;
    if (this.start({ id, kind: 'status', text: encodeMessage(message), createdAt: now, sentAt: undefined }, now)) {
      this.deadlines.push(now + this.requestTimeoutMs(), { call: id, reason: 'request' });
    }
    return id;
  }

  /** Admin: take a lock away. Resolves `force-released`. */
  forceRelease(resource: string, adminToken: string, token: string | undefined, now: number): CallId {
    const id = this.nextRequestId++;
    const message: ForceReleaseMessage = { op: 'force-release', id, resource, adminToken };
    if (token !== undefined) message.token = token;
    if (this.start({ id, kind: 'force-release', text: encodeMessage(message), createdAt: now, sentAt: undefined }, now)) {
      this.deadlines.push(now + this.requestTimeoutMs(), { call: id, reason: 'request' });
    }
    return id;
  }

  /**
   * Say goodbye (the server releases every lock at once) and close. The call
   * resolves `closed` when the bye came, when a resume finds the session
   * gone (the goodbye was applied and only its bye was lost), or when
   * GOODBYE_TIMEOUT_MS passed; every other call rejects with CLIENT_CLOSED.
   *
   * A connection that drops before the bye does not end the goodbye: the
   * session reconnects, resumes and says it again (an exactly-once session
   * sends it again in its place in the sequence). Without that, a goodbye
   * cut by a reset would leave the session and its locks on the server for
   * a whole lease. Also called while the connection is down, close() first
   * resumes to say goodbye; a session that never opened, or whose session
   * already ended, closes at once.
   */
  close(now: number): CallId {
    const id = this.nextRequestId++;
    if (this.phase === 'closed' || this.goodbyeCall !== undefined) {
      this.effects.push({ type: 'resolved', call: id, result: { kind: 'closed' } });
      return id;
    }
    this.goodbyeCall = id;
    if (!this.canSayGoodbye()) {
      this.finishClose();
      return id;
    }
    this.goodbyeDeadline = now + GOODBYE_TIMEOUT_MS;
    // From the goodbye on the server may release every lock at any moment:
    // the caller must stop believing it holds them now, and no call may
    // still resolve with a lock (a grant that comes later is not given back
    // either: the goodbye releases it).
    const error = new BatonError(ClientErrorCode.CLIENT_CLOSED, 'the client was closed');
    this.rejectAll(error);
    for (const [token, lock] of this.locks) {
      if (!lock.held) continue;
      lock.held = false;
      this.effects.push({ type: 'lock-lost', token, error });
    }
    const message: GoodbyeMessage = { op: 'goodbye', id };
    const call: Call = { id, kind: 'goodbye', text: encodeMessage(message), createdAt: now, sentAt: undefined };
    this.calls.set(id, call);
    if (this.phase === 'ready') {
      this.phase = 'closing';
      this.transmit(call, now);
    }
    return id;
  }

  /** Whether there is a session on the server to say goodbye to, now or after the resume under way. */
  private canSayGoodbye(): boolean {
    if (this.phase === 'ready') return true;
    if (this.sessionId === undefined || this.options.reconnect === false) return false;
    return this.phase === 'waiting' || this.phase === 'dialing' || (this.phase === 'handshaking' && this.resuming);
  }

  // ---- inputs: the connection ----

  /** The connection asked for by `dial` is up. */
  connected(now: number): void {
    if (this.phase !== 'dialing') return;
    this.sendHello(now, this.sessionId !== undefined);
  }

  /** The dial failed. */
  dialFailed(reason: string, now: number): void {
    if (this.phase !== 'dialing') return;
    if (this.grantedLeaseMs === 0) {
      this.failOpen(new BatonError(ClientErrorCode.CONNECT_FAILED, reason));
      return;
    }
    this.waitToReconnect(now);
  }

  /** The current connection dropped (not one the session asked to close). */
  disconnected(error: Error | undefined, now: number): void {
    if (this.phase === 'closed' || this.phase === 'new' || this.phase === 'dialing' || this.phase === 'waiting') return;
    if (this.phase === 'closing' && (this.options.reconnect === false || this.sessionId === undefined)) {
      this.finishClose();
      return;
    }
    if (this.phase === 'handshaking' && this.grantedLeaseMs === 0) {
      this.failOpen(new BatonError(ClientErrorCode.CONNECT_FAILED, `the connection closed during the handshake${error ? `: ${error.message}` : ''}`));
      return;
    }
    this.effects.push({ type: 'event', event: error ? { type: 'disconnected', error } : { type: 'disconnected' } });
    this.helloCall = undefined;
    if (this.options.reconnect === false) {
      this.loseLocks(new BatonError(ClientErrorCode.LEASE_UNCONFIRMED, 'the connection closed; its locks may be granted to others'), true, false);
      this.goodbyeCall = undefined;
      this.finishClose(new BatonError(ClientErrorCode.CLIENT_CLOSED, `the connection closed${error ? `: ${error.message}` : ''}`));
      return;
    }
    this.phase = 'waiting';
    this.reconnectAt = now;
  }

  /** One message from the server. */
  handle(text: string, now: number): void {
    const decoded = decodeServerReply(text);
    if (!decoded.ok) {
      this.malformed(decoded, text);
      return;
    }
    const message = decoded.message;
    if (this.phase === 'closed') return;
    const sn = message.op === 'welcome' || message.op === 'bye' || message.op === 'status' ? undefined : message.sn;
    if (sn !== undefined && this.exactlyOnce) {
      if (sn <= this.lastSn) return; // sent again after a resume; already handled
      if (sn !== this.lastSn + 1) {
        // A message was lost: resume, and the server sends everything after lastSn again.
        this.dropConnection(now);
        return;
      }
      this.lastSn = sn;
      if (++this.unacknowledged >= ACK_INTERVAL_MESSAGES && this.phase === 'ready') this.sendKeepalive(now);
    }
    if (message.op === 'lost') {
      const lock = this.locks.get(message.token);
      if (!lock) return;
      this.locks.delete(message.token);
      const error = new BatonError(ClientErrorCode.LOCK_LOST, `the lock on ${message.resource} (token ${message.token}) was lost: ${message.reason}`);
      if (lock.held) this.effects.push({ type: 'lock-lost', token: message.token, error });
      this.effects.push({ type: 'event', event: { type: 'lock-lost', resource: message.resource, token: message.token, error } });
      return;
    }
    const id = 'id' in message ? message.id : undefined;
    if (id === undefined || typeof id !== 'number') {
      if (message.op === 'error') {
        if (message.code === 'SESSION_ENDED') this.sessionEnded(new BatonError('SESSION_ENDED', message.message), now);
        else if (message.code === 'SHUTTING_DOWN') this.shuttingDown(message.message);
        else this.effects.push({ type: 'event', event: { type: 'server-error', code: message.code, message: message.message } });
      }
      return;
    }
    // Its first answer: the server applied it, no need to send it again.
    this.answered(id);
    if (id === this.helloCall) {
      this.answerToHello(message, now);
      return;
    }
    const call = this.calls.get(id);
    if (!call) {
      // A grant for a request nobody waits for any more: give it straight back.
      if (message.op === 'granted') this.giveBack(message.resource, message.token, now);
      return;
    }
    if (call.sentAt !== undefined) this.confirm(call.sentAt, now);
    this.answer(call, message);
  }

  /**
   * A message that breaks the protocol's schema: never acted on. The call it
   * names (if any) rejects with PROTOCOL; its `sn`, when readable and next in
   * line, is counted, so it is not mistaken for a lost message.
   */
  private malformed(failure: DecodeFailure, text: string): void {
    const description = `malformed message from the server (${failure.code}: ${failure.message}): ${text.slice(0, 80)}`;
    this.effects.push({ type: 'event', event: { type: 'server-error', code: ClientErrorCode.PROTOCOL, message: description } });
    if (this.exactlyOnce && failure.sn === this.lastSn + 1) this.lastSn = failure.sn;
    const call = typeof failure.id === 'number' ? this.calls.get(failure.id) : undefined;
    if (call && call.kind !== 'hello') this.settle(call, { error: new BatonError(ClientErrorCode.PROTOCOL, description) });
  }

  /** Time passed: act on every deadline at or before `now`. */
  tick(now: number): void {
    if (this.phase === 'waiting' && now >= this.reconnectAt) {
      this.phase = 'dialing';
      this.effects.push({ type: 'dial' });
    }
    if (this.phase === 'handshaking' && now >= this.helloDeadline) {
      const error = new BatonError(ClientErrorCode.CONNECT_FAILED, `no welcome within ${this.connectTimeoutMs()} ms`);
      if (this.grantedLeaseMs === 0) {
        this.failOpen(error);
        return;
      }
      this.dropConnection(now);
    }
    if (this.goodbyeCall !== undefined && now >= this.goodbyeDeadline) {
      this.finishClose();
      return;
    }
    if (!this.lapseHandled && this.grantedLeaseMs > 0 && now >= this.holdsUntil()) this.leaseLapsed(now);
    if (this.phase === 'ready' && now >= this.keepaliveAt) this.sendKeepalive(now);
    for (let time = this.deadlines.peekTime(); time !== undefined && time <= now; time = this.deadlines.peekTime()) {
      const entry = this.deadlines.pop()!;
      const call = this.calls.get(entry.call);
      if (call) this.deadlinePassed(call, entry.reason, now);
    }
  }

  // ---- calls: bookkeeping ----

  /** Register a call and send it (or keep it in the outbox). False when it was refused at once. */
  private start(call: Call, now: number): boolean {
    if (this.phase === 'closing' || this.phase === 'closed' || this.phase === 'new' || this.goodbyeCall !== undefined) {
      if (INTERNAL_KINDS.has(call.kind)) return false;
      this.effects.push({ type: 'rejected', call: call.id, error: new BatonError(ClientErrorCode.CLIENT_CLOSED, 'the client is closed') });
      return false;
    }
    this.calls.set(call.id, call);
    if (this.phase === 'ready') this.transmit(call, now);
    else this.outbox.push(call);
    // Made while the lease cannot be proven: it waits at most one lease for the server.
    if (this.grantedLeaseMs > 0 && now >= this.holdsUntil() && !INTERNAL_KINDS.has(call.kind)) this.deadlines.push(now + this.grantedLeaseMs, { call: call.id, reason: 'patience' });
    return true;
  }

  /**
   * Put a request on the wire. In an exactly-once session every request but
   * status gets the next `seq` and the current `ack`, appended to its text
   * (where the server's fast path expects them), and is kept until its first
   * answer so a resume can send it again.
   */
  private transmit(call: Call, now: number): void {
    call.sentAt ??= now;
    if (!this.exactlyOnce || call.kind === 'status') {
      this.effects.push({ type: 'send', text: call.text });
      return;
    }
    const seq = this.nextSeq++;
    const sequenced = `${call.text.slice(0, -1)},"seq":${seq},"ack":${this.lastSn}}`;
    this.unacknowledged = 0;
    call.wireText = sequenced;
    call.seq = seq;
    call.unanswered = true;
    this.sequenced.push(call);
    this.effects.push({ type: 'send', text: sequenced });
  }

  /** The request `id` has had an answer: it is not sent again after a resume. */
  private answered(id: CallId): void {
    let call = this.calls.get(id);
    if (call !== undefined && !call.unanswered) return;
    if (call === undefined) {
      // Settled already (timed out, abandoned, internal and forgotten): find it among the unanswered, if it is there.
      for (let index = this.firstUnanswered; index < this.sequenced.length; index++) {
        const candidate = this.sequenced[index]!;
        if (candidate.id === id && candidate.unanswered) {
          call = candidate;
          break;
        }
      }
      if (call === undefined) return;
    }
    call.unanswered = false;
    this.dropAnsweredFront();
  }

  private dropAnsweredFront(): void {
    const sequenced = this.sequenced;
    let first = this.firstUnanswered;
    while (first < sequenced.length && !sequenced[first]!.unanswered) first++;
    if (first === sequenced.length) {
      this.sequenced = [];
      this.firstUnanswered = 0;
    } else if (first > 1_024 && first > sequenced.length - first) {
      this.sequenced = sequenced.slice(first);
      this.firstUnanswered = 0;
    } else {
      this.firstUnanswered = first;
    }
  }

  private settle(call: Call, outcome: { result: CallResult } | { error: BatonError }): void {
    this.calls.delete(call.id);
    if (INTERNAL_KINDS.has(call.kind)) return;
    if ('result' in outcome) this.effects.push({ type: 'resolved', call: call.id, result: outcome.result });
    else this.effects.push({ type: 'rejected', call: call.id, error: outcome.error });
  }

  /** The reply (or push) `message` answers `call`. */
  private answer(call: Call, message: ServerMessage): void {
    if (message.op === 'error') {
      if (call.kind === 'release') {
        this.locks.delete(call.token ?? '');
        if (message.code === 'NOT_HELD' || message.code === 'SESSION_ENDED') {
          this.settle(call, { error: new BatonError(ClientErrorCode.LOCK_LOST, `the lock on ${call.resource ?? ''} (token ${call.token ?? ''}) was lost before it was released`) });
          return;
        }
      }
      this.settle(call, { error: new BatonError(message.code, message.message) });
      return;
    }
    switch (call.kind) {
      case 'acquire':
        if (message.op === 'queued') {
          this.effects.push({ type: 'queued', call: call.id, position: message.position });
          return;
        }
        if (message.op === 'granted') {
          this.locks.set(message.token, { resource: call.resource ?? message.resource, mode: message.mode, held: true });
          this.settle(call, { result: { kind: 'lock', lock: { resource: call.resource ?? message.resource, mode: message.mode, token: message.token, waitedMs: message.waitedMs } } });
          return;
        }
        if (message.op === 'timeout') {
          this.settle(call, { error: new BatonError(ClientErrorCode.TIMEOUT, `${call.resource ?? ''} was not granted within ${call.waitMs ?? 0} ms`) });
          return;
        }
        break;
      case 'release':
        if (message.op === 'released') {
          this.locks.delete(call.token ?? '');
          this.settle(call, { result: { kind: 'released' } });
          return;
        }
        break;
      case 'status':
        if (message.op === 'status') {
          this.settle(call, { result: { kind: 'status', reply: message } });
          return;
        }
        break;
      case 'force-release':
        if (message.op === 'force-released') {
          this.settle(call, { result: { kind: 'force-released', tokens: message.tokens } });
          return;
        }
        break;
      case 'goodbye':
        if (message.op === 'bye') {
          this.calls.delete(call.id);
          this.finishClose();
          return;
        }
        break;
      case 'keepalive':
        if (message.op === 'alive') {
          this.calls.delete(call.id);
          return;
        }
        break;
      case 'cancel':
        if (message.op === 'cancelled') {
          this.calls.delete(call.id);
          return;
        }
        break;
      case 'give-back':
        if (message.op === 'released') {
          this.calls.delete(call.id);
          return;
        }
        break;
      case 'hello':
        break;
    }
    this.settle(call, { error: new BatonError(ClientErrorCode.PROTOCOL, `unexpected reply ${message.op} to ${call.kind}`) });
  }

  /** A call's own deadline passed. */
  private deadlinePassed(call: Call, reason: HeapEntry['reason'], now: number): void {
    if (reason === 'patience') {
      if (now >= this.holdsUntil()) {
        this.unavailable(call);
      }
      return;
    }
    if (reason === 'request') {
      this.settle(call, { error: new BatonError(ClientErrorCode.REQUEST_TIMEOUT, `no reply to ${call.kind} within ${this.requestTimeoutMs()} ms`) });
      this.outbox = this.outbox.filter((queued) => queued !== call);
      return;
    }
    // An acquire's waitMs: the server's own answer gets a grace while connected.
    if (this.phase === 'ready' && !call.graceGiven) {
      call.graceGiven = true;
      this.deadlines.push(now + WAIT_GRACE_MS, { call: call.id, reason: 'wait' });
      return;
    }
    this.abandon(call, new BatonError(ClientErrorCode.TIMEOUT, `${call.resource ?? ''} was not granted within ${call.waitMs ?? 0} ms`), now);
  }

  private unavailable(call: Call): void {
    this.settle(call, { error: new BatonError(ClientErrorCode.UNAVAILABLE, `the server did not answer within ${this.grantedLeaseMs} ms`) });
    this.outbox = this.outbox.filter((queued) => queued !== call);
  }

  /** Stop waiting for an acquire: reject it, and withdraw it where it may have arrived (a grant that raced is given back on arrival). */
  private abandon(call: Call, error: BatonError, now: number): void {
    this.settle(call, { error });
    if (call.sentAt === undefined) {
      this.outbox = this.outbox.filter((queued) => queued !== call);
      return;
    }
    const id = this.nextRequestId++;
    const message: CancelMessage = { op: 'cancel', id, target: call.id };
    this.start({ id, kind: 'cancel', text: encodeMessage(message), createdAt: now, sentAt: undefined }, now);
  }

  private giveBack(resource: string, token: string, now: number): void {
    if (this.phase === 'closed' || this.goodbyeCall !== undefined) return;
    const id = this.nextRequestId++;
    const message: ReleaseMessage = { op: 'release', id, resource, token };
    const call: Call = { id, kind: 'give-back', text: encodeMessage(message), createdAt: now, sentAt: undefined };
    this.calls.set(id, call);
    if (this.phase === 'ready' || this.phase === 'closing') this.transmit(call, now);
    else this.outbox.push(call);
  }

  private sendKeepalive(now: number): void {
    this.keepaliveAt = now + this.keepaliveIntervalMs();
    const id = this.nextRequestId++;
    const message: KeepaliveMessage = { op: 'keepalive', id };
    const call: Call = { id, kind: 'keepalive', text: encodeMessage(message), createdAt: now, sentAt: undefined };
    this.calls.set(id, call);
    this.transmit(call, now);
  }

  /** Reject every call outside waits for (but open and close, which settle their own way), and forget the outbox. */
  private rejectAll(error: BatonError, onlyMadeBefore = Infinity): void {
    for (const call of [...this.calls.values()]) {
      if (call.kind === 'hello' || call.kind === 'goodbye') continue;
      if (INTERNAL_KINDS.has(call.kind)) {
        if (onlyMadeBefore === Infinity) this.calls.delete(call.id);
        continue;
      }
      if (call.createdAt >= onlyMadeBefore) continue;
      this.settle(call, { error });
    }
    this.outbox = this.outbox.filter((call) => this.calls.has(call.id));
  }

  // ---- the session ----

  private sendHello(now: number, resume: boolean): void {
    this.phase = 'handshaking';
    this.resuming = resume;
    const id = this.nextRequestId++;
    this.helloCall = id;
    this.helloDeadline = now + this.connectTimeoutMs();
    const hello: HelloMessage = { op: 'hello', id, v: PROTOCOL_VERSION };
    if (this.options.client !== undefined) hello.client = this.options.client;
    if (this.options.leaseMs !== undefined) hello.leaseMs = this.options.leaseMs;
    if (resume && this.sessionId !== undefined && this.secret !== undefined) {
      hello.session = this.sessionId;
      hello.secret = this.secret;
      if (this.exactlyOnce) hello.ack = this.lastSn;
    } else if (this.options.exactlyOnce !== false) {
      hello.exactlyOnce = true;
    }
    this.calls.set(id, { id, kind: 'hello', text: '', createdAt: now, sentAt: now });
    this.effects.push({ type: 'send', text: encodeMessage(hello) });
  }

  private answerToHello(message: ServerMessage, now: number): void {
    const hello = this.helloCall === undefined ? undefined : this.calls.get(this.helloCall);
    this.helloCall = undefined;
    if (hello) this.calls.delete(hello.id);
    const sentAt = hello?.sentAt ?? now;
    if (message.op === 'error') {
      if (this.resuming && message.code === 'UNKNOWN_SESSION' && this.goodbyeCall !== undefined) {
        // Closing, and the session is gone: the goodbye was applied before
        // the connection dropped (or the lease ran out). Either way it is closed.
        this.finishClose();
        return;
      }
      if (this.resuming && message.code === 'UNKNOWN_SESSION') {
        // The session is gone, its locks too. Waiting calls learn it as
        // SESSION_ENDED, as when the server pushes the end: one rule for
        // callers however the end was discovered.
        this.sessionEnded(new BatonError('SESSION_ENDED', `the session ended while the connection was down: ${message.message}`), now);
        if (this.phase === 'handshaking' || this.phase === 'draining') this.sendHello(now, false);
        return;
      }
      const error = new BatonError(message.code, message.message);
      if (this.grantedLeaseMs === 0) {
        this.failOpen(error);
        return;
      }
      this.effects.push({ type: 'event', event: { type: 'server-error', code: message.code, message: message.message } });
      this.dropConnection(now);
      return;
    }
    if (message.op !== 'welcome') {
      const error = new BatonError(ClientErrorCode.PROTOCOL, `expected welcome, got ${message.op}`);
      if (this.grantedLeaseMs === 0) this.failOpen(error);
      else this.dropConnection(now);
      return;
    }
    this.welcomed(message, sentAt, now);
  }

  private welcomed(welcome: WelcomeMessage, helloSentAt: number, now: number): void {
    const first = this.grantedLeaseMs === 0;
    if (this.resuming && !welcome.resumed) {
      // Asked to resume, given a new session: the old one is gone, and with it every lock and waiting call.
      this.sessionEnded(new BatonError('SESSION_ENDED', 'the server opened a new session instead of resuming the old one'), now);
    }
    this.sessionId = welcome.session;
    this.secret = welcome.secret;
    this.grantedLeaseMs = welcome.leaseMs;
    if (!welcome.resumed) {
      this.startStream(welcome.exactlyOnce === true);
      this.orphans = [];
    }
    this.phase = 'ready';
    this.confirm(helloSentAt, now);
    this.reconnectDelay = FIRST_RECONNECT_DELAY_MS;
    this.keepaliveAt = now + this.keepaliveIntervalMs();
    if (welcome.resumed && this.exactlyOnce) {
      // Send again, in order, every request the server has not applied (its
      // answers to the others are among the messages it sends again).
      const applied = welcome.applied ?? 0;
      for (let index = this.firstUnanswered; index < this.sequenced.length; index++) {
        const call = this.sequenced[index]!;
        if (!call.unanswered) continue;
        if ((call.seq ?? 0) <= applied) call.unanswered = false;
        else this.effects.push({ type: 'send', text: call.wireText ?? call.text });
      }
      this.dropAnsweredFront();
    }
    if (this.goodbyeCall !== undefined) {
      this.resumedToSayGoodbye(welcome, now);
      return;
    }
    if (welcome.resumed) {
      // Status is outside the sequence: ask again, its answer may have been lost.
      for (const call of this.calls.values()) if (call.kind === 'status' && call.sentAt !== undefined) this.effects.push({ type: 'send', text: call.text });
    }
    if (first && this.openCall !== undefined) {
      this.effects.push({ type: 'resolved', call: this.openCall, result: { kind: 'session', session: welcome.session, leaseMs: welcome.leaseMs } });
      this.openCall = undefined;
    }
    this.effects.push({ type: 'event', event: welcome.resumed ? { type: 'resumed', session: welcome.session } : { type: 'session-opened', session: welcome.session } });
    for (const orphan of this.orphans.splice(0)) this.giveBack(orphan.resource, orphan.token, now);
    const queued = this.outbox;
    this.outbox = [];
    for (const call of queued) if (this.calls.has(call.id)) this.transmit(call, now);
  }

  /**
   * Resumed while closing: nothing but the goodbye goes out. In an
   * exactly-once session the goodbye, if it had been sent, was just sent
   * again in its place in the sequence; otherwise it goes out now.
   */
  private resumedToSayGoodbye(welcome: WelcomeMessage, now: number): void {
    this.phase = 'closing';
    this.effects.push({ type: 'event', event: welcome.resumed ? { type: 'resumed', session: welcome.session } : { type: 'session-opened', session: welcome.session } });
    const goodbye = this.goodbyeCall === undefined ? undefined : this.calls.get(this.goodbyeCall);
    if (goodbye && goodbye.unanswered !== true) this.transmit(goodbye, now);
  }

  /** A new session: its sequence starts over. */
  private startStream(exactlyOnce: boolean): void {
    this.exactlyOnce = exactlyOnce;
    this.nextSeq = 1;
    this.lastSn = 0;
    this.unacknowledged = 0;
    for (let index = this.firstUnanswered; index < this.sequenced.length; index++) this.sequenced[index]!.unanswered = false;
    this.sequenced = [];
    this.firstUnanswered = 0;
    // Requests sent on the old session and not answered are gone with it.
    for (const call of this.calls.values()) if (call.kind !== 'hello' && call.sentAt !== undefined && INTERNAL_KINDS.has(call.kind)) this.calls.delete(call.id);
  }

  /** A reply to a request first sent at `sentAt` proves the lease lasts until `sentAt + leaseMs`. */
  private confirm(sentAt: number, now: number): void {
    if (this.grantedLeaseMs === 0) return;
    const until = sentAt + this.grantedLeaseMs;
    if (until <= this.confirmedUntil) return;
    this.confirmedUntil = until;
    if (now < this.holdsUntil()) this.lapseHandled = false;
  }

  /** The lease can no longer be proven: the locks must be treated as lost, and calls stop waiting. */
  private leaseLapsed(now: number): void {
    this.lapseHandled = true;
    this.loseLocks(new BatonError(ClientErrorCode.LEASE_UNCONFIRMED, 'the session could not be renewed in time; its locks may be granted to others'), true, true);
    // Calls made before the lease became unprovable give up now; later ones have a patience deadline of their own.
    this.rejectAll(new BatonError(ClientErrorCode.UNAVAILABLE, "the server did not answer before the session's lease could no longer be proven"), this.holdsUntil());
    for (const call of [...this.calls.values()]) if (INTERNAL_KINDS.has(call.kind)) this.calls.delete(call.id);
    this.outbox = this.outbox.filter((call) => this.calls.has(call.id));
    // Nothing came back for almost a lease: the connection may be half-open. Drop it so the resume runs now.
    if (this.phase === 'ready' && this.options.reconnect !== false) this.dropConnection(now);
  }

  /** Every held lock is lost; `keepAsOrphans` releases them once the session resumes. */
  private loseLocks(error: BatonError, announce: boolean, keepAsOrphans: boolean): void {
    for (const [token, lock] of this.locks) {
      if (lock.held) this.effects.push({ type: 'lock-lost', token, error });
      if (announce) this.effects.push({ type: 'event', event: { type: 'lock-lost', resource: lock.resource, token, error } });
      if (keepAsOrphans) this.orphans.push({ resource: lock.resource, token });
    }
    this.locks.clear();
  }

  /** The server ended the session (lease ran out, or unknown on resume). */
  private sessionEnded(error: BatonError, now: number): void {
    const session = this.sessionId ?? '';
    for (const [token, lock] of this.locks) {
      if (lock.held) this.effects.push({ type: 'lock-lost', token, error: new BatonError(ClientErrorCode.LOCK_LOST, `the lock on ${lock.resource} (token ${token}) was lost: the session ended`) });
    }
    this.locks.clear();
    this.orphans = [];
    this.rejectAll(error);
    this.startStream(this.exactlyOnce);
    this.effects.push({ type: 'event', event: { type: 'session-lost', session, error } });
    this.sessionId = undefined;
    this.secret = undefined;
    if (this.phase === 'closing') {
      // Closing, and the session ended anyway: nothing left to say goodbye to.
      this.finishClose();
      return;
    }
    if (this.phase === 'ready') this.sendHello(now, false); // still connected: carry on under a new session
  }

  /**
   * The server is stopping and keeps no log (docs/protocol.md 3.2): every
   * lock is gone and every waiting call is refused with SHUTTING_DOWN. The
   * server closes the connection; the reconnect then opens a new session.
   */
  private shuttingDown(text: string): void {
    this.effects.push({ type: 'event', event: { type: 'shutting-down', message: text } });
    for (const [token, lock] of this.locks) {
      const error = new BatonError(ClientErrorCode.LOCK_LOST, `the lock on ${lock.resource} (token ${token}) was lost: the server is shutting down`);
      if (lock.held) this.effects.push({ type: 'lock-lost', token, error });
      this.effects.push({ type: 'event', event: { type: 'lock-lost', resource: lock.resource, token, error } });
    }
    this.locks.clear();
    this.orphans = [];
    this.rejectAll(new BatonError(ClientErrorCode.SHUTTING_DOWN, `the server is shutting down: ${text}`));
    this.startStream(this.exactlyOnce);
    this.sessionId = undefined;
    this.secret = undefined;
    if (this.phase === 'ready' || this.phase === 'handshaking') this.phase = 'draining';
  }

  /** Drop the current connection ourselves and reconnect after the backoff (so a server that keeps refusing is not hammered). */
  private dropConnection(now: number): void {
    if (this.phase !== 'ready' && this.phase !== 'handshaking' && this.phase !== 'draining' && this.phase !== 'closing') return;
    this.effects.push({ type: 'close-connection' });
    this.helloCall = undefined;
    this.effects.push({ type: 'event', event: { type: 'disconnected' } });
    this.waitToReconnect(now);
  }

  private waitToReconnect(now: number): void {
    this.phase = 'waiting';
    this.reconnectAt = now + this.reconnectDelay;
    this.reconnectDelay = Math.min(LAST_RECONNECT_DELAY_MS, this.reconnectDelay * 2);
  }

  private failOpen(error: BatonError): void {
    const open = this.openCall;
    this.openCall = undefined;
    if (this.phase === 'handshaking' || this.phase === 'ready') this.effects.push({ type: 'close-connection' });
    this.phase = 'closed';
    this.rejectAll(new BatonError(ClientErrorCode.CLIENT_CLOSED, `the session could not be opened: ${error.message}`));
    this.calls.clear();
    this.outbox = [];
    if (open !== undefined) this.effects.push({ type: 'rejected', call: open, error });
  }

  private finishClose(error = new BatonError(ClientErrorCode.CLIENT_CLOSED, 'the client was closed')): void {
    const wasConnected = this.phase === 'ready' || this.phase === 'closing' || this.phase === 'handshaking' || this.phase === 'draining';
    this.phase = 'closed';
    this.rejectAll(error);
    this.calls.clear();
    this.outbox = [];
    for (const [token, lock] of this.locks) if (lock.held) this.effects.push({ type: 'lock-lost', token, error });
    this.locks.clear();
    this.orphans = [];
    if (wasConnected) this.effects.push({ type: 'close-connection' });
    if (this.openCall !== undefined) this.effects.push({ type: 'rejected', call: this.openCall, error });
    this.openCall = undefined;
    if (this.goodbyeCall !== undefined) this.effects.push({ type: 'resolved', call: this.goodbyeCall, result: { kind: 'closed' } });
    this.goodbyeCall = undefined;
  }

  private safetyMargin(): number {
    return Math.min(MAX_SAFETY_MARGIN_MS, Math.max(MIN_SAFETY_MARGIN_MS, this.grantedLeaseMs / 10));
  }

  private keepaliveIntervalMs(): number {
    return Math.max(50, Math.floor(this.grantedLeaseMs / KEEPALIVES_PER_LEASE));
  }

  private requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  private connectTimeoutMs(): number {
    return this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }
}
