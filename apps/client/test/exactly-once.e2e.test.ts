/**
 * Exactly-once sessions (docs/protocol.md 3.1) end to end, with real
 * lock-server and lock-client processes on 127.0.0.1 over each transport,
 * through a proxy that knows where each message begins and ends: a message
 * lost in a connection reset — an `acquire`, `queued`, `granted`, `release`
 * or `released` — costs one reconnect and nothing else, and counters whose
 * connections are reset at random stay exact.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTimeline, readTimelines } from './timeline-checker.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Direction } from './fault-proxy.js';
import { FaultProxy } from './fault-proxy.js';
import type { AppProcess } from './processes.js';
import { dumpOutput, serverEvents, startClient, startServer } from './processes.js';

interface StatusReply {
  totalResources: number;
  totalSessions: number;
  resources: { resource: string; holders: { client: string; token: string }[]; waiters: { client: string }[] }[];
  sessions: { client: string }[];
}

function opOf(message: string): string | undefined {
  try {
    return (JSON.parse(message) as { op?: string }).op;
  } catch {
    return undefined;
  }
}

describe.each(['tcp', 'zmq', 'ws'] as const)('exactly-once over %s', (transport) => {
  let dataDirectory: string;
  let server: AppProcess & { port: number };
  let proxy: FaultProxy;
  const processes: AppProcess[] = [];

  function client(name: string, args: string[], port = proxy.port): AppProcess {
    const started = startClient(name, transport, port, dataDirectory, args);
    processes.push(started);
    return started;
  }

  function events(kind: string, clientName?: string) {
    return serverEvents(server).filter((event) => event.event === kind && (clientName === undefined || event.client === clientName));
  }

  /** `lock-client status --json`, straight to the server (not through the proxy). */
  async function status(resource?: string): Promise<StatusReply> {
    const asking = client('status', ['status', ...(resource ? [resource] : []), '--json'], server.port);
    const exit = await asking.exited;
    expect(exit.code, asking.errorLines.join('\n')).toBe(0);
    return JSON.parse(asking.lines.join('\n')) as StatusReply;
  }

  beforeEach(async () => {
    dataDirectory = mkdtempSync(join(tmpdir(), `baton-exactly-once-${transport}-`));
    server = await startServer(transport, dataDirectory, ['--no-state-file']);
    processes.push(server);
    proxy = await FaultProxy.start(transport, server.port);
  });

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') dumpOutput(processes, proxy);
    await proxy.close();
    for (const started of processes.splice(0)) {
      started.kill('SIGKILL');
      await started.exited;
    }
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  const lostMessages: [op: string, direction: Direction, contended: boolean][] = [
    ['acquire', 'to-server', false],
    ['queued', 'to-client', true],
    ['granted', 'to-client', false],
    ['release', 'to-server', false],
    ['released', 'to-client', false],
  ];

  it.each(lostMessages)('a lost %s (%s) costs one reconnect: the lock is granted once, held once, released once', async (op, direction, contended) => {
    let holder: AppProcess | undefined;
    if (contended) {
      // Someone else holds file_A (straight to the server), so the acquire is queued.
      holder = client('first', ['--lease-ms', '1000', 'file_A', 'WRITE', 'first', '60'], server.port);
      await holder.waitForLine(/^LOCKED file_A$/);
    }
    const cut = proxy.cutWhen(direction, (message) => opOf(message) === op);
    const looksWhileHeld = op !== 'release' && op !== 'released';
    // Holds the lock for a while when the test looks at the server meanwhile.
    const worker = client('worker', ['file_A', 'WRITE', 'exactly-once', looksWhileHeld ? '3' : '0']);
    const dropped = await Promise.race([cut, worker.exited.then(() => Promise.reject(new Error(`worker exited before a ${op} passed`)))]);
    expect(opOf(dropped.text)).toBe(op);
    // The first holder goes away; its lock passes to the worker after its lease.
    holder?.kill('SIGKILL');

    await worker.waitForLine(/^LOCKED file_A$/);
    if (looksWhileHeld) {
      // While it holds: the server agrees, with the one token it granted.
      const grants = events('granted', 'worker');
      expect(grants).toHaveLength(1);
      const held = await status('file_A');
      expect(held.resources[0]!.holders).toEqual([expect.objectContaining({ client: 'worker', token: grants[0]!.token })]);
      expect(held.resources[0]!.waiters).toEqual([]);
    }
    const exit = await worker.exited;
    expect(exit.code, worker.errorLines.join('\n')).toBe(0);
    expect(worker.lines).toEqual(expect.arrayContaining(['LOCKED file_A', "WROTE 'exactly-once' to file_A", 'UNLOCKED file_A']));
    expect(readFileSync(join(dataDirectory, 'file_A.txt'), 'utf8')).toBe('exactly-once');
    // It learnt its place in the queue exactly once (a lost queued is sent again after the resume).
    expect(worker.lines.filter((line) => /^QUEUED for file_A at position 1$/.test(line))).toHaveLength(contended ? 1 : 0);

    // One reset, one resume of the same session, nothing lost or applied twice.
    expect(proxy.resets).toBe(1);
    expect(events('resumed', 'worker')).toHaveLength(1);
    expect(events('session-opened', 'worker')).toHaveLength(1);
    expect(events('granted', 'worker')).toHaveLength(1);
    expect(events('released', 'worker').map((event) => event.token)).toEqual(events('granted', 'worker').map((event) => event.token));
    expect(events('lost', 'worker')).toEqual([]);
    expect(serverEvents(server).filter((event) => ['rejected', 'bad-message', 'bad-sequence'].includes(event.event as string))).toEqual([]);
    // Its session ended with its goodbye; nothing is held any more.
    expect(events('session-ended', 'worker')).toEqual([expect.objectContaining({ reason: 'closed' })]);
    const after = await status();
    expect(after.totalResources).toBe(0);
    expect(after.sessions.map((session) => session.client)).toEqual(['status']);
  });

  it('5 counters x 200 through a proxy that resets a connection every 50-300 ms: exactly 1000, every process exits 0, no session left', async () => {
    const timelines = Array.from({ length: 5 }, (_, index) => join(dataDirectory, `timeline-${index}.jsonl`));
    const counters = Array.from({ length: 5 }, (_, index) => client(`counter-${index}`, ['increment', 'counter', '--iterations', '200', '--verbose', '--timeline', timelines[index]!]));
    // Resets start once every counter has its session (a first connect that fails is an error by design).
    await Promise.all(counters.map((counter) => counter.waitForLine(/^Received grant from server$/)));
    proxy.resetEvery(50, 300);
    const exits = await Promise.all(counters.map((counter) => counter.exited));
    proxy.stopResets();
    expect(
      exits.map((exit) => exit.code),
      counters.map((counter) => counter.errorLines.join('\n')).join('\n'),
    ).toEqual([0, 0, 0, 0, 0]);
    expect(proxy.resets).toBeGreaterThan(5);
    expect(readFileSync(join(dataDirectory, 'counter.txt'), 'utf8').trim()).toBe('1000');
    // In real time (CLOCK_MONOTONIC), no two counters believed they held the lock at once; no token twice.
    const verdict = checkTimeline(readTimelines(timelines));
    expect(verdict.entries).toBeGreaterThanOrEqual(1000);
    expect({ overlaps: verdict.overlaps, repeated: verdict.repeatedTokens, outOfOrder: verdict.tokensOutOfOrder }).toEqual({ overlaps: [], repeated: [], outOfOrder: [] });
    expect(existsSync(join(dataDirectory, 'counter.txt.mutex'))).toBe(false);

    // Every counter session the server opened has ended by its goodbye (reason 'closed'): a goodbye cut by a
    // reset is said again after the resume (ClientSession.close), so none is left to end with its lease.
    const counterSessions = () => new Set(events('session-opened').filter((event) => String(event.client).startsWith('counter-')).map((event) => event.session));
    const ended = () => new Set(events('session-ended').map((event) => event.session));
    await server.waitUntil(() => [...counterSessions()].every((session) => ended().has(session)), 'every counter session ended');
    const reasons = events('session-ended').filter((event) => counterSessions().has(event.session)).map((event) => event.reason);
    expect(reasons.length).toBeGreaterThanOrEqual(5);
    expect(reasons.filter((reason) => reason !== 'closed'), `reasons: ${reasons.join(', ')}`).toEqual([]);
    const after = await status();
    expect(after.totalResources).toBe(0);
    expect(after.sessions.map((session) => session.client)).toEqual(['status']);
    // Each grant was released or lost exactly once: nothing applied twice.
    const granted = events('granted').filter((event) => event.resource === 'counter').map((event) => event.token as string);
    const ends = [...events('released'), ...events('lost')].filter((event) => event.resource === 'counter').map((event) => event.token as string);
    expect(new Set(granted).size).toBe(granted.length);
    expect([...ends].sort()).toEqual([...granted].sort());
  });
});
