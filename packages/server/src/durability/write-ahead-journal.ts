import { reportHandlerError } from '@baton/transport';
import type { CoordinatorJournal, CoordinatorRecord, CoordinatorState } from '../coordinator-record.js';
import type { RecordLog } from './record-log.js';

/**
 * A snapshot is written once this many records were appended since the last
 * one. It bounds recovery (a snapshot plus at most this many records to
 * replay) and disk use (the segments before a snapshot are deleted). Measured
 * with `pnpm bench` (recovery rows): replaying records costs about as much per
 * record as serving them did, so this keeps the replay part of a recovery
 * under a second on this machine.
 */
export const SNAPSHOT_EVERY_RECORDS = 100_000;

/**
 * The coordinator's journal on a {@link RecordLog} (the local WriteAheadLog,
 * or a group's log in etcd): records go to the
 * log, and everything the coordinator sends waits until the records appended
 * before it are durable (persist, then send). The actions held are released
 * in order from the log's `onDurable`, so one group commit releases every
 * reply it covers at once.
 *
 * It also takes a snapshot of the coordinator's state every
 * SNAPSHOT_EVERY_RECORDS records (one at a time), which lets the log delete
 * the segments before it.
 */
export class WriteAheadJournal implements CoordinatorJournal {
  private held: { lsn: number; action: () => void }[] = [];
  private head = 0;
  private lastLsn: number;
  private recordsSinceSnapshot = 0;
  private snapshotting: Promise<void> | undefined;
  private snapshotScheduled = false;
  private stateOf: (() => CoordinatorState) | undefined;

  constructor(
    private readonly log: RecordLog,
    private readonly snapshotEveryRecords = SNAPSHOT_EVERY_RECORDS,
    private readonly onSnapshotFailure: (error: Error) => void = reportHandlerError,
  ) {
    this.lastLsn = log.lastAppendedLsn;
    log.onDurable = (lsn) => this.release(lsn);
  }

  /** Where snapshots come from: the coordinator's `state()`. Without it no snapshot is taken. */
  snapshotsFrom(state: () => CoordinatorState): void {
    this.stateOf = state;
  }

  append(record: CoordinatorRecord): void {
    this.lastLsn = this.log.append(record);
    if (++this.recordsSinceSnapshot >= this.snapshotEveryRecords && this.stateOf && !this.snapshotting && !this.snapshotScheduled) {
      // Not now: the coordinator applies this record right after appending it. A microtask runs once every
      // record appended so far has been applied (a commit is synchronous), so the state matches the last lsn.
      this.snapshotScheduled = true;
      queueMicrotask(() => {
        this.snapshotScheduled = false;
        void this.snapshot();
      });
    }
  }

  afterDurable(action: () => void): void {
    if (this.head === this.held.length && this.log.durableLsn >= this.lastLsn) {
      action();
      return;
    }
    this.held.push({ lsn: this.lastLsn, action });
  }

  /**
   * Write a snapshot of the state now (also what a clean stop does, so the
   * next start replays nothing). Call only between commits, never from inside one.
   */
  snapshot(): Promise<void> {
    if (!this.stateOf) return Promise.resolve();
    if (this.snapshotting) return this.snapshotting;
    this.recordsSinceSnapshot = 0;
    const writing = this.log.snapshot(this.lastLsn, this.stateOf()).catch((error: unknown) => this.onSnapshotFailure(error as Error));
    this.snapshotting = writing.finally(() => {
      this.snapshotting = undefined;
    });
    return this.snapshotting;
  }

  /** Wait for a snapshot in progress, then for every record appended to be durable. */
  async flush(): Promise<void> {
    await this.snapshotting;
    await this.log.whenDurable();
  }

  /** Run every action whose records are durable, in order. */
  private release(durableLsn: number): void {
    const held = this.held;
    while (this.head < held.length && held[this.head]!.lsn <= durableLsn) {
      const { action } = held[this.head++]!;
      try {
        action();
      } catch (error) {
        reportHandlerError(error);
      }
    }
    if (this.head === held.length) {
      this.held = [];
      this.head = 0;
    } else if (this.head > 1_024 && this.head > held.length - this.head) {
      this.held = held.slice(this.head);
      this.head = 0;
    }
  }
}
