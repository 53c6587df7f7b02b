/**
 * W5, mass expiry (issue 10): `sessions` × `locksPerSession` locks (1 M in
 * the full run) are taken over raw tcp connections, every session renews its
 * lease at the same moment, and every connection is dropped at once, so all
 * the locks expire together one lease later. Meanwhile a probe client does
 * acquire + release on a resource of its own, one pair after another; its
 * latency during the expiry is compared with its latency while the same
 * locks are simply held (the baseline, same server, same run).
 *
 * Before the machine sliced its expiry work (MAX_EXPIRIES_PER_TICK), the
 * expiry of 1.3 M locks stalled the event loop for 22 s and an honest client
 * lost its session. The target: the probe's p99 during the expiry stays
 * under 50 ms.
 *
 * The loader speaks the wire protocol itself (docs/protocol.md): one `hello`
 * and `locksPerSession` pipelined `acquire`s per connection, counting
 * `granted` replies, because 1 M SDK calls would measure the SDK.
 */
import { connect as connectSocket, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect } from '@baton/client';
import { tcpTransport } from '@baton/transport-tcp';

export interface MassExpiryOptions {
  /** tcp://host:port of the server. */
  url: string;
  sessions: number;
  locksPerSession: number;
  /** Lease of the loaded sessions: the expiry comes this long after the drop. */
  leaseMs: number;
  /** Probe pairs measured while the locks are held, before the drop. */
  baselinePairs: number;
  /** Connections loading at once. */
  concurrency: number;
  /** Resource names are `<prefix><session>-<lock>` (default `w5-`). */
  resourcePrefix?: string;
  log?: (line: string) => void;
}

export interface MassExpiryResult {
  heldLocks: number;
  loadMs: number;
  /** From the first probe pair that saw the expiry begin until the last loaded session was gone. */
  expiryMs: number;
  /** Probe acquire + release, ms, while the locks were held. */
  baselineMs: number[];
  /** Probe acquire + release, ms, for pairs that started between the lease's end and the last lock's expiry. */
  duringExpiryMs: number[];
  /** Longest gap between two probe pairs' starts during the expiry window, ms (an event-loop stall shows here). */
  longestGapMs: number;
}

export interface Loader {
  socket: Socket;
  granted: number;
  resources: string[];
}

/** Open one loading session and take its locks; resolves when every acquire was granted. */
function load(url: URL, index: number, options: Omit<MassExpiryOptions, 'baselinePairs'>): Promise<Loader> {
  return new Promise((resolve, reject) => {
    const socket = connectSocket(Number(url.port), url.hostname);
    const resources = Array.from({ length: options.locksPerSession }, (_, lock) => `${options.resourcePrefix ?? 'w5-'}${index}-${lock}`);
    const loader: Loader = { socket, granted: 0, resources };
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('connect', () => {
      const lines = [JSON.stringify({ op: 'hello', v: 1, client: `w5-loader-${index}`, leaseMs: options.leaseMs })];
      resources.forEach((resource, lock) => lines.push(JSON.stringify({ op: 'acquire', id: lock, resource })));
      socket.write(`${lines.join('\n')}\n`);
    });
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const message = JSON.parse(line) as { op: string; code?: string; message?: string };
        if (message.op === 'granted') {
          if (++loader.granted === options.locksPerSession) {
            socket.removeAllListeners('error');
            socket.on('error', () => {});
            resolve(loader);
          }
        } else if (message.op === 'error') {
          reject(new Error(`loader ${index}: ${message.code}: ${message.message}`));
        }
      }
    });
  });
}

/** Open `sessions` raw tcp sessions, `concurrency` at a time, each holding `locksPerSession` locks (pipelined acquires). */
export async function loadAll(options: Omit<MassExpiryOptions, 'baselinePairs'>): Promise<Loader[]> {
  const url = new URL(options.url);
  const loaders: Loader[] = [];
  let next = 0;
  const lane = async () => {
    while (next < options.sessions) loaders.push(await load(url, next++, options));
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.sessions) }, lane));
  return loaders;
}

/** Run W5 once on a fresh server (the caller starts and stops it). */
export async function runMassExpiry(options: MassExpiryOptions): Promise<MassExpiryResult> {
  const log = options.log ?? (() => {});
  const loadStart = performance.now();
  const loaders = await loadAll(options);
  const loadMs = performance.now() - loadStart;
  const heldLocks = loaders.reduce((sum, loader) => sum + loader.granted, 0);
  log(`W5 ${heldLocks.toLocaleString('en-US')} locks held by ${loaders.length} sessions (took ${(loadMs / 1000).toFixed(1)} s)`);

  const probe = await connect(options.url, { transport: [tcpTransport], client: 'w5-probe', leaseMs: 10_000 });
  try {
    const pair = async () => {
      const started = performance.now();
      const lock = await probe.acquire('w5-probe', { waitMs: 30_000 });
      await lock.release();
      return { started, ms: performance.now() - started };
    };
    for (let warm = 0; warm < 200; warm++) await pair();
    const baselineMs: number[] = [];
    for (let index = 0; index < options.baselinePairs; index++) baselineMs.push((await pair()).ms);

    // Every session renews now, then every connection is dropped: one lease from here, all expire together.
    for (const loader of loaders) loader.socket.write('{"op":"keepalive"}\n');
    await Promise.all(loaders.map((loader) => new Promise<void>((resolve) => loader.socket.end(resolve))));
    const dropped = performance.now();
    for (const loader of loaders) loader.socket.destroy();
    const leaseEnd = dropped + options.leaseMs;
    // The last session to renew ends last; its first lock is the sentinel.
    const sentinel = loaders[loaders.length - 1]!.resources[0]!;
    const samples: { started: number; ms: number }[] = [];
    let gone: number | undefined;
    let lastCheck = 0;
    const deadline = leaseEnd + 120_000;
    while (gone === undefined && performance.now() < deadline) {
      samples.push(await pair());
      if (performance.now() > leaseEnd && performance.now() - lastCheck > 20) {
        lastCheck = performance.now();
        const status = await probe.status(sentinel);
        if (status.resources.length === 0) gone = performance.now();
      }
    }
    if (gone === undefined) throw new Error('W5: the loaded locks did not expire within 120 s of their lease');
    const window = samples.filter((sample) => sample.started >= leaseEnd - 50);
    let longestGapMs = 0;
    for (let index = 1; index < window.length; index++) longestGapMs = Math.max(longestGapMs, window[index]!.started - window[index - 1]!.started);
    return { heldLocks, loadMs, expiryMs: gone - leaseEnd, baselineMs, duringExpiryMs: window.map((sample) => sample.ms), longestGapMs };
  } finally {
    await probe.close().catch(() => {});
    for (const loader of loaders) loader.socket.destroy();
  }
}
