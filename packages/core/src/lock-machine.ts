/**
 * The lock machine — theory of operation.
 *
 * State: sessions (each with a lease deadline) and resources (each with its
 * holders and a FIFO queue of waiters). The machine never reads a clock: each
 * call to {@link LockMachine.handle} brings `now` (milliseconds on any
 * monotonic scale), and {@link LockMachine.nextDeadline} says when the caller
 * must come back with a `tick`.
 *
 * Every call runs in three phases:
 *  1. catch up: deadlines that are due at `now` take effect first (leases
 *     end, waits time out, lock-delays lapse). Deadlines are taken one
 *     instant at a time, in time order: at each deadline time the machine's
 *     clock is set to that instant, every deadline of that instant takes
 *     effect, and every resource it touched is settled (as in 3) before the
 *     next instant. So a late call has the same outcome as a tick at every
 *     deadline in between: a grant made during the catch-up carries the
 *     instant it happened at (grantedAt, waitedMs), a session whose lease
 *     ends at a later instant is still alive at an earlier one, and a
 *     lock-delay runs from the instant its lease ended. Every deadline pushed
 *     during the catch-up is later than the instant that pushed it (a renewed
 *     lease's real expiry, a lock-delay's end), so the instants only move
 *     forward.
 *
 *     The catch-up is bounded: one call does at most `maxExpiryWork`
 *     (MAX_EXPIRIES_PER_TICK) units of it — one per deadline taken, one per
 *     effect that deadline and its instant's settle produce — and leaves the
 *     rest due. Then `nextDeadline()` is at or before `now`: the machine is
 *     *behind*, and the caller comes back with more ticks, serving its other
 *     work in between (the coordinator's zero-delay timer yields to its
 *     sockets between slices). A deadline is checked against the budget
 *     before it is taken and is never split, so one call's work is under the
 *     budget plus one deadline's (a session's end is one step with all its
 *     locks). A `tick` that runs out of budget leaves the clock at the instant
 *     it reached, and without settling an instant it left half done, so ticks
 *     in slices reach exactly the state one unbounded tick would have;
 *  2. apply the input (which renews its session's lease) at `now`: the clock
 *     moves to `now` even when the machine is behind, and deadlines still in
 *     the backlog take effect later, when the catch-up reaches them, at the
 *     clock of that moment (a lock-delay then runs from that moment);
 *  3. settle: every resource touched in 2 grants its queue head while the
 *     head is compatible with every holder.
 *
 * What "due" means for a lease, behind or not: a session lives while
 * `expiresAt` (its last renewal + its lease) is later than the clock. A
 * deadline entry in the heap is only a reminder to look, never the verdict:
 * taking it ends the session only if `expiresAt` has passed by then, and
 * otherwise requeues it at the real expiry. So a renewal that arrives while
 * the machine is behind — applied at its `now` before the slices that follow
 * it — keeps its session alive, even when the session's old deadline is in
 * the backlog: a slice can only expire a lease that had run out when the
 * slice ran, never one renewed before it. Conversely an input naming a
 * session whose `expiresAt` has already passed finds it ended, exactly as
 * when the machine is not behind: the input ends it there (out of the
 * backlog's order, as part of its own work) and is refused. And while a
 * lapsed session's end waits in the backlog, nothing is granted to it: a
 * queue whose head belongs to such a session waits for that end (strict
 * FIFO), and a head whose `waitMs` has run out times out instead of being
 * granted late.
 *
 * Rules, all checked by the property tests after every step:
 *  - no two incompatible holders: an exclusive holder is alone;
 *  - strict FIFO: a waiter is granted only when every waiter ahead of it has
 *    been granted, so a writer is never overtaken by later readers;
 *  - every grant's fencing token is greater than every earlier one;
 *  - nothing is granted to a session whose lease has run out;
 *  - every acquire ends granted, timed out, cancelled, or with its session;
 *  - when every session has ended, no holder and no waiter remains.
 *
 * Misuse by the embedding program (opening a session id that is still open,
 * an unknown input type, time that is not a number) throws
 * {@link CoreMisuseError}. It is checked before anything else, so a call that
 * throws changes nothing: not even the clock, and overdue deadlines stay
 * pending for the next call. Bad requests from a peer are `rejected` effects
 * and change nothing.
 */
import type { Effect, FreedLock } from './effects.js';
import { MACHINE_SNAPSHOT_FORMAT } from './machine-snapshot.js';
import type { DeadlineState, MachineSnapshot, ResourceState, SessionState } from './machine-snapshot.js';
import { CoreMisuseError, ErrorCode } from './errors.js';
import type {
  AcquireInput,
  CancelInput,
  CloseSessionInput,
  ForceReleaseInput,
  Input,
  LockMode,
  OpenSessionInput,
  ReleaseInput,
  RequestId,
} from './inputs.js';
import {
  DEFAULT_LEASE_MS,
  MAX_EXPIRIES_PER_TICK,
  MAX_LEASE_MS,
  MAX_LOCK_DELAY_MS,
  MAX_QUEUE_LENGTH,
  MAX_REQUESTS_PER_SESSION,
  MAX_WAIT_MS,
  MIN_LEASE_MS,
  TOKEN_RESERVATION_BLOCK,
} from './limits.js';
import { HolderSet } from './holder-set.js';
import { MinHeap } from './min-heap.js';
import { resourceNameProblem } from './resource-name.js';

