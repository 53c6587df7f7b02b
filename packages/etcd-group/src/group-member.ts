/**
 * One coordinator of a group: a candidate in the group's election that, once
 * elected, rebuilds the machine from the group's log in etcd and serves on
 * it; and that stops the moment it is deposed.
 *
 * Taking over follows issue 8's recovery rules: the state is the snapshot
 * and the records after it, exactly as the last leader committed them, and
 * `recover` restarts every session's lease from now (Chubby's rule), so a
 * lock the last leader granted is granted to nobody else before its holder's
 * lease could have ended on the holder's side, and its holder resumes with
 * its session, lock and token.
 *
 * Stopping is not left to chance: the log's commits are fenced in etcd (a
 * deposed leader's commit is refused), the journal sends nothing whose
 * records did not commit, and `onDeposed` is called as soon as the local
 * lease bound passes, when the coordinator is closed at once.
 */
import { performance } from 'node:perf_hooks';
import { openJournaledCoordinator } from '@baton/server';
import type { JournaledCoordinator, JournaledCoordinatorOptions } from '@baton/server';
import type { Etcd3 } from 'etcd3';
import { CoordinatorElection } from './coordinator-election.js';
import { EtcdLog, readEtcdLog } from './etcd-log.js';
import { LogFollower } from './log-follower.js';

export interface GroupMemberOptions {
  client: Etcd3;
  /** How the coordinator it leads with is made (logger, limits, snapshot interval). */
  coordinatorOptions?: JournaledCoordinatorOptions;
  /** The group's key prefix, e.g. `baton/group/` (its election and log live under it). */
  prefix: string;
  /** This coordinator's address for clients (what the others redirect to). */
  advertise: string;
  /** The election lease, seconds (default DEFAULT_ELECTION_LEASE_TTL_SECONDS). */
  leaseTtlSeconds?: number;
  /** Elected, recovered: start listening on `leader.coordinator`. */
  onLeading: (leader: JournaledCoordinator<EtcdLog>) => void | Promise<void>;
  /** Deposed (or its log failed): the coordinator is closed already; the process should start over as a candidate. */
  onDeposed: (reason: string) => void;
  /** The group's leader changed (its advertised address, undefined while there is none). */
  onLeaderChange?: (address: string | undefined) => void;
  /** The campaign failed. */
  onError?: (error: Error) => void;
}

export class GroupMember {
  readonly election: CoordinatorElection;
  private leader: JournaledCoordinator<EtcdLog> | undefined;
  private stopped = false;
  /** The hot copy of the log while standing by (log-follower.ts); undefined once it could not start. */
  private follower: Promise<LogFollower | undefined> | undefined;
  private takeOverFacts: { source: 'tail' | 'full'; tailBatches: number; readMs: number } | undefined;

  constructor(private readonly options: GroupMemberOptions) {
    this.election = new CoordinatorElection({
      client: options.client,
      prefix: `${options.prefix}election/`,
      advertise: options.advertise,
      leaseTtlSeconds: options.leaseTtlSeconds,
      onElected: () => void this.lead().catch((error: unknown) => this.depose(`taking over failed: ${(error as Error).message}`)),
      onDeposed: (reason) => this.depose(reason),
      onLeaderChange: options.onLeaderChange,
      onError: options.onError,
    });
  }

  /** The coordinator while this member leads. */
  get coordinator(): JournaledCoordinator<EtcdLog> | undefined {
    return this.leader;
  }

  /** How the last takeover read the log: from the hot copy and a tail of `tailBatches` batches, or in `full`; `readMs` the read's duration. */
  get lastTakeOver(): { source: 'tail' | 'full'; tailBatches: number; readMs: number } | undefined {
    return this.takeOverFacts;
  }

  /** Follow the group's log (the hot copy), then stand in the election. */
  async start(): Promise<void> {
    // Without a copy (etcd refused the watch) the takeover reads the whole log instead: slower, as correct.
    this.follower = LogFollower.start(this.options.client, this.options.prefix).catch(() => undefined);
    await this.follower;
    await this.election.start();
  }

  /** Stop leading (or standing by) and resign, so another member takes over at once. */
  async close(): Promise<void> {
    this.stopped = true;
    void this.follower?.then((follower) => follower?.close());
    const leader = this.leader;
    this.leader = undefined;
    if (leader !== undefined) {
      await leader.coordinator.close();
      await leader.journal.flush().catch(() => undefined);
      await leader.log.close();
    }
    await this.election.close();
  }

  private async lead(): Promise<void> {
    const started = performance.now();
    const follower = await this.follower;
    const recovered = follower === undefined ? { ...(await readEtcdLog(this.options.client, this.options.prefix)), source: 'full' as const, tailBatches: 0 } : await follower.takeOver();
    this.takeOverFacts = { source: recovered.source, tailBatches: recovered.tailBatches, readMs: performance.now() - started };
    if (this.stopped || !this.election.isLeader) return;
    const log = new EtcdLog(
      {
        client: this.options.client,
        prefix: this.options.prefix,
        leadership: () => this.election.term,
        isLeader: () => this.election.isLeader,
        onFailure: (error) => this.depose(`the group's log failed: ${error.message}`),
      },
      recovered,
    );
    this.leader = openJournaledCoordinator(log, recovered, this.options.coordinatorOptions ?? {}, started);
    await this.options.onLeading(this.leader);
  }

  private depose(reason: string): void {
    const leader = this.leader;
    this.leader = undefined;
    if (leader !== undefined) void leader.coordinator.close();
    if (!this.stopped) this.options.onDeposed(reason);
  }
}
