import type { CoordinatorLogger } from '@baton/server';
import { escapeControlCharacters } from '@baton/server';
import { pino } from 'pino';
import pretty from 'pino-pretty';

/**
 * pino, writing either one human line per event (the default: time, level,
 * and the event's message) or JSON lines for machines (`--log-format json`).
 * Synchronous on purpose: a lock server's log lines must appear in the order
 * the events happened, interleaved correctly with its startup line.
 *
 * `--quiet` is level `warn`: peers' errors (bad messages, refused requests)
 * are logged at `info`, so a quiet server writes none of them. Every message
 * has its control characters escaped before it is written (the human format
 * prints the message as it is, and the coordinator is not the only writer:
 * the dashboard server logs through this too), so a peer's string cannot
 * start a forged line or send escape codes to the terminal.
 */
export function createLogger(format: 'pretty' | 'json', quiet: boolean): CoordinatorLogger {
  const options = {
    level: quiet ? 'warn' : 'info',
    base: undefined,
    hooks: {
      logMethod(this: unknown, args: unknown[], method: (...args: unknown[]) => void) {
        method.apply(this, args.map((argument) => (typeof argument === 'string' ? escapeControlCharacters(argument) : argument)));
      },
    },
  };
  if (format === 'json') return pino(options, pino.destination({ dest: 1, sync: true }));
  const stream = pretty({ sync: true, colorize: false, hideObject: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l', destination: 1 });
  return pino(options, stream);
}
