/**
 * The orchestrator: starts every server and two worker processes, runs the
 * workloads repetition by repetition with every system inside each
 * repetition (so that each ratio compares numbers taken minutes apart at
 * most, never across runs), and stops everything whatever happens.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { computeFairness } from './fairness.js';
import type { BenchOptions } from './options.js';
import type {
  BenchResults,
  MachineInfo,
  MeasurementError,
  SkippedSystem,
  W1Results,
  W2Results,
  W3Results,
  W4Results,
  W5Results,
  W6Results,
  FailoverResults,
  FailoverRun,
} from './results.js';
import { RESULTS_FORMAT_VERSION } from './results.js';
import { BatonServer } from './servers/baton-server.js';
import type { MemorySample } from './servers/baton-server.js';
import { EchoServer } from './servers/echo-server.js';
import { EtcdCluster, EtcdServer, etcdVersion } from './servers/etcd-server.js';
import { BatonGroup, GROUP_ELECTION_LEASE_SECONDS } from './servers/baton-group.js';
import { stopAll } from './servers/managed-process.js';
import { allCpus, latencyCpu, pinProcesses } from './servers/cpu-affinity.js';
import { processCpuUs } from './servers/process-cpu.js';
import { measureDurableWrite } from './servers/durable-write.js';
import type { DurableWriteMeasurement } from './servers/durable-write.js';
import { RedisServer, redisVersion } from './servers/redis-server.js';
import { formatNumber, summarize, summarizeLatencies } from './statistics.js';
import { DURABLE_SYSTEMS, PROBE_SYSTEMS, REPLICATED_SYSTEMS, REPLICATED_WAITING_SYSTEMS, describeSystem, isReplicated, redisRetrySystem } from './systems/system-ids.js';
import { openBatonClient } from './systems/baton-client.js';
import type { SystemTarget } from './systems/system-target.js';
import { evaluateChecks, evaluateTargets } from './targets.js';
import { BenchWorker } from './worker/worker-pool.js';
import type { PreparedJob } from './worker/worker-pool.js';
import { readCounter } from './workloads/handoff.js';
import { runMassExpiry } from './workloads/mass-expiry.js';
import { emptyStartMs, runRecovery } from './workloads/recovery.js';
import type { HandoffResult, SequentialResult, SessionsResult, ThroughputResult } from './worker/tasks.js';

export type Log = (line: string) => void;

/** Other programs using more than this share of all CPUs just before the run: the numbers will suffer. */
export const BUSY_SHARE = 0.2;

/** Share of all CPUs busy over `ms` (from /proc/stat), or undefined off Linux. */
export async function cpuBusyShare(ms: number): Promise<number | undefined> {
  const read = () => {
    try {
      const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
      const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
      const total = fields.reduce((sum, value) => sum + value, 0);
      return { idle, total };
    } catch {
      return undefined;
    }
  };
  const before = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = read();
  if (!before || !after || after.total === before.total) return undefined;
  return 1 - (after.idle - before.idle) / (after.total - before.total);
}

/**
 * A system that can be measured: where its server is, and that server's pid
 * (for CPU time); a replicated system names every process it runs on in
 * `pids` (its CPU time is theirs together, and W1 pins them all).
 */
interface Available {
  target: SystemTarget;
  pid: number | undefined;
  pids?: number[];
}

/** Every server process of a system. */
function serverPids(entry: Available): number[] {
  return entry.pids ?? (entry.pid === undefined ? [] : [entry.pid]);
}

/** CPU time of all of a system's server processes together, µs; undefined when one cannot be read. */
function systemCpuUs(entry: Available): number | undefined {
  let total = 0;
  for (const pid of serverPids(entry)) {
    const used = processCpuUs(pid);
    if (used === undefined) return undefined;
    total += used;
  }
  return serverPids(entry).length === 0 ? undefined : total;
}

interface Context {
  options: BenchOptions;
  log: Log;
  temporaryDirectory: string;
  available: Map<string, Available>;
  workers: BenchWorker[];
  errors: MeasurementError[];
  /** The replicated systems' etcd cluster and Baton group, while they run. */
  cluster?: EtcdCluster;
  group?: BatonGroup;
}

/** Run what `options` asks for and return the results (the caller writes them). */
export async function runBench(options: BenchOptions, log: Log, command: string): Promise<BenchResults> {
  const started = new Date();
  const startedAt = performance.now();
  const temporaryDirectory = mkdtempSync(join(tmpdir(), 'baton-bench-'));
  const skipped: SkippedSystem[] = [];
  const errors: MeasurementError[] = [];
  const machine = await describeMachine();
  const busy = await cpuBusyShare(500);
  if (busy !== undefined) machine.busyShareAtStart = Math.round(busy * 100) / 100;
  if (busy !== undefined && busy > BUSY_SHARE) {
    log(`WARNING: other programs kept ${Math.round(busy * 100)}% of the CPUs busy just before the run: they compete with the servers, so absolute numbers will be low and noisy; ratios within the run are affected less`);
  }
  const context: Context = { options, log, temporaryDirectory, available: new Map(), workers: [], errors };
  const results: BenchResults = {
    format: RESULTS_FORMAT_VERSION,
    startedAt: started.toISOString(),
    finishedAt: '',
    durationMs: 0,
    mode: options.quick ? 'quick' : 'full',
    repetitions: options.sizes.repetitions,
    command,
    machine,
    skipped,
    errors,
    targets: [],
    checks: [],
  };
  const stoppers: (() => Promise<void>)[] = [];
  try {
    await startEverything(context, machine, skipped, stoppers);
    for (const entry of skipped) log(`SKIPPED ${entry.system}: ${entry.reason}`);
    await warmUp(context);
    if (options.workloads.includes('w1')) results.w1 = await runW1(context);
    if (options.workloads.includes('w2')) results.w2 = await runW2(context);
    if (options.workloads.includes('w3')) results.w3 = await runW3(context);
    if (options.workloads.includes('failover') && context.group) results.failover = await runFailover(context);
    // The cluster and the group are done with: their heartbeats and watches should not run beside W4–W6.
    await stopReplicated(context);
    if (options.workloads.includes('w4')) {
      if (context.available.has('baton-tcp') || wantsMemoryBaton(options)) {
        results.w4 = await runW4(context).catch((error: unknown) => {
          errors.push({ workload: 'W4', system: 'baton-tcp', repetition: 0, message: messageOf(error) });
          log(`W4 failed: ${messageOf(error)}`);
          return undefined;
        });
      }
    }
    if (options.workloads.includes('w5') && wantsMemoryBaton(options)) {
      results.w5 = await runW5(context).catch((error: unknown) => {
        errors.push({ workload: 'W5', system: 'baton-tcp', repetition: 0, message: messageOf(error) });
        log(`W5 failed: ${messageOf(error)}`);
        return undefined;
      });
    }
    if (options.workloads.includes('w6') && options.systems.some((system) => system.startsWith('baton'))) {
      results.w6 = await runW6(context).catch((error: unknown) => {
        errors.push({ workload: 'W6', system: 'baton-durable-tcp', repetition: 0, message: messageOf(error) });
        log(`W6 failed: ${messageOf(error)}`);
        return undefined;
      });
    }
  } finally {
    log('stopping servers and workers');
    await Promise.allSettled(context.workers.map((worker) => worker.stop()));
    await Promise.allSettled(stoppers.map((stop) => stop()));
    await stopAll();
    if (!options.keepTemp) rmSync(temporaryDirectory, { recursive: true, force: true });
    else log(`kept ${temporaryDirectory}`);
  }
  results.machine.loadAverageAtEnd = Math.round(loadavg()[0]! * 100) / 100;
  results.finishedAt = new Date().toISOString();
  results.durationMs = Math.round(performance.now() - startedAt);
  results.targets = evaluateTargets(results);
  results.checks = evaluateChecks(results);
  return results;
}

