#!/usr/bin/env node
/**
 * `pnpm bench`: Baton against Redis, etcd and the raw echo limit of each
 * transport, side by side in one run. See `pnpm bench --help` and
 * apps/bench/README.md.
 *
 * Exit code: 0 when every correctness check passed (missed performance
 * targets are reported, never fatal), 1 when one failed, 2 for bad options,
 * 130 when interrupted.
 */
import { relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CommanderError } from 'commander';
import { parseOptions } from './options.js';
import type { BenchOptions } from './options.js';
import { repositoryRoot } from './paths.js';
import { renderMarkdown } from './report/render-markdown.js';
import { renderAgain, writeResults } from './report/write-results.js';
import { runBench } from './runner.js';
import { installCleanup, stopAll } from './servers/managed-process.js';
import { killWorkers } from './worker/worker-pool.js';

const started = performance.now();

/** One progress line, with the seconds since the start. */
function log(line: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(1).padStart(5);
  process.stdout.write(`[bench ${seconds}s] ${line}\n`);
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    return 2;
  }
  if (options.render !== undefined) {
    for (const file of renderAgain(options.render)) log(`wrote ${file}`);
    return 0;
  }
  installCleanup((signal) => {
    log(`${signal}: stopping every server and worker`);
    killWorkers();
    void stopAll(2_000).finally(() => process.exit(130));
  });
  const command = `pnpm bench ${process.argv.slice(2).filter((arg) => arg !== '--').join(' ')}`.trim();
  log(`${options.quick ? 'quick' : 'full'} run: systems ${options.systems.join(', ')}; workloads ${options.workloads.join(', ')}; ${options.sizes.repetitions} repetition(s)`);
  const results = await runBench(options, log, command);
  const files = writeResults(results, options.outDirectory, options.writeLatest);
  process.stdout.write(`\n${renderMarkdown(results)}\n`);
  for (const file of files) log(`wrote ${relative(repositoryRoot, file)}`);
  for (const entry of results.skipped) log(`skipped ${entry.system}: ${entry.reason}`);
  const failed = results.checks.filter((check) => !check.ok);
  for (const check of failed) log(`CHECK FAILED: ${check.label}: ${check.detail}`);
  const missed = results.targets.filter((target) => target.met === false).length;
  log(`${failed.length === 0 ? 'all correctness checks passed' : `${failed.length} correctness check(s) FAILED`}; ${results.targets.filter((target) => target.met).length} target(s) met, ${missed} missed (targets never fail the run) in ${(results.durationMs / 1000).toFixed(1)} s`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    killWorkers();
    await stopAll(2_000);
    process.exit(1);
  },
);
