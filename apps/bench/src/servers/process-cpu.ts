import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ): 100 on every Linux we run on. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) a process has used so far, microseconds, from
 * /proc/<pid>/stat; undefined when it cannot be read (not Linux, gone).
 * The resolution is one clock tick (10 ms): measure over seconds.
 */
export function processCpuUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const userTicks = Number(fields[11]);
    const systemTicks = Number(fields[12]);
    return ((userTicks + systemTicks) * 1_000_000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
