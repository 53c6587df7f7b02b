import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Pin processes (every thread) to a set of CPUs with util-linux `taskset`,
 * e.g. `"1"` or `"0-1"`. Resolves false when it cannot (no taskset, not
 * Linux, a process gone): the caller then measures unpinned and says so.
 *
 * Why W1 pins: on a virtual machine, a message that wakes a process on an
 * idle vCPU pays for the hypervisor's wake-up (about 50 µs per message on
 * the machine we develop on), and whether the server and the client share a
 * vCPU is up to the scheduler, so unpinned latencies jump between two modes
 * from one minute to the next. On one CPU, a round trip costs exactly its
 * software path: the same for every system, and repeatable.
 */
export async function pinProcesses(pids: readonly (number | undefined)[], cpuList: string): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  try {
    for (const pid of pids) {
      if (pid !== undefined) await run('taskset', ['-a', '-p', '-c', cpuList, String(pid)]);
    }
    return true;
  } catch {
    return false;
  }
}

/** Every CPU of the machine, as a taskset list (`0-1`). */
export function allCpus(): string {
  return `0-${cpus().length - 1}`;
}

/** The CPU W1 pins to: the last one (the first takes most interrupts). */
export function latencyCpu(): string {
  return String(cpus().length - 1);
}
