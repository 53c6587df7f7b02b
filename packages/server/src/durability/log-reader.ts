/**
 * Reading a write-ahead log directory back: which files it holds, what each
 * segment and snapshot contains, and what a damaged record means.
 *
 * The directory holds log segments `wal-<first lsn>.log` and snapshots
 * `snapshot-<lsn>.json` (lsns as 16 zero-padded digits, so names sort in lsn
 * order). Every record payload carries its `lsn`, +1 per record across the
 * whole log.
 *
 * A bad record is a frame that is cut short, has a zero or oversized length,
 * fails its checksum, does not parse as a JSON object, or whose lsn is not
 * the next one. What it means depends on what follows it, found by a *scan*:
 * at every 8-byte-aligned offset after the bad record's start, in the same
 * segment, look for a frame whose checksum matches, that parses, and whose
 * lsn is greater than the last good one.
 *
 *  - **Torn tail**: the bad record is in the newest segment and the scan finds
 *    nothing. A crash cut the last write short (the writer has one write in
 *    flight at a time, appended at the end of the newest segment, and reports
 *    a record durable only when its whole write returned), so the bytes from
 *    the bad record on were never acknowledged. The outcome: the segment is
 *    truncated at the bad record's start, a warning names the file, the
 *    offset and the bytes dropped, and recovery goes on with everything
 *    before it. Zeros where the next header would be (space that was
 *    allocated but never written) are a torn tail of the same kind.
 *  - **Corrupt middle**: the scan finds a later valid record, or the bad
 *    record is in a segment that is not the newest (writes to a segment end
 *    before the next one is created, so a crash cannot tear it). Bytes that
 *    were acknowledged are damaged: recovery throws {@link LogCorruptError},
 *    naming the file, the offset and the lsn expected, and truncates nothing.
 *    The server refuses to start rather than silently forget acknowledged
 *    state; an operator decides (restore from a replica or backup, or cut the
 *    log by hand if losing the records is acceptable).
 *
 * Lsns must be consecutive across segments too: a segment whose name does
 * not continue the previous one is a gap, also a {@link LogCorruptError}.
 *
 * This file only reads; truncating a torn tail is the write-ahead log's job
 * when it opens.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FRAME_ALIGNMENT_BYTES, MAX_LOG_RECORD_BYTES, MAX_SNAPSHOT_BYTES, decodeFrame } from './log-frame.js';

/**
 * Largest lsn. Lsns are JavaScript numbers, exact up to 2^53 - 1: at a
 * million records a second that lasts 285 years, so the limit is a guard,
 * not a plan.
 */
export const MAX_LOG_SEQUENCE_NUMBER = Number.MAX_SAFE_INTEGER;

/** Digits of the lsn in file names, zero-padded so names sort in lsn order. */
export const LSN_FILE_NAME_DIGITS = 16;

/** One record as read back: the caller's payload plus the `lsn` the log gave it. */
export interface LogRecord {
  readonly lsn: number;
  readonly [field: string]: unknown;
}

/** A snapshot as read back: the caller's state after applying every record with lsn ≤ `lsn`. */
export interface LogSnapshot {
  readonly lsn: number;
  readonly state: unknown;
}

/** Where and why a log cannot be recovered without losing acknowledged records. */
export interface LogCorruption {
  /** The file the damage is in. */
  readonly file: string;
  /** Byte offset in that file of the damaged record (0 for a missing file). */
  readonly offset: number;
  /** The lsn that should have been there. */
  readonly expectedLsn: number;
  /** What was found instead, in words. */
  readonly problem: string;
}

/**
 * Thrown when opening a log finds damage that recovery cannot get past
 * without losing acknowledged records (see the rules above). Nothing has been
 * changed on disk when it is thrown.
 */
export class LogCorruptError extends Error {
  readonly file: string;
  readonly offset: number;
  readonly expectedLsn: number;

  constructor(corruption: LogCorruption) {
    super(
      `${corruption.file}: the write-ahead log is damaged at byte offset ${corruption.offset} ` +
        `(lsn ${corruption.expectedLsn} expected): ${corruption.problem}. ` +
        'The server refuses to start rather than lose acknowledged state; nothing was truncated. ' +
        'Restore the directory from a backup or replica, or remove the damaged records by hand if losing them is acceptable.',
    );
    this.name = 'LogCorruptError';
    this.file = corruption.file;
    this.offset = corruption.offset;
    this.expectedLsn = corruption.expectedLsn;
  }
}

