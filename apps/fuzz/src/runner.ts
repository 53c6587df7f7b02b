/**
 * One fuzzing run: start a lock-server, then for each transport in turn keep
 * `connections` fuzzed connections busy until `frames` frames were sent,
 * checking the server's health every `healthEvery` frames and at the end of
 * the transport, then stop the server. Bounded in count (frames, violations)
 * and in time (`timeLimitMs`); the server is stopped however it ends.
 *
 * The run is what `pnpm fuzz` (main.ts) and the test (test/fuzz.e2e.test.ts)
 * both call, so CI's bounded slice exercises exactly the full run's code.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { DEFAULT_LEASE_MS } from '@baton/core';
import { runFuzzConnection } from './fuzz-connection.js';
import type { FrameBudget } from './fuzz-connection.js';
import { checkHealth, DEFAULT_RSS_LIMIT_BYTES } from './health.js';
import type { HealthResult } from './health.js';
import { KNOWN_DEVIATIONS } from './known-deviations.js';
import type { OracleEvents, TransportName } from './reply-oracle.js';
import { LockServerProcess } from './server-process.js';
import { SessionRegistry } from './session-model.js';
import type { FrameRecord, Violation } from './violation.js';
import { formatViolation } from './violation.js';

export interface FuzzOptions {
  transports: TransportName[];
  /** Frames per transport. */
  frames: number;
  seed: string;
  /** Fuzzed connections open at once, per transport. */
  connections: number;
  /** A health check every this many frames (and one at the end of each transport). */
  healthEvery: number;
  rssLimitBytes?: number;
  /** Known deviations (known-deviations.ts) count as violations. */
  strict?: boolean;
  /** Stop after this many violations. */
  maxViolations?: number;
  /** Stop (incomplete) after this long. */
  timeLimitMs?: number;
  /** Progress and reports go here (one line or block per call). */
  log: (text: string) => void;
  /** How often a progress line is written, ms (0: never). */
  progressEveryMs?: number;
}

export interface TransportReport {
  transport: TransportName;
  frames: number;
  messages: number;
  repliesChecked: number;
  connections: number;
  elapsedMs: number;
  framesPerSecond: number;
  violations: number;
  /** Documented closes and other events, by name. */
  notes: Record<string, number>;
  healthChecks: number;
  healthFailures: number;
  /** All its frames were sent (not stopped by violations, a dead server or the time limit). */
  complete: boolean;
}

export interface DeviationReport {
  id: string;
  title: string;
  count: number;
  example: { connection: string; frame: FrameRecord | undefined; reply: string | undefined };
}

export interface FuzzReport {
  seed: string;
  transports: TransportReport[];
  violations: Violation[];
  deviations: DeviationReport[];
  healthFailures: string[];
  /** Connections that failed for the fuzzer's own reasons (a socket that would not open, a bug): any fails the run. */
  fuzzerErrors: string[];
  /** The server's largest VmRSS seen (sampled every second and at each health check). */
  peakRssBytes: number;
  rssLimitBytes: number;
  elapsedMs: number;
  /** No violation, every health check passed, every transport complete. */
  ok: boolean;
}

