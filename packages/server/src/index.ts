/**
 * @baton/server — the Baton coordinator: the core lock machine plus
 * connections, sessions that survive reconnects, one timer, a write-ahead
 * log (or token persistence without one) and logging. It depends on the
 * Transport interface only; the program that embeds it picks the transports.
 *
 * @example
 * ```ts
 * import { openDurableCoordinator } from '@baton/server';
 * import { tcpTransport } from '@baton/transport-tcp';
 * // Recovers every session and lock from ./baton-data, then logs every change before replying.
 * const durable = await openDurableCoordinator('./baton-data', { onFailure: () => process.exit(1) });
 * await durable.coordinator.listen(tcpTransport, '127.0.0.1', 5555);
 * // ... later
 * await durable.coordinator.close();
 * await durable.close();
 * ```
 */
export * from './coordinator.js';
export * from './coordinator-record.js';
export { escapeControlCharacters } from './control-characters.js';
export * from './logger.js';
export * from './token-store.js';
export { buildStatusReply, busiestFirst } from './status-reply.js';
export {
  FRAME_ALIGNMENT_BYTES,
  FRAME_HEADER_BYTES,
  MAX_LOG_RECORD_BYTES,
  MAX_SNAPSHOT_BYTES,
  decodeFrame,
  encodeFrame,
  framedLength,
} from './durability/log-frame.js';
export type { DecodedFrame } from './durability/log-frame.js';
export {
  LSN_FILE_NAME_DIGITS,
  LogCorruptError,
  MAX_LOG_SEQUENCE_NUMBER,
  segmentFileName,
  snapshotFileName,
} from './durability/log-reader.js';
export type { LogCorruption, LogRecord, LogSnapshot } from './durability/log-reader.js';
export {
  SEGMENT_ROTATION_BYTES,
  WriteAheadLog,
  WriteAheadLogFailedError,
  measureDurableWrite,
} from './durability/write-ahead-log.js';
export type {
  DurableWriteMeasurement,
  OpenedWriteAheadLog,
  RecoveredLog,
  WriteAheadLogCounters,
  WriteAheadLogLogger,
  WriteAheadLogOptions,
} from './durability/write-ahead-log.js';
export { SNAPSHOT_EVERY_RECORDS, WriteAheadJournal } from './durability/write-ahead-journal.js';
export { logRecordText } from './durability/record-log.js';
export type { RecordLog } from './durability/record-log.js';
export { openDurableCoordinator, openJournaledCoordinator } from './durability/durable-coordinator.js';
export type { DurableCoordinator, DurableCoordinatorOptions, JournaledCoordinator, JournaledCoordinatorOptions } from './durability/durable-coordinator.js';