async function describeMachine(): Promise<MachineInfo> {
  const [redis, etcd] = await Promise.all([redisVersion(), etcdVersion()]);
  const peers: Record<string, string> = {};
  if (redis) peers.redis = redis;
  if (etcd) peers.etcd = etcd;
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverageAtStart: Math.round(loadavg()[0]! * 100) / 100,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    peers,
  };
}

/** Baton in memory mode (the W1–W5 server) is in the run: baton-tcp, -zmq or -ws. */
function wantsMemoryBaton(options: BenchOptions): boolean {
  return options.systems.some((system) => describeSystem(system).family === 'baton' && !describeSystem(system).durable && !describeSystem(system).replicated);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---- servers ----

async function startEverything(context: Context, machine: MachineInfo, skipped: SkippedSystem[], stoppers: (() => Promise<void>)[]): Promise<void> {
  const { options, temporaryDirectory, available } = context;
  const wants = (family: string) => options.systems.some((system) => describeSystem(system).family === family && !describeSystem(system).durable && !describeSystem(system).replicated);
  const needsTwoWorkers = options.workloads.includes('w2') || options.workloads.includes('w4');
  const workerFlags = options.profileDirectory ? ['--cpu-prof', '--cpu-prof-dir', options.profileDirectory] : [];
  const workerStarts = [BenchWorker.start('worker-1', workerFlags), ...(needsTwoWorkers ? [BenchWorker.start('worker-2', workerFlags)] : [])];

  const batonStart = wants('baton') ? BatonServer.start({ cwd: temporaryDirectory, cpuProfileDirectory: options.profileDirectory }) : undefined;
  const echoStart = wants('raw') ? EchoServer.start(temporaryDirectory, options.profileDirectory) : undefined;
  let redisStart: Promise<RedisServer> | undefined;
  if (wants('redis')) {
    if (machine.peers.redis) redisStart = RedisServer.start(temporaryDirectory);
    else skipped.push({ system: 'redis', reason: 'redis-server is not installed (run `pnpm bench:setup`, which installs Debian\'s redis-server)' });
  }
  let redisFsyncStart: Promise<RedisServer> | undefined;
  if (options.systems.includes('redis-fsync')) {
    if (machine.peers.redis) redisFsyncStart = RedisServer.start(temporaryDirectory, { fsync: true });
    else skipped.push({ system: 'redis-fsync', reason: 'redis-server is not installed (run `pnpm bench:setup`, which installs Debian\'s redis-server)' });
  }
  const durableStart = options.systems.includes('baton-durable-tcp')
    ? BatonServer.start({ cwd: temporaryDirectory, dataDirectory: join(temporaryDirectory, 'baton-log'), transports: ['tcp'], cpuProfileDirectory: options.profileDirectory })
    : undefined;
  let etcdStart: Promise<EtcdServer> | undefined;
  if (wants('etcd')) {
    if (machine.peers.etcd) etcdStart = EtcdServer.start(temporaryDirectory);
    else skipped.push({ system: 'etcd', reason: 'etcd is not installed (run `pnpm bench:setup`, which installs Debian\'s etcd-server)' });
  }
  const replicated = options.systems.filter(isReplicated);
  let clusterStart: Promise<EtcdCluster> | undefined;
  if (replicated.length > 0) {
    if (machine.peers.etcd) clusterStart = EtcdCluster.start(temporaryDirectory);
    else for (const system of replicated) skipped.push({ system, reason: 'etcd is not installed (run `pnpm bench:setup`, which installs Debian\'s etcd-server)' });
  }
  // The group needs the cluster; a cluster that does not start is reported once, below.
  const groupStart = clusterStart && options.systems.includes('baton-group-tcp')
    ? clusterStart.then(
        (cluster) => BatonGroup.start({ cwd: temporaryDirectory, etcd: cluster.endpoints, cpuProfileDirectory: options.profileDirectory }),
        () => undefined,
      )
    : undefined;
  const [baton, echo, redis, etcd, redisFsync, durable, cluster, group, ...workers] = await Promise.allSettled([batonStart, echoStart, redisStart, etcdStart, redisFsyncStart, durableStart, clusterStart, groupStart, ...workerStarts]);
  for (const worker of workers) if (worker.status === 'fulfilled' && worker.value) context.workers.push(worker.value);
  const stopper = (settled: PromiseSettledResult<{ stop(): Promise<void> } | undefined>) => {
    if (settled.status === 'fulfilled' && settled.value) stoppers.push(() => settled.value!.stop());
  };
  [baton, echo, redis, etcd, redisFsync, durable, cluster, group].forEach((settled) => stopper(settled));
  const failedWorker = workers.find((worker) => worker.status === 'rejected');
  if (failedWorker) throw new Error(`a benchmark worker did not start: ${messageOf(failedWorker.reason)}`);
  // Baton and the echo servers are ours: failing to start them is a failure, not a skip.
  if (baton.status === 'rejected') throw new Error(`lock-server did not start: ${messageOf(baton.reason)}`);
  if (echo.status === 'rejected') throw new Error(`the echo server did not start: ${messageOf(echo.reason)}`);
  if (durable.status === 'rejected') throw new Error(`the durable lock-server did not start: ${messageOf(durable.reason)}`);
  if (durable.value) {
    if (options.profileDirectory) context.log(`durable lock-server pid ${durable.value.process.pid}: its profile is CPU.*.${durable.value.process.pid}.0.*.cpuprofile in ${options.profileDirectory}`);
    available.set('baton-durable-tcp', { target: { kind: 'baton', transport: 'tcp', url: durable.value.urls.tcp }, pid: durable.value.process.pid });
  }

  if (baton.value) {
    if (options.profileDirectory) context.log(`lock-server pid ${baton.value.process.pid}: its profile is CPU.*.${baton.value.process.pid}.0.*.cpuprofile in ${options.profileDirectory}`);
    for (const transport of ['tcp', 'zmq', 'ws'] as const) {
      available.set(`baton-${transport}`, { target: { kind: 'baton', transport, url: baton.value.urls[transport] }, pid: baton.value.process.pid });
    }
  }
  if (echo.value) {
    if (options.profileDirectory) context.log(`echo-server pid ${echo.value.process.pid}: its profile is CPU.*.${echo.value.process.pid}.0.*.cpuprofile`);
    for (const transport of ['tcp', 'zmq', 'ws'] as const) {
      available.set(`raw-${transport}`, { target: { kind: 'raw', transport, host: '127.0.0.1', port: echo.value.ports[transport] }, pid: echo.value.process.pid });
    }
  }
  if (redis.status === 'rejected') skipped.push({ system: 'redis', reason: `redis-server did not start: ${messageOf(redis.reason)}` });
  else if (redis.value) {
    available.set('redis', { target: { kind: 'redis', host: '127.0.0.1', port: redis.value.port, retryDelayMs: 2, retryJitterMs: 1, ttlMs: 10_000 }, pid: redis.value.process.pid });
  }
  if (redisFsync.status === 'rejected') skipped.push({ system: 'redis-fsync', reason: `redis-server (appendfsync always) did not start: ${messageOf(redisFsync.reason)}` });
  else if (redisFsync.value) {
    available.set('redis-fsync', { target: { kind: 'redis', host: '127.0.0.1', port: redisFsync.value.port, retryDelayMs: 2, retryJitterMs: 1, ttlMs: 10_000 }, pid: redisFsync.value.process.pid });
  }
  if (etcd.status === 'rejected') skipped.push({ system: 'etcd', reason: `etcd did not start: ${messageOf(etcd.reason)}` });
  else if (etcd.value) available.set('etcd', { target: { kind: 'etcd', endpoints: [etcd.value.endpoint] }, pid: etcd.value.process.pid });
  if (cluster.status === 'rejected') {
    for (const system of replicated) skipped.push({ system, reason: `the 3-member etcd cluster did not start: ${messageOf(cluster.reason)}` });
  } else if (cluster.value) {
    context.cluster = cluster.value;
    const endpoints = cluster.value.endpoints;
    const pids = cluster.value.pids;
    available.set('etcd-cluster', { target: { kind: 'etcd', endpoints }, pid: pids[0], pids });
    available.set('etcd-fifo', { target: { kind: 'etcd-fifo', endpoints }, pid: pids[0], pids });
    available.set('etcd-txn', { target: { kind: 'etcd-txn', endpoints }, pid: pids[0], pids });
    // The group is ours: failing to start it is a failed measurement, not a skip; the other systems still run.
    if (group.status === 'rejected') {
      context.errors.push({ workload: 'start', system: 'baton-group-tcp', repetition: 0, message: `the Baton group did not start: ${messageOf(group.reason)}` });
      context.log(`the Baton group did not start: ${messageOf(group.reason)}`);
    } else if (group.value) {
      context.group = group.value;
      const leader = await group.value.leader();
      if (options.profileDirectory) context.log(`Baton group pids ${group.value.pids.join(', ')}: their profiles are CPU.*.<pid>.0.*.cpuprofile in ${options.profileDirectory}`);
      context.log(`Baton group of ${group.value.urls.length} on the etcd cluster: the leader is ${leader.url}`);
      available.set('baton-group-tcp', { target: { kind: 'baton', transport: 'tcp', url: leader.url }, pid: group.value.pids[leader.index], pids: [...group.value.pids, ...pids] });
    }
  }
  // Keep only what was asked for.
  for (const system of [...available.keys()]) if (!options.systems.includes(system)) available.delete(system);
}

/** The systems of W1/W2 that are running, rotated by repetition so no system always goes first. */
function rotation(systems: readonly string[], repetition: number): string[] {
  const shift = systems.length === 0 ? 0 : repetition % systems.length;
  return [...systems.slice(shift), ...systems.slice(0, shift)];
}

async function attempt<T>(context: Context, workload: string, system: string, repetition: number, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    context.errors.push({ workload, system, repetition, message: messageOf(error) });
    context.log(`${workload} ${system} (run ${repetition}) FAILED: ${messageOf(error)}`);
    return undefined;
  }
}