export interface LockMachineOptions {
  /**
   * The first fencing token to issue. After a restart, pass one more than the
   * last persisted `reserve-tokens` value so tokens never repeat. Default 1.
   */
  firstToken?: bigint;
  /** Lease for sessions that ask for none. Default DEFAULT_LEASE_MS. */
  defaultLeaseMs?: number;
  /** Most waiters per resource. Default MAX_QUEUE_LENGTH. */
  maxQueueLength?: number;
  /**
   * Most units of expiry work one call does before leaving the rest due (see
   * the theory of operation). Default MAX_EXPIRIES_PER_TICK; tests lower it
   * to make small states run in slices.
   */
  maxExpiryWork?: number;
  /**
   * No lock is granted before this instant (on the scale of `now`): acquires
   * queue, try-locks time out. A coordinator that restarts without a log
   * sets it one longest lease ahead, so that no lock a client of the process
   * before it may still believe it holds is granted to anyone else meanwhile.
   * Default: no hold.
   */
  grantsHeldUntil?: number;
}

interface Session {
  readonly id: string;
  readonly client: string;
  readonly leaseMs: number;
  readonly openedAt: number;
  expiresAt: number;
  ended: boolean;
  /** Unordered; each holder knows its index (swap-remove keeps removal O(1) without a hash table). */
  readonly held: Holder[];
  readonly waiting: Map<RequestId, Waiter>;
}

interface Holder {
  readonly session: Session;
  readonly request: RequestId;
  readonly resource: Resource;
  readonly mode: LockMode;
  readonly token: string;
  readonly grantedAt: number;
  readonly lockDelayMs: number;
  /** Where this holder sits in its session's `held`. */
  heldIndex: number;
}

interface Waiter {
  readonly session: Session;
  readonly request: RequestId;
  readonly resource: Resource;
  readonly mode: LockMode;
  readonly enqueuedAt: number;
  readonly deadline: number | undefined;
  readonly lockDelayMs: number;
  waiting: boolean;
}

interface Resource {
  readonly name: string;
  /** Current holders by token. */
  readonly holders: HolderSet<Holder>;
  exclusiveHeld: boolean;
  /** Waiters in arrival order. */
  readonly queue: Waiter[];
  /** No grant before this time (lock-delay after a lost holder). */
  blockedUntil: number;
  /** Nobody holds or waits for it: it counts as absent, and is swept out in bulk (see {@link LockMachine.sweepIdle}). */
  idle: boolean;
  /** Already in the machine's `dirty` list for the next settle. */
  dirty: boolean;
}

const INPUT_TYPES: ReadonlySet<string> = new Set<Input['type']>([
  'open-session',
  'keepalive',
  'resume-session',
  'acquire',
  'release',
  'cancel',
  'close-session',
  'force-release',
  'restart-leases',
  'tick',
]);

type Deadline =
  | { kind: 'lease'; session: Session }
  | { kind: 'wait'; waiter: Waiter }
  | { kind: 'lock-delay'; resource: Resource };

/** One holder in a {@link ResourceSnapshot}. */
export interface HolderSnapshot {
  session: string;
  client: string;
  request: RequestId;
  mode: LockMode;
  token: string;
  grantedAt: number;
  heldMs: number;
}

/** One waiter in a {@link ResourceSnapshot}, in queue order. */
export interface WaiterSnapshot {
  session: string;
  client: string;
  request: RequestId;
  mode: LockMode;
  enqueuedAt: number;
  waitedMs: number;
  /** When the wait times out, if it has a waitMs. */
  deadline?: number;
}

/** What one resource looks like right now: for status requests and dashboards. */
export interface ResourceSnapshot {
  resource: string;
  holders: HolderSnapshot[];
  waiters: WaiterSnapshot[];
  /** Set while a lock-delay keeps the resource from being granted. */
  blockedUntil?: number;
}

/** How busy one resource is, for ordering status pages. */
export interface ResourceLoad {
  resource: string;
  waiting: number;
  holding: number;
}

/** One session, for status listings. */
export interface SessionSnapshot {
  session: string;
  client: string;
  leaseMs: number;
  expiresAt: number;
  held: number;
  waiting: number;
}

/** Counts, for metrics. */
export interface MachineStats {
  sessions: number;
  resources: number;
  holders: number;
  waiters: number;
  /** The last fencing token issued, or undefined before the first grant. */
  lastToken: string | undefined;
}

/** Idle resources are swept out of the table once there are more than this many (or than half the table). */
const IDLE_SWEEP_MINIMUM = 1_024;

/** The Baton coordinator's state machine. See the theory of operation above. */
export class LockMachine {
  private readonly sessions = new Map<string, Session>();
  private resources = new Map<string, Resource>();
  /** How many entries of `resources` are idle (kept only until the next sweep). */
  private idleCount = 0;
  private deadlines = new MinHeap<Deadline>();
  private readonly defaultLeaseMs: number;
  private readonly maxQueueLength: number;
  private readonly maxExpiryWork: number;
  private nextToken: bigint;
  /** The last token this machine granted; undefined before its first grant. */
  private lastToken: bigint | undefined;
  private reservedThrough: bigint;
  /** No grant before this instant (see {@link LockMachineOptions.grantsHeldUntil}). */
  private readonly grantsHeldUntil: number;
  /** The machine's clock: the instant it has caught up to (behind `latestNow` while a tick left work due). */
  private now = -Infinity;
  /** The latest `now` any call brought. */
  private latestNow = -Infinity;
  private effects: Effect[] = [];
  /** Resources to settle, each once (its `dirty` flag says so): an array, not a Set, as this is on every release. */
  private readonly dirty: Resource[] = [];
  private holderCount = 0;
  private waiterCount = 0;

