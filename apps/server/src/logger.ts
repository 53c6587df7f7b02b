import type { CoordinatorLogger } from '@baton/server';
import { pino } from 'pino';
import pretty from 'pino-pretty';

/**
 * pino, writing either one human line per event (the default: time, level,
 * and the event's message) or JSON lines for machines (`--log-format json`).
 * Synchronous on purpose: a lock server's log lines must appear in the order
 * the events happened, interleaved correctly with its startup line.
 */
export function createLogger(format: 'pretty' | 'json', quiet: boolean): CoordinatorLogger {
  const level = quiet ? 'warn' : 'info';
  if (format === 'json') return pino({ level, base: undefined }, pino.destination({ dest: 1, sync: true }));
  const stream = pretty({ sync: true, colorize: false, hideObject: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l', destination: 1 });
  return pino({ level, base: undefined }, stream);
}
