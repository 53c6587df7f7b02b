/**
 * Which coordinator of a group leads, decided through etcd the way etcd's own
 * `concurrency.Election` decides it (client/v3/concurrency/election.go):
 *
 * 1. Each candidate grants itself an etcd lease of `leaseTtlSeconds` and
 *    creates the key `<prefix><lease id>`, attached to that lease, holding its
 *    advertised address. The key lives exactly as long as the lease.
 * 2. The candidate whose key has the lowest create revision leads. Every
 *    other one watches the key created just before its own and looks again
 *    when that key is deleted (a leader's lease ended, or it resigned), so a
 *    change of leader wakes one candidate, not all of them.
 * 3. A leader's authority is its key at its create revision: the log's etcd
 *    transactions compare `CreateRevision(key) == createRevision` (see
 *    {@link Leadership.key}), so once the key is gone, nothing it sends can
 *    commit, however late it arrives.
 *
 * Written on etcd3's primitives (leases, transactions, watches) rather than
 * its `Election` class because the group needs two things that class keeps
 * private: the key's create revision (the fence above) and when each
 * keepalive was sent, for the local bound below.
 *
 * **The local bound.** etcd ends a lease no earlier than `TTL` after it
 * received the last keepalive, hence no earlier than `TTL` after that
 * keepalive was *sent*. So a leader that renewed with a keepalive sent at `t`
 * may act as leader until `t + TTL − margin` on its own monotonic clock
 * (`validUntil`), without asking etcd: no other candidate can be elected
 * before then. Past it, without a newer renewal, it is deposed locally
 * (`onDeposed`, with the reason) even if etcd cannot be reached to say so —
 * a leader cut off from etcd, or paused by SIGSTOP past its lease, stops
 * before anyone else starts. The margin (LEASE_SAFETY_MARGIN_FRACTION of the
 * TTL, at least MIN_LEASE_SAFETY_MARGIN_MS) covers the rate difference of
 * the two machines' clocks and the timer's lateness.
 */
import { performance } from 'node:perf_hooks';
import type { Etcd3, Lease, Namespace } from 'etcd3';

/** The election lease's TTL unless told otherwise, seconds: a failover takes about this long. */
export const DEFAULT_ELECTION_LEASE_TTL_SECONDS = 3;

/** The share of the lease a leader gives up at its end, for clock-rate differences and timer lateness. */
export const LEASE_SAFETY_MARGIN_FRACTION = 0.1;

/** The least margin, ms. */
export const MIN_LEASE_SAFETY_MARGIN_MS = 200;

/** Keepalives per lease TTL (etcd's Go client sends one every TTL/3). */
export const KEEPALIVES_PER_TTL = 3;

/** How long `close()` waits for etcd to take the resignation, ms: a candidate cut off from etcd still closes. */
export const CLOSE_TIMEOUT_MS = 1_000;

/** A leader's term: what its log transactions compare on. */
export interface Leadership {
  /** The full etcd key of this candidate (`<prefix><lease id>`). */
  readonly key: string;
  /** The key's create revision, a decimal string (etcd revisions are int64). */
  readonly createRevision: string;
  /** The etcd lease the key is attached to, a decimal string. */
  readonly leaseId: string;
}

export interface CoordinatorElectionOptions {
  client: Etcd3;
  /** Key prefix of this group's election, e.g. `baton/group/election/`. */
  prefix: string;
  /** This coordinator's address for clients, e.g. `tcp://10.0.0.5:5556`: what the others redirect to. */
  advertise: string;
  /** Default DEFAULT_ELECTION_LEASE_TTL_SECONDS (etcd's minimum is 1). */
  leaseTtlSeconds?: number;
  /** This candidate was elected; it may lead until `validUntil()` passes. */
  onElected?: (leadership: Leadership) => void;
  /** This candidate, elected before, leads no longer; `reason` says why (for the log). */
  onDeposed?: (reason: string) => void;
  /** The group's leader changed: its advertised address, or undefined while there is none. */
  onLeaderChange?: (address: string | undefined) => void;
  /** The campaign failed and stopped (etcd refused the lease, or the lease was lost before an election). */
  onError?: (error: Error) => void;
  /** Monotonic milliseconds; default `performance.now`. */
  now?: () => number;
}

