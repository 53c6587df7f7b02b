import { describe, expect, it } from 'vitest';
import { formatReport, runFuzz } from '../src/runner.js';
import { formatViolation } from '../src/violation.js';

/** The slice CI runs: seeded (FUZZ_SEED overrides it), bounded in frames and time. */
const SEED = process.env.FUZZ_SEED ?? 'ci-slice-1';
const FRAMES = 20_000;

// The same runner as `pnpm fuzz`, against a real lock-server process on 127.0.0.1.
describe('pnpm fuzz, the bounded slice CI runs', () => {
  it(`sends ${FRAMES.toLocaleString('en')} frames per transport: every reply fits the spec, every health check passes`, { timeout: 150_000 }, async () => {
    const log: string[] = [];
    const report = await runFuzz({
      transports: ['tcp', 'ws', 'zmq'],
      frames: FRAMES,
      seed: SEED,
      connections: 100,
      healthEvery: 10_000,
      log: (text) => log.push(text),
      progressEveryMs: 0,
      timeLimitMs: 140_000,
    });
    const summary = formatReport(report);
    expect(report.violations.map(formatViolation), summary).toEqual([]);
    expect(report.healthFailures, summary).toEqual([]);
    expect(report.fuzzerErrors, summary).toEqual([]);
    expect(report.transports.map((transport) => transport.transport)).toEqual(['tcp', 'ws', 'zmq']);
    for (const transport of report.transports) {
      expect(transport.complete, summary).toBe(true);
      expect(transport.frames).toBeGreaterThanOrEqual(FRAMES);
      // Almost every frame draws a reply (a few are answered by nothing: empty tcp lines, duplicates, PONGs).
      expect(transport.repliesChecked).toBeGreaterThan(transport.frames * 0.8);
      expect(transport.healthChecks).toBeGreaterThanOrEqual(2);
    }
    expect(report.peakRssBytes).toBeGreaterThan(0);
    expect(report.peakRssBytes).toBeLessThan(report.rssLimitBytes);
    expect(report.ok, summary).toBe(true);
  });
});
