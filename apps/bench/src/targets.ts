/**
 * The targets, as ratios of numbers measured in the same run,
 * repetition by repetition, and the correctness checks that decide the exit
 * code. A target is met when the median ratio is on the right side of its
 * goal; the spread is reported beside it.
 */
import type { BenchResults, CorrectnessCheck, TargetDirection, TargetResult } from './results.js';
import type { Summary } from './statistics.js';
import { pairedRatios, summarize } from './statistics.js';
import { redisRetrySystem } from './systems/system-ids.js';

/** Issue 10: a probe client's acquire + release p99 while 1 M locks expire at once stays under this, ms. */
export const MASS_EXPIRY_P99_GOAL_MS = 50;

/**
 * Issue 11's named recovery bound: a durable lock-server killed with 100,000
 * locks held reads them back (its `recovered` line's `durationMs`) in under
 * this, ms. Measured 410–442 ms on the 2-vCPU development machine for the
 * worst case SNAPSHOT_EVERY_RECORDS allows (a snapshot plus 100k records to
 * replay); the bound leaves a slower disk or CPU four times that.
 */
export const RECOVERY_OF_100K_LOCKS_GOAL_MS = 2_000;

/** The held-lock count the recovery bound is stated for. */
export const RECOVERY_GOAL_LOCKS = 100_000;

function isMet(value: number, goal: number, direction: TargetDirection): boolean {
  return direction === 'at-most' ? value <= goal : value >= goal;
}

/** numerator.runs[i] / denominator.runs[i]; undefined when either is missing or their runs do not pair up. */
function ratio(numerator: Summary | undefined, denominator: Summary | undefined): Summary | undefined {
  if (!numerator || !denominator) return undefined;
  if (numerator.runs.length !== denominator.runs.length) return undefined;
  return pairedRatios(numerator.runs, denominator.runs);
}

/** Chart labels: the same targets in a few words. */
const SHORT_LABELS: Record<string, string> = {
  'w1-tcp-vs-raw': 'W1 tcp latency ÷ raw limit',
  'w1-tcp-vs-redis': 'W1 tcp latency ÷ Redis',
  'w1-zmq-vs-raw': 'W1 zmq latency ÷ raw limit',
  'w2-1p-tcp-vs-redis': 'W2 tcp pairs/s ÷ Redis (1 proc)',
  'w2-1p-tcp-vs-etcd': 'W2 tcp pairs/s ÷ etcd (1 proc)',
  'w2-1p-tcp-vs-raw': 'W2 tcp pairs/s ÷ raw limit (1 proc)',
  'w2-2p-tcp-vs-redis': 'W2 tcp pairs/s ÷ Redis (2 procs)',
  'w2-2p-tcp-vs-etcd': 'W2 tcp pairs/s ÷ etcd (2 procs)',
  'w2-2p-tcp-vs-raw': 'W2 tcp pairs/s ÷ raw limit (2 procs)',
  'w3-tcp-vs-redis-2ms': 'W3 hand-offs/s ÷ Redis 2 ms retry',
  'w3-tcp-vs-redis-200ms': 'W3 hand-offs/s ÷ Redis 200 ms retry',
  'w3-tcp-wait-spread': 'W3 max wait ÷ median wait',
  'w3-tcp-equal-share': 'W3 equal share ±1',
  'w4-latency': 'W4 acquire latency, many ÷ few held',
  'w4-memory': 'W4 memory per held lock',
  'w4-sessions': 'W4 sessions held without errors',
  'w5-p99': 'W5 probe p99 during mass expiry',
  'w6-recovery': 'W6 recovery of 100k locks after SIGKILL',
  'w1-durable-vs-fsync': 'W1 durable latency ÷ two fsyncs',
  'w1-durable-vs-redis-fsync': 'W1 durable latency ÷ Redis fsync',
  'w1-durable-vs-etcd': 'W1 durable latency ÷ etcd',
  'w2-1p-durable-vs-etcd': 'W2 durable pairs/s ÷ etcd (1 proc)',
  'w2-1p-durable-vs-redis-fsync': 'W2 durable pairs/s ÷ Redis fsync (1 proc)',
  'w2-2p-durable-vs-etcd': 'W2 durable pairs/s ÷ etcd (2 procs)',
  'w2-2p-durable-vs-redis-fsync': 'W2 durable pairs/s ÷ Redis fsync (2 procs)',
  'w1-group-vs-txn': 'W1 group latency ÷ two etcd txns',
  'w1-group-acquire-vs-txn': 'W1 group acquire ÷ one etcd txn',
  'w2-1p-group-vs-etcd-cluster': 'W2 group pairs/s ÷ etcd×3 lock (1 proc)',
  'w2-2p-group-vs-etcd-cluster': 'W2 group pairs/s ÷ etcd×3 lock (2 procs)',
};

