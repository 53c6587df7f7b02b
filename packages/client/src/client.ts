/**
 * The Baton client SDK: one session over one connection, kept alive by
 * itself, resumed after a dropped connection, with typed errors.
 *
 * Safety rule for lock loss: every reply to a request proves the server
 * renewed the session's lease at or after the moment that request was sent,
 * so the lease certainly lasts until `sentAt + leaseMs` by the client's own
 * clock. The SDK aborts every lock's signal at that instant minus a safety
 * margin unless a newer renewal arrived — before the server could possibly
 * grant the lock to anyone else.
 */
import type { Connection, ErrorCode, LockMode, RequestId, ServerMessage, StatusReplyMessage, Transport } from '@baton/core';
import { ACK_INTERVAL_MESSAGES, decodeServerMessage, encodeMessage, PROTOCOL_VERSION, resourceNameProblem } from '@baton/core';
import { BatonError, ClientErrorCode } from './errors.js';
import { Lock } from './lock.js';
import type { LockOwner } from './lock.js';
import { acquireText, releaseText } from './request-text.js';
import { parseServerUrl } from './server-url.js';
import type { ServerAddress } from './server-url.js';

/** How long before the proven end of the lease the SDK gives a lock up: a tenth of the lease, within these bounds. */
export const MIN_SAFETY_MARGIN_MS = 100;
export const MAX_SAFETY_MARGIN_MS = 1_000;
/** Keepalives are sent this many times per lease. */
export const KEEPALIVES_PER_LEASE = 3;
/** Default time to wait for a connection. */
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

export interface ConnectOptions {
  /** The transport(s) to use; the one whose scheme matches the URL's is picked. */
  transport: Transport | readonly Transport[];
  /** A name for this client, shown in the server's logs and status. */
  client?: string;
  /** Lease to ask for (1 s to 5 min). Default: the server's (10 s). */
  leaseMs?: number;
  /** Give up connecting after this long. Default DEFAULT_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
  /** Reconnect and resume the session when the connection drops. Default true. */
  reconnect?: boolean;
  /** Told of things no caller is waiting for: a session that ended, a reconnect. */
  onEvent?: (event: ClientEvent) => void;
  /**
   * Open an exactly-once session (docs/protocol.md 3.1): every request is
   * applied once and every reply and push delivered once, across
   * reconnects. Default true.
   */
  exactlyOnce?: boolean;
  /** How long status and force-release wait for their reply. Default DEFAULT_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
}

export type ClientEvent =
  | { type: 'disconnected'; error?: Error }
  | { type: 'resumed'; session: string }
  | { type: 'session-lost'; session: string; error: BatonError }
  | { type: 'session-opened'; session: string }
  | { type: 'lock-lost'; resource: string; token: string; error: BatonError }
  | { type: 'shutting-down'; message: string }
  | { type: 'server-error'; code: string; message: string };

export interface AcquireOptions {
  /** Default `exclusive`. lock-client READ uses `shared`. */
  mode?: LockMode;
  /** 0: try-lock, answered at once. Absent: wait until granted. Otherwise give up after this long with TIMEOUT. */
  waitMs?: number;
  /** If this lock is lost without a release (lease expiry), the server grants it to nobody for this long. */
  lockDelayMs?: number;
  /** Aborting it withdraws the request from the queue and rejects with ABORTED. */
  signal?: AbortSignal;
  /** Called when the request has to wait, with its place in the queue (1 = next). */
  onQueued?: (position: number) => void;
}

interface PendingRequest {
  readonly op: string;
  readonly sentAt: number;
  /** A status request's text, sent again after a reconnect (status is outside the exactly-once sequence, and idempotent). */
  readonly resendText?: string;
  resolve(message: ServerMessage): void;
  reject(error: BatonError): void;
  onQueued?: (position: number) => void;
}

type OutgoingMessage = { op: string; id?: RequestId } & Record<string, unknown>;

/** A request waiting to be transmitted (the session is not ready yet). */
interface Unsent {
  readonly text: string;
  readonly id: RequestId | undefined;
  readonly op: string;
}

