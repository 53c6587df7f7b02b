/**
 * The coordinator: the I/O shell around the core's {@link LockMachine}.
 *
 * It owns everything the core leaves out on purpose: the clock (one timer,
 * armed from `nextDeadline()`), connections and which session each one
 * speaks for, session secrets for resuming after a reconnect, persistence of
 * the fencing-token high-water mark, and logging. Every message from every
 * transport ends up in {@link Coordinator.receive}; every effect the machine
 * returns is routed by {@link Coordinator.dispatch}. Because all of it runs
 * on one event loop and the machine is synchronous, inputs are applied one at
 * a time in arrival order, whatever transport they came from.
 *
 * A connection that drops does not end its session: the session keeps its
 * locks and queue places until its lease runs out, and a client that
 * reconnects with the session id and secret in time carries on where it was
 * (messages meant for it meanwhile are kept and delivered on resume).
 *
 * An exactly-once session (docs/protocol.md 3.1) goes further: the
 * coordinator applies each request `seq` once (a resent duplicate is dropped,
 * a gap refused), stamps every message to the session with the next `sn`
 * and keeps it in the session's {@link ReplayBuffer} until the client's `ack`
 * covers it, and a resume sends again everything after the hello's `ack`. So
 * a message lost with a connection, in either direction, costs one reconnect.
 *
 * Every state change is a {@link CoordinatorRecord} — an open, a machine
 * input with its `now` (and, for an exactly-once session, the `seq` it
 * applies and the `ack` it takes), or an error that is part of a stream —
 * handed to the journal (the write-ahead log) and then applied by
 * `applyRecord`, the one place state changes. Recovery applies the same
 * records with nothing sent (`recover`), so it reaches the same state,
 * replay buffers and all; then every lease restarts.
 *
 * Every message that arrives on a connection speaking for a session renews
 * that session's lease (docs/protocol.md 3): the requests the machine handles
 * renew as their input is applied; every other one (status, force-release, a
 * refused or duplicate request) is preceded by a keepalive input whose reply
 * is not sent. The SDK counts any reply as proof of renewal, so the two sides
 * must agree on exactly this.
 *
 * Peers are bounded (docs/protocol.md 3 and 7): connections in all and per
 * peer host, sessions, time on a connection without a session, bad messages
 * per connection per second, and log lines about peers' errors per second.
 * Every log line goes through {@link printableLogger}, so a peer's strings
 * cannot forge a line or send escape codes to a terminal. The machine's
 * catch-up is sliced (MAX_EXPIRIES_PER_TICK): while it is behind,
 * `nextDeadline()` is already due and the timer is re-armed with zero delay,
 * which yields to the sockets between slices — so a mass expiry does not
 * stall the renewals of the sessions that are still alive.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type {
  ClientMessage,
  Effect,
  ErrorMessage,
  ForceReleaseMessage,
  HelloMessage,
  Input,
  RequestId,
  ResourceLoad,
  ResourceSnapshot,
  ServerMessage,
  StatusMessage,
  StatusReplyMessage,
} from '@baton/core';
import type { Connection, Listener, Transport } from '@baton/transport';
import {
  decodeClientMessage,
  encodeMessage,
  ErrorCode,
  firstInOrder,
  LockMachine,
  MAX_BAD_MESSAGES_PER_SECOND,
  MAX_CONNECTIONS,
  MAX_CONNECTIONS_PER_ADDRESS,
  MAX_DETACHED_OUTBOX,
  MAX_MESSAGE_BYTES,
  MAX_SESSIONS,
  MAX_PENDING_STATUS_PER_CONNECTION,
  MAX_UNACKNOWLEDGED_MESSAGES,
  PEER_ERROR_LOG_LINES_PER_SECOND,
  LOCK_LOSS_LOG_LINES_PER_SECOND,
  PRE_SESSION_IDLE_MS,
  PROTOCOL_VERSION,
  SHUTDOWN_DRAIN_MS,
  STATUS_INLINE_RESOURCES,
  STATUS_WORK_PER_SLICE,
} from '@baton/core';
import { reportHandlerError } from '@baton/transport';
import { COORDINATOR_STATE_FORMAT } from './coordinator-record.js';
import type { CoordinatorJournal, CoordinatorRecord, CoordinatorState, InputRecord } from './coordinator-record.js';
import { encodeEffect, welcomeMessage, withId } from './effect-message.js';
import { ReplayBuffer } from './replay-buffer.js';
import type { CoordinatorLogger } from './logger.js';
import { silentLogger } from './logger.js';
import { RateLimitedLog } from './rate-limited-log.js';
import { peerHost } from './peer-host.js';
import { printableLogger } from './printable-logger.js';
import { buildStatusReply, busiestFirst } from './status-reply.js';
import { StatusIndexBuild } from './status-index.js';
import type { TokenStore } from './token-store.js';
import { MemoryTokenStore } from './token-store.js';

export interface CoordinatorOptions {
  /** Where the fencing-token high-water mark is kept. Default: in memory (tokens restart at 1). */
  tokenStore?: TokenStore;
  /**
   * Where every state change goes, as a {@link CoordinatorRecord}, before it
   * is acted on (the write-ahead log). Default: none.
   */
  journal?: CoordinatorJournal;
  /**
   * Grant nothing for this long from the start (acquires queue, try-locks
   * time out): for a coordinator that restarts without a log, so that no
   * lock a client of the process before may still believe it holds is
   * granted meanwhile. Give the longest lease the earlier process granted
   * (`TokenStore.loadLongestLease`). Default 0.
   */
  grantsHeldForMs?: number;
  /** Required by `force-release`. Without one, force-release is always refused. */
  adminToken?: string;
  logger?: CoordinatorLogger;
  /** Monotonic milliseconds. Default `performance.now()`. Tests may pass their own. */
  clock?: () => number;
  /** Lease for sessions whose hello names none. Default DEFAULT_LEASE_MS. */
  defaultLeaseMs?: number;
  /** Most waiters per resource. Default MAX_QUEUE_LENGTH. */
  maxQueueLength?: number;
  /** Most simultaneous connections, all transports together. Default MAX_CONNECTIONS. */
  maxConnections?: number;
  /** Largest message accepted. Default MAX_MESSAGE_BYTES. */
  maxMessageBytes?: number;
  /** Most simultaneous connections from one peer host. Default MAX_CONNECTIONS_PER_ADDRESS. */
  maxConnectionsPerAddress?: number;
  /** Most sessions kept at once, attached or detached. Default MAX_SESSIONS. */
  maxSessions?: number;
  /** How long a connection may stay open without a session. Default PRE_SESSION_IDLE_MS. */
  preSessionIdleMs?: number;
  /** Most bad messages per connection per second before it is closed. Default MAX_BAD_MESSAGES_PER_SECOND. */
  maxBadMessagesPerSecond?: number;
  /** Most log lines per second about peers' errors. Default PEER_ERROR_LOG_LINES_PER_SECOND. */
  peerErrorLogLinesPerSecond?: number;
  /** Most `LOST` log lines per second. Default LOCK_LOSS_LOG_LINES_PER_SECOND. */
  lockLossLogLinesPerSecond?: number;
  /** Most units of expiry work per machine call (one slice of a mass expiry). Default MAX_EXPIRIES_PER_TICK. */
  maxExpiriesPerTick?: number;
  /** Above this many busy resources a full `status` is built in slices. Default STATUS_INLINE_RESOURCES. */
  statusInlineResources?: number;
  /** Units of work per slice of a sliced `status`. Default STATUS_WORK_PER_SLICE. */
  statusWorkPerSlice?: number;
  /**
   * The coordinator's timers: one at the machine's next deadline, one per
   * connection without a session (PRE_SESSION_IDLE_MS), one for the peer
   * error log's summary line. Default: Node's setTimeout. A simulation with a
   * virtual `clock` passes its own, so that they fire in virtual time.
   */
  timers?: CoordinatorTimers;
  /**
   * Makes this coordinator a follower in a group (docs/protocol.md 3.4): every
   * readable request, `hello` and `status` included, is answered with
   * NOT_LEADER naming the address this returns (the leader's, or undefined
   * while none is elected), and nothing reaches the machine. Bad frames,
   * limits and the pre-session idle timer work as usual. Default: none (this
   * coordinator serves).
   */
  redirect?: () => string | undefined;
}

