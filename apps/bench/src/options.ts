import { Command, InvalidArgumentError, Option } from 'commander';
import { join } from 'node:path';
import { repositoryRoot } from './paths.js';

export const WORKLOADS = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'failover'] as const;
export type WorkloadId = (typeof WORKLOADS)[number];

/** Every system a run can include; `baton`, `raw` and `redis` also name their whole family. */
export const SYSTEM_CHOICES = ['baton-tcp', 'baton-zmq', 'baton-ws', 'raw-tcp', 'raw-zmq', 'raw-ws', 'redis', 'etcd', 'baton-durable-tcp', 'redis-fsync', 'baton-group-tcp', 'etcd-cluster', 'etcd-fifo', 'etcd-txn'] as const;
const FAMILIES: Record<string, readonly string[]> = {
  baton: ['baton-tcp', 'baton-zmq', 'baton-ws'],
  raw: ['raw-tcp', 'raw-zmq', 'raw-ws'],
  /** Every acknowledged change on disk before the reply: Baton's write-ahead log, Redis with appendfsync always, etcd. */
  durable: ['baton-durable-tcp', 'redis-fsync', 'etcd'],
  /** On one 3-member etcd cluster: Baton's group of 3 coordinators, etcd3's lock, etcd's FIFO recipe, one etcd transaction. */
  replicated: ['baton-group-tcp', 'etcd-cluster', 'etcd-fifo', 'etcd-txn'],
};

/** How much work each workload does. `--quick` and the full run differ only here. */
export interface WorkloadSizes {
  repetitions: number;
  /** Unmeasured passes before the first repetition (JIT, connections, page cache). */
  warmupMs: number;
  /**
   * W1 and W2 measure each system in `blocks` slices, one slice of every
   * system in turn, so that a burst of load from elsewhere hits every system
   * alike. maxPairs / maxMs / durationMs are per repetition, all blocks together.
   */
  w1: { warmupPairs: number; warmupMs: number; maxPairs: number; maxMs: number; blocks: number };
  w2: { clients: number; warmupMs: number; durationMs: number; blocks: number };
  /** W3 runs `warmupMs` before it records anything: the first round of a fresh queue meets cold code paths everywhere. */
  w3: { clients: number; warmupMs: number; durationMs: number };
  w4: {
    sessions: number;
    locksPerSession: number;
    /** Locks per session for the "small" latency probe (1 → sessions × 1 held). */
    smallLocksPerSession: number;
    connectedSessions: number;
    holdMs: number;
    probeBlocks: number;
    probePairs: number;
  };
  /** W5: sessions × locksPerSession locks expire at once, one lease after every session renewed. */
  w5: { sessions: number; locksPerSession: number; leaseMs: number; baselinePairs: number };
  /** W6: recovery of a durable lock-server with this many locks held, after SIGKILL; and after a clean stop (SIGTERM) with `cleanStopLocks`. */
  w6: { locks: number[]; cleanStopLocks: number; locksPerSession: number };
  /** O_DSYNC appends timed per W1 repetition for the durable floor. */
  durableWriteSamples: number;
  /** Kills of the Baton group's leader (SIGKILL), each timed to the first grant by the next leader. */
  failover: { kills: number };
}

export const FULL_SIZES: WorkloadSizes = {
  repetitions: 5,
  warmupMs: 400,
  w1: { warmupPairs: 1_000, warmupMs: 300, maxPairs: 5_000, maxMs: 1_500, blocks: 10 },
  w2: { clients: 64, warmupMs: 300, durationMs: 2_000, blocks: 8 },
  w3: { clients: 16, warmupMs: 1_000, durationMs: 3_000 },
  w4: { sessions: 1_000, locksPerSession: 100, smallLocksPerSession: 1, connectedSessions: 10_000, holdMs: 4_000, probeBlocks: 5, probePairs: 2_000 },
  w5: { sessions: 1_000, locksPerSession: 1_000, leaseMs: 3_000, baselinePairs: 2_000 },
  w6: { locks: [1_000, 10_000, 100_000], cleanStopLocks: 100_000, locksPerSession: 100 },
  durableWriteSamples: 200,
  failover: { kills: 10 },
};

export const QUICK_SIZES: WorkloadSizes = {
  repetitions: 1,
  warmupMs: 100,
  w1: { warmupPairs: 300, warmupMs: 100, maxPairs: 1_000, maxMs: 250, blocks: 2 },
  w2: { clients: 64, warmupMs: 60, durationMs: 200, blocks: 2 },
  w3: { clients: 16, warmupMs: 100, durationMs: 400 },
  w4: { sessions: 100, locksPerSession: 100, smallLocksPerSession: 10, connectedSessions: 1_000, holdMs: 300, probeBlocks: 3, probePairs: 300 },
  w5: { sessions: 100, locksPerSession: 100, leaseMs: 1_000, baselinePairs: 300 },
  w6: { locks: [1_000, 10_000], cleanStopLocks: 10_000, locksPerSession: 100 },
  durableWriteSamples: 100,
  failover: { kills: 3 },
};