  constructor(options: LockMachineOptions = {}) {
    this.nextToken = options.firstToken ?? 1n;
    if (this.nextToken < 1n) throw new CoreMisuseError('firstToken must be at least 1');
    this.reservedThrough = this.nextToken - 1n;
    this.defaultLeaseMs = options.defaultLeaseMs ?? DEFAULT_LEASE_MS;
    this.maxQueueLength = options.maxQueueLength ?? MAX_QUEUE_LENGTH;
    this.maxExpiryWork = options.maxExpiryWork ?? MAX_EXPIRIES_PER_TICK;
    if (!(this.maxExpiryWork >= 1)) throw new CoreMisuseError('maxExpiryWork must be at least 1');
    this.grantsHeldUntil = options.grantsHeldUntil ?? -Infinity;
    if (typeof this.grantsHeldUntil !== 'number' || Number.isNaN(this.grantsHeldUntil)) throw new CoreMisuseError('grantsHeldUntil must be a number');
  }

  /**
   * Apply one input at time `now` and return what to do, in order. Time never
   * runs backwards here: a `now` earlier than a previous one counts as the
   * previous one.
   */
  handle(input: Input, now: number): Effect[] {
    if (typeof now !== 'number' || Number.isNaN(now)) throw new CoreMisuseError('now must be a number');
    const time = now > this.latestNow ? now : this.latestNow;
    // Misuse throws before any state changes, so a throwing call changes nothing.
    this.checkMisuse(input, time);
    this.latestNow = time;
    const effects: Effect[] = [];
    this.effects = effects;
    const caughtUp = this.expireDue(time);
    if (input.type === 'tick') {
      // A tick only catches up. Behind, the clock stays at the instant the
      // catch-up reached, and an instant left half done is not settled yet,
      // so the next slice carries on exactly where this one stopped.
      if (caughtUp) this.now = time;
      return effects;
    }
    // An input is applied at its own time, behind or not (phase 2).
    this.now = time;
    switch (input.type) {
      case 'open-session':
        this.openSession(input);
        break;
      case 'keepalive': {
        const session = this.liveSession(input.session, input.request);
        if (session) effects.push({ type: 'renewed', session: session.id, request: input.request, leaseMs: session.leaseMs });
        break;
      }
      case 'resume-session': {
        const session = this.liveSession(input.session, input.request);
        if (session) effects.push({ type: 'session-resumed', session: session.id, request: input.request, leaseMs: session.leaseMs });
        break;
      }
      case 'acquire':
        this.acquire(input);
        break;
      case 'release':
        this.release(input);
        break;
      case 'cancel':
        this.cancel(input);
        break;
      case 'close-session':
        this.closeSession(input);
        break;
      case 'force-release':
        this.forceRelease(input);
        break;
      case 'restart-leases':
        this.restartLeases();
        break;
      default: {
        // checkMisuse has refused every other type.
        const unreachable: never = input;
        return unreachable;
      }
    }
    this.settle();
    return effects;
  }

  /** Throw CoreMisuseError for an input that is the embedding program's bug, before any state changes. */
  private checkMisuse(input: Input, now: number): void {
    if (typeof input !== 'object' || input === null) throw new CoreMisuseError('input must be an object');
    const type: unknown = input.type;
    if (typeof type !== 'string' || !INPUT_TYPES.has(type)) throw new CoreMisuseError(`unknown input type ${JSON.stringify(type)}`);
    if (input.type === 'open-session') {
      // A session whose lease has run out by `now` is not open: it ends in
      // the catch-up (its deadline entry is never later than its expiry) or,
      // while the machine is behind, in openSession, which frees its id.
      const existing = this.sessions.get(input.session);
      if (existing && existing.expiresAt > now) throw new CoreMisuseError(`session ${input.session} is already open`);
    }
  }

  /**
   * When the caller must next call `handle({type:'tick'}, now)`, or undefined
   * when nothing is pending. At or before the last `now` while the machine is
   * behind (a bounded catch-up left work due): come back at once.
   */
  nextDeadline(): number | undefined {
    return this.deadlines.peekTime();
  }

  /** Whether a session exists and has not ended. */
  hasSession(session: string): boolean {
    return this.sessions.has(session);
  }

  /** Holders and waiters of one resource, or of every resource with any (sorted by name). */
  inspect(resource?: string): ResourceSnapshot[] {
    if (resource !== undefined) {
      const state = this.resources.get(resource);
      return state && !state.idle ? [this.snapshotOf(state)] : [];
    }
    const snapshots: ResourceSnapshot[] = [];
    for (const state of this.resources.values()) if (!state.idle) snapshots.push(this.snapshotOf(state));
    return snapshots.sort((a, b) => (a.resource < b.resource ? -1 : 1));
  }

  /**
   * Name, queue length and holder count of every resource with holders or
   * waiters, in no particular order: what a `status` page is ordered by,
   * without building a snapshot of each (a full snapshot of 1 M resources
   * takes about a second). A generator, so a caller may take it in slices;
   * entries that become idle meanwhile are skipped, and entries added
   * meanwhile may or may not be seen.
   */
  *resourceLoads(): Generator<ResourceLoad> {
    for (const resource of this.resources.values()) {
      if (resource.idle) continue;
      yield { resource: resource.name, waiting: resource.queue.length, holding: resource.holders.size };
    }
  }

  /** Every live session. */
  listSessions(): SessionSnapshot[] {
    return [...this.sessions.values()].map((session) => ({
      session: session.id,
      client: session.client,
      leaseMs: session.leaseMs,
      expiresAt: session.expiresAt,
      held: session.held.length,
      waiting: session.waiting.size,
    }));
  }

  stats(): MachineStats {
    return {
      sessions: this.sessions.size,
      resources: this.resources.size - this.idleCount,
      holders: this.holderCount,
      waiters: this.waiterCount,
      lastToken: this.lastToken?.toString(),
    };
  }