/** How the coordinator sets and clears its timer; see {@link CoordinatorOptions.timers}. */
export interface CoordinatorTimers {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

const nodeTimers: CoordinatorTimers = {
  set: (callback, delayMs) => setTimeout(callback, delayMs),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * What subscribers (a dashboard, metrics) are told after each effect is acted
 * on: the core's effect as it is, the client name of its session (when it has
 * one), and the wall-clock time, Unix epoch milliseconds.
 */
export interface CoordinatorEvent {
  effect: Exclude<Effect, { type: 'reserve-tokens' }>;
  client: string | undefined;
  at: number;
}

export type CoordinatorListener = (event: CoordinatorEvent) => void;

/** One accepted connection and the session it speaks for, if any. */
interface ClientConnection {
  readonly connection: Connection;
  session: SessionRecord | undefined;
  open: boolean;
  /** Counted against this host's connections; undefined when the transport names no IP host. */
  readonly host: string | undefined;
  /** Closes the connection if it still has no session in time; undefined while it has one. */
  idleTimer: unknown;
  /** Start of the current one-second window of bad messages, and how many it has seen. */
  badWindowStart: number;
  badMessages: number;
  /** The coordinator is closing it: what it still sends is ignored. */
  closing: boolean;
  /** Its sliced `status` requests not answered yet (at most MAX_PENDING_STATUS_PER_CONNECTION). */
  pendingStatus: number;
}

/**
 * Someone waiting for a sliced build of the order of every busy resource
 * (STATUS_INLINE_RESOURCES): a `status` of every resource, or an embedder's
 * {@link Coordinator.busiestResources}. Called with the order, or with
 * undefined when the coordinator closed first.
 */
type OrderWaiter = (ordered: readonly ResourceLoad[] | undefined) => void;

/** Hands the order to each waiter; one that throws is reported and the others still hear. */
function tellOrder(waiters: readonly OrderWaiter[], ordered: readonly ResourceLoad[] | undefined): void {
  for (const waiter of waiters) {
    try {
      waiter(ordered);
    } catch (error) {
      reportHandlerError(error);
    }
  }
}

/** `logger`, its info and warn lines written once what the journal holds now is durable (errors at once). */
function afterDurableLogger(logger: CoordinatorLogger, journal: CoordinatorJournal): CoordinatorLogger {
  return {
    info: (fields, message) => journal.afterDurable(() => logger.info(fields, message)),
    warn: (fields, message) => journal.afterDurable(() => logger.warn(fields, message)),
    error: (fields, message) => logger.error(fields, message),
    isLevelEnabled: logger.isLevelEnabled?.bind(logger),
  };
}

/** The window MAX_BAD_MESSAGES_PER_SECOND counts in. */
const BAD_MESSAGE_WINDOW_MS = 1_000;

/** What the coordinator knows of a session beyond the machine's view. */
interface SessionRecord {
  readonly id: string;
  /** The secret itself: known to the process that opened the session, or learned from a resume that proved it. */
  secret: string | undefined;
  /** SHA-256 of the secret, hex: what a log keeps and a resume is checked against. */
  readonly secretHash: string;
  readonly client: string;
  /** The connection the session's messages go to; undefined while detached. */
  attached: ClientConnection | undefined;
  /** A plain session's messages kept while it is detached, until it resumes. */
  readonly outbox: string[];
  /** An exactly-once session's stream (docs/protocol.md 3.1); undefined for a plain session. */
  readonly stream: SessionStream | undefined;
}

/** The exactly-once bookkeeping of one session. */
interface SessionStream {
  /** The highest request `seq` applied. */
  applied: number;
  /** Every message sent and not yet acknowledged, stamped with its `sn`. */
  readonly replay: ReplayBuffer;
}

/** How a request of an exactly-once session fits its sequence. */
type SequenceVerdict = 'apply' | 'duplicate' | 'refused';

export class Coordinator {
  private machine: LockMachine;
  private readonly machineOptions: { defaultLeaseMs?: number; maxQueueLength?: number; maxExpiryWork?: number };
  private readonly journal: CoordinatorJournal | undefined;
  /** True while records are replayed on recovery: nothing is sent, logged or scheduled. */
  private replaying = false;
  /** The open record being applied: its session-opened effect registers the session from it. */
  private pendingOpen: { record: Extract<CoordinatorRecord, { kind: 'open' }>; secret: string | undefined } | undefined;
  /** Added to the clock so that time goes on from the last recovered record, whatever the new process's clock says. */
  private clockOffset = 0;
  private readonly baseClock: () => number;
  /** The longest lease the token store knows was granted (kept so that a restart without a log can wait it out). */
  private longestLeaseSaved: number;
  private readonly tokenStore: TokenStore;
  private readonly logger: CoordinatorLogger;
  /**
   * Where the lines about what the machine did (grants, releases, LOST,
   * ended sessions) go: with a journal, written once their records are
   * durable, like every message. So a leader deposed before its commit (a
   * group's leader paused past its lease) logs nothing it did not do.
   */
  private readonly effectLogger: CoordinatorLogger;
  private readonly clock: () => number;
  private readonly adminToken: string | undefined;
  private readonly maxConnections: number;
  private readonly maxMessageBytes: number;
  private readonly maxConnectionsPerAddress: number;
  private readonly maxSessions: number;
  private readonly preSessionIdleMs: number;
  private readonly maxBadMessagesPerSecond: number;
  private readonly statusInlineResources: number;
  private readonly statusWorkPerSlice: number;
  /** The sliced `status` build in progress, the requests it will answer, those that wait for the next, and its timer. */
  private statusBuild: StatusIndexBuild | undefined;
  private statusBatch: OrderWaiter[] = [];
  private statusQueue: OrderWaiter[] = [];
  private statusTimer: unknown;
  private readonly peerErrors: RateLimitedLog;
  private readonly lockLosses: RateLimitedLog;
  /** Open connections per peer host. */
  private readonly connectionsPerHost = new Map<string, number>();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly connections = new Set<ClientConnection>();
  private readonly listeners: Listener[] = [];
  private readonly timers: CoordinatorTimers;
  private readonly redirect: (() => string | undefined) | undefined;
  private timer: unknown;
  private timerDeadline: number | undefined;
  private sessionCounter = 0;
  private closed = false;
  private readonly subscribers = new Set<CoordinatorListener>();
  /** Per-event lines are info, refusals are warn: decided once, not per event. */
  private readonly logsInfo: boolean;
  private readonly logsWarnings: boolean;