/** Violations kept in the report (all are counted). */
const KEPT_VIOLATIONS = 100;

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const rssLimitBytes = options.rssLimitBytes ?? DEFAULT_RSS_LIMIT_BYTES;
  const maxViolations = options.maxViolations ?? 20;
  const deadline = started + (options.timeLimitMs ?? 60 * 60_000);
  const report: FuzzReport = { seed: options.seed, transports: [], violations: [], deviations: [], healthFailures: [], fuzzerErrors: [], peakRssBytes: 0, rssLimitBytes, elapsedMs: 0, ok: false };
  let violationCount = 0;
  const deviations = new Map<string, DeviationReport>();
  const elapsed = () => performance.now() - started;

  const server = await LockServerProcess.start();
  const sampleRss = () => {
    const rss = server.rssBytes();
    if (rss !== undefined && rss > report.peakRssBytes) report.peakRssBytes = rss;
  };
  const sampler = setInterval(sampleRss, 1_000);
  sampleRss();
  const recordViolation = (violation: Violation) => {
    violationCount++;
    if (report.violations.length < KEPT_VIOLATIONS) report.violations.push(violation);
    options.log(formatViolation(violation));
  };

  try {
    for (const transport of options.transports) {
      if (violationCount >= maxViolations || !server.running || performance.now() > deadline) break;
      const registry = new SessionRegistry();
      const counters = { frames: 0, messages: 0 };
      const notes: Record<string, number> = {};
      let replies = 0;
      let transportViolations = 0;
      let healthChecks = 0;
      let healthFailures = 0;
      let claimed = 0;
      let stopping = false;
      const shouldStop = () => violationCount >= maxViolations || !server.running || performance.now() > deadline;
      const budget: FrameBudget = {
        take() {
          if (stopping || claimed >= options.frames) return false;
          claimed++;
          return true;
        },
        get stopping() {
          return stopping;
        },
      };
      const events: OracleEvents = {
        violation(violation) {
          transportViolations++;
          recordViolation({ ...violation, transport, at: elapsed() });
          if (shouldStop()) stopping = true;
        },
        deviation(id, connection, frame, reply) {
          let entry = deviations.get(id);
          if (!entry) {
            entry = { id, title: KNOWN_DEVIATIONS[id]?.title ?? id, count: 0, example: { connection, frame, reply } };
            deviations.set(id, entry);
          }
          entry.count++;
          if (options.strict) events.violation({ connection, rule: `deviation:${id}`, detail: `${entry.title} (known deviation; --strict)`, frame, before: [], reply });
        },
        replyChecked() {
          replies++;
        },
        note(event) {
          notes[event] = (notes[event] ?? 0) + 1;
        },
      };
      const health = async (round: number): Promise<void> => {
        const result: HealthResult = await checkHealth(server, transport, round, rssLimitBytes);
        healthChecks++;
        if (result.rssBytes !== undefined && result.rssBytes > report.peakRssBytes) report.peakRssBytes = result.rssBytes;
        if (!result.ok) {
          healthFailures++;
          const text = `health check ${transport} #${round} failed at ${(elapsed() / 1000).toFixed(1)} s: ${result.problems.join('; ')}`;
          report.healthFailures.push(text);
          options.log(`HEALTH ${text}`);
          if (!server.running) stopping = true;
        }
      };

      const transportStarted = performance.now();
      // The fuzzer's own event-loop delay: a stalled fuzzer makes the server's timing look wrong, so it is shown.
      const loopDelay = monitorEventLoopDelay({ resolution: 20 });
      loopDelay.enable();
      options.log(`${transport}: ${options.frames.toLocaleString('en')} frames, ${options.connections} connections at a time, seed ${options.seed}`);
      const progress =
        (options.progressEveryMs ?? 5_000) > 0
          ? setInterval(() => {
              const seconds = (performance.now() - transportStarted) / 1000;
              const rss = server.rssBytes();
              options.log(
                `[fuzz ${(elapsed() / 1000).toFixed(0)}s] ${transport}: ${counters.frames.toLocaleString('en')} frames (${Math.round(counters.frames / Math.max(seconds, 0.001)).toLocaleString('en')}/s), ${replies.toLocaleString('en')} replies checked, ${transportViolations} violations, server RSS ${rss === undefined ? '?' : `${(rss / 1024 / 1024).toFixed(0)} MiB`}, fuzzer loop delay max ${(loopDelay.max / 1e6).toFixed(0)} ms`,
              );
              loopDelay.reset();
            }, options.progressEveryMs ?? 5_000)
          : undefined;
      const running = new Set<Promise<void>>();
      let index = 0;
      let nextHealthAt = options.healthEvery;
      let healthRound = 0;
      let healthRunning: Promise<void> | undefined;
      let fuzzerErrors = 0;
      try {
        while (!stopping && claimed < options.frames) {
          while (!stopping && running.size < options.connections && claimed < options.frames) {
            const connection = runFuzzConnection({
              transport,
              index: index++,
              seed: options.seed,
              port: server.endpoints[transport],
              registry,
              adminToken: server.adminToken,
              defaultLeaseMs: DEFAULT_LEASE_MS,
              budget,
              events,
              counters,
            }).catch((error: unknown) => {
              // The fuzzer's own failure (a socket that would not open, say): with a live server, a health problem.
              fuzzerErrors++;
              const text = `${transport} connection failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
              if (report.fuzzerErrors.length < 20) report.fuzzerErrors.push(text);
              if (fuzzerErrors <= 5) options.log(text);
            });
            running.add(connection);
            void connection.finally(() => running.delete(connection));
            // Start them a few at a time: each sends its first frames at once, and hundreds together would hold the event loop.
            if (index % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
          }
          await Promise.race([...running, new Promise((resolve) => setTimeout(resolve, 250))]);
          if (counters.frames >= nextHealthAt && healthRunning === undefined) {
            nextHealthAt += options.healthEvery;
            healthRunning = health(++healthRound).finally(() => (healthRunning = undefined));
          }
          if (shouldStop()) stopping = true;
        }
        await Promise.all(running);
        await healthRunning;
        if (server.running) await health(++healthRound);
        else report.healthFailures.push(`the server exited (${server.exit?.code ?? server.exit?.signal}):\n${server.tail()}`);
      } finally {
        clearInterval(progress);
        loopDelay.disable();
      }
      const elapsedMs = performance.now() - transportStarted;
      report.transports.push({
        transport,
        frames: counters.frames,
        messages: counters.messages,
        repliesChecked: replies,
        connections: index,
        elapsedMs,
        framesPerSecond: counters.frames / (elapsedMs / 1000),
        violations: transportViolations,
        notes,
        healthChecks,
        healthFailures,
        complete: claimed >= options.frames && !stopping,
      });
    }
  } finally {
    clearInterval(sampler);
    sampleRss();
    await server.stop();
  }
  report.deviations = [...deviations.values()];
  report.elapsedMs = elapsed();
  report.ok =
    violationCount === 0 &&
    report.healthFailures.length === 0 &&
    report.fuzzerErrors.length === 0 &&
    report.transports.length === options.transports.length &&
    report.transports.every((transport) => transport.complete);
  return report;
}

/** The run's summary, for people. */
export function formatReport(report: FuzzReport): string {
  const lines = [`seed ${report.seed}; ${(report.elapsedMs / 1000).toFixed(1)} s in all`];
  lines.push('| transport | frames | messages | replies checked | connections | time | frames/s | violations | health checks |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const t of report.transports) {
    lines.push(
      `| ${t.transport}${t.complete ? '' : ' (incomplete)'} | ${t.frames.toLocaleString('en')} | ${t.messages.toLocaleString('en')} | ${t.repliesChecked.toLocaleString('en')} | ${t.connections.toLocaleString('en')} | ${(t.elapsedMs / 1000).toFixed(1)} s | ${Math.round(t.framesPerSecond).toLocaleString('en')} | ${t.violations} | ${t.healthChecks - t.healthFailures}/${t.healthChecks} passed |`,
    );
  }
  lines.push(`server peak RSS ${(report.peakRssBytes / 1024 / 1024).toFixed(1)} MiB (bound ${(report.rssLimitBytes / 1024 / 1024).toFixed(0)} MiB)`);
  for (const t of report.transports) {
    const notes = Object.entries(t.notes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, count]) => `${name} ${count}`)
      .join(', ');
    if (notes) lines.push(`${t.transport} events: ${notes}`);
  }
  for (const deviation of report.deviations) {
    const frame = deviation.example.frame;
    const shown = frame ? `, frame ${frame.bytes.toString('hex') || '(empty)'}` : '';
    lines.push(`known deviation ${deviation.id} (${deviation.count}×): ${deviation.title}; e.g. on ${deviation.example.connection}${shown}${deviation.example.reply ? `, reply ${deviation.example.reply}` : ', no reply'}`);
  }
  for (const failure of report.healthFailures) lines.push(`HEALTH FAILURE ${failure}`);
  for (const failure of report.fuzzerErrors) lines.push(`FUZZER ERROR ${failure.split('\n')[0]}`);
  const violations = report.transports.reduce((sum, t) => sum + t.violations, 0);
  lines.push(report.ok ? 'OK: no violation, every health check passed' : `FAILED: ${violations} violation(s), ${report.healthFailures.length} health failure(s), ${report.fuzzerErrors.length} fuzzer error(s)${report.transports.every((t) => t.complete) ? '' : ', run incomplete'}`);
  return lines.join('\n');
}
