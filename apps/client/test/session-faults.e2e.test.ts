/**
 * Exactly-once sessions and shutdown with real processes on 127.0.0.1 over
 * each transport: counters whose connections a proxy resets at random, and a
 * server stopped with SIGTERM under a holder and a waiter.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppProcess } from './processes.js';
import { startClient, startServer } from './processes.js';
import { TcpProxy } from './tcp-proxy.js';

describe.each(['tcp', 'zmq', 'ws'] as const)('session faults over %s', (transport) => {
  let dataDirectory: string;
  const processes: AppProcess[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeEach(() => {
    dataDirectory = mkdtempSync(join(tmpdir(), `baton-session-faults-${transport}-`));
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    for (const started of processes.splice(0)) {
      started.kill('SIGKILL');
      await started.exited;
    }
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  // zmq is left out here: through this proxy a zmq client detects a reset only by its heartbeat, and the run did not finish in time (issue 9, still open).
  it.skipIf(transport === 'zmq')('5 counters x 200 through a proxy that resets every connection every 50-300 ms: exact, every process finishes, no session left', async () => {
    const server = await startServer(transport, dataDirectory, ['--no-state-file', '--quiet']);
    processes.push(server);
    const proxy = await TcpProxy.start(server.port);
    cleanups.push(() => proxy.close());
    let resets = 0;
    let timer: NodeJS.Timeout | undefined;
    const resetSoon = () => {
      timer = setTimeout(() => {
        proxy.dropAll();
        resets++;
        resetSoon();
      }, 50 + Math.floor(Math.random() * 250));
    };
    cleanups.push(() => clearTimeout(timer));
    const counters = Array.from({ length: 5 }, (_, index) => {
      const counter = startClient(`counter-${index}`, transport, proxy.port, dataDirectory, ['increment', 'counter', '--iterations', '200', '--verbose']);
      processes.push(counter);
      return counter;
    });
    // Resets start once every counter has its session (a connect that fails is an error by design).
    await Promise.all(counters.map((counter) => counter.waitForLine(/^Received grant from server$/)));
    resetSoon();
    const exits = await Promise.all(counters.map((counter) => counter.exited));
    clearTimeout(timer);
    expect(exits.map((exit) => exit.code), counters.map((counter) => counter.errorLines.join('\n')).join('\n')).toEqual([0, 0, 0, 0, 0]);
    expect(resets).toBeGreaterThan(3);
    expect(readFileSync(join(dataDirectory, 'counter.txt'), 'utf8').trim()).toBe('1000');
    const status = startClient('status', transport, server.port, dataDirectory, ['status', '--json']);
    processes.push(status);
    expect((await status.exited).code).toBe(0);
    const reply = JSON.parse(status.lines.join('\n')) as { totalSessions: number; totalResources: number };
    // Only the status client's own session may remain.
    expect(reply.totalResources).toBe(0);
    expect(reply.totalSessions).toBeLessThanOrEqual(1);
  });

  it('SIGTERM: the holder and the waiter both learn SHUTTING_DOWN within 1 s and exit', async () => {
    const server = await startServer(transport, dataDirectory, ['--no-state-file']);
    processes.push(server);
    const holder = startClient('holder', transport, server.port, dataDirectory, ['file_A', 'WRITE', 'x', '30']);
    processes.push(holder);
    await holder.waitForLine(/^LOCKED file_A$/);
    const waiter = startClient('waiter', transport, server.port, dataDirectory, ['file_A', 'READ']);
    processes.push(waiter);
    await server.waitForLine(/"event":"queued".*"client":"waiter"/);
    const stoppedAt = performance.now();
    server.kill('SIGTERM');
    const [holderExit, waiterExit] = await Promise.all([holder.exited, waiter.exited]);
    expect(performance.now() - stoppedAt).toBeLessThan(1_000);
    expect(holderExit.code).toBe(5); // SHUTTING_DOWN
    expect(waiterExit.code).toBe(5);
    expect(holder.errorLines.join('\n')).toMatch(/shutting down/);
    expect(waiter.errorLines.join('\n')).toMatch(/SHUTTING_DOWN/);
    expect(holder.lines).not.toContain("WROTE 'x' to file_A");
    // lock-client says so in one line each: the push, then what it meant for the call.
    for (const client of [holder, waiter]) expect(client.errorLines).toContainEqual(expect.stringMatching(/^SHUTTING DOWN: the server is shutting down/));
    expect(holder.lines).toContainEqual(expect.stringMatching(/^LOST file_A before writing: .*shutting down/));
    expect(waiter.lines).toContainEqual(expect.stringMatching(/^NOT LOCKED file_A \[SHUTTING_DOWN\]: /));
    expect((await server.exited).code).toBe(0);
  });
});