/**
 * Issue 12: Baton's group, each state change committed in etcd before its
 * reply, within this factor of one etcd transaction's round trip per change.
 */
export const REPLICATED_TXN_GOAL = 1.3;

/** Issue 12: Baton's group in W2 at least this many times etcd's own lock on the same cluster. */
export const REPLICATED_W2_GOAL = 10;

/** The same per-repetition values times `factor`. */
function scaled(summary: Summary | undefined, factor: number): Summary | undefined {
  return summary ? summarize(summary.runs.map((value) => value * factor)) : undefined;
}

/** Issue 11: durable Baton's W1 pair within this factor of two O_DSYNC appends (its physical floor). */
export const DURABLE_FLOOR_GOAL = 1.3;

function target(
  id: string,
  workload: TargetResult['workload'],
  label: string,
  goal: number,
  direction: TargetDirection,
  measured: Summary | undefined,
  missing: string,
): TargetResult {
  const short = SHORT_LABELS[id] ?? label;
  if (!measured) return { id, workload, label, short, goal, direction, met: undefined, note: missing };
  return { id, workload, label, short, goal, direction, measured, met: isMet(measured.median, goal, direction) };
}

export function evaluateTargets(results: BenchResults): TargetResult[] {
  const targets: TargetResult[] = [];
  const notMeasured = (what: string) => `not measured: ${what} was skipped, failed or not selected`;

  const w1 = results.w1?.systems;
  if (results.w1) {
    targets.push(
      target('w1-tcp-vs-raw', 'W1', 'W1 tcp: Baton ÷ raw two-round-trip limit (µs per pair)', 1.25, 'at-most', ratio(w1?.['baton-tcp']?.pairMedianUs, w1?.['raw-tcp']?.pairMedianUs), notMeasured('baton-tcp or raw-tcp')),
      target('w1-tcp-vs-redis', 'W1', 'W1 tcp: Baton ÷ Redis (µs per pair)', 1.0, 'at-most', ratio(w1?.['baton-tcp']?.pairMedianUs, w1?.redis?.pairMedianUs), notMeasured('baton-tcp or redis')),
      target('w1-zmq-vs-raw', 'W1', 'W1 zmq: Baton ÷ raw two-round-trip limit (µs per pair)', 1.25, 'at-most', ratio(w1?.['baton-zmq']?.pairMedianUs, w1?.['raw-zmq']?.pairMedianUs), notMeasured('baton-zmq or raw-zmq')),
    );
    const durable = w1?.['baton-durable-tcp']?.pairMedianUs;
    if (durable || w1?.['redis-fsync'] || results.w1.durableWrite) {
      targets.push(
        target('w1-durable-vs-fsync', 'W1', 'W1 durable tcp: Baton ÷ two O_DSYNC appends, the durable floor (µs per pair)', DURABLE_FLOOR_GOAL, 'at-most', ratio(durable, results.w1.durableWrite?.twoFsyncsUs), notMeasured('baton-durable-tcp or the O_DSYNC floor')),
        target('w1-durable-vs-redis-fsync', 'W1', 'W1 durable tcp: Baton ÷ Redis with appendfsync always (µs per pair)', 1.0, 'at-most', ratio(durable, w1?.['redis-fsync']?.pairMedianUs), notMeasured('baton-durable-tcp or redis-fsync')),
        target('w1-durable-vs-etcd', 'W1', 'W1 durable tcp: Baton ÷ etcd (µs per pair)', 1.0, 'at-most', ratio(durable, w1?.etcd?.pairMedianUs), notMeasured('baton-durable-tcp or etcd')),
      );
    }
    const group = w1?.['baton-group-tcp'];
    const txn = w1?.['etcd-txn']?.pairMedianUs;
    if (group || txn) {
      targets.push(
        target('w1-group-vs-txn', 'W1', 'W1 group of 3 on etcd ×3: Baton’s acquire + release ÷ two etcd transactions, one per change (µs per pair)', REPLICATED_TXN_GOAL, 'at-most', ratio(group?.pairMedianUs, scaled(txn, 2)), notMeasured('baton-group-tcp or etcd-txn')),
        target('w1-group-acquire-vs-txn', 'W1', 'W1 group of 3 on etcd ×3: Baton’s acquire alone ÷ one etcd transaction (µs)', REPLICATED_TXN_GOAL, 'at-most', ratio(group?.acquireMedianUs, txn), notMeasured('baton-group-tcp or etcd-txn')),
      );
    }
  }

  for (const variant of results.w2?.variants ?? []) {
    const systems = variant.systems;
    const name = `${variant.processes} process${variant.processes > 1 ? 'es' : ''}`;
    const baton = systems['baton-tcp']?.pairsPerSecond;
    targets.push(
      target(`w2-${variant.processes}p-tcp-vs-redis`, 'W2', `W2 tcp, ${name}: Baton ÷ Redis (pairs/s)`, 1.25, 'at-least', ratio(baton, systems.redis?.pairsPerSecond), notMeasured('baton-tcp or redis')),
      target(`w2-${variant.processes}p-tcp-vs-etcd`, 'W2', `W2 tcp, ${name}: Baton ÷ etcd (pairs/s)`, 20, 'at-least', ratio(baton, systems.etcd?.pairsPerSecond), notMeasured('baton-tcp or etcd')),
      target(`w2-${variant.processes}p-tcp-vs-raw`, 'W2', `W2 tcp, ${name}: Baton ÷ raw echo limit (pairs/s)`, 0.8, 'at-least', ratio(baton, systems['raw-tcp']?.pairsPerSecond), notMeasured('baton-tcp or raw-tcp')),
    );
    const group = systems['baton-group-tcp']?.pairsPerSecond;
    if (group || systems['etcd-cluster']) {
      targets.push(
        target(`w2-${variant.processes}p-group-vs-etcd-cluster`, 'W2', `W2 group of 3 on etcd ×3, ${name}: Baton ÷ etcd3’s lock on the same cluster (pairs/s)`, REPLICATED_W2_GOAL, 'at-least', ratio(group, systems['etcd-cluster']?.pairsPerSecond), notMeasured('baton-group-tcp or etcd-cluster')),
      );
    }
    const durable = systems['baton-durable-tcp']?.pairsPerSecond;
    if (durable || systems['redis-fsync']) {
      targets.push(
        target(`w2-${variant.processes}p-durable-vs-etcd`, 'W2', `W2 durable tcp, ${name}: Baton ÷ etcd (pairs/s)`, 10, 'at-least', ratio(durable, systems.etcd?.pairsPerSecond), notMeasured('baton-durable-tcp or etcd')),
        target(`w2-${variant.processes}p-durable-vs-redis-fsync`, 'W2', `W2 durable tcp, ${name}: Baton ÷ Redis with appendfsync always (pairs/s)`, 1.5, 'at-least', ratio(durable, systems['redis-fsync']?.pairsPerSecond), notMeasured('baton-durable-tcp or redis-fsync')),
      );
    }
  }

  if (results.w3) {
    const systems = results.w3.systems;
    const baton = systems['baton-tcp'];
    targets.push(
      target('w3-tcp-vs-redis-2ms', 'W3', 'W3 tcp: Baton ÷ Redis retrying every 2 ms (hand-offs/s)', 1.0, 'at-least', ratio(baton?.handoffsPerSecond, systems[redisRetrySystem(2)]?.handoffsPerSecond), notMeasured('baton-tcp or Redis with a 2 ms retry')),
      target('w3-tcp-vs-redis-200ms', 'W3', 'W3 tcp: Baton ÷ Redis at node-redlock’s 200 ms retry (hand-offs/s)', 1.5, 'at-least', ratio(baton?.handoffsPerSecond, systems[redisRetrySystem(200)]?.handoffsPerSecond), notMeasured('baton-tcp or Redis with a 200 ms retry')),
      target('w3-tcp-wait-spread', 'W3', 'W3 tcp fairness: Baton max wait ÷ median wait', 3, 'at-most', baton?.maxOverMedianWait, notMeasured('baton-tcp')),
    );
    const share: TargetResult = { id: 'w3-tcp-equal-share', workload: 'W3', label: 'W3 tcp fairness: every client within ±1 acquisition of an equal share', short: SHORT_LABELS['w3-tcp-equal-share']!, goal: 1, direction: 'at-most', met: undefined };
    if (baton) {
      share.passed = baton.withinOneOfEqualShare;
      share.met = baton.withinOneOfEqualShare;
      share.note = baton.minAcquisitions.map((min, index) => `${min}–${baton.maxAcquisitions[index]} (share ${Math.round(baton.equalShare[index]! * 10) / 10})`).join('; ');
    } else share.note = notMeasured('baton-tcp');
    targets.push(share);
  }

  const w4 = results.w4;
  if (results.mode !== undefined && (w4 || results.errors.some((error) => error.workload === 'W4'))) {
    targets.push(
      target('w4-latency', 'W4', `W4: acquire latency with ${w4 ? w4.heldLocks.toLocaleString('en-US') : 'many'} ÷ with ${w4 ? w4.smallHeldLocks.toLocaleString('en-US') : 'few'} locks held`, 1.2, 'at-most', w4 ? ratio(w4.acquireMedianUsLarge, w4.acquireMedianUsSmall) : undefined, 'W4 failed'),
      target('w4-memory', 'W4', 'W4: server memory per held lock, bytes (RSS after a full GC)', 1024, 'at-most', w4 ? summarize([w4.rssBytesPerLock]) : undefined, 'W4 failed'),
    );
    const sessions: TargetResult = { id: 'w4-sessions', workload: 'W4', label: `W4: ${w4 ? w4.connectedSessions.toLocaleString('en-US') : 'many'} connected sessions held without errors`, short: SHORT_LABELS['w4-sessions']!, goal: 0, direction: 'at-most', met: false };
    if (w4) {
      sessions.passed = w4.troubles === 0;
      sessions.met = sessions.passed;
      sessions.measured = summarize([w4.troubles]);
      sessions.note = `${w4.troubles} trouble event(s)`;
    } else sessions.note = 'W4 failed';
    targets.push(sessions);
  }

  const w5 = results.w5;
  if (results.mode !== undefined && (w5 || results.errors.some((error) => error.workload === 'W5'))) {
    targets.push(
      target('w5-p99', 'W5', `W5: a probe's acquire + release p99 while ${w5 ? w5.heldLocks.toLocaleString('en-US') : 'many'} locks expire at once, ms`, MASS_EXPIRY_P99_GOAL_MS, 'at-most', w5 ? summarize([w5.duringExpiry.p99]) : undefined, 'W5 failed'),
    );
  }

  // Judged only where a run held the stated count: a --quick run's smaller W6 says nothing about it.
  const recoveries = (results.w6?.runs ?? []).filter((run) => run.stop === 'SIGKILL' && run.locks === RECOVERY_GOAL_LOCKS);
  if (recoveries.length > 0 || (results.w6 === undefined && results.errors.some((error) => error.workload === 'W6'))) {
    targets.push(
      target(
        'w6-recovery',
        'W6',
        `W6: recovery of ${RECOVERY_GOAL_LOCKS.toLocaleString('en-US')} held locks after SIGKILL, ms (the server's own time)`,
        RECOVERY_OF_100K_LOCKS_GOAL_MS,
        'at-most',
        recoveries.length > 0 ? summarize(recoveries.map((run) => run.recoveryMs)) : undefined,
        'W6 failed',
      ),
    );
  }
  return targets;
}