  // ---- snapshots ----

  /**
   * The machine's whole state as plain data (see {@link MachineSnapshot}):
   * `LockMachine.restore` of it behaves exactly as this machine does from
   * here on. O(sessions + resources + deadlines).
   */
  snapshot(): MachineSnapshot {
    const sessions: SessionState[] = [];
    for (const session of this.sessions.values()) {
      sessions.push({
        id: session.id,
        client: session.client,
        leaseMs: session.leaseMs,
        openedAt: session.openedAt,
        expiresAt: session.expiresAt,
        held: session.held.map((holder) => holder.token),
        waiting: [...session.waiting.keys()],
      });
    }
    const resources: ResourceState[] = [];
    for (const resource of this.resources.values()) {
      resources.push({
        name: resource.name,
        blockedUntil: finiteOrNull(resource.blockedUntil),
        idle: resource.idle,
        holders: resource.holders.toArray().map((holder) => ({
          token: holder.token,
          session: holder.session.id,
          request: holder.request,
          mode: holder.mode,
          grantedAt: holder.grantedAt,
          lockDelayMs: holder.lockDelayMs,
        })),
        queue: resource.queue.map((waiter) => ({
          session: waiter.session.id,
          request: waiter.request,
          mode: waiter.mode,
          enqueuedAt: waiter.enqueuedAt,
          deadline: waiter.deadline ?? null,
          lockDelayMs: waiter.lockDelayMs,
        })),
      });
    }
    const deadlines: DeadlineState[] = this.deadlines.entries().map(({ time, item }): DeadlineState => {
      switch (item.kind) {
        case 'lease':
          return item.session.ended ? { time, kind: 'lease-ended' } : { time, kind: 'lease', session: item.session.id };
        case 'wait':
          return item.waiter.waiting ? { time, kind: 'wait', session: item.waiter.session.id, request: item.waiter.request } : { time, kind: 'wait-ended' };
        case 'lock-delay':
          return this.resources.get(item.resource.name) === item.resource ? { time, kind: 'lock-delay', resource: item.resource.name } : { time, kind: 'lock-delay-swept' };
      }
    });
    return {
      format: MACHINE_SNAPSHOT_FORMAT,
      now: finiteOrNull(this.now),
      latestNow: finiteOrNull(this.latestNow),
      nextToken: this.nextToken.toString(),
      lastToken: this.lastToken?.toString() ?? null,
      reservedThrough: this.reservedThrough.toString(),
      grantsHeldUntil: finiteOrNull(this.grantsHeldUntil),
      sessions,
      resources,
      deadlines,
      dirty: this.dirty.map((resource) => (this.resources.get(resource.name) === resource ? resource.name : null)),
    };
  }

  /**
   * A machine in the state `snapshot` was taken in. `options` give what a
   * snapshot does not hold (queue bound, default lease, expiry budget); the
   * tokens, the clock and the grant hold come from the snapshot. Throws
   * CoreMisuseError when the snapshot is not one this version wrote or does
   * not hang together.
   */
  static restore(snapshot: MachineSnapshot, options: Omit<LockMachineOptions, 'firstToken' | 'grantsHeldUntil'> = {}): LockMachine {
    if (snapshot?.format !== MACHINE_SNAPSHOT_FORMAT) throw new CoreMisuseError('not a machine snapshot of the format this version writes');
    const machine = new LockMachine({ ...options, firstToken: BigInt(snapshot.nextToken), grantsHeldUntil: snapshot.grantsHeldUntil ?? undefined });
    machine.now = snapshot.now ?? -Infinity;
    machine.latestNow = snapshot.latestNow ?? -Infinity;
    machine.lastToken = snapshot.lastToken === null ? undefined : BigInt(snapshot.lastToken);
    machine.reservedThrough = BigInt(snapshot.reservedThrough);
    const broken = (what: string): never => {
      throw new CoreMisuseError(`the snapshot does not hang together: ${what}`);
    };
    for (const state of snapshot.sessions) {
      machine.sessions.set(state.id, {
        id: state.id,
        client: state.client,
        leaseMs: state.leaseMs,
        openedAt: state.openedAt,
        expiresAt: state.expiresAt,
        ended: false,
        held: [],
        waiting: new Map(),
      });
    }
    const holders = new Map<string, Holder>();
    const heldBy = new Map<Session, number>();
    const waiters = new Map<Session, Map<RequestId, Waiter>>();
    for (const state of snapshot.resources) {
      const resource: Resource = {
        name: state.name,
        holders: new HolderSet<Holder>(),
        exclusiveHeld: false,
        queue: [],
        blockedUntil: state.blockedUntil ?? -Infinity,
        idle: state.idle,
        dirty: false,
      };
      machine.resources.set(state.name, resource);
      if (state.idle) machine.idleCount++;
      for (const held of state.holders) {
        const session = machine.sessions.get(held.session) ?? broken(`holder ${held.token} names no live session`);
        const holder: Holder = { session, request: held.request, resource, mode: held.mode, token: held.token, grantedAt: held.grantedAt, lockDelayMs: held.lockDelayMs, heldIndex: -1 };
        resource.holders.add(holder);
        if (holder.mode === 'exclusive') resource.exclusiveHeld = true;
        holders.set(holder.token, holder);
        heldBy.set(session, (heldBy.get(session) ?? 0) + 1);
        machine.holderCount++;
      }
      for (const waiting of state.queue) {
        const session = machine.sessions.get(waiting.session) ?? broken(`a waiter of ${state.name} names no live session`);
        const waiter: Waiter = {
          session,
          request: waiting.request,
          resource,
          mode: waiting.mode,
          enqueuedAt: waiting.enqueuedAt,
          deadline: waiting.deadline ?? undefined,
          lockDelayMs: waiting.lockDelayMs,
          waiting: true,
        };
        resource.queue.push(waiter);
        const bySession = waiters.get(session) ?? new Map<RequestId, Waiter>();
        bySession.set(waiter.request, waiter);
        waiters.set(session, bySession);
        machine.waiterCount++;
      }
    }
    for (const state of snapshot.sessions) {
      const session = machine.sessions.get(state.id)!;
      for (const token of state.held) {
        const holder = holders.get(token);
        if (!holder || holder.session !== session) return broken(`session ${state.id} lists token ${token} it does not hold`);
        holder.heldIndex = session.held.length;
        session.held.push(holder);
      }
      const own = waiters.get(session);
      for (const request of state.waiting) {
        const waiter = own?.get(request) ?? broken(`session ${state.id} lists request ${JSON.stringify(request)} that waits nowhere`);
        session.waiting.set(request, waiter);
      }
      if (session.held.length !== (heldBy.get(session) ?? 0) || session.waiting.size !== (own?.size ?? 0)) broken(`session ${state.id}'s lists differ from the resources'`);
    }
    if (holders.size !== machine.holderCount) broken('two holders share a token');
    for (const name of snapshot.dirty) {
      const resource = name === null ? sweptResource() : (machine.resources.get(name) ?? broken(`resource ${name} to settle is not in the table`));
      resource.dirty = true;
      machine.dirty.push(resource);
    }
    machine.deadlines = MinHeap.fromEntries(
      snapshot.deadlines.map((entry) => ({ time: entry.time, item: machine.deadlineFrom(entry, broken) })),
    );
    return machine;
  }

