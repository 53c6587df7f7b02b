/**
 * What the orchestrator asks a worker process to do, and what comes back.
 * Plain data: it travels over the IPC channel.
 *
 * Every task has two steps, so that several workers can be made ready first
 * and then started together: `prepare` connects the clients (and warms them
 * up), `run` measures. A worker never sleeps to synchronise; it answers.
 */
import type { LatencySummary } from '../statistics.js';
import type { SystemTarget } from '../systems/system-target.js';

/** W1: one client, sequential acquire + release of one resource. */
export interface SequentialTask {
  kind: 'sequential';
  target: SystemTarget;
  resource: string;
  warmupPairs: number;
  warmupMs: number;
  /** Stop after this many measured pairs or this long, whichever comes first. */
  maxPairs: number;
  maxMs: number;
}

export interface SequentialResult {
  /** Acquire + release, microseconds. */
  pair: LatencySummary;
  /** Acquire alone, microseconds. */
  acquire: LatencySummary;
}

/** W2: many clients, each on its own resource, as fast as they can. */
export interface ThroughputTask {
  kind: 'throughput';
  target: SystemTarget;
  clients: number;
  /** Client i uses `${resourcePrefix}${i}`. */
  resourcePrefix: string;
  warmupMs: number;
  durationMs: number;
}

export interface ThroughputResult {
  pairs: number;
  elapsedMs: number;
  /** CPU time this worker used while measuring, microseconds. */
  clientCpuUs: number;
}

/** W3: many clients on one resource; the holder increments a counter in a shared file. */
export interface HandoffTask {
  kind: 'handoff';
  target: SystemTarget;
  clients: number;
  resource: string;
  counterFile: string;
  /** Run this long first without recording anything. */
  warmupMs: number;
  durationMs: number;
}

/** W3's measurements cover the requests made after the warm-up; only the counter check also counts the warm-up's. */
export interface HandoffResult {
  acquisitionsPerClient: number[];
  /** Acquisitions during the warm-up, all clients together: the counter file counts them too. */
  warmupAcquisitions: number;
  /** Acquisitions by another client than the previous holder. */
  handoffs: number;
  /** Every wait, from asking to holding, milliseconds. */
  waitsMs: number[];
  /** The holder's work (read, increment, write the counter file): mean and longest, milliseconds. */
  meanHoldMs: number;
  maxHoldMs: number;
  elapsedMs: number;
}

/** W4: sessions that hold many locks at once (Baton only). */
export interface SessionsTask {
  kind: 'sessions';
  target: SystemTarget;
  sessions: number;
  locksPerSession: number;
  /** Session s holds `${resourcePrefix}${s}-${k}`. */
  resourcePrefix: string;
  /** How many sessions connect (and acquire) at the same time. */
  concurrency: number;
}

/**
 * What `run` does, when a job takes more than "measure once". W1 and W2
 * measure in blocks: the orchestrator runs one block of every system in
 * turn, so every system samples the same minutes of the machine, and then
 * asks each sequential job for the `result` of all its blocks. W4's sessions
 * `grow` their locks, `hold` them for a while, or just `count` trouble.
 */
export type JobCommand =
  | { action: 'block'; ms: number; maxPairs?: number }
  | { action: 'result' }
  | { action: 'grow'; locksPerSession: number }
  | { action: 'hold'; ms: number }
  | { action: 'count' };


export interface SessionsResult {
  sessions: number;
  held: number;
  /** SDK events that mean trouble (dropped connection, lost lock, session ended), since the start. */
  troubles: number;
  troubleSamples: string[];
  elapsedMs: number;
}

export type Task = SequentialTask | ThroughputTask | HandoffTask | SessionsTask;

export type WorkerRequest =
  | { id: number; type: 'prepare'; job: number; task: Task }
  | { id: number; type: 'run'; job: number; command?: JobCommand }
  | { id: number; type: 'dispose'; job: number };

export type WorkerReply =
  | { id: number; type: 'ok'; result?: unknown }
  | { id: number; type: 'error'; message: string };
