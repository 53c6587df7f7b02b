import { markdownTable } from 'markdown-table';
import type { BenchResults, TargetResult } from '../results.js';
import type { Summary } from '../statistics.js';
import { formatNumber, formatSummary, pairedRatios } from '../statistics.js';
import { DURABLE_SYSTEMS, PROBE_SYSTEMS, describeSystem, isReplicated, systemLabel } from '../systems/system-ids.js';

const ALIGN_FIRST_LEFT = (columns: number) => ['l', ...Array.from({ length: columns - 1 }, () => 'r')];

/** A GFM table; a `|` inside a cell is escaped so it cannot split the cell. */
export function table(rows: string[][]): string {
  const escaped = rows.map((row) => row.map((cell) => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ')));
  return markdownTable(escaped, { align: ALIGN_FIRST_LEFT(rows[0]!.length) });
}

/** The raw echo system whose wire a system uses: its own transport for Baton, tcp for the peers. */
export function rawCounterpart(system: string): string | undefined {
  const { family, transport } = describeSystem(system);
  if (family === 'raw') return undefined;
  return `raw-${transport ?? 'tcp'}`;
}

function pairedRatio(numerator: Summary | undefined, denominator: Summary | undefined): Summary | undefined {
  if (!numerator || !denominator || numerator.runs.length !== denominator.runs.length) return undefined;
  return pairedRatios(numerator.runs, denominator.runs);
}

function ratioText(summary: Summary | undefined): string {
  return summary ? `${formatSummary(summary, 2)}×` : '–';
}

/** Targets that are a quantity, not a ratio: their unit and the digits shown. */
const TARGET_UNITS: Record<string, { unit: string; digits: number }> = {
  'w4-memory': { unit: 'B', digits: 0 },
  'w5-p99': { unit: 'ms', digits: 1 },
  'w6-recovery': { unit: 'ms', digits: 0 },
};

/** The median of a target as shown: "1.23×", "856 B", "8.3 ms". */
export function medianText(target: TargetResult): string {
  const quantity = TARGET_UNITS[target.id];
  if (quantity) return `${formatNumber(target.measured!.median, quantity.digits)} ${quantity.unit}`;
  return `${formatNumber(target.measured!.median, 2)}×`;
}

/** "≤ 1.25×", "≥ 20×", "< 1,024 B". */
export function goalText(target: TargetResult): string {
  const sign = target.direction === 'at-most' ? '≤' : '≥';
  const quantity = TARGET_UNITS[target.id];
  if (quantity) return `< ${formatNumber(target.goal, 0)} ${quantity.unit}`;
  if (target.passed !== undefined) return target.id === 'w4-sessions' ? '0 errors' : '±1';
  return `${sign} ${formatNumber(target.goal, 2)}×`;
}

export function measuredText(target: TargetResult): string {
  if (target.id === 'w4-sessions') return target.note ?? '–';
  if (target.id === 'w3-tcp-equal-share') return target.note ?? '–';
  if (!target.measured) return target.note ?? '–';
  if (TARGET_UNITS[target.id]) return medianText(target);
  return `${formatSummary(target.measured, 2)}×`;
}

export function verdictText(target: TargetResult): string {
  if (target.met === undefined) return 'not measured';
  return target.met ? '**met**' : '**missed**';
}

/** The W1 row (and chart bar) of the durable floor. */
export const DURABLE_FLOOR_LABEL = 'two O_DSYNC appends (the durable floor)';

function isDurable(system: string): boolean {
  return (DURABLE_SYSTEMS as readonly string[]).includes(system);
}

/** Every table of a run, as Markdown (GFM). */
export function renderMarkdown(results: BenchResults): string {
  const lines: string[] = [];
  const machine = results.machine;
  const peers = Object.entries(machine.peers)
    .map(([name, version]) => `${name === 'redis' ? 'Redis' : name} ${version}`)
    .join(', ');
  lines.push(`# Baton benchmark, ${results.startedAt.replace(/\.\d+Z$/, 'Z')}`);
  lines.push('');
  lines.push(
    `${results.mode === 'quick' ? 'Quick run (`pnpm bench --quick`)' : 'Full run (`pnpm bench`)'}: ${results.repetitions} repetition${results.repetitions > 1 ? 's' : ''}, ` +
      `${formatNumber(results.durationMs / 1000, 0)} s. Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}` +
      `${peers ? `; ${peers}` : ''}. Every server ran on 127.0.0.1 in this run, each in its own process; clients ran in separate worker processes. ` +
      'Numbers are medians over the repetitions with (min–max) beside them; every ratio is taken repetition by repetition between numbers of the same run.',
  );
  lines.push('');
  const busy = machine.busyShareAtStart;
  if (busy !== undefined && busy > 0.2) {
    lines.push(`> Other programs kept ${Math.round(busy * 100)}% of the CPUs busy just before the run: absolute numbers are low and noisy; ratios within the run less so.`);
    lines.push('');
  }
  for (const entry of results.skipped) lines.push(`- **Skipped ${entry.system}**: ${entry.reason}`);
  if (results.skipped.length > 0) lines.push('');

  if (results.targets.length > 0) {
    lines.push('## Targets');
    lines.push('');
    lines.push(table([['target', 'goal', 'measured', 'verdict'], ...results.targets.map((target) => [target.label, goalText(target), measuredText(target), verdictText(target)])]));
    lines.push('');
  }

  if (results.w1) {
    const systems = results.w1.systems;
    lines.push(`## W1: one client, sequential acquire + release of one resource (µs per pair; up to ${formatNumber(results.w1.maxPairs, 0)} pairs or ${formatNumber(results.w1.maxMs / 1000, 1)} s per system and repetition, in ${results.w1.blocks} blocks interleaved with the other systems)`);
    lines.push('');
    const rows = [['system', 'median µs', 'p99 µs', 'acquire alone, median µs', '÷ raw limit of its wire']];
    const floor = results.w1.durableWrite;
    if (floor) rows[0]!.push('÷ two fsyncs');
    const txn = systems['etcd-txn']?.pairMedianUs;
    const twoTxns = txn ? { ...txn, runs: txn.runs.map((value) => value * 2) } : undefined;
    if (twoTxns) rows[0]!.push('÷ two etcd ×3 txns');
    for (const [system, result] of Object.entries(systems)) {
      const raw = rawCounterpart(system);
      const row = [
        systemLabel(system),
        formatSummary(result.pairMedianUs, 0),
        formatSummary(result.pairP99Us, 0),
        formatSummary(result.acquireMedianUs, 0),
        raw ? ratioText(pairedRatio(result.pairMedianUs, systems[raw]?.pairMedianUs)) : '1 (the limit)',
      ];
      if (floor) row.push(isDurable(system) ? ratioText(pairedRatio(result.pairMedianUs, floor.twoFsyncsUs)) : '–');
      if (twoTxns) row.push(isReplicated(system) && !(PROBE_SYSTEMS as readonly string[]).includes(system) ? ratioText(pairedRatio(result.pairMedianUs, twoTxns)) : system === 'etcd-txn' ? '0.5 (one txn)' : '–');
      rows.push(row);
    }
    if (floor) rows.push([DURABLE_FLOOR_LABEL, formatSummary(floor.twoFsyncsUs, 0), '–', formatSummary({ ...floor.medianMs, median: floor.medianMs.median * 1000, min: floor.medianMs.min * 1000, max: floor.medianMs.max * 1000 }, 0), '–', '1 (the durable limit)', ...(twoTxns ? ['–'] : [])]);
    lines.push(table(rows));
    lines.push('');
    if (floor) {
      lines.push(
        `Two fsyncs: in each repetition, ${formatNumber(floor.samples, 0)} small O_DSYNC appends to a file in the run's temp dir (the disk the logs are on), timed by \`measureDurableWrite\` of @baton/server the way the write-ahead log writes; its "acquire alone" column is one append (median ${formatNumber(floor.medianMs.median * 1000, 0)} µs; fastest ${formatNumber(floor.minimumMs.median * 1000, 0)} µs, slowest ${formatNumber(floor.maximumMs.median * 1000, 0)} µs, medians over the repetitions). ` +
          'A durable acquire + release is two state changes, each on disk before its reply, so no durable lock can pair faster: the durable systems (Baton with its write-ahead log, Redis with appendfsync always, etcd) are measured against it.',
      );
      lines.push('');
    }
    if (txn) {
      lines.push(
        'Replicated systems (Baton’s group of 3 coordinators, etcd3’s lock, etcd’s FIFO recipe) all run on one 3-member etcd cluster of this run. "One etcd ×3 transaction" is no lock: its acquire is ONE transaction on that cluster — a compare on a fence key’s create revision and on a new key’s absence, and a put of the new key, the transaction Baton’s group log commits per batch — and its release does nothing, so its row is one transaction’s round trip. ' +
          'An acquire + release is two state changes, each committed in etcd before its reply, so a replicated lock pairs no faster than two of them: the last column.',
      );
      lines.push('');
    }
    lines.push(
      results.w1.placement === 'unpinned'
        ? 'Processes ran where the scheduler put them.'
        : `The servers and the client process were pinned to ${results.w1.placement} during W1 (taskset), so a round trip costs its software path only: on a virtual machine a message that wakes another, idle vCPU pays the hypervisor's wake-up (about 50 µs per message here), and unpinned latencies jump between the two placements from minute to minute.`,
    );
    lines.push('');
  }

  if (results.w2) {
    const w2 = results.w2;
    lines.push(`## W2: ${w2.clients} clients on ${w2.clients} resources, acquire + release in a loop (pairs/s over ${formatNumber(w2.durationMs / 1000, 2)} s per system and repetition, in ${w2.blocks} blocks interleaved with the other systems)`);
    lines.push('');
    const header = ['system'];
    for (const variant of w2.variants) header.push(`${variant.processes} client process${variant.processes > 1 ? 'es' : ''}`, '÷ raw limit');
    header.push('server CPU µs per pair', 'client CPU µs per pair');
    const systems = [...new Set(w2.variants.flatMap((variant) => Object.keys(variant.systems)))];
    const rows = [header];
    for (const system of systems) {
      const row = [systemLabel(system)];
      for (const variant of w2.variants) {
        const result = variant.systems[system];
        const raw = rawCounterpart(system);
        row.push(result ? formatSummary(result.pairsPerSecond, 0) : '–');
        row.push(raw ? ratioText(pairedRatio(result?.pairsPerSecond, variant.systems[raw]?.pairsPerSecond)) : '1 (the limit)');
      }
      const first = w2.variants[0]?.systems[system];
      row.push(first?.serverCpuUsPerPair ? formatSummary(first.serverCpuUsPerPair, 1) : '–');
      row.push(first ? formatSummary(first.clientCpuUsPerPair, 1) : '–');
      rows.push(row);
    }
    lines.push(table(rows));
    lines.push('');
    lines.push('CPU columns: the first variant (one client process); server CPU from /proc/<pid>/stat, 10 ms resolution. For the replicated systems it is every process the system runs on together: the 3 etcd members, and for Baton’s group also its 3 lock-servers.');
    lines.push('');
  }

  if (results.w3) {
    const w3 = results.w3;
    lines.push(`## W3: ${w3.clients} clients on ONE resource, each holder increments a counter in a shared file (${formatNumber(w3.durationMs / 1000, 1)} s per repetition${w3.warmupMs ? `, after ${formatNumber(w3.warmupMs / 1000, 1)} s of warm-up that is not recorded` : ''})`);
    lines.push('');
    const rows = [['system', 'hand-offs/s (to another client)', 'acquisitions/s', 'max ÷ median wait', 'median / max wait ms', 'hold: mean / max ms', 'acquisitions per client, min–max (equal share)', 'counter']];
    for (const [system, result] of Object.entries(w3.systems)) {
      const label = result.retryDelayMs === undefined ? systemLabel(system) : `Redis, retry ${result.retryDelayMs} ± ${result.retryJitterMs} ms`;
      const shares = result.minAcquisitions.map((min, index) => `${min}–${result.maxAcquisitions[index]} (${formatNumber(result.equalShare[index]!, 1)})`);
      rows.push([
        label,
        formatSummary(result.handoffsPerSecond, 0),
        formatSummary(result.acquisitionsPerSecond, 0),
        formatSummary(result.maxOverMedianWait, 2),
        `${formatSummary(result.medianWaitMs, 2)} / ${formatSummary(result.maxWaitMs, 1)}`,
        `${formatSummary(result.meanHoldMs, 3)} / ${formatSummary(result.maxHoldMs, 1)}`,
        `${shares.join(', ')}${result.withinOneOfEqualShare ? '' : ' ✗'}`,
        result.counterCorrect ? 'correct' : '**MISMATCH**',
      ]);
    }
    lines.push(table(rows));
    lines.push('');
    lines.push('Hold: the holder’s work inside the lock (read the counter file, add one, write it back); a wait longer than the usual queue is mostly one slow hold (a file write that met a journal commit), which every waiter behind it shares.');
    lines.push('');
    lines.push('A hand-off is an acquisition by another client than the previous holder (the counter file records who wrote it last); a Redis client that takes the lock again right after releasing it, while the others sleep between retries, counts as an acquisition but hands nothing off.');
    lines.push('');
    lines.push('Redis waiters retry like node-redlock: `SET key token NX PX 10000`, and after a refusal wait the retry delay ± a uniform jitter of half of it (node-redlock’s defaults are 200 ± 100 ms), with no retry limit; release is the compare-and-delete Lua script. etcd’s lease lock (`etcd3`’s `lock()`) is not in W3: it does not wait (acquire fails when the key exists), so a waiter there would be the same polling loop; etcd’s FIFO recipe waits, in the order of its keys’ create revisions, and is in W3 on the 3-member cluster beside Baton’s group.');
    lines.push('');
  }

  if (results.w4) {
    const w4 = results.w4;
    lines.push(`## W4: scale (Baton over tcp)`);
    lines.push('');
    const heapPerLock = formatNumber(w4.heapBytesPerLock, 0);
    lines.push(
      table([
        ['measure', 'value'],
        [`acquire latency, ${formatNumber(w4.smallHeldLocks, 0)} locks held (median / p99 µs)`, `${formatSummary(w4.acquireMedianUsSmall, 0)} / ${formatSummary(w4.acquireP99UsSmall, 0)}`],
        [`acquire latency, ${formatNumber(w4.heldLocks, 0)} locks held by ${formatNumber(w4.sessions, 0)} sessions (median / p99 µs)`, `${formatSummary(w4.acquireMedianUsLarge, 0)} / ${formatSummary(w4.acquireP99UsLarge, 0)}`],
        ['server memory per held lock (RSS / V8 heap, after a full GC)', `${formatNumber(w4.rssBytesPerLock, 0)} B / ${heapPerLock} B`],
        [`time to take ${formatNumber(w4.heldLocks - w4.smallHeldLocks, 0)} locks (${formatNumber(w4.sessions, 0)} sessions at once)`, `${formatNumber(w4.acquireAllMs / 1000, 2)} s`],
        [`${formatNumber(w4.connectedSessions, 0)} connected sessions, one lock each: time to connect`, `${formatNumber(w4.connectSessionsMs / 1000, 2)} s`],
        ['server memory per connected session (RSS / V8 heap)', `${formatNumber(w4.rssBytesPerSession, 0)} B / ${formatNumber(w4.heapBytesPerSession, 0)} B`],
        ['trouble events (disconnects, lost locks, ended sessions)', String(w4.troubles)],
        ['placement of the server and the probe client during the latency probes', w4.probePlacement],
      ]),
    );
    lines.push('');
    lines.push(
      'Memory: a fresh lock-server is started with `--expose-gc` and a probe preloaded (`apps/bench/src/servers/memory-probe.ts`, not part of the server) that runs a full GC and reports `process.memoryUsage()` and VmRSS on request; per lock = the difference between the held-lock states divided by the locks added. The sessions part runs on another fresh server.',
    );
    lines.push('');
  }

  if (results.w5) {
    const w5 = results.w5;
    const latency = (summary: { median: number; p99: number; max: number; count: number }) =>
      `${formatNumber(summary.median, 2)} / ${formatNumber(summary.p99, 2)} / ${formatNumber(summary.max, 2)} (${formatNumber(summary.count, 0)} pairs)`;
    lines.push(`## W5: mass expiry (Baton over tcp)`);
    lines.push('');
    lines.push(
      table([
        ['measure', 'value'],
        [`probe acquire + release while ${formatNumber(w5.heldLocks, 0)} locks are held (median / p99 / max ms)`, latency(w5.baseline)],
        [`probe acquire + release while they all expire at once (median / p99 / max ms)`, latency(w5.duringExpiry)],
        ['p99 during the expiry ÷ p99 while held', `${formatNumber(w5.duringExpiry.p99 / w5.baseline.p99, 2)}×`],
        ['longest gap between two probe pairs during the expiry', `${formatNumber(w5.longestGapMs, 1)} ms`],
        [`time for the server to take back every lock (from the lease's end)`, `${formatNumber(w5.expiryMs, 0)} ms`],
        [`time to take the locks (${formatNumber(w5.sessions, 0)} sessions, pipelined)`, `${formatNumber(w5.loadMs / 1000, 2)} s`],
      ]),
    );
    lines.push('');
    lines.push(
      `The sessions renew their ${formatNumber(w5.leaseMs, 0)} ms lease at the same moment and then drop their connections, so every lock expires together one lease later; the server takes them back in slices of MAX_EXPIRIES_PER_TICK units of work and serves its sockets in between.`,
    );
    lines.push('');
  }

  if (results.w6) {
    const w6 = results.w6;
    lines.push('## W6: recovery of a durable lock-server with locks held (Baton over tcp, `--durability fsync`)');
    lines.push('');
    const rows = [['locks held (sessions)', 'stop', 'recovered: sessions / records', 'recovery ms (the `recovered` line)', 'spawn to listening ms', 'a held lock kept', 'time to take the locks s']];
    for (const run of w6.runs) {
      rows.push([
        `${formatNumber(run.locks, 0)} (${formatNumber(run.sessions, 0)})`,
        run.stop === 'SIGKILL' ? 'SIGKILL (log only)' : 'SIGTERM (clean: snapshot)',
        `${formatNumber(run.recoveredSessions, 0)} / ${formatNumber(run.records, 0)}${run.fromSnapshot ? ' + snapshot' : ''}`,
        formatNumber(run.recoveryMs, 0),
        formatNumber(run.spawnToStartedMs, 0),
        run.lockKept ? 'yes' : '**NO**',
        formatNumber(run.loadMs / 1000, 2),
      ]);
    }
    lines.push(table(rows));
    lines.push('');
    lines.push(
      `A lock-server with \`--durability fsync\` on a fresh data dir; the locks are taken over raw pipelined tcp connections (100 per session); the server is killed (SIGKILL) or stopped (SIGTERM, which writes a snapshot) and started again on the same data dir. Recovery ms is the server's own \`durationMs\` in its \`recovered\` log line; spawn to listening adds Node's start-up and binding (${formatNumber(w6.emptyStartMs, 0)} ms with an empty data dir). One run each.`,
    );
    lines.push('');
  }

  if (results.failover) {
    const failover = results.failover;
    lines.push(`## Failover: Baton’s group of 3 on etcd ×3, the leader killed (SIGKILL) ${failover.kills} times`);
    lines.push('');
    lines.push(
      table([
        ['measure', 'median (min–max) ms'],
        ['from the SIGKILL to the first grant by the next leader', formatSummary(failover.firstGrantMs, 0)],
        ['from the SIGKILL to the next leader’s `Leading the group` line', formatSummary(failover.electedMs, 0)],
      ]),
    );
    lines.push('');
    lines.push(
      `Election lease ${failover.electionLeaseSeconds} s (\`--election-lease-s\`): the killed leader’s etcd lease has to end before another member is elected, so a failover takes up to about a lease. The first grant: a fresh client (the real SDK) connects to the address the new leader printed and acquires a fresh resource; no other client runs meanwhile. The killed member is started again, as a follower, before the next kill. Every kill: ${failover.runs.map((run) => formatNumber(run.firstGrantMs, 0)).join(', ')} ms.`,
    );
    lines.push('');
  }

  if (results.checks.length > 0) {
    lines.push('## Correctness checks (these decide the exit code)');
    lines.push('');
    lines.push(table([['check', 'result', 'detail'], ...results.checks.map((check) => [check.label, check.ok ? 'ok' : '**FAILED**', check.detail])]));
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