  constructor(options: CoordinatorOptions = {}) {
    this.tokenStore = options.tokenStore ?? new MemoryTokenStore();
    this.logger = printableLogger(options.logger ?? silentLogger);
    this.logsInfo = this.logger.isLevelEnabled?.('info') ?? true;
    this.logsWarnings = this.logger.isLevelEnabled?.('warn') ?? true;
    this.baseClock = options.clock ?? (() => performance.now());
    this.clock = () => this.baseClock() + this.clockOffset;
    this.journal = options.journal;
    this.effectLogger = this.journal ? afterDurableLogger(this.logger, this.journal) : this.logger;
    this.adminToken = options.adminToken;
    this.maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.timers = options.timers ?? nodeTimers;
    this.redirect = options.redirect;
    this.maxConnectionsPerAddress = options.maxConnectionsPerAddress ?? MAX_CONNECTIONS_PER_ADDRESS;
    this.maxSessions = options.maxSessions ?? MAX_SESSIONS;
    this.preSessionIdleMs = options.preSessionIdleMs ?? PRE_SESSION_IDLE_MS;
    this.maxBadMessagesPerSecond = options.maxBadMessagesPerSecond ?? MAX_BAD_MESSAGES_PER_SECOND;
    this.statusInlineResources = options.statusInlineResources ?? STATUS_INLINE_RESOURCES;
    this.statusWorkPerSlice = options.statusWorkPerSlice ?? STATUS_WORK_PER_SLICE;
    this.peerErrors = new RateLimitedLog(this.logger, this.clock, this.timers, {
      level: 'info',
      linesPerSecond: options.peerErrorLogLinesPerSecond ?? PEER_ERROR_LOG_LINES_PER_SECOND,
      kind: 'bad-message',
    });
    this.lockLosses = new RateLimitedLog(this.effectLogger, this.clock, this.timers, {
      level: 'warn',
      linesPerSecond: options.lockLossLogLinesPerSecond ?? LOCK_LOSS_LOG_LINES_PER_SECOND,
      kind: 'LOST',
    });
    const persisted = this.tokenStore.load();
    // After a restart, jump past every token that may have been issued: the
    // whole reserved block, used or not.
    const firstToken = persisted === undefined ? 1n : persisted + 1n;
    this.machineOptions = { defaultLeaseMs: options.defaultLeaseMs, maxQueueLength: options.maxQueueLength, maxExpiryWork: options.maxExpiriesPerTick };
    this.longestLeaseSaved = this.tokenStore.loadLongestLease?.() ?? 0;
    const heldForMs = options.grantsHeldForMs ?? 0;
    this.machine = new LockMachine({ firstToken, ...this.machineOptions, grantsHeldUntil: heldForMs > 0 ? this.clock() + heldForMs : undefined });
    if (heldForMs > 0) {
      this.logger.warn({ event: 'grants-held', ms: heldForMs }, `no lock is granted for ${heldForMs} ms: this server keeps no log, and a client of the process before it may still believe it holds a lock for that long`);
    }
  }

  /**
   * Start from a recovered state: `state` (a snapshot, if any) and then every
   * record after it, applied exactly as they were live, with nothing sent.
   * Then the clock goes on from the last record's time, and every lease is
   * restarted (a `restart-leases` input, itself recorded): each client has
   * a whole lease to reconnect and resume. Call before `listen`.
   */
  recover(state: CoordinatorState | undefined, records: Iterable<CoordinatorRecord>): { sessions: number; records: number } {
    if (this.connections.size > 0 || this.closed) throw new Error('recover() must come before any connection');
    let latest = -Infinity;
    if (state !== undefined) {
      if (state.format !== COORDINATOR_STATE_FORMAT) throw new Error('not a coordinator state of the format this version writes');
      this.machine = LockMachine.restore(state.machine, this.machineOptions);
      this.sessionCounter = state.sessionCounter;
      this.sessions.clear();
      for (const session of state.sessions) {
        this.sessions.set(session.id, {
          id: session.id,
          secret: undefined,
          secretHash: session.secretHash,
          client: session.client,
          attached: undefined,
          outbox: [],
          stream: session.stream ? { applied: session.stream.applied, replay: ReplayBuffer.restore(session.stream.lastSent, session.stream.unacknowledged) } : undefined,
        });
      }
      latest = state.machine.latestNow ?? -Infinity;
    }
    let count = 0;
    this.replaying = true;
    try {
      for (const record of records) {
        this.applyRecord(record, undefined);
        if (record.kind !== 'stream-error' && record.now > latest) latest = record.now;
        if (record.kind === 'open') this.sessionCounter = Math.max(this.sessionCounter, counterOf(record.session));
        count++;
      }
    } finally {
      this.replaying = false;
    }
    // Time goes on from the last record: a new process's monotonic clock starts anywhere.
    if (latest > this.clock()) this.clockOffset += latest - this.clock();
    this.commit({ kind: 'input', now: this.clock(), input: { type: 'restart-leases' } }, undefined);
    return { sessions: this.sessions.size, records: count };
  }

  /** Everything this coordinator keeps, for a snapshot (see {@link CoordinatorState}). */
  state(): CoordinatorState {
    return {
      format: COORDINATOR_STATE_FORMAT,
      machine: this.machine.snapshot(),
      sessionCounter: this.sessionCounter,
      sessions: [...this.sessions.values()].map((record) => {
        const state: CoordinatorState['sessions'][number] = { id: record.id, secretHash: record.secretHash, client: record.client };
        if (record.stream) state.stream = { applied: record.stream.applied, lastSent: record.stream.replay.lastSent, unacknowledged: record.stream.replay.unacknowledged() };
        return state;
      }),
    };
  }

  /** Listen on one transport; connections it accepts join this coordinator. */
  async listen(transport: Transport, host: string, port: number): Promise<Listener> {
    const oversized: ErrorMessage = {
      op: 'error',
      code: ErrorCode.MESSAGE_TOO_LARGE,
      message: `message larger than ${this.maxMessageBytes} bytes; closing the connection`,
    };
    const listener = await transport.listen({
      host,
      port,
      maxMessageBytes: this.maxMessageBytes,
      oversizedReply: encodeMessage(oversized),
      onConnection: (connection) => this.accept(connection),
    });
    this.listeners.push(listener);
    return listener;
  }

  /** Serve one connection (listen() calls this; embedders with their own transport may too). */
  accept(connection: Connection): void {
    const host = peerHost(connection.remoteAddress);
    const fromHost = host === undefined ? 0 : (this.connectionsPerHost.get(host) ?? 0);
    const refusal = this.closed
      ? { code: ErrorCode.SHUTTING_DOWN, message: 'the server is shutting down' }
      : this.connections.size >= this.maxConnections
        ? { code: ErrorCode.TOO_MANY_CONNECTIONS, message: `the server already has ${this.maxConnections} connections` }
        : fromHost >= this.maxConnectionsPerAddress
          ? { code: ErrorCode.TOO_MANY_CONNECTIONS, message: `the server already has ${this.maxConnectionsPerAddress} connections from ${host}` }
          : undefined;
    if (refusal) {
      connection.setHandlers({ onMessage() {}, onClose() {} });
      connection.send(encodeMessage({ op: 'error', code: refusal.code, message: refusal.message }));
      connection.close();
      const fields = { event: 'refused-connection', connection: connection.id, remote: connection.remoteAddress, code: refusal.code };
      const line = `refused connection ${connection.id} from ${connection.remoteAddress}: ${refusal.message}`;
      if (this.closed) this.logger.warn(fields, line);
      else this.peerErrors.write(fields, line);
      return;
    }
    const client: ClientConnection = { connection: this.journal ? heldUntilDurable(connection, this.journal) : connection, session: undefined, open: true, host, idleTimer: undefined, badWindowStart: -Infinity, badMessages: 0, closing: false, pendingStatus: 0 };
    if (host !== undefined) this.connectionsPerHost.set(host, fromHost + 1);
    this.connections.add(client);
    this.startIdleTimer(client);
    connection.setHandlers({
      onMessage: (text) => this.receive(client, text),
      onUndecodable: (detail) => this.undecodable(client, detail),
      onClose: (error) => this.disconnected(client, error),
    });
  }

