/**
 * What the coordinator's journal needs of a log: appends numbered from 1
 * (the lsn), a durable mark that only moves forward, a callback when it does,
 * and snapshots that let the log drop what came before them. The
 * `WriteAheadLog` on a local disk is one; `EtcdLog` of `@baton/etcd-group`,
 * which replicates each group commit through etcd, is another.
 */
export interface RecordLog {
  /** The lsn of the last record appended (0 before the first). */
  readonly lastAppendedLsn: number;
  /** Every record up to this lsn is durable. */
  readonly durableLsn: number;
  /** Called after each durable write with the new durable lsn. */
  onDurable: ((lsn: number) => void) | undefined;
  /** Queues a record (a plain object without `lsn`, serialized now) and returns its lsn. */
  append(payload: object): number;
  /** Resolves when every record appended so far is durable; rejects if the log fails first. */
  whenDurable(): Promise<void>;
  /** Saves `state` as the state after every record up to `lsn` (the last appended), so what came before can go. */
  snapshot(lsn: number, state: unknown): Promise<void>;
}

/**
 * A record's JSON text: the payload's own fields after `"lsn":<lsn>`. The
 * payload is serialized now, so the caller may change it afterwards. Throws
 * a TypeError for anything but a plain object, or one that carries an `lsn`.
 */
export function logRecordText(payload: object, lsn: number): string {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new TypeError('a log record payload must be a plain object');
  }
  if (Object.hasOwn(payload, 'lsn')) throw new TypeError('a log record payload cannot carry an lsn: the log assigns it');
  const body: unknown = JSON.stringify(payload);
  if (typeof body !== 'string' || !body.startsWith('{')) throw new TypeError('a log record payload must serialize to a JSON object');
  return body === '{}' ? `{"lsn":${lsn}}` : `{"lsn":${lsn},${body.slice(1)}`;
}