  private deadlineFrom(entry: DeadlineState, broken: (what: string) => never): Deadline {
    switch (entry.kind) {
      case 'lease':
        return { kind: 'lease', session: this.sessions.get(entry.session) ?? broken(`a lease deadline names no live session ${entry.session}`) };
      case 'lease-ended':
        return { kind: 'lease', session: { id: '', client: '', leaseMs: 0, openedAt: 0, expiresAt: 0, ended: true, held: [], waiting: new Map() } };
      case 'wait': {
        const waiter = this.sessions.get(entry.session)?.waiting.get(entry.request) ?? broken(`a wait deadline names no waiting request`);
        return { kind: 'wait', waiter };
      }
      case 'wait-ended': {
        const session: Session = { id: '', client: '', leaseMs: 0, openedAt: 0, expiresAt: 0, ended: true, held: [], waiting: new Map() };
        const resource = sweptResource();
        return { kind: 'wait', waiter: { session, request: 0, resource, mode: 'exclusive', enqueuedAt: 0, deadline: undefined, lockDelayMs: 0, waiting: false } };
      }
      case 'lock-delay':
        return { kind: 'lock-delay', resource: this.resources.get(entry.resource) ?? broken(`a lock-delay deadline names no resource ${entry.resource}`) };
      case 'lock-delay-swept':
        return { kind: 'lock-delay', resource: sweptResource() };
      default:
        return broken(`unknown deadline kind ${JSON.stringify((entry as { kind: unknown }).kind)}`);
    }
  }

  // ---- phase 1: deadlines ----

  /**
   * Phase 1: take the deadlines due at `now`, one instant at a time, settling
   * at the end of each instant, until none is due (returns true) or the
   * budget is spent (returns false: the machine is behind). The clock is set
   * to each instant as it is reached; an instant the clock has already
   * passed (an input was applied while the machine was behind) is taken at
   * the clock, so the clock never moves backwards. The clock is not set to
   * `now` here: the caller does, depending on the input.
   */
  private expireDue(now: number): boolean {
    const effects = this.effects;
    const budget = this.maxExpiryWork;
    let work = 0;
    for (;;) {
      const time = this.deadlines.peekTime();
      if (time === undefined || time > now) return true;
      if (work >= budget) return false;
      if (time > this.now) this.now = time;
      const before = effects.length;
      this.expire(this.deadlines.pop()!, this.now);
      // Settle once the instant is complete, before the next one. An instant
      // the budget cuts in two is settled when its last deadline is taken.
      if (this.deadlines.peekTime() !== time) this.settle();
      work += 1 + effects.length - before;
    }
  }

  private expire(deadline: Deadline, time: number): void {
    switch (deadline.kind) {
      case 'lease': {
        const session = deadline.session;
        if (session.ended) break;
        // A renewed lease leaves a stale entry behind: requeue it at the real
        // expiry (always later than `time`), so it takes effect at its instant.
        if (session.expiresAt <= time) this.endSession(session, 'lease-expired', undefined);
        else this.deadlines.push(session.expiresAt, deadline);
        break;
      }
      case 'wait': {
        const waiter = deadline.waiter;
        if (!waiter.waiting) break;
        this.removeWaiter(waiter);
        this.effects.push({
          type: 'timeout',
          session: waiter.session.id,
          request: waiter.request,
          resource: waiter.resource.name,
        });
        break;
      }
      case 'lock-delay':
        this.markDirty(deadline.resource);
        break;
    }
  }

  // ---- phase 2: inputs ----

