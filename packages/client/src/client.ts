/**
 * The Baton client SDK: the I/O shell around {@link ClientSession}.
 *
 * Every rule (request bookkeeping, the lease proof and the loss deadline,
 * resume and resend, exactly-once, the never-hang deadlines) lives in the
 * sans-IO session; this class owns what the session leaves out on purpose:
 * the transport's connection, the one timer (armed at the session's
 * `nextDeadline()`), the promises callers await, and the {@link Lock}
 * objects whose signals abort when the session says a lock is lost.
 */
import type { ErrorCode, LockMode, StatusReplyMessage } from '@baton/core';
import type { Connection, Transport } from '@baton/transport';
import { ClientSession, DEFAULT_CONNECT_TIMEOUT_MS } from './client-session.js';
import type { CallId, CallResult, ClientEvent, GrantedLock, SessionEffect } from './client-session.js';
import { BatonError, ClientErrorCode } from './errors.js';
import { Lock } from './lock.js';
import type { LockOwner } from './lock.js';
import { parseServerUrl } from './server-url.js';
import type { ServerAddress } from './server-url.js';

export interface ConnectOptions {
  /** The transport(s) to use; the one whose scheme matches the URL's is picked. */
  transport: Transport | readonly Transport[];
  /** A name for this client, shown in the server's logs and status. */
  client?: string;
  /** Lease to ask for (1 s to 5 min). Default: the server's (10 s). */
  leaseMs?: number;
  /** Give up connecting (and waiting for the welcome) after this long. Default DEFAULT_CONNECT_TIMEOUT_MS. */
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

interface Waiter {
  resolve(result: CallResult): void;
  reject(error: BatonError): void;
  onQueued?: ((position: number) => void) | undefined;
}

/** Open a session with the server at `url` (`tcp://…`, `zmq://…`, `ws://…`). */
export async function connect(url: string, options: ConnectOptions): Promise<BatonClient> {
  // Checked here because plain JavaScript callers get no compile-time check.
  if (typeof url !== 'string') throw new TypeError(`connect(url, options): url must be a string like "tcp://127.0.0.1:5555", got ${typeof url}`);
  const address = parseServerUrl(url);
  if (typeof options !== 'object' || options === null) throw new TypeError('connect(url, options): options must be an object with a transport, e.g. { transport: tcpTransport }');
  if (options.transport === undefined || options.transport === null) {
    throw new TypeError('connect(url, options): options.transport is required, e.g. { transport: tcpTransport } from @baton/transport-tcp (or an array of transports)');
  }
  const transports: readonly Transport[] = isTransportList(options.transport) ? options.transport : [options.transport];
  for (const transport of transports) {
    if (typeof transport !== 'object' || transport === null || typeof transport.scheme !== 'string' || typeof transport.dial !== 'function') {
      throw new TypeError('connect(url, options): every options.transport must be a Baton transport (an object with scheme and dial), e.g. tcpTransport');
    }
  }
  const transport = transports.find((candidate) => candidate.scheme === address.scheme);
  if (!transport) {
    throw new TypeError(`no transport for ${address.scheme}:// (have ${transports.map((candidate) => candidate.scheme).join(', ')})`);
  }
  const client = new BatonClient(address, transport, options);
  await client.open();
  return client;
}

function isTransportList(transport: Transport | readonly Transport[]): transport is readonly Transport[] {
  return Array.isArray(transport);
}

/** A connected session. Create it with {@link connect}. */
export class BatonClient implements LockOwner, AsyncDisposable {
  private readonly machine: ClientSession;
  private connection: Connection | undefined;
  private readonly waiters = new Map<CallId, Waiter>();
  private readonly locks = new Map<string, Lock>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt: number | undefined;
  private flushing = false;
  private flushAgain = false;

  constructor(
    private readonly address: ServerAddress,
    private readonly transport: Transport,
    private readonly options: ConnectOptions,
  ) {
    this.machine = new ClientSession({
      client: options.client,
      leaseMs: options.leaseMs,
      exactlyOnce: options.exactlyOnce,
      reconnect: options.reconnect,
      requestTimeoutMs: options.requestTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
    });
  }

  /** The session id the server gave us. */
  get session(): string {
    return this.machine.session;
  }

  /** The lease the server granted, in milliseconds. */
  get leaseMs(): number {
    return this.machine.leaseMs;
  }

  /** Locks currently held through this client. */
  get heldLocks(): readonly Lock[] {
    return [...this.locks.values()];
  }

  /** Calls in flight or waiting (for tests and diagnostics). */
  get pendingCount(): number {
    return this.machine.pendingCount;
  }

  /** @internal Dial and open the session. {@link connect} calls it; a rejection leaves no socket, timer or session behind. */
  async open(): Promise<void> {
    await this.call(this.machine.open());
  }