export interface BenchOptions {
  quick: boolean;
  systems: string[];
  workloads: WorkloadId[];
  sizes: WorkloadSizes;
  /** W3's Redis retry delays, milliseconds; each runs with ± half of it as jitter (node-redlock's ratio). */
  redisRetryMs: number[];
  outDirectory: string;
  /** Also write latest.json / latest.md / latest.svg. */
  writeLatest: boolean;
  /** Directory for V8 CPU profiles of the Baton server (and workers), or undefined. */
  profileDirectory: string | undefined;
  keepTemp: boolean;
  /** W1 and W4's latency probe: servers and client on one CPU (repeatable), or wherever the scheduler puts them. */
  latencyPlacement: 'one-cpu' | 'unpinned';
  /** Only draw the tables and chart again from this results file; run nothing. */
  render: string | undefined;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('must be a positive integer');
  return number;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item.length > 0);
}

/** Expand families and check names; the order of SYSTEM_CHOICES is kept. */
export function resolveSystems(names: readonly string[]): string[] {
  const wanted = new Set<string>();
  for (const name of names) {
    const members = FAMILIES[name] ?? [name];
    for (const member of members) {
      if (!(SYSTEM_CHOICES as readonly string[]).includes(member)) {
        throw new InvalidArgumentError(`unknown system "${name}" (choose from ${[...Object.keys(FAMILIES), ...SYSTEM_CHOICES].join(', ')})`);
      }
      wanted.add(member);
    }
  }
  return SYSTEM_CHOICES.filter((system) => wanted.has(system));
}

export function resolveWorkloads(names: readonly string[]): WorkloadId[] {
  for (const name of names) {
    if (!(WORKLOADS as readonly string[]).includes(name)) throw new InvalidArgumentError(`unknown workload "${name}" (choose from ${WORKLOADS.join(', ')})`);
  }
  return WORKLOADS.filter((workload) => names.includes(workload));
}

/** Parse the command line (without node and the script). A leading `--` (from `pnpm bench -- …`) is ignored. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  const program = new Command()
    .name('pnpm bench')
    .description(
      'Baton against Redis, etcd and the raw echo limit of each transport, side by side in one run.\n' +
        'Starts every server itself on 127.0.0.1 (data in a temp dir), stops them all at the end, and writes\n' +
        'bench/results/<timestamp>.json, .md (tables) and .svg (chart). Exits non-zero only when a correctness check fails.',
    )
    .option('--quick', 'a short run (about 45 s, one repetition, W4–W6 and the failover scaled down): what CI runs', false)
    .option('--systems <list>', `comma-separated: baton, raw, durable, replicated, ${SYSTEM_CHOICES.join(', ')}`, 'baton,raw,redis,etcd,durable,replicated')
    .option('--workloads <list>', `comma-separated: ${WORKLOADS.join(', ')}`, WORKLOADS.join(','))
    .option('--runs <n>', 'repetitions of each measurement (default 5, --quick 1)', positiveInteger)
    .option('--kills <n>', 'failover: SIGKILLs of the Baton group\'s leader (default 10, --quick 3)', positiveInteger)
    .option('--redis-retry-ms <list>', "W3: Redis waiters' retry delays in ms (jitter ± half of it)", '2,200')
    .option('--seconds <s>', 'W2 and W3: seconds per measurement (default 2 and 3, --quick 0.2 and 0.4)', (value) => {
      const number = Number(value);
      if (!(number > 0 && number <= 60)) throw new InvalidArgumentError('must be within (0, 60]');
      return number;
    })
    .option('--out <dir>', 'where results go (default bench/results, --quick bench/results/tmp)')
    .option('--profile', 'write V8 CPU profiles of the Baton server and the workers (node --cpu-prof) into <out>/profiles', false)
    .option('--keep-temp', 'keep the temp dir (server data, counter files) for inspection', false)
    .addOption(new Option('--no-latest', 'do not update latest.json / latest.md / latest.svg'))
    .addOption(new Option('--latency-placement <placement>', 'W1 and the W4 probe: pin servers and client to one CPU, or not').choices(['one-cpu', 'unpinned']).default('one-cpu'))
    .option('--render <file.json>', 'run nothing: write the .md and .svg of an earlier results file again, beside it')
    .exitOverride()
    .showHelpAfterError();
  program.parse(args, { from: 'user' });
  const options = program.opts<{
    quick: boolean;
    systems: string;
    workloads: string;
    runs?: number;
    kills?: number;
    redisRetryMs: string;
    seconds?: number;
    out?: string;
    profile: boolean;
    keepTemp: boolean;
    latest: boolean;
    render?: string;
    latencyPlacement: 'one-cpu' | 'unpinned';
  }>();
  const base = options.quick ? QUICK_SIZES : FULL_SIZES;
  const sizes: WorkloadSizes = structuredClone(base);
  if (options.runs !== undefined) sizes.repetitions = options.runs;
  if (options.kills !== undefined) sizes.failover.kills = options.kills;
  if (options.seconds !== undefined) {
    sizes.w2.durationMs = options.seconds * 1000;
    sizes.w3.durationMs = options.seconds * 1000;
  }
  const redisRetryMs = list(options.redisRetryMs).map((value) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError(`--redis-retry-ms: "${value}" is not a whole number of ms`);
    return number;
  });
  const outDirectory = options.out ?? join(repositoryRoot, 'bench', 'results', ...(options.quick ? ['tmp'] : []));
  return {
    quick: options.quick,
    systems: resolveSystems(list(options.systems)),
    workloads: resolveWorkloads(list(options.workloads)),
    sizes,
    redisRetryMs,
    outDirectory,
    writeLatest: options.latest,
    profileDirectory: options.profile ? join(outDirectory, 'profiles') : undefined,
    keepTemp: options.keepTemp,
    render: options.render,
    latencyPlacement: options.latencyPlacement,
  };
}