function worker(context: Context, index: number): BenchWorker {
  return context.workers[index] ?? context.workers[0]!;
}

// ---- warm-up ----

/**
 * One unmeasured pass over every system before the first repetition: the
 * JIT of every process, connections, caches. W1's loop for every system;
 * W2's as well in a full run (a quick run relies on W2's own warm-up).
 */
async function warmUp(context: Context): Promise<void> {
  const { sizes, quick, workloads } = context.options;
  if (sizes.warmupMs <= 0) return;
  if (!workloads.some((workload) => workload === 'w1' || workload === 'w2' || workload === 'w3')) return;
  context.log(`warming up every system (${sizes.warmupMs} ms each)`);
  for (const [system, { target }] of context.available) {
    await attempt(context, 'warm-up', system, 0, async () => {
      const sequential = await worker(context, 0).prepare<SequentialResult>({
        kind: 'sequential', target, resource: `warmup-${system}`, warmupPairs: 0, warmupMs: 0, maxPairs: 100_000, maxMs: sizes.warmupMs,
      });
      await sequential.run();
      await sequential.dispose();
      if (quick || (PROBE_SYSTEMS as readonly string[]).includes(system)) return;
      const throughput = await worker(context, 0).prepare<ThroughputResult>({
        kind: 'throughput', target, clients: sizes.w2.clients, resourcePrefix: `warmup-${system}-`, warmupMs: 0, durationMs: sizes.warmupMs,
      });
      await throughput.run();
      await throughput.dispose();
    });
  }
}