/** The margin a leader gives up at the end of a lease of `ttlSeconds`, ms. */
export function leaseSafetyMarginMs(ttlSeconds: number): number {
  return Math.max(MIN_LEASE_SAFETY_MARGIN_MS, ttlSeconds * 1000 * LEASE_SAFETY_MARGIN_FRACTION);
}

/**
 * One coordinator's candidacy. `start()` campaigns until `close()`; the
 * callbacks say when it leads and who leads. A candidate that was deposed
 * does not campaign again by itself: its coordinator has to restart from the
 * group's log first (issue 8's recovery rules), then start a new election.
 */
export class CoordinatorElection {
  private readonly client: Etcd3;
  private readonly namespace: Namespace;
  private readonly ttlSeconds: number;
  private readonly marginMs: number;
  private readonly now: () => number;
  private lease: Lease | undefined;
  private leadership: Leadership | undefined;
  private leading = false;
  private closed = false;
  private leaseValidUntil = Number.NEGATIVE_INFINITY;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private readonly cancels: (() => Promise<void>)[] = [];
  private leaderAddress: string | undefined;

  constructor(private readonly options: CoordinatorElectionOptions) {
    this.client = options.client;
    if (!options.prefix.endsWith('/')) throw new RangeError('the election prefix must end with "/"');
    this.namespace = options.client.namespace(options.prefix);
    this.ttlSeconds = options.leaseTtlSeconds ?? DEFAULT_ELECTION_LEASE_TTL_SECONDS;
    if (!Number.isInteger(this.ttlSeconds) || this.ttlSeconds < 1) throw new RangeError('leaseTtlSeconds must be a whole number of seconds, at least 1');
    this.marginMs = leaseSafetyMarginMs(this.ttlSeconds);
    this.now = options.now ?? (() => performance.now());
  }

  /** Whether this candidate leads now: elected, and its lease bound not passed. */
  get isLeader(): boolean {
    return this.leading && this.now() < this.validUntil();
  }

  /** This candidate's term while it leads. */
  get term(): Leadership | undefined {
    return this.leading ? this.leadership : undefined;
  }

  /** The leader's advertised address as last seen, or undefined. */
  get leader(): string | undefined {
    return this.leaderAddress;
  }

  /** Until when (monotonic ms) this candidate may act as leader without a newer renewal. */
  validUntil(): number {
    return this.leaseValidUntil - this.marginMs;
  }

