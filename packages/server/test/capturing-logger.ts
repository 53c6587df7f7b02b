import type { CoordinatorLogger } from '../src/index.js';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/** A logger that keeps every line, at or above `level` ('warn' is what lock-server's --quiet sets). */
export function capturingLogger(level: 'info' | 'warn' = 'info'): CoordinatorLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const enabled = (wanted: LogLine['level']) => level === 'info' || wanted !== 'info';
  const write = (wanted: LogLine['level']) => (fields: Record<string, unknown>, message: string) => {
    if (enabled(wanted)) lines.push({ level: wanted, fields, message });
  };
  return { lines, info: write('info'), warn: write('warn'), error: write('error'), isLevelEnabled: enabled };
}
