/**
 * The write-ahead log against real files: every test gets a fresh directory
 * under the system temp directory, removed afterwards however the test ends.
 * Nothing sleeps: each step awaits the log's own promises.
 *
 * The damage cases check the documented outcomes (log-reader.ts): a torn tail
 * of the newest segment is cut and logged; damage followed by a valid record,
 * or in an older segment, refuses to open and changes nothing.
 */
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LogCorruptError,
  MAX_LOG_RECORD_BYTES,
  WriteAheadLog,
  WriteAheadLogFailedError,
  measureDurableWrite,
  segmentFileName,
  snapshotFileName,
} from '../src/index.js';
import type { WriteAheadLogOptions } from '../src/index.js';
import { parseSegment } from '../src/durability/log-reader.js';
import { capturingLogger } from './capturing-logger.js';

let root: string;
let copies = 0;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'baton-wal-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A fresh directory inside this test's root, so it is removed with it. */
function freshDirectory(from?: string): string {
  copies += 1;
  const directory = join(root, `log-${copies}`);
  if (from !== undefined) cpSync(from, directory, { recursive: true });
  return directory;
}

const firstSegment = (directory: string) => join(directory, segmentFileName(1));

function record(n: number) {
  return { type: 'grant', resource: `printer-${n}`, n };
}

async function openLog(directory: string, options: WriteAheadLogOptions = {}) {
  return WriteAheadLog.open(directory, options);
}

/** Appends `count` records one durable write at a time; returns the segment size after each (the end offset of each record). */
async function appendEach(log: WriteAheadLog, segment: string, count: number): Promise<number[]> {
  const ends: number[] = [];
  for (let n = 1; n <= count; n += 1) {
    log.append(record(log.lastAppendedLsn + 1));
    await log.whenDurable();
    ends.push(statSync(segment).size);
  }
  return ends;
}

describe('WriteAheadLog appends', () => {
  it('reads back every record in order with consecutive lsns, and continues after them', async () => {
    const directory = freshDirectory();
    const { log, recovered } = await openLog(directory);
    expect(recovered).toEqual({ snapshot: undefined, records: [] });
    const lsns = Array.from({ length: 20 }, (_, index) => log.append(record(index + 1)));
    expect(lsns).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    await log.close();

    const reopened = await openLog(directory);
    expect(reopened.recovered.snapshot).toBeUndefined();
    expect(reopened.recovered.records).toEqual(lsns.map((lsn) => ({ lsn, ...record(lsn) })));
    expect(reopened.log.append(record(21))).toBe(21);
    await reopened.log.close();
    expect((await openLog(directory)).recovered.records.map((each) => each.lsn)).toEqual([...lsns, 21]);
  });

  it('group commit: a burst of 1000 records takes far fewer writes than records', async () => {
    const directory = freshDirectory();
    const { log } = await openLog(directory);
    for (let n = 1; n <= 1000; n += 1) log.append(record(n));
    expect(log.durableLsn).toBe(0);
    await log.whenDurable();
    expect(log.durableLsn).toBe(1000);
    const counters = log.counters;
    expect(counters.recordsAppended).toBe(1000);
    expect(counters.writes).toBeLessThan(counters.recordsAppended);
    expect(counters.bytesWritten).toBe(statSync(firstSegment(directory)).size);
    await log.close();
  });

  it('records appended while a write is in flight go together in the next write', async () => {
    const directory = freshDirectory();
    const seen: number[] = [];
    const { log } = await openLog(directory, { onDurable: (lsn) => seen.push(lsn) });
    log.append(record(1));
    await Promise.resolve(); // the write of record 1 starts in a microtask
    for (let n = 2; n <= 50; n += 1) log.append(record(n));
    await log.whenDurable();
    expect(seen).toEqual([1, 50]);
    expect(log.counters.writes).toBe(2);
    await log.close();
  });

  it('calls onDurable only once the record is in the file', async () => {
    const directory = freshDirectory();
    const checked: { lsn: number; onDisk: number }[] = [];
    const { log } = await openLog(directory);
    log.onDurable = (lsn) => {
      const contents = readFileSync(firstSegment(directory));
      checked.push({ lsn, onDisk: parseSegment('segment', contents, 1, true).lastLsn });
      // An append from the listener joins the next write.
      if (lsn === 3) log.append(record(4));
    };
    log.append(record(1));
    await log.whenDurable();
    log.append(record(2));
    log.append(record(3));
    await log.whenDurable();
    await log.whenDurable();
    await log.close();
    expect(checked.length).toBeGreaterThanOrEqual(3);
    expect(checked.at(-1)!.lsn).toBe(4);
    for (const { lsn, onDisk } of checked) expect(onDisk).toBeGreaterThanOrEqual(lsn);
  });

  it('refuses bad payloads without using up an lsn', async () => {
    const { log } = await openLog(freshDirectory());
    expect(() => log.append({ lsn: 7 })).toThrow(TypeError);
    expect(() => log.append([1, 2])).toThrow(TypeError);
    expect(() => log.append({ big: 'x'.repeat(MAX_LOG_RECORD_BYTES) })).toThrow(RangeError);
    expect(log.append({})).toBe(1);
    await log.close();
    expect(() => log.append(record(2))).toThrow(/closed/);
  });

  it('rotates segments by size and reads them all back', async () => {
    const directory = freshDirectory();
    const { log } = await openLog(directory, { segmentRotationBytes: 256 });
    for (let n = 1; n <= 40; n += 1) {
      log.append(record(n));
      if (n % 7 === 0) await log.whenDurable();
    }
    await log.close();
    const segments = readdirSync(directory).filter((name) => name.startsWith('wal-'));
    expect(segments.length).toBeGreaterThan(3);
    const { log: reopened, recovered } = await openLog(directory, { segmentRotationBytes: 256 });
    expect(recovered.records.map((each) => each.lsn)).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    await reopened.close();
  });
});

