/**
 * Loaded into the Baton server process only for W4 (`node --expose-gc
 * --import memory-probe …`), never part of the server itself: on the IPC
 * message `{ type: 'memory' }` it runs a full garbage collection and answers
 * with `process.memoryUsage()`, so memory per held lock is measured on live
 * objects only, not on garbage that happens not to be collected yet.
 */
import { readFileSync } from 'node:fs';

interface MemoryRequest {
  type: 'memory';
}

process.on('message', (message: MemoryRequest) => {
  if (message?.type !== 'memory') return;
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  collect?.();
  const usage = process.memoryUsage();
  process.send?.({ type: 'memory', collected: collect !== undefined, vmRssBytes: vmRss(), ...usage });
});

/** VmRSS from /proc, in bytes (what `ps` shows), or undefined off Linux. */
function vmRss(): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
