/**
 * The write-ahead log: the coordinator appends a record for every state
 * change and acts on it (sends a reply) only once the record is durable —
 * persist, then send — so a crash never forgets anything a client was told.
 *
 * Appends never block. {@link WriteAheadLog.append} encodes the record into a
 * pending buffer at once and returns its lsn. One write is in flight at a
 * time: a single `fs.write` of everything pending, to a segment opened with
 * `O_DSYNC`, so the data is on disk when the write's callback runs. Records
 * appended meanwhile wait and go together in the next write — group commit:
 * one durable write covers every record that arrived while the previous one
 * ran, so throughput grows with load while a lone record still costs one
 * write. The write starts in a microtask rather than inside `append`, so the
 * records one synchronous burst appends (an input that produces several
 * changes) share a write instead of the first one going alone.
 *
 * After each write the log advances {@link WriteAheadLog.durableLsn} and calls
 * `onDurable(lsn)` synchronously: the caller releases the replies it held for
 * every record up to that lsn. A failed write is fatal: the log cannot know
 * what reached the disk, so it calls `onFailure` and refuses every later
 * append instead of acknowledging around a hole.
 *
 * Snapshots bound recovery time and disk use: {@link WriteAheadLog.snapshot}
 * writes the caller's state as of an lsn, starts a new segment after it, and
 * deletes the segments and snapshots it makes unnecessary. Opening a log
 * reads the newest usable snapshot and every record after it (the rules for
 * damaged records are in log-reader.ts).
 *
 * Written for Linux (and other systems with `O_DSYNC` and directory fsync).
 */
import { randomUUID } from 'node:crypto';
import { close, constants, open as openCallback, write } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MAX_LOG_RECORD_BYTES, MAX_SNAPSHOT_BYTES, encodeFrame } from './log-frame.js';
import { logRecordText } from './record-log.js';
import type { RecordLog } from './record-log.js';
import {
  LogCorruptError,
  MAX_LOG_SEQUENCE_NUMBER,
  listLogDirectory,
  readSegment,
  readSnapshot,
  segmentFileName,
  snapshotFileName,
} from './log-reader.js';
import type { LogDirectoryListing, LogFile, LogRecord, LogSnapshot, TornTail } from './log-reader.js';

/**
 * A segment that has reached this size is closed and a new one started at the
 * next record. Recovery reads each segment whole into memory and compaction
 * frees disk a segment at a time, so segments stay moderate; a segment can
 * exceed this by one record.
 */
export const SEGMENT_ROTATION_BYTES = 64 * 1024 * 1024;

/** The log writes through this narrow interface; a CoordinatorLogger or a pino logger fits it. */
export interface WriteAheadLogLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface WriteAheadLogOptions {
  /** Where recovery reports what it read and what it dropped. Default: silent. */
  logger?: WriteAheadLogLogger;
  /** Called synchronously after each write with the new durable lsn. Also settable later as `log.onDurable`. */
  onDurable?: (lsn: number) => void;
  /** Called once when a write, fsync, open or close fails; from then on every append throws. */
  onFailure?: (error: Error) => void;
  /** Size at which a segment is rotated. Default SEGMENT_ROTATION_BYTES; tests lower it. */
  segmentRotationBytes?: number;
}

/** What opening a log found: the newest usable snapshot and every record after it. */
export interface RecoveredLog {
  /** The newest usable snapshot, or undefined when the log is replayed from lsn 1. */
  readonly snapshot: LogSnapshot | undefined;
  /** Every record with lsn greater than the snapshot's, in lsn order. */
  readonly records: readonly LogRecord[];
}

export interface OpenedWriteAheadLog {
  readonly log: WriteAheadLog;
  readonly recovered: RecoveredLog;
}

/** Totals since the log was opened, for benchmarks: records per write shows how well group commit works. */
export interface WriteAheadLogCounters {
  readonly recordsAppended: number;
  /** Durable writes done, one per group commit. */
  readonly writes: number;
  readonly bytesWritten: number;
}

/** Thrown by `append` and `snapshot` once the log has failed; `cause` is the original error. */
export class WriteAheadLogFailedError extends Error {
  constructor(cause: Error) {
    super(`the write-ahead log failed and accepts no more records: ${cause.message}`, { cause });
    this.name = 'WriteAheadLogFailedError';
  }
}