describe('WriteAheadLog recovery from damage', () => {
  it('cuts a torn tail at every byte offset of the last record, and goes on after it', async () => {
    const base = freshDirectory();
    const { log } = await openLog(base);
    const ends = await appendEach(log, firstSegment(base), 3);
    await log.close();
    const [, endOfSecond, endOfThird] = ends as [number, number, number];

    for (let cut = endOfSecond; cut < endOfThird; cut += 1) {
      const directory = freshDirectory(base);
      const segment = firstSegment(directory);
      truncateSync(segment, cut);
      const logger = capturingLogger();
      const { log: opened, recovered } = await openLog(directory, { logger });
      expect(recovered.records, `cut at ${cut}`).toEqual([
        { lsn: 1, ...record(1) },
        { lsn: 2, ...record(2) },
      ]);
      const warnings = logger.lines.filter((line) => line.level === 'warn');
      if (cut === endOfSecond) {
        expect(warnings, `cut at ${cut}`).toEqual([]);
      } else {
        expect(warnings, `cut at ${cut}`).toHaveLength(1);
        expect(warnings[0]!.fields).toMatchObject({ file: segment, offset: endOfSecond, droppedBytes: cut - endOfSecond });
      }
      expect(statSync(segment).size).toBe(endOfSecond);
      expect(opened.append(record(3))).toBe(3);
      await opened.close();
      const again = await openLog(directory);
      expect(again.recovered.records.map((each) => each.lsn)).toEqual([1, 2, 3]);
      await again.log.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('treats a zero-filled last record as the end', async () => {
    const directory = freshDirectory();
    const segment = firstSegment(directory);
    const { log } = await openLog(directory);
    const [, endOfSecond, endOfThird] = (await appendEach(log, segment, 3)) as [number, number, number];
    await log.close();
    const contents = readFileSync(segment);
    contents.fill(0, endOfSecond, endOfThird);
    writeFileSync(segment, contents);

    const logger = capturingLogger();
    const { log: opened, recovered } = await openLog(directory, { logger });
    expect(recovered.records.map((each) => each.lsn)).toEqual([1, 2]);
    expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    expect(statSync(segment).size).toBe(endOfSecond);
    expect(opened.append(record(3))).toBe(3);
    await opened.close();
    expect((await openLog(directory)).recovered.records.map((each) => each.lsn)).toEqual([1, 2, 3]);
  });

  it('refuses to open when a record in the middle is damaged, and changes nothing', async () => {
    const directory = freshDirectory();
    const segment = firstSegment(directory);
    const { log } = await openLog(directory);
    const [endOfFirst] = (await appendEach(log, segment, 5)) as [number];
    await log.close();
    const contents = readFileSync(segment);
    contents[endOfFirst + 8 + 3]! ^= 0x01; // a byte of record 2's payload
    writeFileSync(segment, contents);

    const error = (await openLog(directory).catch((caught: unknown) => caught)) as LogCorruptError;
    expect(error).toBeInstanceOf(LogCorruptError);
    expect(error.message).toContain(segmentFileName(1));
    expect(error.message).toContain(`byte offset ${endOfFirst}`);
    expect(error.message).toContain('lsn 2 expected');
    expect(error.message).toContain('refuses to start');
    expect(error).toMatchObject({ file: segment, offset: endOfFirst, expectedLsn: 2 });
    expect(readFileSync(segment).equals(contents)).toBe(true);
  });

  /** A closed log of three records, one per segment. */
  async function threeSegments(): Promise<string> {
    const directory = freshDirectory();
    const { log } = await openLog(directory, { segmentRotationBytes: 1 });
    for (let n = 1; n <= 3; n += 1) {
      log.append(record(n));
      await log.whenDurable();
    }
    await log.close();
    return directory;
  }

  it('refuses to open when a segment that is not the newest ends in a bad record', async () => {
    const directory = await threeSegments();
    const segment = firstSegment(directory);
    truncateSync(segment, statSync(segment).size - 3);
    const before = readFileSync(segment);
    await expect(openLog(directory)).rejects.toThrow(LogCorruptError);
    await expect(openLog(directory)).rejects.toThrow(/not the newest/);
    expect(readFileSync(segment).equals(before)).toBe(true);
  });

  it('refuses to open when a segment is missing (a gap in the lsns)', async () => {
    const directory = await threeSegments();
    rmSync(join(directory, segmentFileName(2)));
    await expect(openLog(directory)).rejects.toThrow(LogCorruptError);
    await expect(openLog(directory)).rejects.toThrow(/lsn 2 expected/);
  });
});

describe('WriteAheadLog snapshots', () => {
  /** 10 records, a snapshot at 10 (with 5 more appended while it is written), closed. */
  async function logWithSnapshot(directory: string) {
    const state = { locks: { printer: 'alice' }, tokens: 10 };
    const { log } = await openLog(directory);
    for (let n = 1; n <= 10; n += 1) log.append(record(n));
    const written = log.snapshot(10, state);
    state.locks.printer = 'changed after the call';
    for (let n = 11; n <= 15; n += 1) log.append(record(n));
    await written;
    await log.close();
    return { locks: { printer: 'alice' }, tokens: 10 };
  }

  it('recovers the snapshot and the records after it; older segments are deleted', async () => {
    const directory = freshDirectory();
    const state = await logWithSnapshot(directory);
    expect(readdirSync(directory).sort()).toEqual([snapshotFileName(10), segmentFileName(11)]);

    const { log, recovered } = await openLog(directory);
    expect(recovered.snapshot).toEqual({ lsn: 10, state });
    expect(recovered.records.map((each) => each.lsn)).toEqual([11, 12, 13, 14, 15]);
    expect(log.append(record(16))).toBe(16);
    await log.snapshot(16, { tokens: 16 });
    await log.close();
    expect(readdirSync(directory).sort()).toEqual([snapshotFileName(16)]);
    const again = await openLog(directory);
    expect(again.recovered).toEqual({ snapshot: { lsn: 16, state: { tokens: 16 } }, records: [] });
    expect(again.log.append(record(17))).toBe(17);
    await again.log.close();
    expect((await openLog(directory)).recovered.records.map((each) => each.lsn)).toEqual([17]);
  });

  it('refuses a snapshot at any lsn but the last appended one', async () => {
    const { log } = await openLog(freshDirectory());
    log.append(record(1));
    await expect(log.snapshot(0, {})).rejects.toThrow(RangeError);
    await log.close();
  });

  it('falls back to the previous snapshot when the newest is damaged and the segments after the previous remain', async () => {
    const directory = freshDirectory();
    const state = await logWithSnapshot(directory);
    // A newer snapshot whose file was cut short.
    const damaged = join(directory, snapshotFileName(15));
    copyFileSync(join(directory, snapshotFileName(10)), damaged);
    truncateSync(damaged, 12);

    const logger = capturingLogger();
    const { log, recovered } = await openLog(directory, { logger });
    expect(recovered.snapshot).toEqual({ lsn: 10, state });
    expect(recovered.records.map((each) => each.lsn)).toEqual([11, 12, 13, 14, 15]);
    expect(logger.lines.some((line) => line.level === 'warn' && line.fields.file === damaged)).toBe(true);
    await log.close();
  });

  it('refuses to open when the only snapshot is damaged and the log does not begin at lsn 1', async () => {
    const directory = freshDirectory();
    await logWithSnapshot(directory);
    const snapshot = join(directory, snapshotFileName(10));
    truncateSync(snapshot, statSync(snapshot).size - 1);
    const error = (await openLog(directory).catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(LogCorruptError);
    expect(error.message).toContain('no usable snapshot');
    expect(error.message).toContain(snapshotFileName(10));
    expect(error.message).toContain('begins at lsn 11');
  });
});

describe('WriteAheadLog failures', () => {
  it.skipIf(!existsSync('/dev/full'))('a failed write calls onFailure, and later appends throw', async () => {
    const directory = freshDirectory();
    const failures: Error[] = [];
    const logger = capturingLogger();
    const { log } = await openLog(directory, { logger, onFailure: (error) => failures.push(error) });
    // The segment is created at its first write; make its name lead to a device where every write fails (ENOSPC).
    symlinkSync('/dev/full', firstSegment(directory));
    log.append(record(1));
    await expect(log.whenDurable()).rejects.toThrow(WriteAheadLogFailedError);
    expect(failures).toHaveLength(1);
    expect((failures[0] as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(log.durableLsn).toBe(0);
    expect(() => log.append(record(2))).toThrow(WriteAheadLogFailedError);
    await expect(log.snapshot(1, {})).rejects.toThrow(WriteAheadLogFailedError);
    await expect(log.close()).rejects.toThrow(WriteAheadLogFailedError);
    expect(logger.lines.some((line) => line.level === 'warn')).toBe(true);
  });
});

describe('measureDurableWrite', () => {
  it('times durable appends and leaves nothing behind', async () => {
    const directory = freshDirectory();
    const measurement = await measureDurableWrite(directory, 5);
    expect(measurement.samples).toBe(5);
    expect(measurement.minimumMs).toBeGreaterThan(0);
    expect(measurement.minimumMs).toBeLessThanOrEqual(measurement.medianMs);
    expect(measurement.medianMs).toBeLessThanOrEqual(measurement.maximumMs);
    expect(readdirSync(directory)).toEqual([]);
  });
});
