/**
 * lock-server in a group (`--etcd …`): one process that listens once on each
 * address and hands every connection to whichever coordinator this process
 * runs at the moment —
 *
 * - a **follower** (a coordinator with `redirect`, docs/protocol.md 3.4),
 *   which answers every request with NOT_LEADER and the leader's address,
 *   while this process stands as a candidate in the group's election; or
 * - the **leader**'s journaled coordinator, once elected and recovered from
 *   the group's log in etcd (packages/etcd-group's GroupMember).
 *
 * The listeners outlive both: a change of role closes the coordinator that
 * served until then (and so every connection it had: a follower's clients
 * were told where to go; a deposed leader's must reconnect anyway) and new
 * connections go to the other. Deposed, the process stands again as a new
 * candidate (a new etcd lease and election key): its old term is over for
 * good, which is what fences its old log writes.
 *
 * A candidacy that etcd cannot register (no quorum: the grant or the key's
 * transaction does not complete) is abandoned after CANDIDACY_TIMEOUT_MS and
 * tried again after CANDIDACY_RETRY_DELAY_MS (doubling while they keep
 * failing), so the process serves again on its own once etcd is back.
 */
import { performance } from 'node:perf_hooks';
import { encodeMessage, ErrorCode, MAX_MESSAGE_BYTES } from '@baton/core';
import { GroupMember } from '@baton/etcd-group';
import type { EtcdLog } from '@baton/etcd-group';
import { Coordinator } from '@baton/server';
import type { CoordinatorLogger, JournaledCoordinator, JournaledCoordinatorOptions } from '@baton/server';
import type { Listener } from '@baton/transport';
import { Etcd3 } from 'etcd3';
import type { ListenAddress } from './listen-address.js';
import { describeListener } from './listen-address.js';
import { transports } from './transports.js';

/** A candidacy that has not registered in etcd after this long is abandoned and tried again (etcd has no quorum, or is unreachable). */
export const CANDIDACY_TIMEOUT_MS = 10_000;
/**
 * Wait this long before standing again after this process was deposed or a
 * candidacy failed; each failure in a row doubles the wait, up to
 * LAST_CANDIDACY_RETRY_DELAY_MS (an etcd without quorum is not asked, and
 * the log not filled, twice a second for as long as it lasts).
 */
export const CANDIDACY_RETRY_DELAY_MS = 500;
export const LAST_CANDIDACY_RETRY_DELAY_MS = 5_000;

export interface GroupServerOptions {
  /** etcd client URLs, e.g. `http://10.0.0.1:2379`. */
  etcd: readonly string[];
  /** Key prefix of the group in etcd (election and log under it), ending in `/`. */
  prefix: string;
  /** This process's address for clients, as followers name it in NOT_LEADER. */
  advertise: string;
  /** The election lease, whole seconds: a failover takes about this long. */
  electionLeaseSeconds: number;
  addresses: readonly ListenAddress[];
  /** For the leader's coordinator (admin token, default lease, logger). */
  coordinatorOptions: JournaledCoordinatorOptions;
  logger: CoordinatorLogger;
  /** Where the startup and role lines go (stdout). */
  print: (line: string) => void;
}

export class GroupServer {
  private readonly client: Etcd3;
  private readonly listeners: Listener[] = [];
  /** Who gets new connections: the follower, or the leader's coordinator. */
  private current: Coordinator;
  private role: 'follower' | 'leader' = 'follower';
  private member: GroupMember | undefined;
  private leaderAddress: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private candidacyTimer: NodeJS.Timeout | undefined;
  /** Counts candidacies, so that callbacks of an abandoned one are ignored. */
  private generation = 0;
  /** Candidacies that failed in a row (reset once one registers). */
  private failures = 0;
  private stopped = false;

  constructor(private readonly options: GroupServerOptions) {
    this.client = new Etcd3({ hosts: [...options.etcd] });
    this.current = this.newFollower();
  }

  /** The leader's coordinator while this process leads. */
  get leading(): JournaledCoordinator<EtcdLog> | undefined {
    return this.member?.coordinator;
  }

  /** Listen on every address, then stand as a candidate. */
  async start(): Promise<void> {
    const oversizedReply = encodeMessage({ op: 'error', code: ErrorCode.MESSAGE_TOO_LARGE, message: `message larger than ${MAX_MESSAGE_BYTES} bytes; closing the connection` });
    for (const address of this.options.addresses) {
      const listener = await transports[address.transport]!.listen({
        host: address.host,
        port: address.port,
        maxMessageBytes: MAX_MESSAGE_BYTES,
        oversizedReply,
        onConnection: (connection) => this.current.accept(connection),
      });
      this.listeners.push(listener);
      this.options.print(`Lock Server started on ${describeListener(address.transport, address.host, listener.port)}`);
    }
    this.options.logger.info(
      { event: 'group-joining', advertise: this.options.advertise, etcd: this.options.etcd.join(','), prefix: this.options.prefix, electionLeaseSeconds: this.options.electionLeaseSeconds },
      `joining the group ${this.options.prefix} on etcd ${this.options.etcd.join(',')} as ${this.options.advertise}; following until elected`,
    );
    this.stand();
  }

