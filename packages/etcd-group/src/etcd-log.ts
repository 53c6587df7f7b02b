/**
 * A group's input log, kept in etcd: the {@link RecordLog} a leading
 * coordinator's journal writes to instead of its local disk, so that
 * whichever coordinator leads next finds every record the last one
 * acknowledged.
 *
 * **Group commit.** Records appended while a commit is in flight wait and go
 * together in the next one: a batch is one etcd key, `<prefix>log/<first lsn,
 * 16 digits>`, holding the JSON array of its records (each the same text the
 * local write-ahead log writes, `{"lsn":…,…}`). A batch is at most
 * MAX_BATCH_BYTES, under etcd's default request limit of 1.5 MiB. One commit
 * is in flight at a time, so batches land in lsn order.
 *
 * **Fenced.** Each commit is one etcd transaction that succeeds only while
 * this coordinator leads — `CreateRevision(election key) == its create
 * revision` (see coordinator-election.ts) — and only if its batch key does
 * not exist yet. A deposed or paused leader's commit fails in etcd however
 * late it arrives, and then the log fails ({@link NotLeaderError}): nothing
 * more is acknowledged, the coordinator must stop leading.
 *
 * **Unknown outcomes.** A commit that gets no answer (etcd unreachable, the
 * deadline passed) may or may not have been applied. It is sent again, the
 * same batch under the same key, until it gets an answer or the local
 * leadership bound passes; the transaction's `else` branch reads the batch
 * key back, so a retry of a commit that did land is recognised as done
 * (same text) rather than taken for a lost leadership.
 *
 * **Snapshots.** A snapshot of the state after lsn N is written in chunks of
 * at most MAX_BATCH_BYTES under `<prefix>snapshot/<N>/<chunk>`, then made
 * current by a fenced put of `<prefix>snapshot` = `{"lsn":N,"chunks":k}`;
 * after that the batches before N+1 and older snapshots are deleted (fenced
 * too). Recovery reads the current snapshot and every batch after it.
 */
import { logRecordText } from '@baton/server';
import type { LogRecord, LogSnapshot, RecordLog } from '@baton/server';
import type { Etcd3 } from 'etcd3';
import type { Leadership } from './coordinator-election.js';

/** The largest batch (and snapshot chunk) in one etcd request, bytes: etcd refuses requests over 1.5 MiB by default. */
export const MAX_BATCH_BYTES = 1024 * 1024;

/** How long one commit may go unanswered before it is sent again, ms. */
export const COMMIT_DEADLINE_MS = 1_000;

/** Pause before sending an unanswered commit again, ms (etcd refusing connections answers at once). */
export const COMMIT_RETRY_DELAY_MS = 50;

/** Digits of the lsn in a batch key, so keys sort in lsn order (2^53 has 16 digits). */
const LSN_DIGITS = 16;

/** The log refuses appends: this coordinator does not lead (or no longer does). */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
}

/** What etcd held that cannot be a log this coordinator wrote: it refuses to start on it. */
export class EtcdLogCorruptError extends Error {
  override readonly name = 'EtcdLogCorruptError';
}

export interface EtcdLogOptions {
  client: Etcd3;
  /** The group's key prefix, e.g. `baton/group/`; the log lives under `<prefix>log/` and `<prefix>snapshot`. */
  prefix: string;
  /** This coordinator's term while it leads, else undefined: every commit is fenced on it. */
  leadership: () => Leadership | undefined;
  /** Whether the local leadership bound still holds (retries of an unanswered commit stop when it does not). */
  isLeader: () => boolean;
  /** A commit failed for good: nothing more is acknowledged. */
  onFailure?: (error: Error) => void;
}

export interface RecoveredEtcdLog {
  snapshot: LogSnapshot | undefined;
  records: LogRecord[];
  /** The last lsn in etcd (0 for an empty log). */
  lastLsn: number;
  /** Every batch key in etcd with the last lsn it holds, in order: what a later snapshot may delete. */
  batches: CommittedBatch[];
}

/** A batch in etcd: its key and the last lsn in it. */
export interface CommittedBatch {
  readonly key: string;
  readonly lastLsn: number;
}

interface Batch {
  readonly firstLsn: number;
  lastLsn: number;
  readonly texts: string[];
  bytes: number;
}

export function batchKey(prefix: string, firstLsn: number): string {
  return `${prefix}log/${String(firstLsn).padStart(LSN_DIGITS, '0')}`;
}

/** Where the chunks of the snapshot after `lsn` are kept. */
export function snapshotChunkPrefix(prefix: string, lsn: number): string {
  return `${prefix}snapshot/${String(lsn).padStart(LSN_DIGITS, '0')}/`;
}

/**
 * Reads the group's log back: the current snapshot, then every batch after
 * it, checked to continue each other without a gap. Used by a coordinator
 * that becomes leader (before it serves) and by tests.
 */
