/**
 * W5 on its own, without the rest of `pnpm bench`: a real lock-server, the
 * mass-expiry workload (workloads/mass-expiry.ts), its numbers as JSON.
 *
 *   pnpm --filter @baton/bench build && node apps/bench/dist/probes/mass-expiry.js [sessions] [locksPerSession]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonServer } from '../servers/baton-server.js';
import { summarizeLatencies } from '../statistics.js';
import { runMassExpiry } from '../workloads/mass-expiry.js';

const sessions = Number(process.argv[2] ?? 1_000);
const locksPerSession = Number(process.argv[3] ?? 1_000);
const directory = mkdtempSync(join(tmpdir(), 'baton-mass-expiry-'));
const server = await BatonServer.start({ cwd: directory, cpuProfileDirectory: process.env.W5_PROFILE });
try {
  const result = await runMassExpiry({
    url: server.urls.tcp, sessions, locksPerSession, leaseMs: 3_000, baselinePairs: 2_000, concurrency: 50,
    log: (line) => console.error(line),
  });
  const round = (value: number) => +value.toFixed(2);
  const figures = (samples: number[]) => {
    const summary = summarizeLatencies(samples);
    return { count: summary.count, median: round(summary.median), p99: round(summary.p99), max: round(summary.max) };
  };
  console.log(JSON.stringify({
    heldLocks: result.heldLocks,
    loadSeconds: round(result.loadMs / 1000),
    expiryMs: round(result.expiryMs),
    baselineMs: figures(result.baselineMs),
    duringExpiryMs: figures(result.duringExpiryMs),
    longestGapMs: round(result.longestGapMs),
  }));
} finally {
  await server.stop();
  rmSync(directory, { recursive: true, force: true });
}