  /** Wait for the lock (or up to `waitMs`), in FIFO order with every other client. */
  async acquire(resource: string, options: AcquireOptions = {}): Promise<Lock> {
    const signal = options.signal;
    if (signal?.aborted) throw new BatonError(ClientErrorCode.ABORTED, `the wait for ${resource} was aborted`);
    const id = this.machine.acquire(resource, options, performance.now());
    const reply = this.call(id, options.onQueued);
    if (!signal) return this.lockFrom(await reply);
    const onAbort = () => {
      this.machine.abort(id, performance.now());
      this.flush();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let lock: Lock;
    try {
      lock = this.lockFrom(await reply);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) {
      // The grant won the race with the abort: give it back.
      await lock.release().catch(() => {});
      throw new BatonError(ClientErrorCode.ABORTED, `the wait for ${resource} was aborted`);
    }
    return lock;
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
    const result = await this.call(this.machine.status(resource, offset, performance.now()));
    if (result.kind !== 'status') throw unexpected(result, 'status');
    return result.reply;
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
    const result = await this.call(this.machine.forceRelease(resource, adminToken, token, performance.now()));
    if (result.kind !== 'force-released') throw unexpected(result, 'force-release');
    return result.tokens;
  }

  /** @internal Used by {@link Lock.release}. */
  releaseLock(lock: Lock): Promise<void> {
    // Plain callbacks rather than an async function: this runs once per lock.
    return this.call(this.machine.release(lock.token, performance.now())).then(
      () => {
        this.locks.delete(lock.token);
      },
      (error: unknown) => {
        this.locks.delete(lock.token);
        throw error;
      },
    );
  }

  /** @internal Used by {@link Lock}: the proven end of the lease minus the safety margin. */
  holdsUntil(): number {
    return this.machine.holdsUntil();
  }

  /** Say goodbye (the server releases every lock at once) and close the connection. */
  async close(): Promise<void> {
    await this.call(this.machine.close(performance.now())).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- the shell ----

  /** Wait for a call the session was just given, then carry out what it produced. */
  private call(id: CallId, onQueued?: (position: number) => void): Promise<CallResult> {
    const result = new Promise<CallResult>((resolve, reject) => this.waiters.set(id, { resolve, reject, onQueued }));
    this.flush();
    return result;
  }

  private lockFrom(result: CallResult): Lock {
    if (result.kind !== 'lock') throw unexpected(result, 'acquire');
    const granted: GrantedLock = result.lock;
    const lock = new Lock(this, granted.resource, granted.mode, granted.token, granted.waitedMs);
    this.locks.set(granted.token, lock);
    return lock;
  }

  /** Carry out the session's effects, then arm the timer at its next deadline. */
  private flush(): void {
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    try {
      do {
        this.flushAgain = false;
        for (const effect of this.machine.takeEffects()) this.carryOut(effect);
      } while (this.flushAgain);
    } finally {
      this.flushing = false;
    }
    this.armTimer();
  }

  private carryOut(effect: SessionEffect): void {
    switch (effect.type) {
      case 'send':
        this.connection?.send(effect.text);
        return;
      case 'resolved': {
        const waiter = this.waiters.get(effect.call);
        this.waiters.delete(effect.call);
        waiter?.resolve(effect.result);
        return;
      }
      case 'rejected': {
        const waiter = this.waiters.get(effect.call);
        this.waiters.delete(effect.call);
        waiter?.reject(effect.error);
        return;
      }
      case 'queued':
        try {
          this.waiters.get(effect.call)?.onQueued?.(effect.position);
        } catch {
          // A callback's bug must not break the session.
        }
        return;
      case 'lock-lost': {
        const lock = this.locks.get(effect.token);
        this.locks.delete(effect.token);
        lock?.markLost(effect.error);
        return;
      }
      case 'event':
        try {
          this.options.onEvent?.(effect.event);
        } catch {
          // A listener's bug must not break the session.
        }
        return;
      case 'close-connection': {
        const connection = this.connection;
        this.connection = undefined;
        connection?.close();
        return;
      }
      case 'dial':
        this.dial();
        return;
    }
  }

  private dial(): void {
    this.transport
      .dial({ host: this.address.host, port: this.address.port, connectTimeoutMs: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS })
      .then(
        (connection) => {
          if (this.machine.closed) {
            connection.close();
            return;
          }
          this.connection = connection;
          connection.setHandlers({
            onMessage: (text) => {
              if (this.connection !== connection) return;
              this.machine.handle(text, performance.now());
              this.flush();
            },
            onClose: (error) => {
              if (this.connection !== connection) return;
              this.connection = undefined;
              this.machine.disconnected(error, performance.now());
              this.flush();
            },
          });
          this.machine.connected(performance.now());
          this.flush();
        },
        (error: unknown) => {
          const reason = `cannot reach ${this.address.scheme}://${this.address.host}:${this.address.port}: ${error instanceof Error ? error.message : String(error)}`;
          this.machine.dialFailed(reason, performance.now());
          this.flush();
        },
      );
  }

  private armTimer(): void {
    const at = this.machine.nextDeadline();
    if (at === this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = undefined;
      this.machine.tick(performance.now());
      this.flush();
    }, Math.max(0, Math.ceil(at - performance.now())));
  }
}

function unexpected(result: CallResult, call: string): BatonError {
  return new BatonError(ClientErrorCode.PROTOCOL, `unexpected ${result.kind} result for ${call}`);
}

export type { ErrorCode };