/** How segments are opened: every write is durable (data and size) when it returns. */
const SEGMENT_OPEN_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC;

const silentLogger: WriteAheadLogLogger = { info() {}, warn() {} };

/** A segment the log knows of: read at recovery or created since. */
interface Segment {
  readonly firstLsn: number;
  readonly path: string;
  /** Bytes written or queued. */
  bytes: number;
  /** The last lsn written or queued (firstLsn - 1 while it has none). */
  lastLsn: number;
  /** Whether the file exists with a durable directory entry. */
  exists: boolean;
}

/** Records queued for one segment, to go in one write. */
interface PendingWrite {
  readonly segment: Segment;
  readonly frames: Buffer[];
  bytes: number;
  lastLsn: number;
}

interface DurabilityWaiter {
  readonly lsn: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class WriteAheadLog implements RecordLog {
  /** Called synchronously after each write with the new durable lsn (see the class comment). */
  onDurable: ((lsn: number) => void) | undefined;

  private readonly logger: WriteAheadLogLogger;
  private readonly onFailure: ((error: Error) => void) | undefined;
  private readonly segmentRotationBytes: number;
  /** Every segment on disk or about to be, in lsn order; the last is the one appends go to. */
  private readonly segments: Segment[];
  private appendedLsn: number;
  private writtenLsn: number;
  /** Queued writes in order; only the last can still grow. */
  private readonly pending: PendingWrite[] = [];
  private writerRunning = false;
  /** The one segment file the writer holds open. */
  private openFile: { readonly segment: Segment; readonly descriptor: number } | undefined;
  /** Promises waiting for an lsn to be durable, in lsn order. */
  private readonly waiters: DurabilityWaiter[] = [];
  private failure: WriteAheadLogFailedError | undefined;
  private closing: Promise<void> | undefined;
  /** Snapshots are written one at a time; this settles when the last one has. */
  private snapshots: Promise<void> = Promise.resolve();
  private recordsAppended = 0;
  private writes = 0;
  private bytesWritten = 0;

  private constructor(
    readonly directory: string,
    options: WriteAheadLogOptions,
    segments: Segment[],
    lastLsn: number,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.onDurable = options.onDurable;
    this.onFailure = options.onFailure;
    this.segmentRotationBytes = options.segmentRotationBytes ?? SEGMENT_ROTATION_BYTES;
    this.segments = segments;
    this.appendedLsn = lastLsn;
    this.writtenLsn = lastLsn;
  }

  /**
   * Opens (creating it if missing) the log in `directory` and recovers it:
   * the newest snapshot that is whole and every record after it. A damaged
   * newest snapshot is logged and an older one used if the segments after it
   * still exist; with no usable snapshot the segments must begin at lsn 1.
   * A torn tail of the newest segment is truncated; any other damage or a gap
   * in the lsns throws {@link LogCorruptError} with nothing changed (the
   * rules are in log-reader.ts). Appends then continue at the next lsn.
   */
  static async open(directory: string, options: WriteAheadLogOptions = {}): Promise<OpenedWriteAheadLog> {
    requireDurableWrites();
    const logger = options.logger ?? silentLogger;
    await mkdir(directory, { recursive: true });
    const listing = await listLogDirectory(directory);
    const { snapshot, records, lastLsn, newest } = await recover(listing, logger);
    if (newest?.tornTail !== undefined) {
      const { tornTail } = newest;
      await truncateFile(newest.file.path, tornTail.offset);
      logger.warn(
        { file: newest.file.path, offset: tornTail.offset, droppedBytes: tornTail.droppedBytes, reason: tornTail.reason },
        'write-ahead log: dropped a torn record at the end of the newest segment (a crash cut its write short; it was never acknowledged)',
      );
    }
    for (const temporary of listing.temporaries) await rm(temporary, { force: true });

    // Older segments are kept in the list only so the next snapshot's compaction deletes them.
    const segments: Segment[] = listing.segments.map((file, index) => ({
      firstLsn: file.lsn,
      path: file.path,
      bytes: 0,
      lastLsn: (listing.segments[index + 1]?.lsn ?? file.lsn) - 1,
      exists: true,
    }));
    const last = segments.at(-1);
    if (last !== undefined && newest !== undefined) {
      last.lastLsn = newest.lastLsn;
      last.bytes = newest.validBytes;
    }
    // The newest segment goes on only if it ends at the last lsn (it can end
    // earlier when the snapshot covers its last records).
    if (last === undefined || last.lastLsn !== lastLsn) segments.push(newSegment(directory, lastLsn + 1));

    logger.info(
      { directory, snapshotLsn: snapshot?.lsn ?? 0, records: records.length, lastLsn, segments: listing.segments.length },
      'write-ahead log recovered',
    );
    return { log: new WriteAheadLog(directory, options, segments, lastLsn), recovered: { snapshot, records } };
  }

  /** The lsn of the last record appended (0 before the first). */
  get lastAppendedLsn(): number {
    return this.appendedLsn;
  }

  /** Every record up to this lsn is on disk. */
  get durableLsn(): number {
    return this.writtenLsn;
  }

  get counters(): WriteAheadLogCounters {
    return { recordsAppended: this.recordsAppended, writes: this.writes, bytesWritten: this.bytesWritten };
  }

  /**
   * Queues a record and returns its lsn; it is durable once `durableLsn`
   * reaches it. `payload` is a plain object without an `lsn` field (the log
   * adds it) and is serialized now, so the caller may change it afterwards.
   * Throws, queueing nothing, when the payload is not an object or over
   * MAX_LOG_RECORD_BYTES, and once the log has failed or is closing.
   */
  append(payload: object): number {
    this.requireWritable();
    const lsn = this.appendedLsn + 1;
    if (lsn > MAX_LOG_SEQUENCE_NUMBER) throw new RangeError(`the log has reached its last lsn, ${MAX_LOG_SEQUENCE_NUMBER}`);
    const frame = encodeFrame(logRecordText(payload, lsn), MAX_LOG_RECORD_BYTES);
    this.appendedLsn = lsn;
    let segment = this.segments.at(-1)!;
    if (segment.bytes >= this.segmentRotationBytes && segment.lastLsn >= segment.firstLsn) segment = this.rotate(lsn);
    segment.bytes += frame.length;
    segment.lastLsn = lsn;
    const last = this.pending.at(-1);
    if (last !== undefined && last.segment === segment) {
      last.frames.push(frame);
      last.bytes += frame.length;
      last.lastLsn = lsn;
    } else {
      this.pending.push({ segment, frames: [frame], bytes: frame.length, lastLsn: lsn });
    }
    this.recordsAppended += 1;
    this.scheduleWrite();
    return lsn;
  }

  /** Resolves when every record appended so far is durable; rejects if the log fails first. */
  whenDurable(): Promise<void> {
    return this.waitFor(this.appendedLsn);
  }

  /**
   * Saves `state` as the state after every record up to `lsn`, which must be
   * the last appended lsn. The state is serialized now (the caller may
   * mutate it right after) and appends go to a new segment starting at
   * lsn + 1. The caller may keep appending while the snapshot is written.
   *
   * The file is written to a `.tmp` name and fsynced; then, once every
   * record up to `lsn` is durable, renamed into place and the directory
   * fsynced. Waiting for the records keeps the invariant recovery relies on:
   * a snapshot never claims more than the log holds, so a torn write can
   * only be in the newest segment. Then the segments holding only records up
   * to `lsn` and every older snapshot are deleted.
   *
   * A failed snapshot rejects and leaves the log as it was (still usable,
   * with its older snapshot and segments).
   */
  async snapshot(lsn: number, state: unknown): Promise<void> {
    this.requireWritable();
    if (lsn !== this.appendedLsn) {
      throw new RangeError(`a snapshot must be taken at the last appended lsn (${this.appendedLsn}), not ${lsn}`);
    }
    if (state === undefined) throw new TypeError('a snapshot needs a state');
    const frame = encodeFrame(JSON.stringify({ lsn, state }), MAX_SNAPSHOT_BYTES);
    const current = this.segments.at(-1)!;
    if (current.lastLsn >= current.firstLsn) this.rotate(lsn + 1);

    const previous = this.snapshots;
    let settled!: () => void;
    this.snapshots = new Promise((resolve) => (settled = resolve));
    try {
      await previous;
      await this.writeSnapshot(lsn, frame);
    } finally {
      settled();
    }
  }

  /**
   * Writes everything appended, waits for snapshots under way and closes the
   * file. Appends are refused from the call on. Rejects with the failure if
   * the log failed before everything appended was durable.
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    let failure: Error | undefined;
    try {
      await this.snapshots;
      await this.waitFor(this.appendedLsn);
    } catch (error) {
      failure = asError(error);
    }
    const file = this.openFile;
    this.openFile = undefined;
    if (file !== undefined) await closeDescriptor(file.descriptor);
    if (failure !== undefined) throw failure;
  }

  private requireWritable(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.closing !== undefined) throw new Error('the write-ahead log is closed');
  }

  /** Starts a new segment for appends from `firstLsn` on; its file is created at its first write. */
  private rotate(firstLsn: number): Segment {
    const segment = newSegment(this.directory, firstLsn);
    this.segments.push(segment);
    return segment;
  }

  private scheduleWrite(): void {
    if (this.writerRunning) return;
    this.writerRunning = true;
    queueMicrotask(() => void this.writePending());
  }

  /** The writer: one write at a time, each taking everything queued for its segment. Never rejects. */
  private async writePending(): Promise<void> {
    try {
      for (let batch = this.pending.shift(); batch !== undefined; batch = this.pending.shift()) {
        const descriptor = await this.descriptorFor(batch.segment);
        const data = batch.frames.length === 1 ? batch.frames[0]! : Buffer.concat(batch.frames, batch.bytes);
        await writeFully(descriptor, data);
        this.writes += 1;
        this.bytesWritten += data.length;
        this.markDurable(batch.lastLsn);
      }
    } catch (error) {
      this.fail(asError(error));
    } finally {
      this.writerRunning = false;
    }
  }

  /**
   * The descriptor of `segment`, opening it (and closing the previous one,
   * which has nothing left to write) when the writer moves to it. A file
   * created here has its directory entry fsynced before anything in it is
   * reported durable.
   */
  private async descriptorFor(segment: Segment): Promise<number> {
    if (this.openFile?.segment === segment) return this.openFile.descriptor;
    const previous = this.openFile;
    this.openFile = undefined;
    if (previous !== undefined) await closeDescriptor(previous.descriptor);
    const descriptor = await openDescriptor(segment.path, SEGMENT_OPEN_FLAGS);
    this.openFile = { segment, descriptor };
    if (!segment.exists) {
      await syncDirectory(this.directory);
      segment.exists = true;
    }
    return descriptor;
  }

  private markDurable(lsn: number): void {
    this.writtenLsn = lsn;
    while (this.waiters.length > 0 && this.waiters[0]!.lsn <= lsn) this.waiters.shift()!.resolve();
    if (this.onDurable !== undefined) callListener(this.onDurable, lsn);
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = new WriteAheadLogFailedError(error);
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
    this.pending.length = 0;
    this.logger.warn(
      { directory: this.directory, durableLsn: this.writtenLsn, lastAppendedLsn: this.appendedLsn, error: error.message },
      'write-ahead log: a write failed; no more records are accepted',
    );
    if (this.onFailure !== undefined) callListener(this.onFailure, error);
  }

  private waitFor(lsn: number): Promise<void> {
    if (this.writtenLsn >= lsn) return Promise.resolve();
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      // Kept in lsn order (a snapshot waits for an lsn older than later appends), almost always at the end.
      let index = this.waiters.length;
      while (index > 0 && this.waiters[index - 1]!.lsn > lsn) index -= 1;
      this.waiters.splice(index, 0, { lsn, resolve, reject });
    });
  }

  private async writeSnapshot(lsn: number, frame: Buffer): Promise<void> {
    const path = join(this.directory, snapshotFileName(lsn));
    const temporary = `${path}.tmp`;
    try {
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(frame);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.waitFor(lsn);
      await rename(temporary, path);
      await syncDirectory(this.directory);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    await this.compact(lsn);
  }

  /** Deletes what the durable snapshot at `lsn` makes unnecessary: segments holding only lsns ≤ `lsn`, older snapshots. */
  private async compact(lsn: number): Promise<void> {
    while (this.segments.length > 1 && this.segments[1]!.firstLsn <= lsn + 1) {
      const segment = this.segments.shift()!;
      await rm(segment.path, { force: true });
    }
    const listing = await listLogDirectory(this.directory);
    for (const older of listing.snapshots) if (older.lsn < lsn) await rm(older.path, { force: true });
  }
}

