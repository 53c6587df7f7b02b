import { performance } from 'node:perf_hooks';
import { Coordinator } from '../coordinator.js';
import type { CoordinatorOptions } from '../coordinator.js';
import type { CoordinatorRecord, CoordinatorState } from '../coordinator-record.js';
import { WriteAheadJournal, SNAPSHOT_EVERY_RECORDS } from './write-ahead-journal.js';
import { WriteAheadLog } from './write-ahead-log.js';
import type { WriteAheadLogLogger } from './write-ahead-log.js';
import type { LogRecord, LogSnapshot } from './log-reader.js';
import type { RecordLog } from './record-log.js';

export interface DurableCoordinatorOptions extends JournaledCoordinatorOptions {
  /** Where recovery and the log report. Default: the coordinator's logger, if it has info and warn. */
  logLogger?: WriteAheadLogLogger;
  /** A write to the log failed: nothing more can be acknowledged, and the process must stop. */
  onFailure: (error: Error) => void;
}

/** A coordinator whose every state change goes to a log first, on whatever log it was given. */
export interface JournaledCoordinator<Log extends RecordLog = RecordLog> {
  coordinator: Coordinator;
  journal: WriteAheadJournal;
  log: Log;
  /** What recovery found and how long it took (milliseconds, from opening the log to the restarted leases). */
  recovered: { sessions: number; records: number; fromSnapshot: boolean; durationMs: number };
}

export interface DurableCoordinator extends JournaledCoordinator<WriteAheadLog> {
  /** Stop for a restart: flush, snapshot (so the next start replays nothing), close the log. The coordinator must be closed first. */
  close(): Promise<void>;
}

/**
 * A coordinator on a write-ahead log in `directory`: its state recovered
 * from the newest snapshot and the records after it, every lease restarted,
 * and every state change from now on made durable before anything it caused
 * is sent. Tokens come back with the state, so no token store is used.
 */
export async function openDurableCoordinator(directory: string, options: DurableCoordinatorOptions): Promise<DurableCoordinator> {
  const started = performance.now();
  const { logLogger, onFailure, ...rest } = options;
  const { log, recovered } = await WriteAheadLog.open(directory, { logger: logLogger ?? options.logger, onFailure });
  const journaled = openJournaledCoordinator(log, recovered, rest, started);
  const { journal } = journaled;
  return {
    ...journaled,
    async close() {
      await journal.flush();
      await journal.snapshot();
      await log.close();
    },
  };
}

export interface JournaledCoordinatorOptions extends Omit<CoordinatorOptions, 'journal' | 'tokenStore' | 'grantsHeldForMs'> {
  /** Default SNAPSHOT_EVERY_RECORDS. */
  snapshotEveryRecords?: number;
}

/**
 * A coordinator on `log`, its state first rebuilt from what the log
 * recovered (`snapshot`, then `records` after it) with every lease
 * restarted. The log may be the local write-ahead log or a group's log in
 * etcd; `startedAt` (performance.now) is when recovery began, for the
 * reported duration.
 */
export function openJournaledCoordinator<Log extends RecordLog>(
  log: Log,
  recovered: { snapshot: LogSnapshot | undefined; records: readonly LogRecord[] },
  options: JournaledCoordinatorOptions,
  startedAt = performance.now(),
): JournaledCoordinator<Log> {
  const { snapshotEveryRecords, ...coordinatorOptions } = options;
  const journal = new WriteAheadJournal(log, snapshotEveryRecords ?? SNAPSHOT_EVERY_RECORDS);
  const coordinator = new Coordinator({ ...coordinatorOptions, journal });
  const replayed = coordinator.recover(recovered.snapshot?.state as CoordinatorState | undefined, recovered.records as unknown as CoordinatorRecord[]);
  journal.snapshotsFrom(() => coordinator.state());
  return {
    coordinator,
    journal,
    log,
    recovered: { ...replayed, fromSnapshot: recovered.snapshot !== undefined, durationMs: performance.now() - startedAt },
  };
}