  /** Campaign and watch the leader. Resolves once the candidacy is registered in etcd. */
  async start(): Promise<void> {
    this.observeLeader().catch((error: unknown) => this.fail(error as Error));
    const lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: false });
    this.lease = lease;
    const sent = this.now();
    const leaseId = await lease.grant();
    this.renewedAt(sent, this.ttlSeconds);
    this.scheduleKeepalive();
    const result = await this.namespace
      .if(leaseId, 'Create', '==', 0)
      .then(this.namespace.put(leaseId).value(this.options.advertise).lease(leaseId))
      .commit();
    if (!result.succeeded) throw new Error(`the election key ${this.options.prefix}${leaseId} already exists`);
    this.leadership = { key: `${this.options.prefix}${leaseId}`, createRevision: result.header.revision, leaseId };
    this.waitForElection(this.leadership).catch((error: unknown) => this.fail(error as Error));
  }

  /** Resign: the lease is revoked, so the next candidate is elected at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.keepaliveTimer);
    clearTimeout(this.deadlineTimer);
    if (this.leading) this.depose('resigned');
    const resign = async (): Promise<void> => {
      await Promise.all(this.cancels.splice(0).map((cancel) => cancel().catch(() => undefined)));
      await this.lease?.revoke({ deadline: new Date(Date.now() + CLOSE_TIMEOUT_MS) }).catch(() => undefined);
    };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([resign(), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }

  /** Waits until no key of the prefix was created before ours, then leads. */
  private async waitForElection(leadership: Leadership): Promise<void> {
    const own = leadership.key.slice(this.options.prefix.length);
    while (!this.closed) {
      const before = await this.namespace
        .getAll()
        .maxCreateRevision((BigInt(leadership.createRevision) - 1n).toString())
        .sort('Create', 'Descend')
        .limit(1)
        .exec();
      if (this.closed) return;
      const predecessor = before.kvs[0];
      if (predecessor === undefined) {
        await this.watchOwnKey(own, before.header.revision);
        if (this.closed) return;
        if (this.now() >= this.validUntil()) {
          this.fail(new Error('the election lease lapsed while this candidate was being elected'));
          return;
        }
        this.leading = true;
        this.options.onElected?.(leadership);
        return;
      }
      await this.waitForDeletion(predecessor.key.toString(), before.header.revision);
    }
  }

  /** Resolves when `key` (in the namespace) is deleted after `revision`. */
  private async waitForDeletion(key: string, revision: string): Promise<void> {
    const watcher = await this.namespace.watch().key(key).startRevision((BigInt(revision) + 1n).toString()).create();
    await new Promise<void>((resolve) => {
      watcher.on('delete', () => resolve());
      this.cancels.push(async () => {
        resolve();
        await watcher.cancel();
      });
    });
    await watcher.cancel();
  }

  /** A leader whose key is deleted (its lease ended in etcd) leads no longer. */
  private async watchOwnKey(key: string, revision: string): Promise<void> {
    const watcher = await this.namespace.watch().key(key).startRevision((BigInt(revision) + 1n).toString()).create();
    watcher.on('delete', () => {
      if (this.leading) this.depose('the election key was deleted: the etcd lease ended');
    });
    this.cancels.push(() => watcher.cancel());
  }

  /** Follows the lowest create revision under the prefix. */
  private async observeLeader(): Promise<void> {
    const update = async (): Promise<void> => {
      const first = await this.namespace.getAll().sort('Create', 'Ascend').limit(1).exec();
      const address = first.kvs[0]?.value.toString();
      if (this.closed || address === this.leaderAddress) return;
      this.leaderAddress = address;
      this.options.onLeaderChange?.(address);
    };
    const watcher = await this.namespace.watch().prefix('').create();
    this.cancels.push(() => watcher.cancel());
    watcher.on('data', () => {
      update().catch(() => undefined);
    });
    watcher.on('connected', () => {
      update().catch(() => undefined);
    });
    await update();
  }

  private scheduleKeepalive(): void {
    if (this.closed) return;
    this.keepaliveTimer = setTimeout(() => void this.keepalive(), (this.ttlSeconds * 1000) / KEEPALIVES_PER_TTL);
  }

  private async keepalive(): Promise<void> {
    const lease = this.lease;
    if (lease === undefined || this.closed) return;
    const sent = this.now();
    try {
      const response = await lease.keepaliveOnce({ deadline: new Date(Date.now() + (this.ttlSeconds * 1000) / KEEPALIVES_PER_TTL) });
      const ttl = Number(response.TTL);
      if (!(ttl > 0)) {
        this.leaseEnded('etcd says the election lease has ended');
        return;
      }
      this.renewedAt(sent, ttl);
    } catch {
      // Not renewed: the deadline timer deposes this leader if no later keepalive succeeds in time.
    }
    this.scheduleKeepalive();
  }

  /** A keepalive sent at `sent` (monotonic ms) was answered with `ttlSeconds`. */
  private renewedAt(sent: number, ttlSeconds: number): void {
    const until = sent + ttlSeconds * 1000;
    if (until <= this.leaseValidUntil) return;
    this.leaseValidUntil = until;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => this.checkDeadline(), Math.max(0, this.validUntil() - this.now()));
  }

  private checkDeadline(): void {
    if (this.closed) return;
    const left = this.validUntil() - this.now();
    if (left > 0) {
      this.deadlineTimer = setTimeout(() => this.checkDeadline(), left);
      return;
    }
    this.leaseEnded(`no keepalive of the election lease was answered in time (the lease may end in etcd within ${Math.round(this.marginMs)} ms)`);
  }

  private leaseEnded(reason: string): void {
    if (this.leading) this.depose(reason);
    else if (!this.closed) this.fail(new Error(`the election lease ended before this candidate was elected: ${reason}`));
  }

  private depose(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.options.onDeposed?.(reason);
  }

  private fail(error: Error): void {
    if (this.closed) return;
    if (this.leading) this.depose(error.message);
    this.options.onError?.(error);
  }
}