/** The newest usable snapshot and the records after it, without changing anything on disk. */
async function recover(
  listing: LogDirectoryListing,
  logger: WriteAheadLogLogger,
): Promise<{ snapshot: LogSnapshot | undefined; records: LogRecord[]; lastLsn: number; newest: NewestSegment | undefined }> {
  const { segments } = listing;
  const chosen = await chooseSnapshot(listing, logger);
  const snapshotLsn = chosen.snapshot?.lsn ?? 0;
  const records: LogRecord[] = [];
  let previous: NewestSegment | undefined;
  for (let index = chosen.firstSegment; index < segments.length; index += 1) {
    const file = segments[index]!;
    if (previous !== undefined && file.lsn !== previous.lastLsn + 1) {
      throw new LogCorruptError({
        file: file.path,
        offset: 0,
        expectedLsn: previous.lastLsn + 1,
        problem: `the segment begins at lsn ${file.lsn} but ${previous.file.path} ends at lsn ${previous.lastLsn}, so records are missing`,
      });
    }
    const contents = await readSegment(file, index === segments.length - 1);
    for (const record of contents.records) if (record.lsn > snapshotLsn) records.push(record);
    previous = { file, lastLsn: contents.lastLsn, validBytes: contents.validBytes, tornTail: contents.tornTail };
  }
  const lastLsn = Math.max(snapshotLsn, previous?.lastLsn ?? 0);
  if (lastLsn < chosen.claimedLsn) {
    throw new LogCorruptError({
      file: segments.at(-1)?.path ?? listing.snapshots.at(-1)!.path,
      offset: 0,
      expectedLsn: lastLsn + 1,
      problem: `a damaged snapshot claims state up to lsn ${chosen.claimedLsn} but the log ends at lsn ${lastLsn}`,
    });
  }
  return { snapshot: chosen.snapshot, records, lastLsn, newest: previous };
}