/** Open a session with the server at `url` (`tcp://…`, `zmq://…`, `ws://…`). */
export async function connect(url: string, options: ConnectOptions): Promise<BatonClient> {
  const address = parseServerUrl(url);
  const transports = Array.isArray(options.transport) ? (options.transport as readonly Transport[]) : [options.transport as Transport];
  const transport = transports.find((candidate) => candidate.scheme === address.scheme);
  if (!transport) {
    throw new TypeError(`no transport for ${address.scheme}:// (have ${transports.map((candidate) => candidate.scheme).join(', ')})`);
  }
  const client = new BatonClient(address, transport, options);
  await client.open();
  return client;
}

/** A connected session. Create it with {@link connect}. */
export class BatonClient implements LockOwner, AsyncDisposable {
  private connection: Connection | undefined;
  /** True while `connection` carries a live session: requests go straight out. */
  private ready = false;
  private sessionId: string | undefined;
  private secret: string | undefined;
  private grantedLeaseMs = 0;
  private nextRequestId = 1;
  private readonly pending = new Map<RequestId, PendingRequest>();
  private readonly locks = new Map<string, Lock>();
  /** Locks given up locally while the server may still count them: released once the session is back. */
  private readonly orphans: Lock[] = [];
  /** Requests made while not ready, sent once the session is (re)established. */
  private outbox: Unsent[] = [];
  /** Whether the current session is exactly-once (docs/protocol.md 3.1). */
  private exactlyOnce = false;
  /** The `seq` the next transmitted request gets. */
  private nextSeq = 1;
  /** The highest `sn` received with every smaller one: what `ack` says. */
  private lastSn = 0;
  /** Messages received since the last `ack` went out. */
  private unacknowledged = 0;
  /** Transmitted requests of the exactly-once session with no answer yet, by seq (insertion order is seq order): sent again after a resume. */
  private readonly unanswered = new Map<number, string>();
  /** The seq of each request in `unanswered`, by request id. */
  private readonly sequenceOf = new Map<RequestId, number>();
  /** Fires when requests queued while the lease cannot be proven have waited a lease in vain. */
  private unavailableTimer: ReturnType<typeof setTimeout> | undefined;
  /** Until when (client clock) the lease is proven to last. */
  private confirmedUntil = 0;
  private keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  private leaseTimer: ReturnType<typeof setTimeout> | undefined;
  private closing = false;
  private reconnecting = false;

  constructor(
    private readonly address: ServerAddress,
    private readonly transport: Transport,
    private readonly options: ConnectOptions,
  ) {}

  /** The session id the server gave us. */
  get session(): string {
    return this.sessionId ?? '';
  }

  /** The lease the server granted, in milliseconds. */
  get leaseMs(): number {
    return this.grantedLeaseMs;
  }

  /** Locks currently held through this client. */
  get heldLocks(): readonly Lock[] {
    return [...this.locks.values()];
  }

  /** @internal Dial and open the session. {@link connect} calls it. */
  async open(): Promise<void> {
    try {
      const connection = await this.dial();
      await this.handshake(connection, false);
    } catch (error) {
      // A rejected connect leaves nothing behind: no reconnect loop, no timer, no socket.
      this.closing = true;
      this.stopTimers();
      const connection = this.connection;
      this.connection = undefined;
      this.ready = false;
      connection?.close();
      throw error;
    }
    this.keepaliveTimer = setInterval(() => this.keepalive(), Math.max(50, Math.floor(this.grantedLeaseMs / KEEPALIVES_PER_LEASE)));
  }

