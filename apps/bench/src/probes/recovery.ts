/**
 * W6 on its own, without the rest of `pnpm bench`: a durable lock-server
 * recovering from its data dir with N locks held, after SIGKILL for every N
 * and after a clean stop (SIGTERM) for the largest; its numbers as JSON.
 *
 *   pnpm --filter @baton/bench build && node apps/bench/dist/probes/recovery.js [locks...]
 *
 * Default: 1000 10000 100000.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecoveryRun } from '../results.js';
import { stopAll } from '../servers/managed-process.js';
import { emptyStartMs, runRecovery } from '../workloads/recovery.js';

const counts = process.argv.slice(2).map(Number);
for (const count of counts) if (!Number.isInteger(count) || count < 1) throw new Error(`not a lock count: ${count}`);
const locks = counts.length > 0 ? counts : [1_000, 10_000, 100_000];
const directory = mkdtempSync(join(tmpdir(), 'baton-recovery-'));
const log = (line: string) => console.error(line);
try {
  const empty = await emptyStartMs(directory);
  const runs: RecoveryRun[] = [];
  for (const count of locks) runs.push(await runRecovery({ directory, locks: count, locksPerSession: 100, stop: 'SIGKILL', log }));
  runs.push(await runRecovery({ directory, locks: Math.max(...locks), locksPerSession: 100, stop: 'SIGTERM', log }));
  const round = (value: number) => +value.toFixed(1);
  console.log(JSON.stringify({ emptyStartMs: round(empty), runs: runs.map((run) => ({ ...run, loadMs: round(run.loadMs), spawnToStartedMs: round(run.spawnToStartedMs) })) }));
} finally {
  await stopAll();
  rmSync(directory, { recursive: true, force: true });
}