/** The last segment recovery read: where its good records end and the torn tail to cut, if any. */
interface NewestSegment {
  readonly file: LogFile;
  readonly lastLsn: number;
  readonly validBytes: number;
  readonly tornTail: TornTail | undefined;
}

/**
 * The newest snapshot that is whole and from which the segments continue,
 * the index of the first segment to read from it, and the highest lsn a
 * damaged newer snapshot claims (the log must reach it, or state was lost).
 */
async function chooseSnapshot(
  listing: LogDirectoryListing,
  logger: WriteAheadLogLogger,
): Promise<{ snapshot: LogSnapshot | undefined; firstSegment: number; claimedLsn: number }> {
  const { segments, snapshots } = listing;
  const problems: string[] = [];
  let claimedLsn = 0;
  for (let index = snapshots.length - 1; index >= 0; index -= 1) {
    const file = snapshots[index]!;
    const read = await readSnapshot(file);
    let problem: string;
    if (read.kind === 'damaged') {
      problem = read.reason;
    } else {
      const firstSegment = segments.findLastIndex((segment) => segment.lsn <= file.lsn + 1);
      if (firstSegment >= 0 || (segments.length === 0 && claimedLsn <= file.lsn)) {
        return { snapshot: read.snapshot, firstSegment: Math.max(firstSegment, 0), claimedLsn };
      }
      problem =
        segments.length === 0
          ? 'no segment holds the records after it'
          : `the segments begin at lsn ${segments[0]!.lsn}, after a gap from lsn ${file.lsn + 1}`;
    }
    claimedLsn = Math.max(claimedLsn, file.lsn);
    problems.push(`${file.path}: ${problem}`);
    logger.warn({ file: file.path, reason: problem }, 'write-ahead log: cannot use this snapshot; trying an older one');
  }
  const firstLsn = segments[0]?.lsn;
  if (firstLsn === 1 || (firstLsn === undefined && snapshots.length === 0)) {
    if (snapshots.length > 0) logger.warn({ problems }, 'write-ahead log: no usable snapshot; replaying the whole log from lsn 1');
    return { snapshot: undefined, firstSegment: 0, claimedLsn };
  }
  throw new LogCorruptError({
    file: segments[0]?.path ?? snapshots.at(-1)!.path,
    offset: 0,
    expectedLsn: 1,
    problem:
      `there is no usable snapshot${problems.length > 0 ? ` (${problems.join('; ')})` : ''} ` +
      (firstLsn === undefined ? 'and no segment' : `and the log begins at lsn ${firstLsn}, not 1`),
  });
}