  /** Open connections on every transport (each holds one of the MAX_CONNECTIONS places), for embedders and metrics. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * The names of the `limit` busiest resources (the order of a `status`:
   * longest queue, then most holders, then name), for a dashboard that
   * cannot show them all. Above STATUS_INLINE_RESOURCES busy resources the
   * order is built in slices, as for a `status` (and together with any that
   * waits), so the promise resolves after other clients were served; empty
   * when the coordinator closes first.
   */
  busiestResources(limit: number): Promise<string[]> {
    const names = (ordered: readonly ResourceLoad[]) => ordered.slice(0, limit).map((load) => load.resource);
    if (this.closed) return Promise.resolve([]);
    if (this.machine.stats().resources <= this.statusInlineResources) return Promise.resolve(names(firstInOrder([...this.machine.resourceLoads()], limit, busiestFirst)));
    return new Promise((resolve) => this.whenOrdered((ordered) => resolve(ordered ? names(ordered) : [])));
  }

  /**
   * The size of every busy resource's queue and holder set, one at a time in
   * no particular order (a million resources are not copied): for a
   * dashboard that needs something to show before a ranking is ready.
   */
  resourceLoads(): IterableIterator<ResourceLoad> {
    return this.machine.resourceLoads();
  }

  /** Holders and waiters right now (time brought up to date first), for embedders and dashboards. */
  inspect(resource?: string) {
    this.apply({ type: 'tick' }, undefined);
    return this.machine.inspect(resource);
  }

  /**
   * Be told of every effect after it was acted on (grants, queues, releases,
   * sessions opening and ending, ...), in order. Returns the unsubscribe
   * function. A listener that throws is logged and does not disturb the others.
   */
  subscribe(listener: CoordinatorListener): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /** Counts for metrics and tests. */
  stats() {
    return { ...this.machine.stats(), connections: this.connections.size };
  }