// ---- W1 ----

/**
 * W1: per repetition, one client per system (all in worker 1), then
 * `blocks` rounds of one block per system (the order rotating), so that all
 * systems are sampled across the same stretch of time; then each system's
 * median and p99 over all its blocks.
 */
async function runW1(context: Context): Promise<W1Results> {
  const { sizes } = context.options;
  const w1Sizes = sizes.w1;
  const systems = [...context.available.keys()];
  const runs = new Map<string, SequentialResult[]>(systems.map((system) => [system, []]));
  const blockMs = w1Sizes.maxMs / w1Sizes.blocks;
  const blockPairs = Math.ceil(w1Sizes.maxPairs / w1Sizes.blocks);
  const pids = [...new Set([...context.available.values()].flatMap(serverPids)), worker(context, 0).pid];
  const placement = await pinForLatency(context, pids);
  const durableWrites: DurableWriteMeasurement[] = [];
  try {
    await measureW1(context, systems, runs, blockMs, blockPairs, durableWrites);
  } finally {
    if (placement !== 'unpinned') await pinProcesses(pids, allCpus());
  }
  const w1: W1Results = { maxPairs: w1Sizes.maxPairs, maxMs: w1Sizes.maxMs, blocks: w1Sizes.blocks, placement, systems: {} };
  for (const [system, list] of runs) {
    if (list.length === 0) continue;
    w1.systems[system] = {
      pairMedianUs: summarize(list.map((run) => run.pair.median)),
      pairP99Us: summarize(list.map((run) => run.pair.p99)),
      acquireMedianUs: summarize(list.map((run) => run.acquire.median)),
      pairsPerRun: summarize(list.map((run) => run.pair.count)),
    };
  }
  if (durableWrites.length > 0) {
    w1.durableWrite = {
      samples: durableWrites[0]!.samples,
      medianMs: summarize(durableWrites.map((write) => write.medianMs)),
      minimumMs: summarize(durableWrites.map((write) => write.minimumMs)),
      maximumMs: summarize(durableWrites.map((write) => write.maximumMs)),
      twoFsyncsUs: summarize(durableWrites.map((write) => 2 * write.medianMs * 1000)),
    };
  }
  return w1;
}

/** Pin for a latency measurement as the options say; returns the placement to report. */
async function pinForLatency(context: Context, pids: (number | undefined)[]): Promise<string> {
  if (context.options.latencyPlacement === 'unpinned') return 'unpinned';
  const cpu = latencyCpu();
  if (await pinProcesses(pids, cpu)) return `one CPU (${cpu})`;
  context.log('could not pin processes to one CPU (taskset missing?): latency measured unpinned');
  return 'unpinned';
}

async function measureW1(
  context: Context,
  systems: string[],
  runs: Map<string, SequentialResult[]>,
  blockMs: number,
  blockPairs: number,
  durableWrites: DurableWriteMeasurement[],
): Promise<void> {
  const { sizes } = context.options;
  const w1Sizes = sizes.w1;
  const durable = systems.some((system) => (DURABLE_SYSTEMS as readonly string[]).includes(system));
  for (let repetition = 1; repetition <= sizes.repetitions; repetition++) {
    if (durable) {
      // The durable floor of this repetition, on the disk the logs are on, while no system is measured.
      const write = await attempt(context, 'W1', 'two-fsyncs', repetition, () => measureDurableWrite(join(context.temporaryDirectory, 'fsync-floor'), sizes.durableWriteSamples));
      if (write) {
        durableWrites.push(write);
        context.log(`W1 run ${repetition}/${sizes.repetitions} O_DSYNC append: median ${formatNumber(write.medianMs * 1000, 0)} µs (${formatNumber(write.minimumMs * 1000, 0)}–${formatNumber(write.maximumMs * 1000, 0)}, ${write.samples} samples): two fsyncs ${formatNumber(2 * write.medianMs * 1000, 0)} µs`);
      }
    }
    const jobs = new Map<string, PreparedJob<SequentialResult | undefined>>();
    try {
      for (const system of systems) {
        const { target } = context.available.get(system)!;
        const job = await attempt(context, 'W1', system, repetition, () =>
          worker(context, 0).prepare<SequentialResult | undefined>({ kind: 'sequential', target, resource: `w1-${system}`, ...w1Sizes }),
        );
        if (job) jobs.set(system, job);
      }
      for (let block = 0; block < w1Sizes.blocks; block++) {
        for (const system of rotation([...jobs.keys()], repetition + block)) {
          const done = await attempt(context, 'W1', system, repetition, async () => {
            await jobs.get(system)!.run({ action: 'block', ms: blockMs, maxPairs: blockPairs });
            return true;
          });
          if (!done) jobs.delete(system);
        }
      }
      for (const [system, job] of jobs) {
        const result = await attempt(context, 'W1', system, repetition, () => job.run({ action: 'result' }));
        if (!result) continue;
        runs.get(system)!.push(result);
        context.log(
          `W1 run ${repetition}/${sizes.repetitions} ${system.padEnd(10)} ${formatNumber(result.pair.median, 0).padStart(7)} µs per pair (p99 ${formatNumber(result.pair.p99, 0)}, ${result.pair.count} pairs)`,
        );
      }
    } finally {
      await Promise.allSettled([...jobs.values()].map((job) => job.dispose()));
    }
  }
}

// ---- W2 ----

/**
 * W2: per repetition and client-process variant, every system's clients
 * are connected (and warmed up) first; then `blocks` rounds of one block per
 * system, so that every system is measured across the same stretch of time.
 * A system's rate is its pairs over its blocks' time; its CPU per pair comes
 * from /proc (server) and process.cpuUsage (clients) over those blocks.
 */