  private openSession(input: OpenSessionInput): void {
    // checkMisuse has refused an id that is still open; one whose lease ran
    // out while its end waits in the backlog ends now, freeing the id.
    const lapsed = this.sessions.get(input.session);
    if (lapsed) this.endSession(lapsed, 'lease-expired', undefined);
    const leaseMs = input.leaseMs ?? this.defaultLeaseMs;
    if (!Number.isInteger(leaseMs) || leaseMs < MIN_LEASE_MS || leaseMs > MAX_LEASE_MS) {
      this.reject(undefined, input.request, ErrorCode.BAD_FIELD, `leaseMs must be an integer from ${MIN_LEASE_MS} to ${MAX_LEASE_MS}`);
      return;
    }
    const session: Session = {
      id: input.session,
      client: input.client ?? input.session,
      leaseMs,
      openedAt: this.now,
      expiresAt: this.now + leaseMs,
      ended: false,
      held: [],
      waiting: new Map(),
    };
    this.sessions.set(session.id, session);
    this.deadlines.push(session.expiresAt, { kind: 'lease', session });
    this.effects.push({ type: 'session-opened', session: session.id, request: input.request, leaseMs });
  }

  /** The live session named by an input, renewed; or a rejection and undefined. */
  private liveSession(id: string, request: RequestId | undefined): Session | undefined {
    const session = this.lapsedEnded(this.sessions.get(id));
    if (!session) {
      this.reject(id, request, ErrorCode.SESSION_ENDED, `session ${id} has ended or never existed`);
      return undefined;
    }
    session.expiresAt = this.now + session.leaseMs;
    return session;
  }

  private acquire(input: AcquireInput): void {
    const session = this.liveSession(input.session, input.request);
    if (!session) return;
    const problem = resourceNameProblem(input.resource);
    if (problem) return this.reject(session.id, input.request, ErrorCode.BAD_RESOURCE_NAME, problem);
    const mode: LockMode = input.mode ?? 'exclusive';
    if (mode !== 'exclusive' && mode !== 'shared') {
      return this.reject(session.id, input.request, ErrorCode.BAD_FIELD, 'mode must be "exclusive" or "shared"');
    }
    const waitMs = input.waitMs;
    if (waitMs !== undefined && (!Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_WAIT_MS)) {
      return this.reject(session.id, input.request, ErrorCode.BAD_FIELD, `waitMs must be an integer from 0 to ${MAX_WAIT_MS}`);
    }
    const lockDelayMs = input.lockDelayMs ?? 0;
    if (!Number.isInteger(lockDelayMs) || lockDelayMs < 0 || lockDelayMs > MAX_LOCK_DELAY_MS) {
      return this.reject(session.id, input.request, ErrorCode.BAD_FIELD, `lockDelayMs must be an integer from 0 to ${MAX_LOCK_DELAY_MS}`);
    }
    if (session.waiting.has(input.request)) {
      return this.reject(session.id, input.request, ErrorCode.DUPLICATE_REQUEST, `request ${JSON.stringify(input.request)} is already waiting`);
    }
    if (session.waiting.size + session.held.length >= MAX_REQUESTS_PER_SESSION) {
      return this.reject(session.id, input.request, ErrorCode.TOO_MANY_REQUESTS, `a session may have at most ${MAX_REQUESTS_PER_SESSION} requests`);
    }

    let resource = this.resources.get(input.resource);
    if (resource?.idle) {
      resource.idle = false;
      this.idleCount--;
    }
    const held = this.grantsHeldUntil > this.now;
    const grantableNow =
      !held && (resource === undefined || (resource.queue.length === 0 && resource.blockedUntil <= this.now && this.compatible(resource, mode)));
    if (grantableNow) {
      resource ??= this.createResource(input.resource);
      this.grant(session, input.request, resource, mode, lockDelayMs, this.now);
      return;
    }
    resource ??= this.createResource(input.resource);
    if (waitMs === 0) {
      this.effects.push({ type: 'timeout', session: session.id, request: input.request, resource: resource.name });
      this.dropIfIdle(resource);
      return;
    }
    if (resource.queue.length >= this.maxQueueLength) {
      return this.reject(session.id, input.request, ErrorCode.QUEUE_FULL, `resource ${resource.name} already has ${this.maxQueueLength} waiters`);
    }
    const waiter: Waiter = {
      session,
      request: input.request,
      resource,
      mode,
      enqueuedAt: this.now,
      deadline: waitMs === undefined ? undefined : this.now + waitMs,
      lockDelayMs,
      waiting: true,
    };
    resource.queue.push(waiter);
    session.waiting.set(waiter.request, waiter);
    this.waiterCount++;
    if (waiter.deadline !== undefined) this.deadlines.push(waiter.deadline, { kind: 'wait', waiter });
    if (resource.blockedUntil > this.now) this.deadlines.push(resource.blockedUntil, { kind: 'lock-delay', resource });
    if (held && resource.queue.length === 1) this.deadlines.push(this.grantsHeldUntil, { kind: 'lock-delay', resource });
    this.effects.push({
      type: 'queued',
      session: session.id,
      request: waiter.request,
      resource: resource.name,
      mode,
      position: resource.queue.length,
    });
  }

  private release(input: ReleaseInput): void {
    const session = this.liveSession(input.session, input.request);
    if (!session) return;
    const resource = this.resources.get(input.resource);
    const holder = resource?.holders.get(input.token);
    if (!resource || !holder) {
      return this.reject(
        session.id,
        input.request,
        ErrorCode.NOT_HELD,
        `no lock on ${input.resource} with token ${input.token} is held (never granted, already released, or lost)`,
      );
    }
    if (holder.session !== session) {
      return this.reject(session.id, input.request, ErrorCode.FOREIGN_TOKEN, `token ${input.token} on ${input.resource} belongs to another session`);
    }
    this.removeHolder(holder);
    this.effects.push({ type: 'released', session: session.id, request: input.request, resource: resource.name, token: holder.token });
  }

