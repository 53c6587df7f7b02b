import { escapeControlCharacters } from './control-characters.js';
import type { CoordinatorLogger } from './logger.js';

/**
 * The logger the coordinator writes through: every message and every string
 * field passes through {@link escapeControlCharacters} first, so no line the
 * coordinator writes can carry a raw newline or escape sequence from a peer,
 * whatever format the embedding program's logger writes (a JSON logger
 * escapes C0 controls itself, but not C1 controls; a human format escapes
 * nothing). Done in one place rather than at each line, so a new log line
 * cannot forget it.
 */
export function printableLogger(logger: CoordinatorLogger): CoordinatorLogger {
  const printable: CoordinatorLogger = {
    info: (fields, message) => logger.info(printableFields(fields), escapeControlCharacters(message)),
    warn: (fields, message) => logger.warn(printableFields(fields), escapeControlCharacters(message)),
    error: (fields, message) => logger.error(printableFields(fields), escapeControlCharacters(message)),
  };
  if (logger.isLevelEnabled) printable.isLevelEnabled = (level) => logger.isLevelEnabled!(level);
  return printable;
}

function printableFields(fields: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key in fields) {
    const value = fields[key];
    if (typeof value !== 'string') continue;
    const escaped = escapeControlCharacters(value);
    if (escaped === value) continue;
    copy ??= { ...fields };
    copy[key] = escaped;
  }
  return copy ?? fields;
}