function newSegment(directory: string, firstLsn: number): Segment {
  return { firstLsn, path: join(directory, segmentFileName(firstLsn)), bytes: 0, lastLsn: firstLsn - 1, exists: false };
}

/** The record's JSON with `lsn` first: the caller's object serialized once, the lsn spliced in. */
/** A listener's exception is the caller's bug, not a log failure: it is rethrown outside the writer, as an uncaught error. */
function callListener<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

function requireDurableWrites(): void {
  if (typeof constants.O_DSYNC !== 'number') throw new Error('this platform has no O_DSYNC: the write-ahead log cannot make writes durable');
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function openDescriptor(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => openCallback(path, flags, (error, descriptor) => (error ? reject(error) : resolve(descriptor))));
}

function closeDescriptor(descriptor: number): Promise<void> {
  return new Promise((resolve, reject) => close(descriptor, (error) => (error ? reject(error) : resolve())));
}

/** Writes all of `data` at the end of the file; with O_DSYNC it is durable when this resolves. */
function writeFully(descriptor: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let offset = 0;
    const next = (): void =>
      write(descriptor, data, offset, data.length - offset, null, (error, written) => {
        if (error) return reject(error);
        if (written === 0) return reject(new Error('a write wrote nothing'));
        offset += written;
        if (offset < data.length) next();
        else resolve();
      });
    next();
  });
}