/** A file of the directory whose name carries an lsn. */
export interface LogFile {
  readonly path: string;
  /** The first lsn of a segment, or the lsn of a snapshot. */
  readonly lsn: number;
}

/** What a log directory holds, each list in lsn order. */
export interface LogDirectoryListing {
  readonly segments: readonly LogFile[];
  readonly snapshots: readonly LogFile[];
  /** Snapshot files a crash left half written (`.tmp`); never read, safe to delete. */
  readonly temporaries: readonly string[];
}

const SEGMENT_NAME = /^wal-(\d{16})\.log$/;
const SNAPSHOT_NAME = /^snapshot-(\d{16})\.json$/;
const TEMPORARY_NAME = /^snapshot-\d{16}\.json\.tmp$/;

/** The file name of the segment whose first record has `firstLsn`. */
export function segmentFileName(firstLsn: number): string {
  return `wal-${lsnDigits(firstLsn)}.log`;
}

/** The file name of the snapshot of the state as of `lsn`. */
export function snapshotFileName(lsn: number): string {
  return `snapshot-${lsnDigits(lsn)}.json`;
}

function lsnDigits(lsn: number): string {
  return String(lsn).padStart(LSN_FILE_NAME_DIGITS, '0');
}

/** Lists the segments and snapshots of `directory`. Files with other names are left alone. */
export async function listLogDirectory(directory: string): Promise<LogDirectoryListing> {
  const segments: LogFile[] = [];
  const snapshots: LogFile[] = [];
  const temporaries: string[] = [];
  for (const name of await readdir(directory)) {
    const segment = SEGMENT_NAME.exec(name);
    const snapshot = SNAPSHOT_NAME.exec(name);
    if (segment) segments.push({ path: join(directory, name), lsn: parseLsn(segment[1]!, name) });
    else if (snapshot) snapshots.push({ path: join(directory, name), lsn: parseLsn(snapshot[1]!, name) });
    else if (TEMPORARY_NAME.test(name)) temporaries.push(join(directory, name));
  }
  const byLsn = (left: LogFile, right: LogFile) => left.lsn - right.lsn;
  return { segments: segments.sort(byLsn), snapshots: snapshots.sort(byLsn), temporaries };
}

function parseLsn(digits: string, name: string): number {
  const lsn = Number(digits);
  if (!Number.isSafeInteger(lsn)) throw new Error(`${name}: the lsn in the name is over ${MAX_LOG_SEQUENCE_NUMBER}`);
  return lsn;
}

/** Where the newest segment must be cut: from `offset` to the end of the file, `droppedBytes` bytes. */
export interface TornTail {
  readonly offset: number;
  readonly droppedBytes: number;
  readonly reason: string;
}

/** One segment read back. */
export interface SegmentContents {
  /** Every good record, in lsn order, starting at the segment's first lsn. */
  readonly records: readonly LogRecord[];
  /** The last good record's lsn (the first lsn - 1 when there is none). */
  readonly lastLsn: number;
  /** Where the good records end. */
  readonly validBytes: number;
  /** Set when the newest segment ends in a torn tail, to be truncated at `validBytes`. */
  readonly tornTail: TornTail | undefined;
}

/**
 * Reads one segment, whose first record must have `firstLsn`. Applies the
 * rules above: a torn tail of the newest segment is returned for the caller
 * to truncate; any other damage throws {@link LogCorruptError}.
 */
export async function readSegment(file: LogFile, newest: boolean): Promise<SegmentContents> {
  return parseSegment(file.path, await readFile(file.path), file.lsn, newest);
}

