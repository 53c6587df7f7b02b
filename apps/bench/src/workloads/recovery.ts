/**
 * W6, recovery against held locks: a durable lock-server (`--durability
 * fsync`) on a fresh data dir, N locks taken by sessions over raw pipelined
 * tcp connections (as W5 loads them), then the server is killed (SIGKILL:
 * only the write-ahead log is left) or stopped cleanly (SIGTERM, which writes
 * a snapshot), and started again on the same data dir. Measured: the
 * `recovered` log line's `durationMs` (the server's own time to read the
 * snapshot and the log back) and the time from spawn to the `Lock Server
 * started on` line, which adds Node's start-up and listening. A status query
 * then checks that a lock taken before the stop is still held.
 *
 * The first server runs `--quiet` (its grants are not logged); the restarted
 * one does not (`--quiet` would hide the `recovered` line, an info line),
 * with `--log-format json` so the line is read as JSON.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from '@baton/client';
import { tcpTransport } from '@baton/transport-tcp';
import type { RecoveryRun } from '../results.js';
import { BatonServer } from '../servers/baton-server.js';
import { loadAll } from './mass-expiry.js';

export interface RecoveryOptions {
  /** Where the data dirs go (one per run, removed after it). */
  directory: string;
  locks: number;
  locksPerSession: number;
  stop: 'SIGKILL' | 'SIGTERM';
  log?: (line: string) => void;
}

/** The loaded sessions' lease: the longest the protocol allows, so nothing expires while the server is down. */
const LEASE_MS = 300_000;

async function startTimed(directory: string, dataDirectory: string, verbose: boolean): Promise<{ server: BatonServer; ms: number }> {
  const started = performance.now();
  const server = await BatonServer.start({ cwd: directory, dataDirectory, transports: ['tcp'], quiet: !verbose, jsonLog: true });
  return { server, ms: performance.now() - started };
}

/** Spawn to `Lock Server started on` with an empty data dir (nothing to recover), ms. */
export async function emptyStartMs(directory: string): Promise<number> {
  const dataDirectory = join(directory, `recovery-empty-${process.pid}`);
  rmSync(dataDirectory, { recursive: true, force: true });
  mkdirSync(dataDirectory, { recursive: true });
  try {
    const { server, ms } = await startTimed(directory, dataDirectory, true);
    await server.stop();
    return ms;
  } finally {
    rmSync(dataDirectory, { recursive: true, force: true });
  }
}

export async function runRecovery(options: RecoveryOptions): Promise<RecoveryRun> {
  const log = options.log ?? (() => {});
  const dataDirectory = join(options.directory, `recovery-${options.locks}-${options.stop.toLowerCase()}`);
  rmSync(dataDirectory, { recursive: true, force: true });
  mkdirSync(dataDirectory, { recursive: true });
  const locksPerSession = Math.min(options.locks, options.locksPerSession);
  const sessions = Math.ceil(options.locks / locksPerSession);
  let restarted: BatonServer | undefined;
  try {
    const first = (await startTimed(options.directory, dataDirectory, false)).server;
    let loadMs: number;
    try {
      const loadStart = performance.now();
      const loaders = await loadAll({ url: first.urls.tcp, sessions, locksPerSession, leaseMs: LEASE_MS, concurrency: 50, resourcePrefix: 'w6-' });
      loadMs = performance.now() - loadStart;
      const held = loaders.reduce((sum, loader) => sum + loader.granted, 0);
      log(`W6 ${held.toLocaleString('en-US')} locks held by ${sessions} sessions on a durable server (took ${(loadMs / 1000).toFixed(1)} s); ${options.stop}`);
      if (options.stop === 'SIGKILL') {
        first.process.killNow();
        await first.process.exited;
      } else {
        await first.process.stop(120_000);
      }
      for (const loader of loaders) loader.socket.destroy();
    } finally {
      first.process.killNow();
      await first.process.exited;
    }
    const again = await startTimed(options.directory, dataDirectory, true);
    restarted = again.server;
    const line = await restarted.process.waitForLine(/"event":"recovered"/, 5_000);
    const recovered = JSON.parse(line.input) as { sessions: number; records: number; fromSnapshot: boolean; durationMs: number };
    const client = await connect(restarted.urls.tcp, { transport: [tcpTransport], client: 'w6-check', leaseMs: 10_000 });
    let lockKept: boolean;
    try {
      const status = await client.status(`w6-${sessions - 1}-${locksPerSession - 1}`);
      lockKept = status.resources.length > 0;
    } finally {
      await client.close().catch(() => {});
    }
    const run: RecoveryRun = {
      locks: sessions * locksPerSession,
      sessions,
      stop: options.stop,
      loadMs,
      recoveredSessions: recovered.sessions,
      records: recovered.records,
      fromSnapshot: recovered.fromSnapshot,
      recoveryMs: recovered.durationMs,
      spawnToStartedMs: again.ms,
      lockKept,
    };
    log(
      `W6 after ${options.stop} with ${run.locks.toLocaleString('en-US')} locks: recovered ${run.recoveredSessions} sessions from ${run.fromSnapshot ? 'a snapshot and ' : ''}${run.records} records in ${run.recoveryMs} ms; ` +
        `spawn to listening ${run.spawnToStartedMs.toFixed(0)} ms; a held lock ${lockKept ? 'was kept' : 'was LOST'}`,
    );
    return run;
  } finally {
    await restarted?.stop();
    rmSync(dataDirectory, { recursive: true, force: true });
  }
}
