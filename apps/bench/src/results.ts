/**
 * The shape of `bench/results/<timestamp>.json`: everything one run
 * measured, so tables and charts can be drawn again from the file alone.
 * Times are microseconds (`Us`) or milliseconds (`Ms`) as named; every
 * {@link Summary} is the median and min–max over the run's repetitions.
 */
import type { LatencySummary, Summary } from './statistics.js';

export const RESULTS_FORMAT_VERSION = 1;

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  /** One-minute load average when the run started and ended (includes whatever ran just before, the benchmark's own build too). */
  loadAverageAtStart: number;
  loadAverageAtEnd?: number;
  /** Share of all CPUs busy during the half second before the run started (/proc/stat): other programs competing. */
  busyShareAtStart?: number;
  node: string;
  platform: string;
  /** Versions of the peers found, e.g. `redis: "7.0.15"`. */
  peers: Record<string, string>;
}

export interface SkippedSystem {
  system: string;
  reason: string;
}

/** A measurement that threw: the run's numbers for it are missing and the run fails. */
export interface MeasurementError {
  workload: string;
  system: string;
  repetition: number;
  message: string;
}

export interface W1SystemResult {
  pairMedianUs: Summary;
  pairP99Us: Summary;
  acquireMedianUs: Summary;
  pairsPerRun: Summary;
}

export interface W1Results {
  /** Per repetition and system, all blocks together. */
  maxPairs: number;
  maxMs: number;
  /** Each repetition measured every system in this many interleaved blocks. */
  blocks: number;
  /** Where the processes ran: "one CPU (3)" when the servers and the client were pinned together, or "unpinned". */
  placement: string;
  systems: Record<string, W1SystemResult>;
  /**
   * The durable floor, measured in each repetition (when a durable system
   * ran): one O_DSYNC append as the write-ahead log does it
   * (`measureDurableWrite`), and two of them in µs, an acquire + release's
   * floor on this disk.
   */
  durableWrite?: DurableWriteResult;
}

export interface DurableWriteResult {
  /** Appends timed per repetition. */
  samples: number;
  /** Per repetition: the median, fastest and slowest append, ms. */
  medianMs: Summary;
  minimumMs: Summary;
  maximumMs: Summary;
  /** 2 × the median append, µs: "two fsyncs", the durable systems' W1 baseline. */
  twoFsyncsUs: Summary;
}

export interface W2SystemResult {
  pairsPerSecond: Summary;
  /** Server CPU time per pair, microseconds (from /proc/<pid>/stat), when the server's pid is known. */
  serverCpuUsPerPair?: Summary;
  /** CPU time of the client process(es) per pair, microseconds. */
  clientCpuUsPerPair: Summary;
}

export interface W2Variant {
  processes: number;
  clientsPerProcess: number;
  systems: Record<string, W2SystemResult>;
}

export interface W2Results {
  clients: number;
  /** Per repetition and system, all blocks together. */
  durationMs: number;
  /** Each repetition measured every system in this many interleaved blocks. */
  blocks: number;
  variants: W2Variant[];
}

export interface W3SystemResult {
  /** Acquisitions by another client than the previous holder, per second. */
  handoffsPerSecond: Summary;
  /** Every acquisition, including a client taking the lock again right after itself. */
  acquisitionsPerSecond: Summary;
  maxOverMedianWait: Summary;
  medianWaitMs: Summary;
  maxWaitMs: Summary;
  /** The critical section itself (counter file read + write): mean and longest per run, ms. */
  meanHoldMs: Summary;
  maxHoldMs: Summary;
  /** Fewest / most acquisitions of one client and the equal share, per run. */
  minAcquisitions: number[];
  maxAcquisitions: number[];
  equalShare: number[];
  /** Every client within ±1 of the equal share, in every run. */
  withinOneOfEqualShare: boolean;
  /** The counter file ended at the number of acquisitions, in every run. */
  counterCorrect: boolean;
  /** Redis only: the wait between attempts and its jitter. */
  retryDelayMs?: number;
  retryJitterMs?: number;
}

export interface W3Results {
  clients: number;
  /** Run before anything is recorded; absent in results written before it existed. */
  warmupMs?: number;
  durationMs: number;
  systems: Record<string, W3SystemResult>;
}

