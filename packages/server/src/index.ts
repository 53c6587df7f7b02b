/**
 * @baton/server — the Baton coordinator: the core lock machine plus
 * connections, sessions that survive reconnects, one timer, token
 * persistence and logging. It depends on the Transport interface only; the
 * program that embeds it picks the transports.
 *
 * @example
 * ```ts
 * import { Coordinator, FileTokenStore } from '@baton/server';
 * import { tcpTransport } from '@baton/transport-tcp';
 * const coordinator = new Coordinator({ tokenStore: new FileTokenStore('./baton-state.json') });
 * const listener = await coordinator.listen(tcpTransport, '127.0.0.1', 5555);
 * // ... later
 * await coordinator.close();
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
export { openDurableCoordinator } from './durability/durable-coordinator.js';
export type { DurableCoordinator, DurableCoordinatorOptions } from './durability/durable-coordinator.js';