/** Makes the directory's entries (a created, renamed or deleted file) durable. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function truncateFile(path: string, length: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** One small durable append, timed: the disk's physical limit for one write of the log. */
export interface DurableWriteMeasurement {
  readonly samples: number;
  readonly medianMs: number;
  readonly minimumMs: number;
  readonly maximumMs: number;
}

/**
 * Times `samples` small appends to a temporary file in `directory`, opened
 * and written exactly as the log writes a segment (`O_DSYNC`, one `fs.write`
 * each, on the libuv threadpool), so a benchmark can report the disk's
 * physical limit in the same run as the log's own numbers. One untimed write
 * comes first (the file's first block is allocated then). The file is
 * removed however the measurement ends.
 */
export async function measureDurableWrite(directory: string, samples: number): Promise<DurableWriteMeasurement> {
  requireDurableWrites();
  if (!Number.isSafeInteger(samples) || samples < 1) throw new RangeError('samples must be a positive integer');
  await mkdir(directory, { recursive: true });
  const path = join(directory, `.durable-write-probe-${process.pid}-${randomUUID()}.tmp`);
  const frame = encodeFrame(JSON.stringify({ lsn: 1, type: 'probe', resource: 'r'.repeat(48) }), MAX_LOG_RECORD_BYTES);
  const durations: number[] = [];
  try {
    const descriptor = await openDescriptor(path, SEGMENT_OPEN_FLAGS);
    try {
      await writeFully(descriptor, frame);
      for (let sample = 0; sample < samples; sample += 1) {
        const started = performance.now();
        await writeFully(descriptor, frame);
        durations.push(performance.now() - started);
      }
    } finally {
      await closeDescriptor(descriptor);
    }
  } finally {
    await rm(path, { force: true });
  }
  durations.sort((left, right) => left - right);
  const middle = Math.floor(durations.length / 2);
  const medianMs = durations.length % 2 === 1 ? durations[middle]! : (durations[middle - 1]! + durations[middle]!) / 2;
  return { samples, medianMs, minimumMs: durations[0]!, maximumMs: durations.at(-1)! };
}