  /** Resign (the next candidate is elected at once), close every connection and listener. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.candidacyTimer);
    const member = this.member;
    this.member = undefined;
    await member?.close().catch(() => undefined);
    await this.current.close();
    await Promise.all(this.listeners.map((listener) => listener.close()));
    this.client.close();
  }

  private newFollower(): Coordinator {
    // Never to itself: a deposed leader may still see its own address until etcd says otherwise.
    return new Coordinator({ redirect: () => (this.leaderAddress === this.options.advertise ? undefined : this.leaderAddress), logger: this.options.logger, defaultLeaseMs: this.options.coordinatorOptions.defaultLeaseMs });
  }

  /** Stand as a new candidate. */
  private stand(): void {
    if (this.stopped) return;
    const generation = ++this.generation;
    const isCurrent = () => generation === this.generation && !this.stopped;
    const member = new GroupMember({
      client: this.client,
      prefix: this.options.prefix,
      advertise: this.options.advertise,
      leaseTtlSeconds: this.options.electionLeaseSeconds,
      coordinatorOptions: this.options.coordinatorOptions,
      onLeading: (leader) => {
        if (!isCurrent()) return;
        this.serveAs(leader.coordinator, 'leader');
        const { sessions, records, fromSnapshot, durationMs } = leader.recovered;
        const read = member.lastTakeOver;
        const how = read === undefined ? '' : read.source === 'tail' ? `; read from this member's copy and ${read.tailBatches} new batch(es) in ${Math.round(read.readMs)} ms` : `; the whole log read from etcd in ${Math.round(read.readMs)} ms`;
        this.options.logger.info(
          { event: 'leading', advertise: this.options.advertise, sessions, records, fromSnapshot, durationMs: Math.round(durationMs), logSource: read?.source, tailBatches: read?.tailBatches },
          `elected: leading the group with ${sessions} session(s) recovered from the group's log (${fromSnapshot ? 'a snapshot and ' : ''}${records} record(s)) in ${Math.round(durationMs)} ms${how}`,
        );
        this.options.print(`Leading the group as ${this.options.advertise}`);
      },
      onDeposed: (reason) => {
        if (!isCurrent()) return;
        // GroupMember closed the leader's coordinator already: nothing more is granted or committed.
        this.options.logger.error({ event: 'deposed', reason }, `deposed: ${reason}; granting nothing more, standing again as a candidate`);
        this.restart();
      },
      onLeaderChange: (address) => {
        if (!isCurrent()) return;
        this.leaderAddress = address;
        this.options.logger.info({ event: 'leader-changed', leader: address ?? null }, address === undefined ? 'the group has no leader' : `the group's leader is ${address}`);
      },
      onError: (error) => {
        if (!isCurrent()) return;
        this.options.logger.warn({ event: 'candidacy-failed', error: error.message }, `the candidacy failed (${error.message}); standing again`);
        this.restart();
      },
    });
    this.member = member;
    clearTimeout(this.candidacyTimer);
    this.candidacyTimer = setTimeout(() => {
      if (!isCurrent()) return;
      this.options.logger.warn({ event: 'candidacy-timeout', timeoutMs: CANDIDACY_TIMEOUT_MS }, `etcd did not register the candidacy within ${CANDIDACY_TIMEOUT_MS} ms (no quorum?); standing again`);
      this.restart();
    }, CANDIDACY_TIMEOUT_MS);
    const started = performance.now();
    member.start().then(
      () => {
        if (!isCurrent()) return;
        clearTimeout(this.candidacyTimer);
        this.failures = 0;
        this.options.logger.info({ event: 'candidate', durationMs: Math.round(performance.now() - started) }, 'standing as a candidate in the election');
      },
      (error: unknown) => {
        if (!isCurrent()) return;
        this.options.logger.warn({ event: 'candidacy-failed', error: (error as Error).message }, `could not stand as a candidate (${(error as Error).message}); trying again soon`);
        this.restart();
      },
    );
  }

  /** Back to following, the old candidacy given up, and a new one after a pause. */
  private restart(): void {
    this.generation++;
    clearTimeout(this.candidacyTimer);
    const member = this.member;
    this.member = undefined;
    if (this.role === 'leader') this.serveAs(this.newFollower(), 'follower');
    void member?.close().catch(() => undefined);
    clearTimeout(this.retryTimer);
    const delay = Math.min(LAST_CANDIDACY_RETRY_DELAY_MS, CANDIDACY_RETRY_DELAY_MS * 2 ** this.failures);
    this.failures++;
    this.retryTimer = setTimeout(() => this.stand(), delay);
  }

  /** New connections go to `coordinator`; the one before is closed with its connections. */
  private serveAs(coordinator: Coordinator, role: 'follower' | 'leader'): void {
    const before = this.current;
    this.current = coordinator;
    this.role = role;
    if (before !== coordinator) void before.close();
  }
}