async function runW2(context: Context): Promise<W2Results> {
  const { sizes } = context.options;
  const w2Sizes = sizes.w2;
  // The transaction probe is no lock: W1 only.
  const systems = [...context.available.keys()].filter((system) => !(PROBE_SYSTEMS as readonly string[]).includes(system));
  const variants = context.workers.length >= 2 ? [1, 2] : [1];
  const blockMs = w2Sizes.durationMs / w2Sizes.blocks;
  type Run = { pairsPerSecond: number; serverCpuUsPerPair?: number; clientCpuUsPerPair: number };
  type Tally = { pairs: number; rate: number; blocks: number; clientCpuUs: number; serverCpuUs: number | undefined };
  const runs = new Map<string, Run[]>();
  for (let repetition = 1; repetition <= sizes.repetitions; repetition++) {
    for (const processes of variants) {
      const label = `W2 ${processes}p`;
      const perProcess = Math.floor(w2Sizes.clients / processes);
      const jobs = new Map<string, PreparedJob<ThroughputResult>[]>();
      const tallies = new Map<string, Tally>();
      try {
        for (const system of systems) {
          const { target } = context.available.get(system)!;
          const prepared = await Promise.allSettled(
            Array.from({ length: processes }, (_unused, index) =>
              worker(context, index).prepare<ThroughputResult>({
                kind: 'throughput', target, clients: perProcess, resourcePrefix: `w2-${system}-${repetition}-${processes}p${index}-`,
                warmupMs: w2Sizes.warmupMs, durationMs: blockMs,
              }),
            ),
          );
          const ready = prepared.flatMap((settled) => (settled.status === 'fulfilled' ? [settled.value] : []));
          const failed = prepared.find((settled) => settled.status === 'rejected');
          if (failed) {
            await Promise.allSettled(ready.map((job) => job.dispose()));
            const reason: unknown = failed.reason;
            await attempt(context, label, system, repetition, () => Promise.reject(reason instanceof Error ? reason : new Error(messageOf(reason))));
            continue;
          }
          jobs.set(system, ready);
          tallies.set(system, { pairs: 0, rate: 0, blocks: 0, clientCpuUs: 0, serverCpuUs: 0 });
        }
        for (let block = 0; block < w2Sizes.blocks; block++) {
          for (const system of rotation([...jobs.keys()], repetition + block)) {
            const entry = context.available.get(system)!;
            const tally = tallies.get(system)!;
            const done = await attempt(context, label, system, repetition, async () => {
              const cpuBefore = systemCpuUs(entry);
              const results = await Promise.all(jobs.get(system)!.map((job) => job.run({ action: 'block', ms: blockMs })));
              const cpuAfter = systemCpuUs(entry);
              for (const result of results) {
                tally.pairs += result.pairs;
                tally.clientCpuUs += result.clientCpuUs;
              }
              // Each process's pairs over its own elapsed time, summed: the processes ran side by side.
              tally.rate += results.reduce((sum, result) => sum + (result.pairs * 1000) / result.elapsedMs, 0);
              tally.blocks += 1;
              tally.serverCpuUs = cpuBefore === undefined || cpuAfter === undefined || tally.serverCpuUs === undefined ? undefined : tally.serverCpuUs + cpuAfter - cpuBefore;
              return true;
            });
            if (!done) {
              await Promise.allSettled(jobs.get(system)!.map((job) => job.dispose()));
              jobs.delete(system);
              tallies.delete(system);
            }
          }
        }
      } finally {
        await Promise.allSettled([...jobs.values()].flat().map((job) => job.dispose()));
      }
      for (const [system, tally] of tallies) {
        if (tally.blocks === 0 || tally.pairs === 0) continue;
        const run: Run = { pairsPerSecond: tally.rate / tally.blocks, clientCpuUsPerPair: tally.clientCpuUs / tally.pairs };
        if (tally.serverCpuUs !== undefined) run.serverCpuUsPerPair = tally.serverCpuUs / tally.pairs;
        const key = `${processes}:${system}`;
        if (!runs.has(key)) runs.set(key, []);
        runs.get(key)!.push(run);
        const cpu = run.serverCpuUsPerPair === undefined ? '' : `, server ${formatNumber(run.serverCpuUsPerPair, 1)} µs CPU/pair`;
        context.log(`W2 run ${repetition}/${sizes.repetitions} ${system.padEnd(10)} ${processes} process${processes > 1 ? 'es' : ''}: ${formatNumber(run.pairsPerSecond, 0).padStart(8)} pairs/s (client ${formatNumber(run.clientCpuUsPerPair, 1)} µs CPU/pair${cpu})`);
      }
    }
  }
  const w2: W2Results = { clients: w2Sizes.clients, durationMs: w2Sizes.durationMs, blocks: w2Sizes.blocks, variants: [] };
  for (const processes of variants) {
    const variant = { processes, clientsPerProcess: Math.floor(w2Sizes.clients / processes), systems: {} as W2Results['variants'][number]['systems'] };
    for (const system of systems) {
      const list = runs.get(`${processes}:${system}`);
      if (!list || list.length === 0) continue;
      const serverCpu = list.map((run) => run.serverCpuUsPerPair).filter((value): value is number => value !== undefined);
      variant.systems[system] = {
        pairsPerSecond: summarize(list.map((run) => run.pairsPerSecond)),
        clientCpuUsPerPair: summarize(list.map((run) => run.clientCpuUsPerPair)),
        ...(serverCpu.length === list.length ? { serverCpuUsPerPair: summarize(serverCpu) } : {}),
      };
    }
    w2.variants.push(variant);
  }
  return w2;
}

// ---- W3 ----