export async function readEtcdLog(client: Etcd3, prefix: string): Promise<RecoveredEtcdLog> {
  const pointer = await client.get(`${prefix}snapshot`).string();
  let snapshot: LogSnapshot | undefined;
  if (pointer !== null) {
    const { lsn, chunks } = JSON.parse(pointer) as { lsn: number; chunks: number };
    const parts = await client.getAll().prefix(snapshotChunkPrefix(prefix, lsn)).sort('Key', 'Ascend').strings();
    const texts = Object.values(parts); // in etcd's key order: chunk numbers are zero-padded
    if (texts.length !== chunks) throw new EtcdLogCorruptError(`the snapshot at lsn ${lsn} has ${texts.length} of its ${chunks} chunks`);
    snapshot = { lsn, state: JSON.parse(texts.join('')) as unknown };
  }
  const afterLsn = snapshot?.lsn ?? 0;
  const response = await client.getAll().prefix(`${prefix}log/`).sort('Key', 'Ascend').exec();
  const records: LogRecord[] = [];
  const batches: CommittedBatch[] = [];
  let lastLsn = afterLsn;
  for (const kv of response.kvs) {
    const batch = JSON.parse(kv.value.toString()) as LogRecord[];
    batches.push({ key: kv.key.toString(), lastLsn: batch.at(-1)?.lsn ?? 0 });
    for (const record of batch) {
      if (record.lsn <= afterLsn) continue;
      if (record.lsn !== lastLsn + 1) {
        throw new EtcdLogCorruptError(`the log in etcd jumps from lsn ${lastLsn} to ${record.lsn} (key ${kv.key.toString()})`);
      }
      records.push(record);
      lastLsn = record.lsn;
    }
  }
  return { snapshot, records, lastLsn, batches };
}

export class EtcdLog implements RecordLog {
  onDurable: ((lsn: number) => void) | undefined;
  private appendedLsn: number;
  private committedLsn: number;
  private readonly pending: Batch[] = [];
  private writing = false;
  /** The batch being committed: nothing more joins it. */
  private inFlight: Batch | undefined;
  private failure: Error | undefined;
  private readonly waiters: { lsn: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  private snapshots: Promise<void> = Promise.resolve();
  private commits = 0;
  /** Batches in etcd not yet covered by a snapshot, in order (bounded by the records between snapshots). */
  private readonly batches: CommittedBatch[];

  /** A log continuing what {@link readEtcdLog} found (nothing: an empty log). */
  constructor(
    private readonly options: EtcdLogOptions,
    recovered: Pick<RecoveredEtcdLog, 'lastLsn' | 'batches'> = { lastLsn: 0, batches: [] },
  ) {
    this.appendedLsn = recovered.lastLsn;
    this.committedLsn = recovered.lastLsn;
    this.batches = [...recovered.batches];
  }

  get lastAppendedLsn(): number {
    return this.appendedLsn;
  }

  get durableLsn(): number {
    return this.committedLsn;
  }

  /** Transactions committed so far (each a group commit). */
  get commitCount(): number {
    return this.commits;
  }

  append(payload: object): number {
    if (this.failure !== undefined) throw this.failure;
    if (this.options.leadership() === undefined) throw new NotLeaderError('this coordinator does not lead its group: the log takes no records');
    const lsn = this.appendedLsn + 1;
    const text = logRecordText(payload, lsn);
    const bytes = Buffer.byteLength(text) + 1;
    if (bytes > MAX_BATCH_BYTES) throw new RangeError(`a record of ${bytes} bytes is over MAX_BATCH_BYTES (${MAX_BATCH_BYTES})`);
    this.appendedLsn = lsn;
    const last = this.pending.at(-1);
    if (last !== undefined && last !== this.inFlight && last.bytes + bytes <= MAX_BATCH_BYTES) {
      last.texts.push(text);
      last.bytes += bytes;
      last.lastLsn = lsn;
    } else {
      this.pending.push({ firstLsn: lsn, lastLsn: lsn, texts: [text], bytes: bytes + 1 });
    }
    if (!this.writing) {
      this.writing = true;
      queueMicrotask(() => void this.writePending());
    }
    return lsn;
  }

  whenDurable(): Promise<void> {
    return this.waitFor(this.appendedLsn);
  }

  async snapshot(lsn: number, state: unknown): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (lsn !== this.appendedLsn) throw new RangeError(`a snapshot must be taken at the last appended lsn (${this.appendedLsn}), not ${lsn}`);
    const text = JSON.stringify(state);
    const previous = this.snapshots;
    const writing = previous.then(() => this.writeSnapshot(lsn, text));
    this.snapshots = writing.catch(() => undefined);
    return writing;
  }

  /** Waits for what is in flight; appends after this are refused. */
  async close(): Promise<void> {
    await this.snapshots;
    await this.whenDurable().catch(() => undefined);
    this.failure ??= new NotLeaderError('the log is closed');
  }