  private cancel(input: CancelInput): void {
    const session = this.liveSession(input.session, input.request);
    if (!session) return;
    const waiter = session.waiting.get(input.target);
    if (!waiter) {
      return this.reject(session.id, input.request, ErrorCode.UNKNOWN_REQUEST, `request ${JSON.stringify(input.target)} is not waiting`);
    }
    this.removeWaiter(waiter);
    this.effects.push({ type: 'cancelled', session: session.id, request: input.request, target: input.target, resource: waiter.resource.name });
  }

  private closeSession(input: CloseSessionInput): void {
    const session = this.lapsedEnded(this.sessions.get(input.session));
    if (!session) {
      return this.reject(input.session, input.request, ErrorCode.SESSION_ENDED, `session ${input.session} has ended or never existed`);
    }
    this.endSession(session, input.reason ?? 'closed', input.request);
  }

  private forceRelease(input: ForceReleaseInput): void {
    const resource = this.resources.get(input.resource);
    const holders = resource
      ? resource.holders.toArray().filter((holder) => input.token === undefined || holder.token === input.token)
      : [];
    if (holders.length === 0) {
      const what = input.token === undefined ? `no lock on ${input.resource} is held` : `no lock on ${input.resource} with token ${input.token} is held`;
      return this.reject(input.session, input.request, ErrorCode.NOT_HELD, what);
    }
    for (const holder of holders) {
      this.removeHolder(holder);
      this.effects.push({ type: 'lost', session: holder.session.id, resource: input.resource, token: holder.token, reason: 'revoked' });
    }
    this.effects.push({
      type: 'force-released',
      session: input.session,
      request: input.request,
      resource: input.resource,
      tokens: holders.map((holder) => holder.token),
    });
  }

  /** Every live session's lease restarts now; one whose lease ran out before now ends first. */
  private restartLeases(): void {
    let restarted = 0;
    for (const session of [...this.sessions.values()]) {
      if (!this.lapsedEnded(session)) continue;
      session.expiresAt = this.now + session.leaseMs;
      restarted++;
    }
    this.effects.push({ type: 'leases-restarted', sessions: restarted });
  }

  /**
   * The session, or undefined once it has ended. A session whose lease ran
   * out while the machine was behind (its deadline still in the backlog) is
   * ended here, before the input that names it, so an input finds it in the
   * same state whether the machine is behind or not.
   */
  private lapsedEnded(session: Session | undefined): Session | undefined {
    if (!session || session.expiresAt > this.now) return session;
    this.endSession(session, 'lease-expired', undefined);
    return undefined;
  }

  // ---- phase 3 (and each instant of phase 1): grants ----

  private settle(): void {
    const dirty = this.dirty;
    // By index: a resource marked while settling is settled in this same pass.
    for (let index = 0; index < dirty.length; index++) {
      const resource = dirty[index]!;
      resource.dirty = false;
      this.grantFromQueue(resource);
      this.dropIfIdle(resource);
    }
    dirty.length = 0;
  }

  private grantFromQueue(resource: Resource): void {
    if (resource.blockedUntil > this.now) {
      if (resource.queue.length > 0) this.deadlines.push(resource.blockedUntil, { kind: 'lock-delay', resource });
      return;
    }
    if (this.grantsHeldUntil > this.now) {
      if (resource.queue.length > 0) this.deadlines.push(this.grantsHeldUntil, { kind: 'lock-delay', resource });
      return;
    }
    const queue = resource.queue;
    while (queue.length > 0) {
      const waiter = queue[0]!;
      // Only while the machine is behind can a head's wait or lease have run
      // out with its deadline still pending (see the theory of operation):
      // a wait that ran out times out now rather than be granted late; a
      // lapsed session is granted nothing, and the queue waits for its end.
      if (waiter.deadline !== undefined && waiter.deadline <= this.now) {
        queue.shift();
        waiter.waiting = false;
        waiter.session.waiting.delete(waiter.request);
        this.waiterCount--;
        this.effects.push({ type: 'timeout', session: waiter.session.id, request: waiter.request, resource: resource.name });
        continue;
      }
      if (waiter.session.expiresAt <= this.now) return;
      if (!this.compatible(resource, waiter.mode)) return;
      queue.shift();
      waiter.waiting = false;
      waiter.session.waiting.delete(waiter.request);
      this.waiterCount--;
      this.grant(waiter.session, waiter.request, resource, waiter.mode, waiter.lockDelayMs, waiter.enqueuedAt);
    }
  }

  private compatible(resource: Resource, mode: LockMode): boolean {
    if (resource.holders.size === 0) return true;
    return mode === 'shared' && !resource.exclusiveHeld;
  }

  private grant(session: Session, request: RequestId, resource: Resource, mode: LockMode, lockDelayMs: number, since: number): void {
    const value = this.nextToken++;
    this.lastToken = value;
    if (value > this.reservedThrough) {
      this.reservedThrough = value - 1n + TOKEN_RESERVATION_BLOCK;
      this.effects.push({ type: 'reserve-tokens', through: this.reservedThrough.toString() });
    }
    const token = value.toString();
    const holder: Holder = { session, request, resource, mode, token, grantedAt: this.now, lockDelayMs, heldIndex: session.held.length };
    resource.holders.add(holder);
    if (mode === 'exclusive') resource.exclusiveHeld = true;
    session.held.push(holder);
    this.holderCount++;
    this.effects.push({ type: 'granted', session: session.id, request, resource: resource.name, mode, token, waitedMs: this.now - since });
  }

  // ---- bookkeeping ----