  /** Stop listening, close every connection and the timer. Sessions end with the process. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    this.stopStatusBuild();
    this.stopPeerTimers();
    await Promise.all(this.listeners.map((listener) => listener.close()));
    for (const client of this.connections) client.connection.close();
  }

  /**
   * Stop as docs/protocol.md 3.2 says. Without a journal the sessions end
   * with the process: refuse new connections, push SHUTTING_DOWN to every
   * open connection (holders and waiters learn at once, not a lease later),
   * then close them once that is sent, waiting at most `drainMs` for the
   * transports to flush. With a journal nothing ends: the connections are
   * closed without a notice once everything recorded is durable, and every
   * client resumes on the next server.
   */
  async shutdown(drainMs = SHUTDOWN_DRAIN_MS): Promise<void> {
    if (this.closed) return;
    if (this.journal) {
      this.logger.info({ event: 'stopping', connections: this.connections.size, sessions: this.sessions.size }, `stopping: ${this.sessions.size} session(s) are kept in the log and resume on the next start`);
      await this.close();
      return;
    }
    this.closed = true;
    this.clearTimer();
    this.stopStatusBuild();
    this.stopPeerTimers();
    const notice = encodeMessage({ op: 'error', code: ErrorCode.SHUTTING_DOWN, message: 'the server is shutting down; this server keeps no log, so every session ends with it' });
    for (const client of this.connections) client.connection.send(notice);
    this.logger.info({ event: 'shutting-down', connections: this.connections.size, sessions: this.sessions.size }, `shutting down: told ${this.connections.size} connection(s); ${this.sessions.size} session(s) end with the server`);
    let timer: NodeJS.Timeout | undefined;
    const drained = Promise.all(this.listeners.map((listener) => listener.close())).then(() => undefined);
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)));
    try {
      await Promise.race([drained, bound]);
    } finally {
      clearTimeout(timer);
    }
    for (const client of this.connections) client.connection.close();
  }

  // ---- receiving ----

  private receive(client: ClientConnection, text: string): void {
    if (client.closing) return;
    const decoded = decodeClientMessage(text);
    const stream = client.session?.stream;
    if (!decoded.ok) {
      if (this.tooManyBadMessages(client, decoded.code)) return;
      this.peerErrors.write(
        { event: 'bad-message', connection: client.connection.id, session: client.session?.id, code: decoded.code },
        `bad message from ${this.describe(client)}: ${decoded.code} ${decoded.message}`,
      );
      const record = client.session;
      if (!record) {
        this.sendError(client, decoded.id, decoded.code, decoded.message);
        return;
      }
      this.renew(record, client, undefined);
      // In an exactly-once session a readable, next-in-line seq is consumed
      // even by a bad request, and its error is part of the stream.
      if (stream && decoded.seq !== undefined) {
        if (this.sequence(client, stream, decoded.seq, undefined, decoded.id).verdict !== 'apply') return;
        this.commit({ kind: 'stream-error', session: record.id, seq: decoded.seq, request: decoded.id, code: decoded.code, message: decoded.message }, client);
        return;
      }
      this.sendError(client, decoded.id, decoded.code, decoded.message);
      return;
    }
    const message = decoded.message;
    if (this.redirect) {
      this.sendNotLeader(client, 'id' in message ? message.id : undefined);
      return;
    }
    switch (message.op) {
      case 'hello':
        return this.hello(client, message);
      case 'status':
        return this.status(client, message);
      default:
        break;
    }
    let sequenced: { seq: number; ack: number | undefined } | undefined;
    if (stream && client.session) {
      // Renewed by the input itself when applied; otherwise here.
      const { verdict, ack } = this.sequence(client, stream, message.seq, message.ack, message.id);
      if (verdict !== 'apply') {
        this.renew(client.session, client, ack);
        return;
      }
      sequenced = { seq: message.seq!, ack };
    }
    if (message.op === 'force-release') return this.forceRelease(client, message, sequenced);
    const session = client.session;
    if (!session) {
      const id = 'id' in message ? message.id : undefined;
      if (this.tooManyBadMessages(client, ErrorCode.NO_SESSION)) return;
      this.peerErrors.write({ event: 'bad-message', connection: client.connection.id, code: ErrorCode.NO_SESSION }, `${message.op} before hello from ${this.describe(client)}`);
      this.sendError(client, id, ErrorCode.NO_SESSION, `send "hello" before "${message.op}"`);
      return;
    }
    const record: InputRecord = { kind: 'input', now: this.clock(), input: this.inputFor(message, session.id) };
    if (sequenced) {
      record.session = session.id;
      record.seq = sequenced.seq;
      if (sequenced.ack !== undefined) record.ack = sequenced.ack;
    }
    this.commit(record, client);
  }

  /** A frame that is not UTF-8: refused as BAD_JSON like any other unreadable message (it renews, and its sender keeps its connection). */
  private undecodable(client: ClientConnection, detail: string): void {
    if (client.closing || this.tooManyBadMessages(client, ErrorCode.BAD_JSON)) return;
    this.peerErrors.write({ event: 'bad-message', connection: client.connection.id, session: client.session?.id, code: ErrorCode.BAD_JSON }, `bad message from ${this.describe(client)}: not UTF-8 (${detail})`);
    if (client.session) this.renew(client.session, client, undefined);
    this.sendError(client, undefined, ErrorCode.BAD_JSON, `the message is not valid UTF-8: ${detail}`);
  }

  /**
   * Count one bad message against its connection's one-second window. Past
   * MAX_BAD_MESSAGES_PER_SECOND the connection gets one last error (the code
   * of the message that went past it) and is closed; what it still sends is
   * ignored. Its session, if any, stays until its lease ends, as after any
   * dropped connection. Returns whether the connection is being closed.
   */
  private tooManyBadMessages(client: ClientConnection, code: ErrorCode): boolean {
    const now = this.clock();
    if (now - client.badWindowStart >= BAD_MESSAGE_WINDOW_MS) {
      client.badWindowStart = now;
      client.badMessages = 0;
    }
    if (++client.badMessages <= this.maxBadMessagesPerSecond) return false;
    const text = `more than ${this.maxBadMessagesPerSecond} bad messages in one second; closing the connection`;
    this.closeConnection(client, code, text);
    return true;
  }

  /** Tell a connection why, then close it (a peer's fault: logged as a peer error). */
  private closeConnection(client: ClientConnection, code: ErrorCode, text: string): void {
    client.closing = true;
    this.clearIdleTimer(client);
    this.peerErrors.write({ event: 'closed-connection', connection: client.connection.id, session: client.session?.id, code }, `closed connection ${client.connection.id} of ${this.describe(client)}: ${text}`);
    this.sendError(client, undefined, code, text);
    client.connection.close();
  }

  /** (Re)start the clock of a connection that has no session: it must send a hello that opens or resumes one within preSessionIdleMs. */
  private startIdleTimer(client: ClientConnection): void {
    this.clearIdleTimer(client);
    client.idleTimer = this.timers.set(() => {
      client.idleTimer = undefined;
      if (!client.open || client.closing || client.session) return;
      this.closeConnection(client, ErrorCode.NO_SESSION, `no session within ${this.preSessionIdleMs} ms; closing the connection`);
    }, this.preSessionIdleMs);
  }

  private clearIdleTimer(client: ClientConnection): void {
    if (client.idleTimer !== undefined) this.timers.clear(client.idleTimer);
    client.idleTimer = undefined;
  }

  /** Every timer that belongs to peers: the per-connection idle timers and the rate-limited logs'. */
  private stopPeerTimers(): void {
    for (const client of this.connections) this.clearIdleTimer(client);
    this.peerErrors.close();
    this.lockLosses.close();
  }

  /**
   * Where a request of an exactly-once session stands in its sequence
   * (docs/protocol.md 3.1): `apply` it, drop it as a `duplicate` (already
   * applied; its reply is in the replay buffer or was acknowledged), or it
   * was `refused` with an error here. Changes nothing: the record that
   * follows takes the `ack` (given back unless it is past what was sent)
   * and, applied, the `seq`.
   */
  private sequence(client: ClientConnection, stream: SessionStream, seq: number | undefined, ack: number | undefined, id: RequestId | undefined): { verdict: SequenceVerdict; ack: number | undefined } {
    if (ack !== undefined && ack > stream.replay.lastSent) {
      this.sendError(client, id, ErrorCode.BAD_FIELD, `"ack" ${ack} is past the last sn sent (${stream.replay.lastSent})`);
      return { verdict: 'refused', ack: undefined };
    }
    if (seq === undefined) {
      this.sendError(client, id, ErrorCode.MISSING_FIELD, '"seq" is required on every request of an exactly-once session');
      return { verdict: 'refused', ack };
    }
    if (seq <= stream.applied) return { verdict: 'duplicate', ack };
    if (seq > stream.applied + 1) {
      const session = client.session?.id;
      this.peerErrors.write({ event: 'bad-sequence', session, seq, applied: stream.applied }, `session ${session ?? ''} sent seq ${seq} after ${stream.applied}; refused`);
      this.sendError(client, id, ErrorCode.BAD_SEQUENCE, `"seq" ${seq} is not the next one: the last applied is ${stream.applied}`);
      return { verdict: 'refused', ack };
    }
    return { verdict: 'apply', ack };
  }

  /** Renew a session's lease for a message that is not itself a machine input of that session (taking its `ack`); the renewal sends nothing. */
  private renew(record: SessionRecord, origin: ClientConnection, ack: number | undefined): void {
    const renewal: InputRecord = { kind: 'input', now: this.clock(), input: { type: 'keepalive', session: record.id }, session: record.id, silent: true };
    if (ack !== undefined) renewal.ack = ack;
    this.commit(renewal, origin);
  }

  private inputFor(message: Exclude<ClientMessage, HelloMessage | StatusMessage | ForceReleaseMessage>, session: string): Input {
    switch (message.op) {
      case 'acquire':
        return {
          type: 'acquire',
          session,
          request: message.id,
          resource: message.resource,
          mode: message.mode,
          waitMs: message.waitMs,
          lockDelayMs: message.lockDelayMs,
        };
      case 'release':
        return { type: 'release', session, request: message.id, resource: message.resource, token: message.token };
      case 'cancel':
        return { type: 'cancel', session, request: message.id, target: message.target };
      case 'keepalive':
        return { type: 'keepalive', session, request: message.id };
      case 'goodbye':
        return { type: 'close-session', session, request: message.id, reason: 'closed' };
    }
  }

  private hello(client: ClientConnection, message: HelloMessage): void {
    if (client.session) {
      this.sendError(client, message.id, ErrorCode.SESSION_EXISTS, `this connection already speaks for session ${client.session.id}`);
      return;
    }
    if (message.v !== undefined && message.v !== PROTOCOL_VERSION) {
      this.sendError(client, message.id, ErrorCode.UNSUPPORTED_VERSION, `this server speaks protocol version ${PROTOCOL_VERSION}`);
      return;
    }
    if (message.session !== undefined || message.secret !== undefined) {
      this.resume(client, message);
      return;
    }
    if (this.sessions.size >= this.maxSessions) {
      const text = `the server already keeps ${this.maxSessions} sessions; try again later (resuming a session still works)`;
      this.peerErrors.write({ event: 'refused-session', connection: client.connection.id, code: ErrorCode.TOO_MANY_SESSIONS }, `refused a session to ${this.describe(client)}: ${text}`);
      this.sendError(client, message.id, ErrorCode.TOO_MANY_SESSIONS, text);
      return;
    }
    const id = `s${++this.sessionCounter}-${randomBytes(4).toString('hex')}`;
    const secret = randomBytes(16).toString('hex');
    const record: Extract<CoordinatorRecord, { kind: 'open' }> = {
      kind: 'open',
      now: this.clock(),
      session: id,
      secretHash: hashOfSecret(secret),
      client: message.client ?? id,
      exactlyOnce: message.exactlyOnce === true,
    };
    if (message.leaseMs !== undefined) record.leaseMs = message.leaseMs;
    if (message.id !== undefined) record.request = message.id;
    // The secret itself is never recorded; the session-opened effect finds it here.
    this.commit(record, client, secret);
  }

  private resume(client: ClientConnection, message: HelloMessage): void {
    const record = message.session === undefined ? undefined : this.sessions.get(message.session);
    if (!record || message.secret === undefined || !sameSecret(record.secretHash, hashOfSecret(message.secret))) {
      this.sendError(client, message.id, ErrorCode.UNKNOWN_SESSION, 'no such session (expired, closed, never opened) or wrong secret');
      return;
    }
    const stream = record.stream;
    if (stream && message.ack !== undefined && message.ack > stream.replay.lastSent) {
      this.sendError(client, message.id, ErrorCode.BAD_FIELD, `"ack" ${message.ack} is past the last sn sent (${stream.replay.lastSent})`);
      return;
    }
    const previous = record.attached;
    if (previous && previous !== client) {
      // The session moves to the new connection; the old one is closed so two
      // connections never speak for one session.
      previous.session = undefined;
      previous.connection.close();
    }
    // Detached until the machine says it lives on: what the same step produces
    // for it first (a grant due now) is kept for it, and follows the welcome.
    record.attached = undefined;
    record.secret = message.secret;
    // An input like any other; it also applies any deadline already due, which may end this very session.
    const resume: InputRecord = { kind: 'input', now: this.clock(), input: { type: 'resume-session', session: record.id, request: message.id }, session: record.id };
    if (stream && message.ack !== undefined) resume.ack = message.ack;
    const resumed = this.commit(resume, client).some((effect) => effect.type === 'session-resumed' && effect.session === record.id);
    if (!resumed) this.sendError(client, message.id, ErrorCode.UNKNOWN_SESSION, 'the session ended before it could be resumed');
  }

  /**
   * A `session-resumed` effect: the session moves to the connection that
   * resumed it, which gets the welcome, then every message kept for the
   * session meanwhile (the replay after its `ack` for an exactly-once
   * session, the outbox for a plain one).
   */
  private sessionResumed(effect: Extract<Effect, { type: 'session-resumed' }>, client: ClientConnection | undefined): void {
    const record = this.sessions.get(effect.session);
    if (!record || !client?.open || this.replaying) return;
    client.session = record;
    record.attached = client;
    this.clearIdleTimer(client);
    this.sendWelcome(record, effect.leaseMs, true, effect.request);
    const kept = record.stream ? record.stream.replay.unacknowledged() : record.outbox.splice(0);
    for (const text of kept) client.connection.send(text);
    this.logger.info({ event: 'resumed', session: record.id, client: record.client, connection: client.connection.id }, `session ${record.id} (${record.client}) resumed on ${client.connection.id}`);
  }

  /** The one place a `welcome` is written, for new and resumed sessions alike. */
  private sendWelcome(record: SessionRecord, leaseMs: number, resumed: boolean, request: RequestId | undefined): void {
    if (!record.attached?.open || record.secret === undefined) return;
    const stream = record.stream ? { applied: record.stream.applied, sn: record.stream.replay.lastSent } : undefined;
    record.attached.connection.send(encodeMessage(welcomeMessage(record.id, record.secret, leaseMs, resumed, request, stream)));
  }

  private status(client: ClientConnection, message: StatusMessage): void {
    if (client.session) this.renew(client.session, client, undefined);
    else this.apply({ type: 'tick' }, client);
    if (message.resource === undefined && this.machine.stats().resources > this.statusInlineResources) {
      if (client.pendingStatus >= MAX_PENDING_STATUS_PER_CONNECTION) {
        this.sendError(client, message.id, ErrorCode.TOO_MANY_REQUESTS, `at most ${MAX_PENDING_STATUS_PER_CONNECTION} status requests of every resource may wait for their reply on one connection`);
        return;
      }
      client.pendingStatus++;
      this.whenOrdered((ordered) => {
        client.pendingStatus--;
        if (ordered && client.open) client.connection.send(encodeMessage(this.statusReply(message, ordered)));
      });
      return;
    }
    if (message.resource === undefined) {
      client.connection.send(encodeMessage(this.statusReply(message, [...this.machine.resourceLoads()].sort(busiestFirst))));
      return;
    }
    // One resource: its one snapshot gives both the order and the page.
    const snapshot = this.machine.inspect(message.resource)[0];
    const ordered = snapshot ? [{ resource: snapshot.resource, waiting: snapshot.waiters.length, holding: snapshot.holders.length }] : [];
    client.connection.send(encodeMessage(this.statusReply(message, ordered, () => snapshot)));
  }

  private statusReply(
    message: StatusMessage,
    ordered: readonly ResourceLoad[],
    snapshotOf: (resource: string) => ResourceSnapshot | undefined = (resource) => this.machine.inspect(resource)[0],
  ): StatusReplyMessage {
    return buildStatusReply(
      { id: message.id, oneResource: message.resource !== undefined, offset: message.offset ?? 0 },
      ordered,
      snapshotOf,
      this.machine.listSessions(),
      this.clock(),
      Date.now(),
    );
  }

  /** Call `waiter` with the order of every busy resource, built in slices with whatever else waits for one. */
  private whenOrdered(waiter: OrderWaiter): void {
    this.statusQueue.push(waiter);
    if (this.statusBuild === undefined) this.startStatusBuild();
  }

  /**
   * Order every busy resource in slices for the requests queued so far; the
   * ones that arrive meanwhile wait for the next build, so no reply shows a
   * state older than its request.
   */
  private startStatusBuild(): void {
    this.statusBatch = this.statusQueue;
    this.statusQueue = [];
    this.statusBuild = new StatusIndexBuild(this.machine.resourceLoads());
    this.statusSlice();
  }

  private statusSlice(): void {
    this.statusTimer = undefined;
    const build = this.statusBuild;
    if (!build || this.closed) return;
    if (!build.step(this.statusWorkPerSlice)) {
      this.statusTimer = this.timers.set(() => this.statusSlice(), 0);
      return;
    }
    const batch = this.statusBatch;
    this.statusBatch = [];
    tellOrder(batch, build.result);
    this.statusBuild = undefined;
    if (this.statusQueue.length > 0) this.startStatusBuild();
  }

  private stopStatusBuild(): void {
    if (this.statusTimer !== undefined) this.timers.clear(this.statusTimer);
    this.statusTimer = undefined;
    this.statusBuild = undefined;
    const waiting = [...this.statusBatch, ...this.statusQueue];
    this.statusBatch = [];
    this.statusQueue = [];
    tellOrder(waiting, undefined);
  }

  /** A force-release; `sequenced`: it is the next request of the connection's exactly-once session. */
  private forceRelease(client: ClientConnection, message: ForceReleaseMessage, sequenced: { seq: number; ack: number | undefined } | undefined): void {
    const session = client.session;
    if (session) this.renew(session, client, sequenced?.ack);
    if (this.adminToken === undefined || message.adminToken === undefined || !sameSecret(this.adminToken, message.adminToken)) {
      this.peerErrors.write({ event: 'unauthorized', connection: client.connection.id, resource: message.resource }, `refused force-release of ${message.resource} from ${this.describe(client)}`);
      const why = this.adminToken === undefined ? 'this server was started without an admin token' : 'wrong or missing adminToken';
      const text = `force-release needs the admin token: ${why}`;
      if (session) this.commit({ kind: 'stream-error', session: session.id, seq: sequenced?.seq, request: message.id, code: ErrorCode.UNAUTHORIZED, message: text }, client);
      else this.sendError(client, message.id, ErrorCode.UNAUTHORIZED, text);
      return;
    }
    const record: InputRecord = { kind: 'input', now: this.clock(), input: { type: 'force-release', resource: message.resource, token: message.token, session: session?.id, request: message.id } };
    if (session && sequenced) {
      record.session = session.id;
      record.seq = sequenced.seq;
    }
    this.commit(record, client);
  }

  private disconnected(client: ClientConnection, error: Error | undefined): void {
    client.open = false;
    this.clearIdleTimer(client);
    if (this.connections.delete(client) && client.host !== undefined) {
      const count = (this.connectionsPerHost.get(client.host) ?? 1) - 1;
      if (count > 0) this.connectionsPerHost.set(client.host, count);
      else this.connectionsPerHost.delete(client.host);
    }
    const record = client.session;
    client.session = undefined;
    if (record && record.attached === client) {
      record.attached = undefined;
      this.logger.info(
        { event: 'detached', session: record.id, client: record.client, connection: client.connection.id, error: error?.message },
        `connection ${client.connection.id} of ${record.client} closed${error ? ` (${error.message})` : ''}; session ${record.id} keeps its locks until its lease ends unless it resumes`,
      );
    }
  }

  // ---- the machine ----

  /** Feed one input to the machine (recorded first) and act on what it returns. */
  private apply(input: Input, origin: ClientConnection | undefined): void {
    this.commit({ kind: 'input', now: this.clock(), input }, origin);
  }

  /**
   * Every state change goes through here: the record goes to the journal,
   * then is applied. `secret`: an open record's secret, which only this
   * process may know. Returns the machine's effects (none for a stream error).
   */
  private commit(record: CoordinatorRecord, origin: ClientConnection | undefined, secret?: string): Effect[] {
    this.journal?.append(record);
    const effects = this.applyRecord(record, origin, secret);
    this.armTimer();
    return effects;
  }

  /**
   * Apply one record: live from {@link commit}, or on recovery from the log
   * (`replaying`, no origin). The one place state changes, so both paths
   * reach the same state.
   */
  private applyRecord(record: CoordinatorRecord, origin: ClientConnection | undefined, secret?: string): Effect[] {
    if (record.kind === 'stream-error') {
      const session = this.sessions.get(record.session);
      if (!session) return [];
      if (session.stream && record.seq !== undefined) session.stream.applied = record.seq;
      this.sendErrorToSession(session, record.request, record.code, record.message);
      return [];
    }
    if (record.kind === 'open') {
      this.pendingOpen = { record, secret };
      try {
        const effects = this.machine.handle({ type: 'open-session', session: record.session, client: record.client, leaseMs: record.leaseMs, request: record.request }, record.now);
        this.dispatch(effects, origin);
        return effects;
      } finally {
        this.pendingOpen = undefined;
      }
    }
    const stream = record.session === undefined ? undefined : this.sessions.get(record.session)?.stream;
    if (stream && record.ack !== undefined) stream.replay.acknowledge(record.ack);
    if (stream && record.seq !== undefined) stream.applied = record.seq;
    const effects = this.machine.handle(record.input, record.now);
    const input = record.input;
    if (record.silent && input.type === 'keepalive') {
      this.dispatch(
        effects.filter((effect) => !(effect.type === 'renewed' && effect.session === input.session)),
        origin,
      );
    } else if (input.type === 'resume-session' && !effects.some((effect) => effect.type === 'session-resumed')) {
      // A session that ended first is UNKNOWN_SESSION to this client (docs/protocol.md 3), not the machine's SESSION_ENDED.
      this.dispatch(
        effects.filter((effect) => !(effect.type === 'rejected' && effect.session === input.session)),
        origin,
      );
    } else {
      this.dispatch(effects, origin);
    }
    return effects;
  }

  /**
   * Act on effects in order. Messages go to their session's connection (or
   * its outbox while detached); effects without a live session go back to the
   * connection that caused them.
   */
  private dispatch(effects: Effect[], origin: ClientConnection | undefined): void {
    for (const effect of effects) {
      const told = this.subscribers.size > 0 && effect.type !== 'reserve-tokens' && !this.replaying;
      // A session is kept from its session-opened effect on: subscribers are told after, with its client name.
      if (told && effect.type !== 'session-opened') this.tellSubscribers(effect);
      switch (effect.type) {
        case 'reserve-tokens':
          // Persist before anything after it is sent. If this throws, the
          // process stops rather than grant a token it could reuse later.
          this.tokenStore.save(BigInt(effect.through));
          continue;
        case 'session-opened':
          this.sessionOpened(effect, origin);
          if (told) this.tellSubscribers(effect);
          continue;
        case 'session-resumed':
          this.sessionResumed(effect, origin);
          continue;
        case 'session-ended':
          this.sessionEnded(effect);
          continue;
        case 'leases-restarted':
          if (this.replaying) continue;
          this.logger.info({ event: 'leases-restarted', sessions: effect.sessions }, `restarted the lease of ${effect.sessions} recovered session(s): each has a whole lease to resume`);
          continue;
        default:
          break;
      }
      if (this.logsWarnings && !this.replaying) this.log(effect);
      const text = encodeEffect(effect);
      if (text === undefined) continue;
      const record = effect.session === undefined ? undefined : this.sessions.get(effect.session);
      if (record) this.sendToSession(record, text);
      else if (origin?.open) origin.connection.send(text);
    }
  }

  /** A `session-opened` effect: the session of the open record being applied is kept, and its connection gets the welcome. */
  private sessionOpened(effect: Extract<Effect, { type: 'session-opened' }>, origin: ClientConnection | undefined): void {
    const pending = this.pendingOpen;
    if (!pending || pending.record.session !== effect.session) return;
    const opened = pending.record;
    const client = origin?.open && !this.replaying ? origin : undefined;
    const record: SessionRecord = {
      id: opened.session,
      secret: pending.secret,
      secretHash: opened.secretHash,
      client: opened.client,
      attached: client,
      outbox: [],
      stream: opened.exactlyOnce ? { applied: 0, replay: new ReplayBuffer() } : undefined,
    };
    this.sessions.set(record.id, record);
    if (effect.leaseMs > this.longestLeaseSaved && this.tokenStore.saveLongestLease) {
      // Before the welcome: a restart must know how long a client may believe it holds a lock.
      this.tokenStore.saveLongestLease(effect.leaseMs);
      this.longestLeaseSaved = effect.leaseMs;
    }
    if (!client) return;
    client.session = record;
    this.clearIdleTimer(client);
    this.logger.info({ event: 'session-opened', session: record.id, client: record.client, leaseMs: effect.leaseMs }, `session ${record.id} opened for ${record.client} (lease ${effect.leaseMs} ms)`);
    this.sendWelcome(record, effect.leaseMs, false, effect.request);
  }

  private sessionEnded(effect: Extract<Effect, { type: 'session-ended' }>): void {
    const record = this.sessions.get(effect.session);
    if (!record) return;
    this.sessions.delete(record.id);
    if (!this.replaying) this.effectLogger.info(
      { event: 'session-ended', session: record.id, client: record.client, reason: effect.reason, released: effect.released.length, withdrawn: effect.withdrawn },
      `session ${record.id} (${record.client}) ended: ${effect.reason}; released ${effect.released.length} lock(s), withdrew ${effect.withdrawn} request(s)`,
    );
    const client = record.attached;
    record.attached = undefined;
    if (!client) return;
    client.session = undefined;
    // The connection stays open and may hello again, within the same bound as a new one.
    if (client.open && !this.closed) this.startIdleTimer(client);
    const farewell: ServerMessage =
      effect.reason === 'closed'
        ? withId({ op: 'bye' }, effect.request)
        : { op: 'error', code: ErrorCode.SESSION_ENDED, message: `session ${record.id} ended: ${effect.reason}; send hello to open a new one` };
    client.connection.send(encodeMessage(farewell));
  }

  /** Subscribers hear of an effect once it is durable, like everyone else. */
  private tellSubscribers(effect: Exclude<Effect, { type: 'reserve-tokens' }>): void {
    const journal = this.journal;
    if (journal) journal.afterDurable(() => this.notify(effect));
    else this.notify(effect);
  }

  private notify(effect: Exclude<Effect, { type: 'reserve-tokens' }>): void {
    const session = 'session' in effect ? effect.session : undefined;
    const event: CoordinatorEvent = { effect, client: session === undefined ? undefined : this.sessions.get(session)?.client, at: Date.now() };
    for (const listener of this.subscribers) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ event: 'subscriber-failed', error: (error as Error).message }, `a coordinator subscriber threw: ${(error as Error).message}`);
      }
    }
  }

  /**
   * Send one message to a session: stamped and kept for replay in an
   * exactly-once session; straight to its connection, or into its outbox
   * while detached, in a plain one.
   */
  private sendToSession(record: SessionRecord, text: string): void {
    const stream = record.stream;
    if (stream) {
      const stamped = stream.replay.stamp(text);
      if (record.attached?.open) record.attached.connection.send(stamped);
      if (stream.replay.size > MAX_UNACKNOWLEDGED_MESSAGES) this.endOverflowing(record, `${MAX_UNACKNOWLEDGED_MESSAGES} unacknowledged messages`);
      return;
    }
    if (record.attached?.open) {
      record.attached.connection.send(text);
      return;
    }
    // A plain session's messages not delivered at a crash are lost (docs/protocol.md 3.1): none are kept on recovery.
    if (this.replaying) return;
    record.outbox.push(text);
    if (record.outbox.length > MAX_DETACHED_OUTBOX) {
      record.outbox.length = 0;
      this.endOverflowing(record, `${MAX_DETACHED_OUTBOX} undelivered messages`);
    }
  }

  /**
   * A session whose client does not take its messages will never catch up:
   * end it (outside the dispatch that is running) so its locks go to the
   * waiters, as if its lease had run out.
   */
  private endOverflowing(record: SessionRecord, what: string): void {
    if (record.stream) record.stream.replay.acknowledge(record.stream.replay.lastSent);
    // On recovery the end that followed is a record of its own.
    if (this.replaying) return;
    this.logger.error({ event: 'outbox-overflow', session: record.id }, `session ${record.id} exceeded ${what}; ending it`);
    setImmediate(() => {
      if (this.sessions.has(record.id)) this.apply({ type: 'close-session', session: record.id, reason: 'disconnected' }, undefined);
    });
  }

  /** An error reply to a request of this session: part of its stream when it is exactly-once. */
  private sendErrorToSession(record: SessionRecord, id: RequestId | undefined, code: ErrorCode, message: string): void {
    this.sendToSession(record, encodeMessage(withId({ op: 'error', code, message }, id)));
  }

  /** A follower's answer to any request: where the leader is, if one is elected. */
  private sendNotLeader(client: ClientConnection, id: RequestId | undefined): void {
    const leader = this.redirect?.();
    const message =
      leader === undefined
        ? 'this coordinator is a follower and no leader is elected yet: try another member of the group after a backoff'
        : `this coordinator is a follower: connect to the leader at ${leader}`;
    client.connection.send(encodeMessage(withId(leader === undefined ? { op: 'error', code: ErrorCode.NOT_LEADER, message } : { op: 'error', code: ErrorCode.NOT_LEADER, message, leader }, id)));
  }

  private sendError(client: ClientConnection, id: RequestId | undefined, code: ErrorCode, message: string): void {
    client.connection.send(encodeMessage(withId({ op: 'error', code, message }, id)));
  }

  /** Keep exactly one timer, at the machine's next deadline. */
  private armTimer(): void {
    if (this.closed) return;
    const deadline = this.machine.nextDeadline();
    if (deadline === this.timerDeadline) return;
    this.clearTimer();
    this.timerDeadline = deadline;
    if (deadline === undefined) return;
    const delay = Math.max(0, Math.ceil(deadline - this.clock()));
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      this.timerDeadline = undefined;
      this.apply({ type: 'tick' }, undefined);
    }, delay);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.timerDeadline = undefined;
  }

  // ---- logging ----

  private clientName(session: string | undefined): string {
    return (session !== undefined && this.sessions.get(session)?.client) || session || 'unknown';
  }

  private describe(client: ClientConnection): string {
    return client.session ? `${client.session.client} (${client.connection.id})` : `${client.connection.id} ${client.connection.remoteAddress}`;
  }

  private log(effect: Effect): void {
    const logger = this.effectLogger;
    if (effect.type === 'rejected') {
      this.peerErrors.write(
        { event: 'rejected', session: effect.session, client: this.clientName(effect.session), code: effect.code },
        `rejected a request from ${this.clientName(effect.session)}: ${effect.code} ${effect.message}`,
      );
      return;
    }
    if (!this.logsInfo && effect.type !== 'lost' && effect.type !== 'force-released') return;
    switch (effect.type) {
      case 'queued':
        logger.info(
          { event: 'queued', resource: effect.resource, client: this.clientName(effect.session), session: effect.session, mode: effect.mode, position: effect.position },
          `QUEUED ${effect.resource} for ${this.clientName(effect.session)} (${effect.mode}) at position ${effect.position}`,
        );
        return;
      case 'granted':
        logger.info(
          { event: 'granted', resource: effect.resource, client: this.clientName(effect.session), session: effect.session, mode: effect.mode, token: effect.token, waitedMs: Math.round(effect.waitedMs) },
          `GRANTED ${effect.resource} to ${this.clientName(effect.session)} (${effect.mode}) token ${effect.token}`,
        );
        return;
      case 'released':
        logger.info(
          { event: 'released', resource: effect.resource, client: this.clientName(effect.session), session: effect.session, token: effect.token },
          `RELEASED ${effect.resource} by ${this.clientName(effect.session)} token ${effect.token}`,
        );
        return;
      case 'timeout':
        logger.info({ event: 'timeout', resource: effect.resource, client: this.clientName(effect.session), session: effect.session }, `TIMEOUT ${effect.resource} for ${this.clientName(effect.session)}`);
        return;
      case 'cancelled':
        logger.info({ event: 'cancelled', resource: effect.resource, client: this.clientName(effect.session), session: effect.session }, `CANCELLED ${effect.resource} for ${this.clientName(effect.session)}`);
        return;
      case 'lost':
        this.lockLosses.write(
          { event: 'lost', resource: effect.resource, client: this.clientName(effect.session), session: effect.session, token: effect.token, reason: effect.reason },
          `LOST ${effect.resource} by ${this.clientName(effect.session)} token ${effect.token} (${effect.reason})`,
        );
        return;
      case 'force-released':
        logger.warn({ event: 'force-released', resource: effect.resource, tokens: effect.tokens }, `FORCE-RELEASED ${effect.resource} tokens ${effect.tokens.join(', ')}`);
        return;
      default:
        return;
    }
  }
}

/** Constant-time comparison, so a secret cannot be guessed byte by byte from response times. */
function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What the log keeps of a session's secret: enough to check a resume, not enough to make one. */
function hashOfSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The counter in a session id `s<counter>-<random>` (0 for an id of another shape). */
function counterOf(session: string): number {
  const match = /^s(\d+)-/.exec(session);
  return match ? Number(match[1]) : 0;
}

/**
 * The connection as the coordinator sees it with a journal: what it sends,
 * and its close, wait until every record appended before is durable.
 */
function heldUntilDurable(connection: Connection, journal: CoordinatorJournal): Connection {
  return {
    id: connection.id,
    remoteAddress: connection.remoteAddress,
    send: (message) => journal.afterDurable(() => connection.send(message)),
    close: () => journal.afterDurable(() => connection.close()),
    setHandlers: (handlers) => connection.setHandlers(handlers),
  };
}