/** What must hold for the run to pass (exit code 0); performance targets never fail a run. */
export function evaluateChecks(results: BenchResults): CorrectnessCheck[] {
  const checks: CorrectnessCheck[] = [];
  checks.push({
    id: 'measurements',
    label: 'every measurement completed',
    ok: results.errors.length === 0,
    detail: results.errors.length === 0 ? 'no errors' : results.errors.map((error) => `${error.workload} ${error.system} run ${error.repetition}: ${error.message.split('\n')[0]}`).join('; '),
  });
  for (const [system, result] of Object.entries(results.w3?.systems ?? {})) {
    checks.push({
      id: `w3-counter-${system}`,
      label: `W3 ${system}: the shared counter equals the number of acquisitions`,
      ok: result.counterCorrect,
      detail: result.counterCorrect ? 'correct in every run' : 'MISMATCH: two holders at once',
    });
  }
  if (results.w4) {
    checks.push({
      id: 'w4-errors',
      label: `W4: ${results.w4.heldLocks.toLocaleString('en-US')} locks and ${results.w4.connectedSessions.toLocaleString('en-US')} sessions held without errors`,
      ok: results.w4.troubles === 0,
      detail: results.w4.troubles === 0 ? 'no trouble events' : results.w4.troubleSamples.join('; '),
    });
  }
  return checks;
}