  private createResource(requestedName: string): Resource {
    const name = ownCopy(requestedName);
    const resource: Resource = { name, holders: new HolderSet<Holder>(), exclusiveHeld: false, queue: [], blockedUntil: -Infinity, idle: false, dirty: false };
    this.resources.set(name, resource);
    return resource;
  }

  /**
   * Forget a resource that nobody holds or waits for, once any lock-delay has
   * lapsed. It is only marked idle here, and idle entries are swept out in
   * bulk: deleting a key from a large Map and adding it back on the next
   * acquire, over and over, makes V8's hash table slower and slower (the
   * bench measured one resource's acquire + release go from 18 µs to 134 µs
   * with 100,000 other locks held).
   */
  private dropIfIdle(resource: Resource): void {
    if (resource.idle || resource.holders.size > 0 || resource.queue.length > 0 || resource.blockedUntil > this.now) return;
    resource.idle = true;
    this.idleCount++;
    if (this.idleCount > Math.max(IDLE_SWEEP_MINIMUM, this.resources.size / 2)) this.sweepIdle();
  }

  /** Rebuild the resource table without its idle entries: O(resources), at most once per that many idle marks. */
  private sweepIdle(): void {
    const live = new Map<string, Resource>();
    for (const [name, resource] of this.resources) if (!resource.idle) live.set(name, resource);
    this.resources = live;
    this.idleCount = 0;
  }

  private removeHolder(holder: Holder): void {
    const resource = holder.resource;
    resource.holders.delete(holder.token);
    if (holder.mode === 'exclusive') resource.exclusiveHeld = false;
    const held = holder.session.held;
    const last = held.pop()!;
    if (last !== holder) {
      held[holder.heldIndex] = last;
      last.heldIndex = holder.heldIndex;
    }
    this.holderCount--;
    this.markDirty(resource);
  }

  private markDirty(resource: Resource): void {
    if (resource.dirty) return;
    resource.dirty = true;
    this.dirty.push(resource);
  }

  private removeWaiter(waiter: Waiter): void {
    waiter.waiting = false;
    const queue = waiter.resource.queue;
    const index = queue.indexOf(waiter);
    if (index >= 0) queue.splice(index, 1);
    waiter.session.waiting.delete(waiter.request);
    this.waiterCount--;
    this.markDirty(waiter.resource);
  }

  private endSession(session: Session, reason: 'closed' | 'disconnected' | 'lease-expired', request: RequestId | undefined): void {
    session.ended = true;
    this.sessions.delete(session.id);
    const withdrawn = session.waiting.size;
    for (const waiter of [...session.waiting.values()]) this.removeWaiter(waiter);
    const released: FreedLock[] = [];
    for (const holder of inGrantOrder(session.held)) {
      this.removeHolder(holder);
      released.push({ resource: holder.resource.name, token: holder.token });
      if (reason === 'lease-expired') {
        this.effects.push({ type: 'lost', session: session.id, resource: holder.resource.name, token: holder.token, reason: 'lease-expired' });
        if (holder.lockDelayMs > 0) {
          const until = this.now + holder.lockDelayMs;
          if (until > holder.resource.blockedUntil) holder.resource.blockedUntil = until;
          this.deadlines.push(until, { kind: 'lock-delay', resource: holder.resource });
        }
      }
    }
    this.effects.push({ type: 'session-ended', session: session.id, request, reason, released, withdrawn });
  }

  private reject(session: string | undefined, request: RequestId | undefined, code: ErrorCode, message: string): void {
    this.effects.push({ type: 'rejected', session, request, code, message });
  }

  private snapshotOf(resource: Resource): ResourceSnapshot {
    const now = this.now;
    const snapshot: ResourceSnapshot = {
      resource: resource.name,
      holders: resource.holders.toArray().map((holder) => ({
        session: holder.session.id,
        client: holder.session.client,
        request: holder.request,
        mode: holder.mode,
        token: holder.token,
        grantedAt: holder.grantedAt,
        heldMs: now - holder.grantedAt,
      })),
      waiters: resource.queue.map((waiter) => {
        const entry: WaiterSnapshot = {
          session: waiter.session.id,
          client: waiter.session.client,
          request: waiter.request,
          mode: waiter.mode,
          enqueuedAt: waiter.enqueuedAt,
          waitedMs: now - waiter.enqueuedAt,
        };
        if (waiter.deadline !== undefined) entry.deadline = waiter.deadline;
        return entry;
      }),
    };
    if (resource.blockedUntil > now) snapshot.blockedUntil = resource.blockedUntil;
    return snapshot;
  }
}

/** −∞ (never) as null, for JSON. */
function finiteOrNull(value: number): number | null {
  return value === -Infinity ? null : value;
}

/**
 * A resource that was swept out of the table while a deadline still pointed
 * at it: idle, and it stays so (taking the deadline settles nothing).
 */
function sweptResource(): Resource {
  return { name: '', holders: new HolderSet<Holder>(), exclusiveHeld: false, queue: [], blockedUntil: -Infinity, idle: true, dirty: false };
}

/** A copy of `holders` in the order they were granted (token order), as `held` itself is unordered. */
function inGrantOrder(holders: readonly Holder[]): Holder[] {
  return [...holders].sort((a, b) => a.token.length - b.token.length || (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
}

/**
 * A string that shares no memory with the text it was cut from. A name taken
 * out of a received message by a regular expression is, in V8, a view into
 * the whole message (a sliced string), and a resource keeps its name as long
 * as it exists: with 100,000 held locks that pins 100,000 messages. Joining
 * the characters builds a fresh flat string. Runs once per resource created,
 * never per request on an existing one.
 */
function ownCopy(text: string): string {
  return text.split('').join('');
}
