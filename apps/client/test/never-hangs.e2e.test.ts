/**
 * Nothing hangs and nothing writes late, with real processes on 127.0.0.1
 * over each transport: waiting calls give up on a server that is gone
 * (SIGKILL) or frozen (SIGSTOP) — with TIMEOUT at their --wait-ms, with
 * UNAVAILABLE within the lease otherwise — and a holder resumed from a pause
 * past its lease learns from the clock, before any timer runs, that its lock
 * is gone, and writes nothing.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppProcess } from './processes.js';
import { dumpOutput, startClient, startServer } from './processes.js';

/** Slack for process scheduling and timers on a loaded CI machine. */
const SLACK_MS = 750;
const LEASE_MS = 1_500;
const WAIT_MS = 2_000;

describe.each(['tcp', 'zmq', 'ws'] as const)('never hangs over %s', (transport) => {
  let dataDirectory: string;
  let server: AppProcess & { port: number };
  const processes: AppProcess[] = [];

  function client(name: string, args: string[]): AppProcess {
    const started = startClient(name, transport, server.port, dataDirectory, args);
    processes.push(started);
    return started;
  }

  /** When (performance.now()) the process printed a line matching, as the test saw it. */
  async function timeOfLine(process: AppProcess, pattern: RegExp): Promise<number> {
    await process.waitForLine(pattern);
    return performance.now();
  }

  beforeEach(async () => {
    dataDirectory = mkdtempSync(join(tmpdir(), `baton-never-hangs-${transport}-`));
    server = await startServer(transport, dataDirectory, ['--no-state-file']);
    processes.push(server);
  });

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') dumpOutput(processes);
    for (const started of processes.splice(0)) {
      started.kill('SIGCONT');
      started.kill('SIGKILL');
      await started.exited;
    }
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  it.each(['SIGKILL', 'SIGSTOP'] as const)('server %s while calls wait: --wait-ms gives up with TIMEOUT at its time, a plain wait with UNAVAILABLE within the lease', async (signal) => {
    const holder = client('holder', ['--lease-ms', String(LEASE_MS), 'file_A', 'WRITE', 'held', '60']);
    await holder.waitForLine(/^LOCKED file_A$/);
    // (With the server's lease, 10 s: its lease could be proven past its --wait-ms.)
    const timed = client('timed', ['--wait-ms', String(WAIT_MS), 'file_A', 'WRITE', 'x', '0']);
    const plain = client('plain', ['--lease-ms', String(LEASE_MS), 'file_A', 'WRITE', 'y', '0']);
    const timedAskedAt = timeOfLine(timed, /^REQUESTING lock/);
    const ended = { timed: timeOfLine(timed, /^NOT LOCKED/), plain: timeOfLine(plain, /^NOT LOCKED/) };
    await server.waitForLine(/"event":"queued".*"client":"timed"/);
    await server.waitForLine(/"event":"queued".*"client":"plain"/);
    const stoppedAt = performance.now();
    server.kill(signal);

    const [timedExit, plainExit, holderExit] = await Promise.all([timed.exited, plain.exited, holder.exited]);
    const ends = { timed: await ended.timed, plain: await ended.plain };
    expect(timedExit.code, timed.errorLines.join('\n')).toBe(3);
    expect(timed.lines).toContainEqual(expect.stringMatching(/^NOT LOCKED file_A \[TIMEOUT\]: file_A was not granted within 2000 ms$/));
    expect(timed.errorLines.at(-1)).toMatch(/\[TIMEOUT\]$/);
    expect(ends.timed - (await timedAskedAt)).toBeGreaterThanOrEqual(WAIT_MS - 50);
    expect(ends.timed - (await timedAskedAt)).toBeLessThan(WAIT_MS + SLACK_MS);

    expect(plainExit.code, plain.errorLines.join('\n')).toBe(4);
    expect(plain.lines).toContainEqual(expect.stringMatching(/^NOT LOCKED file_A \[UNAVAILABLE\]: /));
    expect(plain.errorLines.at(-1)).toMatch(/\[UNAVAILABLE\]$/);
    expect(ends.plain - stoppedAt).toBeLessThan(LEASE_MS + SLACK_MS);

    // The holder could not prove its lease either: it gave the lock up, and wrote nothing.
    expect(holderExit.code, holder.errorLines.join('\n')).toBe(6);
    expect(holder.lines).toContainEqual(expect.stringMatching(/^LOST file_A before writing: /));
    expect(holder.lines).not.toContain("WROTE 'held' to file_A");
    expect(existsSync(join(dataDirectory, 'file_A.txt'))).toBe(false);
  });

  it('SIGSTOP a holder past its lease, then SIGCONT: the check by the clock says the lock is gone before the write, which is never attempted', async () => {
    // On SIGCONT two timers are overdue: the sleep's and the SDK's (its next
    // keepalive). Whichever runs first, the lock must be known lost before the
    // write: by the SDK's tick, which compares the clock with the proven lease
    // end, or by lock-client's assertHeld() right before the write.
    const paused = client('paused', ['--lease-ms', '3000', 'file_A', 'WRITE', 'stale', '1']);
    await paused.waitForLine(/^Sleeping for 1 seconds/);
    paused.kill('SIGSTOP');
    await server.waitForLine(/"event":"lost".*"client":"paused"/);
    const successor = client('successor', ['file_A', 'WRITE', 'fresh', '0']);
    expect((await successor.exited).code, successor.errorLines.join('\n')).toBe(0);
    paused.kill('SIGCONT');
    const exit = await paused.exited;
    expect(exit.code, paused.errorLines.join('\n')).toBe(6);
    // LEASE_UNCONFIRMED from the check, not a refusal by the fence (STALE_TOKEN): no write was attempted.
    expect(paused.lines).toContainEqual(
      expect.stringMatching(/^LOST file_A before writing: (the lease of the lock on file_A \(token \d+\) could not be proven to last until now|the session could not be renewed in time; its locks may be granted to others)$/),
    );
    expect(paused.errorLines.at(-1)).toMatch(/\[LEASE_UNCONFIRMED\]$/);
    expect(paused.errorLines.join('\n')).not.toMatch(/STALE_TOKEN|refused/);
    expect(paused.lines).not.toContain("WROTE 'stale' to file_A");
    expect(readFileSync(join(dataDirectory, 'file_A.txt'), 'utf8')).toBe('fresh');
  });

  it('a holder that waits for the file past its lease checks again under the file mutex and writes nothing', async () => {
    // Someone holds the file's own mutex (a live pid: this test), so the
    // holder's write blocks, synchronously, right after its first check.
    const path = join(dataDirectory, 'file_A.txt');
    mkdirSync(`${path}.mutex`);
    writeFileSync(join(`${path}.mutex`, 'owner'), String(process.pid));
    const blocked = client('blocked', ['--lease-ms', String(LEASE_MS), 'file_A', 'WRITE', 'late', '0']);
    await blocked.waitForLine(/^LOCKED file_A$/);
    await server.waitForLine(/"event":"lost".*"client":"blocked"/);
    rmSync(`${path}.mutex`, { recursive: true });
    const exit = await blocked.exited;
    expect(exit.code, blocked.errorLines.join('\n')).toBe(6);
    expect(blocked.lines).toContainEqual(expect.stringMatching(/^LOST file_A before writing: the lease of the lock on file_A \(token \d+\) could not be proven to last until now$/));
    expect(blocked.lines).not.toContain("WROTE 'late' to file_A");
    expect(existsSync(path)).toBe(false);
  });
});