  /** Wait for the lock (or up to `waitMs`), in FIFO order with every other client. */
  async acquire(resource: string, options: AcquireOptions = {}): Promise<Lock> {
    const problem = resourceNameProblem(resource);
    if (problem) throw new BatonError('BAD_RESOURCE_NAME', problem);
    const signal = options.signal;
    if (signal?.aborted) throw abortedError(resource);
    const mode = options.mode ?? 'exclusive';
    const id = this.nextRequestId++;
    let reply = this.requestText('acquire', id, acquireText(id, resource, mode, options), options.onQueued);
    if (options.waitMs !== undefined && options.waitMs > 0) reply = this.withWaitDeadline(reply, id, resource, options.waitMs);
    if (!signal) return this.lockFromReply(await reply, resource, options);
    let abortRequested = false;
    const onAbort = () => {
      if (!this.pending.has(id)) return;
      abortRequested = true;
      // The cancel's own reply does not matter: either the acquire is
      // withdrawn (and rejected as ABORTED), or its grant won the race.
      this.request({ op: 'cancel', id: this.nextRequestId++, target: id }).catch(() => {});
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let message: ServerMessage;
    try {
      message = await reply;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    const lock = this.lockFromReply(message, resource, options);
    if (abortRequested) {
      await lock.release().catch(() => {});
      throw abortedError(resource);
    }
    return lock;
  }

  /**
   * Enforce an acquire's waitMs on this side too (see WAIT_GRACE_MS): reject
   * with TIMEOUT and withdraw the request on the server, so a call never
   * waits past its waitMs for a server that cannot answer.
   */
  private withWaitDeadline(reply: Promise<ServerMessage>, id: number, resource: string, waitMs: number): Promise<ServerMessage> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let graceGiven = false;
    const check = () => {
      const pending = this.pending.get(id);
      if (!pending) return;
      if (this.ready && !graceGiven) {
        graceGiven = true;
        timer = setTimeout(check, WAIT_GRACE_MS);
        return;
      }
      this.pending.delete(id);
      pending.reject(new BatonError(ClientErrorCode.TIMEOUT, `${resource} was not granted within ${waitMs} ms`));
      // Withdraw it where it may have arrived; a grant that raced is released on arrival.
      this.request({ op: 'cancel', id: this.nextRequestId++, target: id }).catch(() => {});
    };
    timer = setTimeout(check, waitMs);
    return reply.finally(() => clearTimeout(timer));
  }

  /** The Lock an acquire's reply grants, or the error it means. */
  private lockFromReply(message: ServerMessage, resource: string, options: AcquireOptions): Lock {
    if (message.op === 'timeout') {
      throw new BatonError(ClientErrorCode.TIMEOUT, `${resource} was not granted within ${options.waitMs ?? 0} ms`);
    }
    if (message.op !== 'granted') throw new BatonError(ClientErrorCode.PROTOCOL, `unexpected reply ${message.op} to acquire`);
    // The caller's own name string, not the reply's (which may be a view into the whole reply text).
    return this.adopt(resource, message.mode, message.token, message.waitedMs);
  }

  /** A try-lock: the lock if it is free right now, otherwise undefined. Never waits in the queue. */
  async tryAcquire(resource: string, options: Omit<AcquireOptions, 'waitMs' | 'signal' | 'onQueued'> = {}): Promise<Lock | undefined> {
    try {
      return await this.acquire(resource, { ...options, waitMs: 0 });
    } catch (error) {
      if (error instanceof BatonError && error.code === ClientErrorCode.TIMEOUT) return undefined;
      throw error;
    }
  }

  /**
   * Run `work` while holding the lock, and release it afterwards whatever
   * happens. `work` gets the lock's signal: stop when it aborts.
   */
  async withLock<T>(resource: string, work: (signal: AbortSignal, lock: Lock) => Promise<T> | T, options: AcquireOptions = {}): Promise<T> {
    const lock = await this.acquire(resource, options);
    try {
      return await work(lock.signal, lock);
    } finally {
      await lock.release();
    }
  }

  /**
   * Holders and waiters of one resource, or one page of every resource (the
   * busiest first); pass the reply's `nextOffset` as `offset` for the next page.
   */
  async status(resource?: string, offset?: number): Promise<StatusReplyMessage> {
    const message = await this.timedRequest({ op: 'status', id: this.nextRequestId++, resource, offset });
    if (message.op !== 'status') throw new BatonError(ClientErrorCode.PROTOCOL, `unexpected reply ${message.op} to status`);
    return message;
  }

  /** Every page of the status of every resource, concatenated (at most `maxPages` pages). */
  async statusOfEverything(maxPages = 1_000): Promise<StatusReplyMessage> {
    const first = await this.status();
    let next = first.nextOffset;
    for (let page = 1; next !== undefined && page < maxPages; page++) {
      const more = await this.status(undefined, next);
      first.resources.push(...more.resources);
      next = more.nextOffset;
    }
    if (next === undefined) delete first.nextOffset;
    else first.nextOffset = next;
    return first;
  }

  /** Admin: take a lock away from its holder(s). Needs the server's admin token. Resolves to the revoked tokens. */
  async forceRelease(resource: string, adminToken: string, token?: string): Promise<string[]> {
    const message = await this.timedRequest({ op: 'force-release', id: this.nextRequestId++, resource, token, adminToken });
    if (message.op !== 'force-released') throw new BatonError(ClientErrorCode.PROTOCOL, `unexpected reply ${message.op} to force-release`);
    return message.tokens;
  }

  /** @internal Used by {@link Lock.release}. */
  releaseLock(lock: Lock): Promise<void> {
    const id = this.nextRequestId++;
    const text = releaseText(id, lock.resource, lock.token);
    // Plain callbacks rather than an async function: this runs once per lock.
    return this.requestText('release', id, text).then(
      () => {
        this.locks.delete(lock.token);
      },
      (error: unknown) => {
        this.locks.delete(lock.token);
        if (error instanceof BatonError && (error.code === 'NOT_HELD' || error.code === 'SESSION_ENDED')) {
          throw new BatonError(ClientErrorCode.LOCK_LOST, `the lock on ${lock.resource} (token ${lock.token}) was lost before it was released`);
        }
        throw error;
      },
    );
  }

  /** Say goodbye (the server releases every lock at once) and close the connection. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.stopTimers();
    const connection = this.connection;
    if (connection && this.ready) {
      // Wait for the bye (so the locks are surely released) but not forever.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DEFAULT_CONNECT_TIMEOUT_MS)));
      await Promise.race([this.request({ op: 'goodbye', id: this.nextRequestId++ }).catch(() => {}), timeout]);
      clearTimeout(timer);
    }
    this.ready = false;
    this.connection = undefined;
    connection?.close();
    const error = new BatonError(ClientErrorCode.CLIENT_CLOSED, 'the client was closed');
    this.failPending(error);
    for (const lock of this.locks.values()) lock.markLost(error);
    this.locks.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal Used by {@link Lock}: the proven end of the lease minus the safety margin. */
  holdsUntil(): number {
    return this.confirmedUntil - this.safetyMargin();
  }

  /** Requests in flight or waiting (for tests and diagnostics). */
  get pendingCount(): number {
    return this.pending.size;
  }

  // ---- requests and replies ----

  /** A request that rejects with REQUEST_TIMEOUT when no reply comes within requestTimeoutMs. */
  private timedRequest(message: OutgoingMessage & { id: number }): Promise<ServerMessage> {
    const timeoutMs = this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const reply = this.request(message);
    const timer = setTimeout(() => {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      pending.reject(new BatonError(ClientErrorCode.REQUEST_TIMEOUT, `no reply to ${message.op} within ${timeoutMs} ms`));
    }, timeoutMs);
    return reply.finally(() => clearTimeout(timer));
  }

  private request(message: OutgoingMessage, onQueued?: (position: number) => void): Promise<ServerMessage> {
    const id = message.id ?? this.nextRequestId++;
    message.id = id;
    return this.requestText(message.op, id, encodeMessage(message as never), onQueued);
  }

  /** Send a request already encoded as `text` (its id is `id`) and wait for its reply. */
  private requestText(op: string, id: RequestId, text: string, onQueued?: (position: number) => void): Promise<ServerMessage> {
    if (this.closing && op !== 'goodbye') {
      return Promise.reject(new BatonError(ClientErrorCode.CLIENT_CLOSED, 'the client is closed'));
    }
    return new Promise<ServerMessage>((resolve, reject) => {
      this.pending.set(id, { op, sentAt: performance.now(), resolve, reject, onQueued, resendText: op === 'status' ? text : undefined });
      this.sendText(text, id, op);
    });
  }

  private send(message: OutgoingMessage): void {
    this.sendText(encodeMessage(message as never), message.id, message.op);
  }

  private sendText(text: string, id: RequestId | undefined, op: string): void {
    if (this.ready && this.connection) this.transmit(this.connection, text, id, op);
    else this.outbox.push({ text, id, op });
    this.armUnavailableTimer();
  }

  /**
   * Put a request on the wire. In an exactly-once session every request but
   * status gets the next `seq` and the current `ack`, appended to its text
   * (where the server's fast path expects them), and is kept until its first
   * answer so a resume can send it again.
   */
  private transmit(connection: Connection, text: string, id: RequestId | undefined, op: string): void {
    if (!this.exactlyOnce || op === 'status') {
      connection.send(text);
      return;
    }
    const seq = this.nextSeq++;
    const sequenced = `${text.slice(0, -1)},"seq":${seq},"ack":${this.lastSn}}`;
    this.unacknowledged = 0;
    this.unanswered.set(seq, sequenced);
    if (id !== undefined) this.sequenceOf.set(id, seq);
    connection.send(sequenced);
  }

  /**
   * Requests queued while the lease cannot be proven any more wait at most
   * one lease for the server to come back; then every waiting call rejects
   * with UNAVAILABLE.
   */
  private armUnavailableTimer(): void {
    if (this.unavailableTimer || this.closing || this.grantedLeaseMs === 0) return;
    if (performance.now() < this.holdsUntil()) return;
    this.unavailableTimer = setTimeout(() => {
      this.unavailableTimer = undefined;
      if (this.closing || performance.now() < this.holdsUntil()) return;
      const error = new BatonError(ClientErrorCode.UNAVAILABLE, `the server did not answer within ${this.grantedLeaseMs} ms`);
      this.rejectWaiting(error, performance.now() - this.grantedLeaseMs);
      if (this.pending.size > 0) this.armUnavailableTimer();
    }, this.grantedLeaseMs);
  }

  /**
   * Reject every call but the handshake's that was made before `before`
   * (default: all), and forget what of them was not sent yet.
   */
  private rejectWaiting(error: BatonError, before = Infinity): void {
    for (const [id, pending] of this.pending) {
      if (pending.op === 'hello' || pending.sentAt >= before) continue;
      this.pending.delete(id);
      pending.reject(error);
    }
    this.outbox = before === Infinity ? [] : this.outbox.filter((unsent) => unsent.id === undefined || this.pending.has(unsent.id));
  }

  private handleMessage(text: string): void {
    const message = decodeServerMessage(text);
    if (!message) {
      this.emit({ type: 'server-error', code: ClientErrorCode.PROTOCOL, message: `unreadable message from the server: ${text.slice(0, 80)}` });
      return;
    }
    // A welcome's `sn` is the last one sent, not its own place in the stream.
    if (message.op !== 'welcome' && 'sn' in message && typeof message.sn === 'number' && this.exactlyOnce) {
      if (message.sn <= this.lastSn) return; // sent again after a resume; already handled
      if (message.sn !== this.lastSn + 1) {
        // A message was lost: resume, and the server sends everything after lastSn again.
        this.connection?.close();
        return;
      }
      this.lastSn = message.sn;
      if (++this.unacknowledged >= ACK_INTERVAL_MESSAGES) {
        this.unacknowledged = 0;
        this.keepalive();
      }
    }
    if (message.op === 'lost') {
      const lock = this.locks.get(message.token);
      this.locks.delete(message.token);
      const error = new BatonError(ClientErrorCode.LOCK_LOST, `the lock on ${message.resource} (token ${message.token}) was lost: ${message.reason}`);
      lock?.markLost(error);
      this.emit({ type: 'lock-lost', resource: message.resource, token: message.token, error });
      return;
    }
    const id = 'id' in message ? message.id : undefined;
    if (id === undefined) {
      if (message.op === 'error' && message.code === 'SESSION_ENDED') this.sessionEnded(new BatonError('SESSION_ENDED', message.message));
      else if (message.op === 'error' && message.code === 'SHUTTING_DOWN') this.serverShuttingDown(message.message);
      else if (message.op === 'error') this.emit({ type: 'server-error', code: message.code, message: message.message });
      return;
    }
    const seq = this.sequenceOf.get(id);
    if (seq !== undefined) {
      // Its first answer: the server applied it, no need to send it again.
      this.sequenceOf.delete(id);
      this.unanswered.delete(seq);
    }
    const pending = this.pending.get(id);
    if (!pending) {
      // A grant for a request nobody waits for any more: give it straight back.
      if (message.op === 'granted') this.send({ op: 'release', id: this.nextRequestId++, resource: message.resource, token: message.token });
      return;
    }
    this.confirm(pending.sentAt);
    if (message.op === 'queued') {
      pending.onQueued?.(message.position);
      return;
    }
    this.pending.delete(id);
    if (message.op === 'error') {
      pending.reject(new BatonError(message.code, message.message));
      return;
    }
    if (message.op === 'cancelled') {
      const acquire = this.pending.get(message.target);
      this.pending.delete(message.target);
      acquire?.reject(abortedError(message.resource));
    }
    pending.resolve(message);
  }

  private adopt(resource: string, mode: LockMode, token: string, waitedMs: number): Lock {
    const lock = new Lock(this, resource, mode, token, waitedMs);
    this.locks.set(token, lock);
    return lock;
  }

  // ---- the session ----

  private async dial(): Promise<Connection> {
    try {
      return await this.transport.dial({
        host: this.address.host,
        port: this.address.port,
        connectTimeoutMs: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      });
    } catch (error) {
      throw new BatonError(
        ClientErrorCode.CONNECT_FAILED,
        `cannot reach ${this.address.scheme}://${this.address.host}:${this.address.port}: ${(error as Error).message}`,
      );
    }
  }

  /** Send hello on a fresh connection (resuming when we have a session) and make it the live one. */
  private async handshake(connection: Connection, resume: boolean): Promise<void> {
    if (this.connection !== connection) {
      // A transport takes its handlers once per connection: install them only
      // for a new one (a new session may also be opened on the current one).
      this.connection = connection;
      connection.setHandlers({
        onMessage: (text) => {
          if (this.connection === connection) this.handleMessage(text);
        },
        onClose: (error) => {
          if (this.connection === connection) this.connectionLost(error);
        },
      });
    }
    this.ready = false;
    let welcome: ServerMessage;
    let helloSentAt = 0;
    for (;;) {
      const id = this.nextRequestId++;
      const hello: OutgoingMessage = { op: 'hello', id, v: PROTOCOL_VERSION, client: this.options.client, leaseMs: this.options.leaseMs };
      if (resume && this.sessionId !== undefined) {
        hello.session = this.sessionId;
        hello.secret = this.secret;
        if (this.exactlyOnce) hello.ack = this.lastSn;
      } else if (this.options.exactlyOnce !== false) {
        hello.exactlyOnce = true;
      }
      const reply = new Promise<ServerMessage>((resolve, reject) => {
        helloSentAt = performance.now();
        this.pending.set(id, { op: 'hello', sentAt: helloSentAt, resolve, reject });
      });
      connection.send(encodeMessage(hello as never));
      try {
        welcome = await reply;
        break;
      } catch (error) {
        if (resume && error instanceof BatonError && error.code === 'UNKNOWN_SESSION') {
          // The session is gone: its locks too. Waiting acquires learn it as
          // SESSION_ENDED, the same code as when the server pushes the end,
          // so callers need one rule however the end was discovered.
          this.sessionEnded(new BatonError('SESSION_ENDED', `the session ended while the connection was down: ${error.message}`));
          resume = false;
          continue;
        }
        throw error;
      }
    }
    if (welcome.op !== 'welcome') throw new BatonError(ClientErrorCode.PROTOCOL, `expected welcome, got ${welcome.op}`);
    const previous = this.sessionId;
    this.sessionId = welcome.session;
    this.secret = welcome.secret;
    this.grantedLeaseMs = welcome.leaseMs;
    if (resume && !welcome.resumed) {
      // Asked to resume, given a new session: the old one is gone, and with it every lock and waiting call.
      this.sessionEnded(new BatonError('SESSION_ENDED', 'the server opened a new session instead of resuming the old one'));
    }
    if (!welcome.resumed) this.startStream(welcome.exactlyOnce === true);
    this.confirm(helloSentAt);
    this.ready = true;
    if (this.unavailableTimer) clearTimeout(this.unavailableTimer);
    this.unavailableTimer = undefined;
    if (welcome.resumed && this.exactlyOnce) {
      // Send again, in order, every request the server has not applied (its
      // answers to the others are among the messages it sends again).
      const applied = welcome.applied ?? 0;
      for (const [seq, text] of this.unanswered) {
        if (seq <= applied) this.unanswered.delete(seq);
        else connection.send(text);
      }
    }
    if (welcome.resumed) {
      // Status is outside the sequence: ask again, its answer may have been lost.
      for (const pending of this.pending.values()) if (pending.resendText !== undefined) connection.send(pending.resendText);
    }
    this.emit(welcome.resumed ? { type: 'resumed', session: welcome.session } : { type: 'session-opened', session: welcome.session });
    if (!welcome.resumed && previous !== undefined) this.orphans.length = 0;
    for (const orphan of this.orphans.splice(0)) {
      this.send({ op: 'release', id: this.nextRequestId++, resource: orphan.resource, token: orphan.token });
    }
    const queued = this.outbox;
    this.outbox = [];
    for (const unsent of queued) this.transmit(connection, unsent.text, unsent.id, unsent.op);
  }

  /** A new session: its sequence starts over. */
  private startStream(exactlyOnce: boolean): void {
    this.exactlyOnce = exactlyOnce;
    this.nextSeq = 1;
    this.lastSn = 0;
    this.unacknowledged = 0;
    this.unanswered.clear();
    this.sequenceOf.clear();
  }

  /** Every reply proves the lease lasts until the request's send time plus the lease. */
  private confirm(sentAt: number): void {
    // Before the first welcome there is no lease to prove (the hello's own reply sets it).
    if (this.grantedLeaseMs === 0) return;
    const until = sentAt + this.grantedLeaseMs;
    if (until <= this.confirmedUntil) return;
    this.confirmedUntil = until;
    if (!this.leaseTimer && !this.closing) this.armLeaseTimer();
  }

  private safetyMargin(): number {
    return Math.min(MAX_SAFETY_MARGIN_MS, Math.max(MIN_SAFETY_MARGIN_MS, this.grantedLeaseMs / 10));
  }

  private armLeaseTimer(): void {
    const delayMs = Math.max(0, this.holdsUntil() - performance.now());
    this.leaseTimer = setTimeout(() => {
      this.leaseTimer = undefined;
      if (this.closing) return;
      if (performance.now() >= this.holdsUntil()) {
        this.leaseUnconfirmed();
        // Calls that wait on a server that cannot be reached do not wait past the lease.
        // Calls made before the lease became unprovable give up now; later ones get a lease of their own (armUnavailableTimer).
        this.rejectWaiting(new BatonError(ClientErrorCode.UNAVAILABLE, 'the server did not answer before the session\'s lease could no longer be proven'), this.holdsUntil());
        this.dropSilentConnection();
      } else {
        this.armLeaseTimer();
      }
    }, delayMs);
  }

  /**
   * Nothing has come back for almost a lease: the connection may be dead
   * without either side's socket knowing (a half-open TCP connection, a
   * stalled peer). Close it, so the usual reconnect-and-resume runs now
   * instead of whenever the operating system notices.
   */
  private dropSilentConnection(): void {
    if (!this.ready || !this.connection || this.options.reconnect === false) return;
    this.connection.close();
  }

  /** The lease may have run out on the server: every lock must be treated as lost now. */
  private leaseUnconfirmed(): void {
    if (this.locks.size === 0) return;
    const error = new BatonError(ClientErrorCode.LEASE_UNCONFIRMED, 'the session could not be renewed in time; its locks may be granted to others');
    for (const lock of this.locks.values()) {
      lock.markLost(error);
      this.orphans.push(lock);
      this.emit({ type: 'lock-lost', resource: lock.resource, token: lock.token, error });
    }
    this.locks.clear();
  }

  private keepalive(): void {
    if (!this.ready || this.closing) return;
    this.request({ op: 'keepalive' }).catch(() => {});
  }

  /** The server ended the session (lease ran out, or it was unknown on resume). */
  private sessionEnded(error: BatonError): void {
    const session = this.sessionId ?? '';
    for (const lock of this.locks.values()) {
      lock.markLost(new BatonError(ClientErrorCode.LOCK_LOST, `the lock on ${lock.resource} (token ${lock.token}) was lost: the session ended`));
    }
    this.locks.clear();
    this.orphans.length = 0;
    this.rejectWaiting(error);
    this.unanswered.clear();
    this.sequenceOf.clear();
    this.emit({ type: 'session-lost', session, error });
    if (this.ready && this.connection && !this.closing) {
      // Still connected: carry on under a new session.
      this.ready = false;
      this.sessionId = undefined;
      const connection = this.connection;
      this.handshake(connection, false).catch((handshakeError: unknown) => this.connectionLost(handshakeError as Error));
    }
  }

  /**
   * The server is stopping and keeps no log (docs/protocol.md 3.2): every
   * lock is gone and every waiting call is refused with SHUTTING_DOWN. The
   * server closes the connection; the usual reconnect then opens a new
   * session once a server is back.
   */
  private serverShuttingDown(text: string): void {
    this.emit({ type: 'shutting-down', message: text });
    for (const lock of this.locks.values()) {
      const error = new BatonError(ClientErrorCode.LOCK_LOST, `the lock on ${lock.resource} (token ${lock.token}) was lost: the server is shutting down`);
      lock.markLost(error);
      this.emit({ type: 'lock-lost', resource: lock.resource, token: lock.token, error });
    }
    this.locks.clear();
    this.orphans.length = 0;
    this.rejectWaiting(new BatonError(ClientErrorCode.SHUTTING_DOWN, `the server is shutting down: ${text}`));
    this.unanswered.clear();
    this.sequenceOf.clear();
    // Later calls wait for the new session the reconnect opens.
    this.sessionId = undefined;
    this.ready = false;
  }

  private connectionLost(error: Error | undefined): void {
    this.ready = false;
    this.connection = undefined;
    if (this.closing) return;
    this.emit({ type: 'disconnected', error });
    // Replies to requests in flight may never come; hello never will.
    for (const [id, pending] of this.pending) {
      if (pending.op !== 'hello') continue;
      this.pending.delete(id);
      pending.reject(new BatonError(ClientErrorCode.CONNECT_FAILED, 'the connection closed during the handshake'));
    }
    if (this.options.reconnect === false) {
      const closed = new BatonError(ClientErrorCode.CLIENT_CLOSED, `the connection closed${error ? `: ${error.message}` : ''}`);
      this.failPending(closed);
      this.leaseUnconfirmed();
      return;
    }
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    let wait = FIRST_RECONNECT_DELAY_MS;
    try {
      while (!this.closing && !this.ready) {
        try {
          const connection = await this.dial();
          if (this.closing) {
            connection.close();
            return;
          }
          await this.handshake(connection, this.sessionId !== undefined);
          return;
        } catch {
          await delay(wait);
          wait = Math.min(LAST_RECONNECT_DELAY_MS, wait * 2);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  private failPending(error: BatonError): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.outbox = [];
    for (const request of pending) request.reject(error);
  }

  private stopTimers(): void {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    if (this.unavailableTimer) clearTimeout(this.unavailableTimer);
    this.keepaliveTimer = undefined;
    this.leaseTimer = undefined;
    this.unavailableTimer = undefined;
  }

  private emit(event: ClientEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's bug must not break the session.
    }
  }
}

function abortedError(resource: string): BatonError {
  return new BatonError(ClientErrorCode.ABORTED, `the wait for ${resource} was aborted`);
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

export type { ErrorCode };
