/**
 * A lock server that is killed (SIGKILL) and started again on its
 * write-ahead log, with real lock-server and lock-client processes on
 * 127.0.0.1: sessions, locks, queues and tokens come back, clients resume on
 * their own, and in real time (each counter logs, on CLOCK_MONOTONIC, when it
 * believed it held the lock) no two clients ever held the lock at once.
 *
 * CRASH_KILLS (default 20) sets how many kills the counter run must survive;
 * CRASH_TRANSPORTS (default tcp) which transports run it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppProcess } from './processes.js';
import { dumpOutput, serverEvents, startClient, startServer } from './processes.js';
import { checkTimeline, readTimelines } from './timeline-checker.js';

const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const TRANSPORTS = (process.env.CRASH_TRANSPORTS ?? 'tcp').split(',');

/** A deterministic stream for the kill points, so a failing run can be repeated (CRASH_SEED). */
function randomStream(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

describe.each(TRANSPORTS)('the server killed and restarted on its log, over %s', (transport) => {
  let directory: string;
  let dataDirectory: string;
  let logDirectory: string;
  const processes: AppProcess[] = [];
  let server: AppProcess & { port: number };

  async function launch(port = 0): Promise<void> {
    server = await startServer(transport, directory, ['--port', String(port), '--durability', 'fsync', '--data-dir', logDirectory]);
    processes.push(server);
  }

  function client(name: string, args: string[]): AppProcess {
    const started = startClient(name, transport, server.port, dataDirectory, args);
    processes.push(started);
    return started;
  }

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), `baton-crash-${transport}-`));
    dataDirectory = join(directory, 'files');
    logDirectory = join(directory, 'log');
    mkdirSync(dataDirectory);
  });

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') dumpOutput(processes.slice(-8));
    for (const started of processes.splice(0)) {
      started.kill('SIGKILL');
      await started.exited;
    }
    rmSync(directory, { recursive: true, force: true });
  });

  async function killAndRestart(): Promise<void> {
    const port = server.port;
    server.kill('SIGKILL');
    await server.exited;
    await launch(port);
  }

  it('keeps a holder across a kill: same token, its release succeeds, and the waiter is granted only after it', async () => {
    await launch();
    const holder = client('holder', ['file_A', 'WRITE', 'Hello Distributed World', '3']);
    await holder.waitForLine(/^LOCKED file_A$/);
    const reader = client('reader', ['file_A', 'READ']);
    await reader.waitForLine(/^REQUESTING lock for resource: file_A$/);
    await server.waitUntil(() => serverEvents(server).some((event) => event.event === 'queued' && event.client === 'reader'), 'the reader queued');
    const tokenBefore = serverEvents(server).find((event) => event.event === 'granted' && event.client === 'holder')!.token;
    await killAndRestart();
    expect(serverEvents(server).find((event) => event.event === 'recovered')).toMatchObject({ sessions: 2 });
    expect((await holder.exited).code, holder.errorLines.join('\n')).toBe(0);
    expect(holder.lines).toContain("WROTE 'Hello Distributed World' to file_A");
    expect((await reader.exited).code, reader.errorLines.join('\n')).toBe(0);
    expect(reader.lines).toContain('READ from file_A: Hello Distributed World');
    const events = serverEvents(server);
    // The recovered server granted nothing to the holder again: it released the token it had before the kill.
    expect(events.filter((event) => event.event === 'granted' && event.client === 'holder')).toEqual([]);
    expect(events.find((event) => event.event === 'released' && event.client === 'holder')).toMatchObject({ token: tokenBefore });
    const readerGrant = events.find((event) => event.event === 'granted' && event.client === 'reader')!;
    expect(BigInt(readerGrant.token as string)).toBeGreaterThan(BigInt(tokenBefore as string));
    expect(events.findIndex((event) => event.event === 'released' && event.client === 'holder')).toBeLessThan(events.indexOf(readerGrant));
  });

  it(`5 counters x 200 while the server is killed ${KILLS} times: exactly 1000, no two holders at once in real time, no token twice`, async () => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
    const random = randomStream(seed);
    console.log(`crash test over ${transport}: seed ${seed} (repeat with CRASH_SEED=${seed})`);
    await launch();
    const timelines = Array.from({ length: 5 }, (_, index) => join(directory, `timeline-${index}.jsonl`));
    const counters = Array.from({ length: 5 }, (_, index) => client(`counter-${index}`, ['increment', 'counter', '--iterations', '200', '--verbose', '--timeline', timelines[index]!]));
    const grants = () => counters.reduce((sum, counter) => sum + counter.lines.filter((line) => line === 'Received grant from server').length, 0);
    let kills = 0;
    let done = false;
    const finished = Promise.all(counters.map((counter) => counter.exited)).then((exits) => {
      done = true;
      return exits;
    });
    const recoveries: number[] = [];
    while (!done && kills < KILLS) {
      // Kill at a random point of progress (waiting for the lines, not for time), spaced so that the grants
      // still to come leave room for the kills still to make: on average half the share of each.
      const share = (1_000 - grants()) / (KILLS - kills + 1);
      const target = grants() + 1 + Math.floor(random() * Math.max(1, share));
      const progress = Promise.all(counters.map((counter) => counter.waitUntil(() => grants() >= target || done, 'progress').catch(() => undefined)));
      await Promise.race([progress, finished]);
      if (done) break;
      await killAndRestart();
      kills++;
      const recovered = serverEvents(server).find((event) => event.event === 'recovered');
      recoveries.push(Number(recovered?.durationMs ?? NaN));
    }
    const exits = await finished;
    expect(exits.map((exit) => exit.code), counters.map((counter) => counter.errorLines.slice(-5).join('\n')).join('\n')).toEqual([0, 0, 0, 0, 0]);
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(readFileSync(join(dataDirectory, 'counter.txt'), 'utf8').trim()).toBe('1000');
    const verdict = checkTimeline(readTimelines(timelines));
    console.log(`crash test over ${transport}: ${kills} kills, ${verdict.entries} holds, ${verdict.overlaps.length} overlaps, recovery ${Math.min(...recoveries)}-${Math.max(...recoveries)} ms`);
    expect(verdict.entries).toBeGreaterThanOrEqual(1000);
    expect({ overlaps: verdict.overlaps, repeated: verdict.repeatedTokens, outOfOrder: verdict.tokensOutOfOrder }).toEqual({ overlaps: [], repeated: [], outOfOrder: [] });
  });
});