export interface W4Results {
  system: string;
  sessions: number;
  heldLocks: number;
  smallHeldLocks: number;
  connectedSessions: number;
  /** Where the server and the probe ran during the latency probes (as W1's placement). */
  probePlacement: string;
  /** Acquire latency of a fresh resource, microseconds, with few and with many locks held. */
  acquireMedianUsSmall: Summary;
  acquireMedianUsLarge: Summary;
  acquireP99UsSmall: Summary;
  acquireP99UsLarge: Summary;
  /** (large − small) / (heldLocks − smallHeldLocks): bytes per additional held lock. */
  heapBytesPerLock: number;
  rssBytesPerLock: number;
  /** Server memory per connected session (each holding one lock), bytes. */
  rssBytesPerSession: number;
  heapBytesPerSession: number;
  /** How long it took to take every lock (all sessions at once), and to connect the sessions. */
  acquireAllMs: number;
  connectSessionsMs: number;
  /** SDK trouble events (disconnects, lost locks, ended sessions) seen while holding; 0 expected. */
  troubles: number;
  troubleSamples: string[];
  memory: { label: string; vmRssBytes: number; heapUsedBytes?: number; collectedRssBytes?: number }[];
}

/** W5: a mass expiry, and a probe client's acquire + release meanwhile (workloads/mass-expiry.ts). */
export interface W5Results {
  system: string;
  sessions: number;
  heldLocks: number;
  leaseMs: number;
  /** How long it took to take every lock. */
  loadMs: number;
  /** From the loaded sessions' lease end until the last of their locks was gone. */
  expiryMs: number;
  /** Probe acquire + release, milliseconds, while the locks were held (the baseline). */
  baseline: LatencySummary;
  /** The same, for pairs that started while the locks expired. */
  duringExpiry: LatencySummary;
  /** Longest time between two probe pairs' starts while the locks expired, ms. */
  longestGapMs: number;
}

/** W6: one recovery of a durable lock-server from its data dir (probes/recovery.ts). */
export interface RecoveryRun {
  /** Locks held when the server stopped, and by how many sessions. */
  locks: number;
  sessions: number;
  /** How the first server stopped: SIGKILL (the log only) or SIGTERM (a clean stop, which writes a snapshot). */
  stop: 'SIGKILL' | 'SIGTERM';
  /** Time to take the locks on the first server (pipelined raw tcp). */
  loadMs: number;
  /** The `recovered` log line of the restarted server. */
  recoveredSessions: number;
  records: number;
  fromSnapshot: boolean;
  /** The server's own time to read the snapshot and log back into memory, ms. */
  recoveryMs: number;
  /** From spawning the restarted server to its `Lock Server started on` line, ms (Node's own start included). */
  spawnToStartedMs: number;
  /** A held lock was still held after the restart (checked with a status query). */
  lockKept: boolean;
}

export interface W6Results {
  system: string;
  /** Spawn to `Lock Server started on` with an empty data dir: the start-up cost without anything to recover. */
  emptyStartMs: number;
  runs: RecoveryRun[];
}

/** One SIGKILL of the Baton group's leader. */
export interface FailoverRun {
  kill: number;
  /** The killed leader's and the next leader's addresses. */
  from: string;
  to: string;
  /** From the SIGKILL to the next leader's `Leading the group as` line, ms. */
  electedMs: number;
  /** From the SIGKILL to the first grant by the next leader (a fresh client's acquire resolving), ms. */
  firstGrantMs: number;
}

/** Failover of the Baton group (issue 12): SIGKILL of the leader, `kills` times, each timed to the first grant by the next leader. */
export interface FailoverResults {
  system: string;
  kills: number;
  electionLeaseSeconds: number;
  /** Over the kills: median, min, max. */
  firstGrantMs: Summary;
  electedMs: Summary;
  runs: FailoverRun[];
}

export type TargetDirection = 'at-most' | 'at-least';

export interface TargetResult {
  id: string;
  workload: 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6' | 'failover';
  /** What is compared, e.g. "W1 tcp: Baton / raw echo (µs per pair)". */
  label: string;
  /** The same, short enough for the chart. */
  short: string;
  goal: number;
  direction: TargetDirection;
  /** The measured ratio (or value); undefined when a system it needs was skipped or failed. */
  measured?: Summary;
  /** For yes/no targets (fairness ±1, 10k sessions without errors). */
  passed?: boolean;
  met: boolean | undefined;
  note?: string;
}

export interface CorrectnessCheck {
  id: string;
  label: string;
  ok: boolean;
  detail: string;
}

export interface BenchResults {
  format: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  mode: 'quick' | 'full';
  repetitions: number;
  command: string;
  machine: MachineInfo;
  skipped: SkippedSystem[];
  errors: MeasurementError[];
  w1?: W1Results;
  w2?: W2Results;
  w3?: W3Results;
  w4?: W4Results;
  w5?: W5Results;
  w6?: W6Results;
  failover?: FailoverResults;
  targets: TargetResult[];
  checks: CorrectnessCheck[];
}