  private async writePending(): Promise<void> {
    try {
      for (let batch = this.pending[0]; batch !== undefined; batch = this.pending[0]) {
        this.inFlight = batch;
        await this.commit(batch);
        this.inFlight = undefined;
        this.pending.shift();
        this.batches.push({ key: batchKey(this.options.prefix, batch.firstLsn), lastLsn: batch.lastLsn });
        this.commits += 1;
        this.markDurable(batch.lastLsn);
      }
    } catch (error) {
      this.fail(error as Error);
    } finally {
      this.inFlight = undefined;
      this.writing = false;
    }
  }

  /** One batch, fenced; sent again while its outcome is unknown and this coordinator still leads. */
  private async commit(batch: Batch): Promise<void> {
    const key = batchKey(this.options.prefix, batch.firstLsn);
    const text = `[${batch.texts.join(',')}]`;
    for (;;) {
      const leadership = this.options.leadership();
      if (leadership === undefined || !this.options.isLeader()) {
        throw new NotLeaderError(`lost the leadership before lsn ${batch.firstLsn}–${batch.lastLsn} was committed`);
      }
      let response;
      try {
        response = await this.options.client
          .if(leadership.key, 'Create', '==', leadership.createRevision)
          .and(key, 'Create', '==', 0)
          .then(this.options.client.put(key).value(text))
          .else(this.options.client.get(key))
          .options({ deadline: new Date(Date.now() + COMMIT_DEADLINE_MS) })
          .commit();
      } catch {
        // No answer: it may have landed; the next try finds out.
        await new Promise((resolve) => setTimeout(resolve, COMMIT_RETRY_DELAY_MS));
        continue;
      }
      if (response.succeeded) return;
      const existing = response.responses[0]?.response_range?.kvs[0]?.value.toString();
      if (existing === text) return; // an earlier try of this very commit landed
      if (existing !== undefined) throw new EtcdLogCorruptError(`the batch key ${key} holds another coordinator's records`);
      throw new NotLeaderError(`etcd refused lsn ${batch.firstLsn}–${batch.lastLsn}: the election key ${leadership.key} is no longer at revision ${leadership.createRevision} (deposed)`);
    }
  }

  private async writeSnapshot(lsn: number, text: string): Promise<void> {
    const { client, prefix } = this.options;
    const chunks: string[] = [];
    for (let offset = 0; offset < text.length; offset += MAX_BATCH_BYTES / 4) chunks.push(text.slice(offset, offset + MAX_BATCH_BYTES / 4));
    const chunkPrefix = snapshotChunkPrefix(prefix, lsn);
    await this.waitFor(lsn);
    for (let index = 0; index < chunks.length; index += 1) {
      await this.fenced((leadership) =>
        client.if(leadership.key, 'Create', '==', leadership.createRevision).then(client.put(`${chunkPrefix}${String(index).padStart(8, '0')}`).value(chunks[index]!)),
      );
    }
    await this.fenced((leadership) =>
      client.if(leadership.key, 'Create', '==', leadership.createRevision).then(client.put(`${prefix}snapshot`).value(JSON.stringify({ lsn, chunks: chunks.length }))),
    );
    // The batches wholly covered by the snapshot, and older snapshots' chunks.
    const stale: string[] = [];
    while (this.batches.length > 0 && this.batches[0]!.lastLsn <= lsn) stale.push(this.batches.shift()!.key);
    const snapshotKeys = await client.getAll().prefix(`${prefix}snapshot/`).keys();
    const old = snapshotKeys.filter((key) => !key.startsWith(chunkPrefix));
    for (const key of [...stale, ...old]) {
      await this.fenced((leadership) => client.if(leadership.key, 'Create', '==', leadership.createRevision).then(client.delete().key(key)));
    }
  }

  private async fenced(transaction: (leadership: Leadership) => ReturnType<Etcd3['if']>): Promise<void> {
    const leadership = this.options.leadership();
    if (leadership === undefined || !this.options.isLeader()) throw new NotLeaderError('lost the leadership during a snapshot');
    const response = await transaction(leadership).options({ deadline: new Date(Date.now() + COMMIT_DEADLINE_MS) }).commit();
    if (!response.succeeded) throw new NotLeaderError(`etcd refused a snapshot write: the election key ${leadership.key} is gone (deposed)`);
  }

  private markDurable(lsn: number): void {
    this.committedLsn = lsn;
    while (this.waiters.length > 0 && this.waiters[0]!.lsn <= lsn) this.waiters.shift()!.resolve();
    this.onDurable?.(lsn);
  }

  private waitFor(lsn: number): Promise<void> {
    if (this.committedLsn >= lsn) return Promise.resolve();
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      let index = this.waiters.length;
      while (index > 0 && this.waiters[index - 1]!.lsn > lsn) index -= 1;
      this.waiters.splice(index, 0, { lsn, resolve, reject });
    });
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.pending.length = 0;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    this.options.onFailure?.(error);
  }
}
