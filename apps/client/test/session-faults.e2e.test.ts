/**
 * Exactly-once sessions and shutdown with real processes on 127.0.0.1 over
 * each transport: counters whose connections a proxy resets at random, and a
 * server stopped with SIGTERM under a holder and a waiter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppProcess } from './processes.js';
import { startClient, startServer } from './processes.js';

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

  it('a counter whose file has seen newer tokens than a restarted server grants gives up with a clear message instead of redoing forever', async () => {
    const first = await startServer(transport, dataDirectory, ['--no-state-file']);
    processes.push(first);
    const before = startClient('before', transport, first.port, dataDirectory, ['increment', 'counter', '--iterations', '5']);
    processes.push(before);
    expect((await before.exited).code, before.errorLines.join('\n')).toBe(0);
    first.kill('SIGTERM');
    await first.exited;
    // Without its state file the new server grants tokens from 1 again: below the file's fence.
    const second = await startServer(transport, dataDirectory, ['--no-state-file']);
    processes.push(second);
    const after = startClient('after', transport, second.port, dataDirectory, ['increment', 'counter', '--iterations', '5']);
    processes.push(after);
    const exit = await after.exited;
    expect(exit.code).toBe(1);
    expect(after.errorLines.join('\n')).toMatch(/refused 3 writes in a row with locks that were still held .* restarted without its state file/);
  });
});