/** {@link readSegment} on contents already in memory. */
export function parseSegment(path: string, contents: Buffer, firstLsn: number, newest: boolean): SegmentContents {
  const records: LogRecord[] = [];
  let offset = 0;
  let expectedLsn = firstLsn;
  for (;;) {
    const decoded = decodeFrame(contents, offset, MAX_LOG_RECORD_BYTES);
    if (decoded.kind === 'end' && offset >= contents.length) {
      return { records, lastLsn: expectedLsn - 1, validBytes: offset, tornTail: undefined };
    }
    const record = decoded.kind === 'frame' ? parseRecord(decoded.payload) : undefined;
    let problem: string;
    if (decoded.kind !== 'frame') problem = decoded.reason;
    else if (typeof record === 'string') problem = record;
    else if (record!.lsn !== expectedLsn) problem = `a record with lsn ${record!.lsn}`;
    else {
      records.push(record!);
      expectedLsn += 1;
      offset += decoded.frameBytes;
      continue;
    }
    const later = findLaterRecord(contents, offset, expectedLsn - 1);
    if (later !== undefined) {
      throw new LogCorruptError({
        file: path,
        offset,
        expectedLsn,
        problem: `${problem}, yet a valid record with lsn ${later.lsn} follows at byte offset ${later.offset}`,
      });
    }
    if (!newest) {
      throw new LogCorruptError({
        file: path,
        offset,
        expectedLsn,
        problem: `${problem}, in a segment that is not the newest (a crash cannot tear it)`,
      });
    }
    return {
      records,
      lastLsn: expectedLsn - 1,
      validBytes: offset,
      tornTail: { offset, droppedBytes: contents.length - offset, reason: problem },
    };
  }
}

/**
 * The scan: the first whole, valid record after `badOffset` (at 8-byte
 * aligned offsets) whose lsn is greater than `lastGoodLsn`. Its existence
 * proves the bad record is not the unacknowledged end of the log.
 */
function findLaterRecord(contents: Buffer, badOffset: number, lastGoodLsn: number): { lsn: number; offset: number } | undefined {
  for (let offset = badOffset + FRAME_ALIGNMENT_BYTES; offset < contents.length; offset += FRAME_ALIGNMENT_BYTES) {
    const decoded = decodeFrame(contents, offset, MAX_LOG_RECORD_BYTES);
    if (decoded.kind !== 'frame') continue;
    const record = parseRecord(decoded.payload);
    if (typeof record !== 'string' && record.lsn > lastGoodLsn) return { lsn: record.lsn, offset };
  }
  return undefined;
}

/** The record in a checksummed payload, or what is wrong with it. */
function parseRecord(payload: Buffer): LogRecord | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'a payload that is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'a payload that is not a JSON object';
  const lsn = (parsed as { lsn?: unknown }).lsn;
  if (typeof lsn !== 'number' || !Number.isSafeInteger(lsn) || lsn < 1) return 'a record without a valid lsn';
  return parsed as LogRecord;
}

/** A snapshot file read back: its contents, or why it cannot be used. */
export type SnapshotContents =
  | { readonly kind: 'snapshot'; readonly snapshot: LogSnapshot }
  | { readonly kind: 'damaged'; readonly reason: string };

/**
 * Reads a snapshot file: one whole frame whose checksum matches and whose
 * payload is `{"lsn": L, "state": ...}` with L the lsn in the file name.
 * Damage is returned, not thrown: whether an older snapshot can stand in is
 * the caller's decision.
 */
export async function readSnapshot(file: LogFile): Promise<SnapshotContents> {
  let contents: Buffer;
  try {
    contents = await readFile(file.path);
  } catch (error) {
    return { kind: 'damaged', reason: `it cannot be read (${(error as Error).message})` };
  }
  const decoded = decodeFrame(contents, 0, MAX_SNAPSHOT_BYTES);
  if (decoded.kind !== 'frame') return { kind: 'damaged', reason: decoded.kind === 'end' ? 'it is empty' : decoded.reason };
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoded.payload.toString('utf8'));
  } catch {
    return { kind: 'damaged', reason: 'its payload is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || !('state' in parsed) || !('lsn' in parsed)) {
    return { kind: 'damaged', reason: 'its payload is not {"lsn", "state"}' };
  }
  if (parsed.lsn !== file.lsn) return { kind: 'damaged', reason: `it says lsn ${String(parsed.lsn)}, its name says ${file.lsn}` };
  return { kind: 'snapshot', snapshot: { lsn: file.lsn, state: parsed.state } };
}