async function runW3(context: Context): Promise<W3Results> {
  const { sizes, redisRetryMs } = context.options;
  const entries: { system: string; target: SystemTarget; retryDelayMs?: number; retryJitterMs?: number }[] = [];
  // The replicated locks that wait (Baton's group, etcd's FIFO recipe) hand over too, and their counter is the mutual exclusion check.
  for (const system of ['baton-tcp', 'baton-zmq', 'baton-ws', ...REPLICATED_WAITING_SYSTEMS]) {
    const available = context.available.get(system);
    if (available) entries.push({ system, target: available.target });
  }
  const redis = context.available.get('redis');
  if (redis && redis.target.kind === 'redis') {
    for (const delay of redisRetryMs) {
      // node-redlock's default jitter is half its default delay (200 ± 100 ms): the same ratio for every delay.
      const jitter = Math.floor(delay / 2);
      entries.push({ system: redisRetrySystem(delay), target: { ...redis.target, retryDelayMs: delay, retryJitterMs: jitter }, retryDelayMs: delay, retryJitterMs: jitter });
    }
  }
  type Run = HandoffResult & { counter: number };
  const runs = new Map<string, Run[]>(entries.map((entry) => [entry.system, []]));
  for (let repetition = 1; repetition <= sizes.repetitions; repetition++) {
    for (const entry of rotation(entries.map((item) => item.system), repetition).map((system) => entries.find((item) => item.system === system)!)) {
      const counterFile = join(context.temporaryDirectory, `counter-${entry.system}-${repetition}.txt`);
      writeFileSync(counterFile, '0');
      const run = await attempt(context, 'W3', entry.system, repetition, async () => {
        const job = await worker(context, 0).prepare<HandoffResult>({
          kind: 'handoff', target: entry.target, clients: sizes.w3.clients, resource: `w3-${entry.system}-${repetition}`, counterFile, warmupMs: sizes.w3.warmupMs, durationMs: sizes.w3.durationMs,
        });
        try {
          const result = await job.run();
          return { ...result, counter: readCounter(counterFile).value };
        } finally {
          await job.dispose();
        }
      });
      if (!run) continue;
      runs.get(entry.system)!.push(run);
      const total = run.acquisitionsPerClient.reduce((sum, count) => sum + count, 0);
      const fairness = computeFairness(run.waitsMs, run.acquisitionsPerClient);
      context.log(
        `W3 run ${repetition}/${sizes.repetitions} ${entry.system.padEnd(18)} ${formatNumber((run.handoffs * 1000) / run.elapsedMs, 0).padStart(6)} hand-offs/s (${formatNumber((total * 1000) / run.elapsedMs, 0)} acquisitions/s), max/median wait ${formatNumber(fairness.maxOverMedianWait, 2)}, ` +
          `acquisitions per client ${fairness.minAcquisitions}–${fairness.maxAcquisitions}, hold mean ${formatNumber(run.meanHoldMs, 3)} max ${formatNumber(run.maxHoldMs, 1)} ms, counter ${run.counter}/${total + run.warmupAcquisitions}${run.counter === total + run.warmupAcquisitions ? '' : ' MISMATCH'}`,
      );
    }
  }
  const w3: W3Results = { clients: sizes.w3.clients, warmupMs: sizes.w3.warmupMs, durationMs: sizes.w3.durationMs, systems: {} };
  for (const entry of entries) {
    const list = runs.get(entry.system)!;
    if (list.length === 0) continue;
    const fairness = list.map((run) => computeFairness(run.waitsMs, run.acquisitionsPerClient));
    w3.systems[entry.system] = {
      handoffsPerSecond: summarize(list.map((run) => (run.handoffs * 1000) / run.elapsedMs)),
      acquisitionsPerSecond: summarize(list.map((run) => (run.acquisitionsPerClient.reduce((sum, count) => sum + count, 0) * 1000) / run.elapsedMs)),
      maxOverMedianWait: summarize(fairness.map((item) => item.maxOverMedianWait)),
      medianWaitMs: summarize(fairness.map((item) => item.medianWaitMs)),
      maxWaitMs: summarize(fairness.map((item) => item.maxWaitMs)),
      meanHoldMs: summarize(list.map((run) => run.meanHoldMs)),
      maxHoldMs: summarize(list.map((run) => run.maxHoldMs)),
      minAcquisitions: fairness.map((item) => item.minAcquisitions),
      maxAcquisitions: fairness.map((item) => item.maxAcquisitions),
      equalShare: fairness.map((item) => item.equalShare),
      withinOneOfEqualShare: fairness.every((item) => item.withinOneOfEqualShare),
      counterCorrect: list.every((run) => run.counter === run.warmupAcquisitions + run.acquisitionsPerClient.reduce((sum, count) => sum + count, 0)),
      ...(entry.retryDelayMs === undefined ? {} : { retryDelayMs: entry.retryDelayMs, retryJitterMs: entry.retryJitterMs }),
    };
  }
  return w3;
}

// ---- failover ----

/**
 * Failover of the Baton group: `kills` times, SIGKILL the leader and time,
 * from the kill, (1) the next leader's `Leading the group as` line and (2)
 * the first grant by it: a fresh client (the real SDK) connects to the
 * address that line names and acquires a fresh resource. The killed member
 * is started again (it follows) before the next kill, so every kill meets a
 * group of three. No other client runs meanwhile.
 */
async function runFailover(context: Context): Promise<FailoverResults | undefined> {
  const group = context.group!;
  const kills = context.options.sizes.failover.kills;
  const runs: FailoverRun[] = [];
  // A kill that finds no next leader (or no grant) is a failed measurement; the kills before it are kept.
  await attempt(context, 'failover', 'baton-group-tcp', 0, async () => {
    for (let kill = 1; kill <= kills; kill++) await killOnce(context, kill, runs);
  });
  if (runs.length === 0) return undefined;
  // Later clients (none now) would go to the current leader.
  const leader = await group.leader().catch(() => undefined);
  const entry = context.available.get('baton-group-tcp');
  if (leader && entry && entry.target.kind === 'baton') entry.target = { ...entry.target, url: leader.url };
  return {
    system: 'baton-group-tcp',
    kills: runs.length,
    electionLeaseSeconds: GROUP_ELECTION_LEASE_SECONDS,
    firstGrantMs: summarize(runs.map((run) => run.firstGrantMs)),
    electedMs: summarize(runs.map((run) => run.electedMs)),
    runs,
  };
}

