#!/usr/bin/env node
/**
 * `pnpm fuzz`: structure-aware fuzzing of a real lock-server. See
 * `pnpm fuzz --help` and apps/fuzz/README.md.
 *
 * Exit code: 0 when no frame drew a reply (or a close) that breaks
 * docs/protocol.md and every health check passed; 1 otherwise (a violation,
 * a failed health check, a run stopped incomplete); 2 for bad options;
 * 130 when interrupted.
 */
import { writeFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { parseOptions } from './options.js';
import type { CliOptions } from './options.js';
import { replay } from './replay.js';
import { formatReport, runFuzz } from './runner.js';

function log(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function main(): Promise<number> {
  let options: CliOptions;
  try {
    options = parseOptions(process.argv.slice(2).filter((arg) => arg !== '--'));
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(`fuzz: ${(error as Error).message}\n`);
    return 2;
  }
  // The server is a child process killed by an exit handler (server-process.ts): exit on a signal so it runs.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));
  if (options.replay !== undefined) {
    if (options.transports.length !== 1) {
      process.stderr.write('fuzz: --replay needs one --transport (tcp, ws or zmq)\n');
      return 2;
    }
    await replay(options.replay, options.transports[0]!, log);
    return 0;
  }
  log(`fuzz: seed ${options.seed} (repeat with --seed ${options.seed}); ${options.transports.join(', ')}; ${options.frames.toLocaleString('en')} frames per transport`);
  const report = await runFuzz({
    transports: options.transports,
    frames: options.frames,
    seed: options.seed,
    connections: options.connections,
    healthEvery: options.healthEvery,
    rssLimitBytes: options.rssLimitMib * 1024 * 1024,
    strict: options.strict,
    maxViolations: options.maxViolations,
    timeLimitMs: options.timeLimitSeconds * 1000,
    log,
  });
  log('');
  log(formatReport(report));
  if (options.json !== undefined) {
    // Buffers (frames) as hex: JSON.stringify has already turned them into { type: 'Buffer', data } when the replacer sees them.
    const serialisable = JSON.stringify(
      report,
      (_key, value: unknown) => {
        const buffer = value as { type?: unknown; data?: unknown };
        return buffer !== null && typeof buffer === 'object' && buffer.type === 'Buffer' && Array.isArray(buffer.data) ? Buffer.from(buffer.data as number[]).toString('hex') : value;
      },
      2,
    );
    writeFileSync(options.json, serialisable);
    log(`wrote ${options.json}`);
  }
  return report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`fuzz: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
