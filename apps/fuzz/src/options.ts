/**
 * `pnpm fuzz` options. Defaults are the full run of the issue: 1,000,000
 * frames per transport, every transport; a seed is drawn and printed unless
 * one is given, so any run can be repeated with `--seed`.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_RSS_LIMIT_BYTES } from './health.js';
import { newSeed } from './random.js';
import type { TransportName } from './reply-oracle.js';

export interface CliOptions {
  transports: TransportName[];
  frames: number;
  seed: string;
  connections: number;
  healthEvery: number;
  rssLimitMib: number;
  strict: boolean;
  maxViolations: number;
  timeLimitSeconds: number;
  json: string | undefined;
  replay: string | undefined;
}

function positiveInteger(value: string): number {
  const number = Number(value.replaceAll('_', ''));
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('must be a positive integer');
  return number;
}

export function parseOptions(argv: string[]): CliOptions {
  const program = new Command()
    .name('pnpm fuzz')
    .description('Structure-aware fuzzing of a real lock-server: generated and mutated frames over tcp, ws and zmq, every reply checked against docs/protocol.md')
    .addOption(new Option('--transport <name>', 'transport to fuzz').choices(['tcp', 'ws', 'zmq', 'all']).default('all'))
    .option('--frames <n>', 'frames per transport', positiveInteger, 1_000_000)
    .option('--seed <seed>', 'seed of the run (printed; give it back to repeat the run)')
    .option('--connections <n>', 'fuzzed connections open at once', positiveInteger, 200)
    .option('--health-every <n>', 'frames between health checks', positiveInteger, 50_000)
    .option('--rss-limit-mib <n>', 'fail when the server\'s VmRSS passes this', positiveInteger, DEFAULT_RSS_LIMIT_BYTES / 1024 / 1024)
    .option('--strict', 'count known deviations from the spec (known-deviations.ts) as violations', false)
    .option('--max-violations <n>', 'stop after this many violations', positiveInteger, 20)
    .option('--time-limit <seconds>', 'stop, incomplete, after this long', positiveInteger, 3_600)
    .option('--json <file>', 'also write the report as JSON')
    .option('--replay <file>', 'send the frames of a file (one hex frame per line) on one connection of --transport and print the replies')
    .exitOverride()
    .showHelpAfterError();
  program.parse(argv, { from: 'user' });
  const raw = program.opts<{ transport: string; frames: number; seed?: string; connections: number; healthEvery: number; rssLimitMib: number; strict: boolean; maxViolations: number; timeLimit: number; json?: string; replay?: string }>();
  const transports: TransportName[] = raw.transport === 'all' ? ['tcp', 'ws', 'zmq'] : [raw.transport as TransportName];
  return {
    transports,
    frames: raw.frames,
    seed: raw.seed ?? newSeed(),
    connections: raw.connections,
    healthEvery: raw.healthEvery,
    rssLimitMib: raw.rssLimitMib,
    strict: raw.strict,
    maxViolations: raw.maxViolations,
    timeLimitSeconds: raw.timeLimit,
    json: raw.json,
    replay: raw.replay,
  };
}