/** One kill of the leader, timed (see runFailover); the killed member is started again after. */
async function killOnce(context: Context, kill: number, runs: FailoverRun[]): Promise<void> {
  const group = context.group!;
  const kills = context.options.sizes.failover.kills;
  const before = await group.leader();
  // The leader serves before it is killed: one grant by it first.
  await grantOnce(group, before.index, `failover-before-${kill}`, 15_000);
  const { killedAt, index } = await group.killLeader();
  const next = await group.nextLeader(30_000, index).catch((error: unknown) => {
    throw new Error(`kill ${kill}: ${messageOf(error)}`, { cause: error });
  });
  const electedMs = performance.now() - killedAt;
  const grantedAt = await grantOnce(group, next, `failover-${kill}`, 30_000);
  const run: FailoverRun = { kill, from: before.url, to: group.urls[next]!, electedMs, firstGrantMs: grantedAt - killedAt };
  runs.push(run);
  context.log(`failover ${kill}/${kills}: killed ${run.from}; ${run.to} leads after ${formatNumber(electedMs, 0)} ms and grants after ${formatNumber(run.firstGrantMs, 0)} ms`);
  await group.restart(index);
}

/**
 * Connect to member `index` of the group, acquire `resource` and release it;
 * resolves with the moment the grant arrived. A member that answers
 * NOT_LEADER (it was deposed again meanwhile) or is not reachable yet is
 * asked again, the current leader first, until `timeoutMs`.
 */
async function grantOnce(group: BatonGroup, index: number, resource: string, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let url = group.urls[index]!;
  for (;;) {
    try {
      const client = await openBatonClient({ kind: 'baton', transport: 'tcp', url }, `failover-probe`);
      try {
        const lock = await client.acquire(resource);
        const grantedAt = performance.now();
        await lock.release();
        return grantedAt;
      } finally {
        await client.close().catch(() => undefined);
      }
    } catch (error) {
      if (performance.now() > deadline) throw new Error(`no grant by the group within ${timeoutMs} ms (last asked ${url}): ${messageOf(error)}`, { cause: error });
      // A short pause, then the leader as the group's output says it now.
      await new Promise((resolve) => setTimeout(resolve, 20));
      url = (await group.leader(Math.max(1, deadline - performance.now()))).url;
    }
  }
}

/** Stop the Baton group and the etcd cluster once no workload needs them (the final cleanup stops them too, whatever happens). */
async function stopReplicated(context: Context): Promise<void> {
  if (!context.cluster && !context.group) return;
  await context.group?.stop();
  await context.cluster?.stop();
  context.group = undefined;
  context.cluster = undefined;
  for (const system of REPLICATED_SYSTEMS) context.available.delete(system);
}

// ---- W4 ----

/** W5 on a fresh server of its own: the locks it loads would weigh on every other workload. */
async function runW5(context: Context): Promise<W5Results> {
  const size = context.options.sizes.w5;
  const server = await BatonServer.start({ cwd: context.temporaryDirectory, cpuProfileDirectory: context.options.profileDirectory });
  try {
    const result = await runMassExpiry({
      url: server.urls.tcp,
      sessions: size.sessions,
      locksPerSession: size.locksPerSession,
      leaseMs: size.leaseMs,
      baselinePairs: size.baselinePairs,
      concurrency: 50,
      log: context.log,
    });
    const baseline = summarizeLatencies(result.baselineMs);
    const duringExpiry = summarizeLatencies(result.duringExpiryMs);
    context.log(
      `W5 ${formatNumber(result.heldLocks, 0)} locks expired in ${formatNumber(result.expiryMs, 0)} ms: probe p99 ${formatNumber(duringExpiry.p99, 2)} ms (${formatNumber(baseline.p99, 2)} ms while held), longest gap ${formatNumber(result.longestGapMs, 1)} ms`,
    );
    return {
      system: 'baton-tcp',
      sessions: size.sessions,
      heldLocks: result.heldLocks,
      leaseMs: size.leaseMs,
      loadMs: result.loadMs,
      expiryMs: result.expiryMs,
      baseline,
      duringExpiry,
      longestGapMs: result.longestGapMs,
    };
  } finally {
    await server.stop();
  }
}

/** W6: recovery of a durable lock-server with many locks held (workloads/recovery.ts), after SIGKILL and after a clean stop. */
async function runW6(context: Context): Promise<W6Results> {
  const size = context.options.sizes.w6;
  const directory = context.temporaryDirectory;
  const empty = await emptyStartMs(directory);
  context.log(`W6 a durable lock-server with an empty data dir starts in ${formatNumber(empty, 0)} ms (spawn to listening)`);
  const runs: W6Results['runs'] = [];
  for (const locks of size.locks) runs.push(await runRecovery({ directory, locks, locksPerSession: size.locksPerSession, stop: 'SIGKILL', log: context.log }));
  runs.push(await runRecovery({ directory, locks: size.cleanStopLocks, locksPerSession: size.locksPerSession, stop: 'SIGTERM', log: context.log }));
  return { system: 'baton-durable-tcp', emptyStartMs: empty, runs };
}

async function runW4(context: Context): Promise<W4Results> {
  const { sizes } = context.options;
  const { log } = context;
  const size = sizes.w4;
  const memory: W4Results['memory'] = [];
  const sample = async (server: BatonServer, label: string): Promise<MemorySample> => {
    const value = await server.memory();
    memory.push({ label, ...value });
    return value;
  };
  const megabytes = (bytes: number | undefined) => (bytes === undefined ? '?' : `${formatNumber(bytes / 2 ** 20, 1)} MiB`);

  // Part 1: many locks held by a few sessions, on a fresh server with the memory probe.
  const server = await BatonServer.start({ cwd: context.temporaryDirectory, memoryProbe: true, cpuProfileDirectory: context.options.profileDirectory });
  const target: SystemTarget = { kind: 'baton', transport: 'tcp', url: server.urls.tcp };
  let probePlacement = 'unpinned';
  const probe = async (label: string) => {
    const pids = [server.process.pid, worker(context, 1).pid];
    probePlacement = await pinForLatency(context, pids);
    try {
      return await probeBlocks(label);
    } finally {
      if (probePlacement !== 'unpinned') await pinProcesses(pids, allCpus());
    }
  };
  const probeBlocks = async (label: string) => {
    const job = await worker(context, 1).prepare<SequentialResult>({
      kind: 'sequential', target, resource: `w4-probe-${label}`, warmupPairs: 500, warmupMs: 500, maxPairs: size.probePairs, maxMs: 5_000,
    });
    const blocks: SequentialResult[] = [];
    try {
      for (let block = 0; block < size.probeBlocks; block++) blocks.push(await job.run());
    } finally {
      await job.dispose();
    }
    return blocks;
  };
  let holders: PreparedJob<SessionsResult> | undefined;
  let small: SequentialResult[];
  let large: SequentialResult[];
  let smallMemory: MemorySample;
  let largeMemory: MemorySample;
  let acquireAllMs: number;
  try {
    await sample(server, 'started');
    const smallHeld = size.sessions * size.smallLocksPerSession;
    const heldLocks = size.sessions * size.locksPerSession;
    holders = await worker(context, 0).prepare<SessionsResult>({
      kind: 'sessions', target, sessions: size.sessions, locksPerSession: size.smallLocksPerSession, resourcePrefix: 'w4-', concurrency: 50,
    });
    // Memory first: its full GC leaves a settled heap, so the probe does not meet a GC cycle the growth started.
    smallMemory = await sample(server, `${smallHeld} locks held by ${size.sessions} sessions`);
    small = await probe('small');
    log(`W4 ${formatNumber(smallHeld, 0)} locks held: acquire ${formatNumber(small[0]!.acquire.median, 0)} µs median; server heap ${megabytes(smallMemory.heapUsedBytes)}, RSS ${megabytes(smallMemory.collectedRssBytes)}`);
    const growStart = performance.now();
    const grown = await holders.run({ action: 'grow', locksPerSession: size.locksPerSession });
    acquireAllMs = performance.now() - growStart;
    if (grown.held !== heldLocks) throw new Error(`expected ${heldLocks} held locks, the sessions hold ${grown.held}`);
    largeMemory = await sample(server, `${heldLocks} locks held by ${size.sessions} sessions`);
    large = await probe('large');
    const check = await holders.run({ action: 'count' });
    if (check.troubles > 0) throw new Error(`the lock holders saw ${check.troubles} trouble event(s): ${check.troubleSamples.join('; ')}`);
    log(`W4 ${formatNumber(heldLocks, 0)} locks held (took ${formatNumber(acquireAllMs / 1000, 1)} s to take): acquire ${formatNumber(large[0]!.acquire.median, 0)} µs median; server heap ${megabytes(largeMemory.heapUsedBytes)}, RSS ${megabytes(largeMemory.collectedRssBytes)}`);
  } finally {
    await holders?.dispose().catch(() => {});
    await server.stop();
  }

  // Part 2: many connected sessions, each holding one lock, on another fresh server.
  const sessionsServer = await BatonServer.start({ cwd: context.temporaryDirectory, memoryProbe: true });
  const sessionsTarget: SystemTarget = { kind: 'baton', transport: 'tcp', url: sessionsServer.urls.tcp };
  let connectSessionsMs: number;
  let troubles = 0;
  const troubleSamples: string[] = [];
  let before: MemorySample;
  let after: MemorySample;
  const jobs: PreparedJob<SessionsResult>[] = [];
  try {
    before = await sample(sessionsServer, 'fresh server');
    const halves = [Math.ceil(size.connectedSessions / 2), Math.floor(size.connectedSessions / 2)];
    const connectStart = performance.now();
    const prepared = await Promise.allSettled(
      halves.map((sessions, index) =>
        worker(context, index).prepare<SessionsResult>({
          kind: 'sessions', target: sessionsTarget, sessions, locksPerSession: 1, resourcePrefix: `w4-session-${index}-`, concurrency: 100,
        }),
      ),
    );
    for (const settled of prepared) if (settled.status === 'fulfilled') jobs.push(settled.value);
    const failed = prepared.find((settled) => settled.status === 'rejected');
    if (failed) throw (failed).reason;
    connectSessionsMs = performance.now() - connectStart;
    after = await sample(sessionsServer, `${size.connectedSessions} sessions, one lock each`);
    log(`W4 ${formatNumber(size.connectedSessions, 0)} sessions connected in ${formatNumber(connectSessionsMs / 1000, 1)} s; holding them ${size.holdMs} ms`);
    const held = await Promise.all(jobs.map((job) => job.run({ action: 'hold', ms: size.holdMs })));
    for (const result of held) {
      troubles += result.troubles;
      troubleSamples.push(...result.troubleSamples);
      if (result.held !== result.sessions) throw new Error(`expected ${result.sessions} held locks, found ${result.held}`);
    }
  } finally {
    await Promise.allSettled(jobs.map((job) => job.dispose()));
    await sessionsServer.stop();
  }

  const heldLocks = size.sessions * size.locksPerSession;
  const smallHeld = size.sessions * size.smallLocksPerSession;
  const added = heldLocks - smallHeld;
  const perLock = (field: 'heapUsedBytes' | 'collectedRssBytes') => ((largeMemory[field] ?? 0) - (smallMemory[field] ?? 0)) / added;
  const perSession = (field: 'heapUsedBytes' | 'collectedRssBytes') => ((after[field] ?? 0) - (before[field] ?? 0)) / size.connectedSessions;
  const result: W4Results = {
    system: 'baton-tcp',
    sessions: size.sessions,
    heldLocks,
    smallHeldLocks: smallHeld,
    connectedSessions: size.connectedSessions,
    probePlacement,
    acquireMedianUsSmall: summarize(small.map((block) => block.acquire.median)),
    acquireMedianUsLarge: summarize(large.map((block) => block.acquire.median)),
    acquireP99UsSmall: summarize(small.map((block) => block.acquire.p99)),
    acquireP99UsLarge: summarize(large.map((block) => block.acquire.p99)),
    heapBytesPerLock: perLock('heapUsedBytes'),
    rssBytesPerLock: perLock('collectedRssBytes'),
    heapBytesPerSession: perSession('heapUsedBytes'),
    rssBytesPerSession: perSession('collectedRssBytes'),
    acquireAllMs,
    connectSessionsMs,
    troubles,
    troubleSamples,
    memory,
  };
  log(
    `W4 memory per held lock: ${formatNumber(result.heapBytesPerLock, 0)} B heap, ${formatNumber(result.rssBytesPerLock, 0)} B RSS; ` +
      `per connected session: ${formatNumber(result.heapBytesPerSession, 0)} B heap, ${formatNumber(result.rssBytesPerSession, 0)} B RSS; trouble events: ${troubles}`,
  );
  return result;
}

