/**
 * Lock semantics when clients fail, with real processes on 127.0.0.1 over
 * each transport: crashed and paused holders, server restarts, shared and
 * exclusive fairness, try-lock and timeouts, and reconnects within a lease.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FencedFile, StaleTokenError } from '@baton/fenced-file';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppProcess } from './processes.js';
import { serverEvents, startClient, startServer } from './processes.js';
import { LinkProxy } from '@baton/transport-compliance';

describe.each(['tcp', 'zmq', 'ws'] as const)('failures over %s', (transport) => {
  let dataDirectory: string;
  let server: AppProcess & { port: number };
  const processes: AppProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  function client(name: string, args: string[], port = server.port): AppProcess {
    const started = startClient(name, transport, port, dataDirectory, args);
    processes.push(started);
    return started;
  }

  async function launchServer(extra: string[] = ['--no-state-file']): Promise<void> {
    server = await startServer(transport, dataDirectory, extra);
    processes.push(server);
  }

  function eventsOf(kind: string, resource: string) {
    return serverEvents(server).filter((event) => event.event === kind && event.resource === resource);
  }

  beforeEach(() => {
    dataDirectory = mkdtempSync(join(tmpdir(), `baton-failures-${transport}-`));
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    for (const started of processes.splice(0)) {
      started.kill('SIGCONT');
      started.kill('SIGKILL');
      await started.exited;
    }
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  it('SIGKILL: the lock passes to the next waiter after the lease, not before, and a late write with the old token is refused', async () => {
    await launchServer();
    const holder = client('doomed', ['--lease-ms', '1500', 'file_A', 'WRITE', 'old', '600']);
    await holder.waitForLine(/^LOCKED file_A$/);
    const oldToken = eventsOf('granted', 'file_A')[0]!.token as string;
    const waiter = client('next', ['file_A', 'WRITE', 'new', '0']);
    await server.waitForLine(/"event":"queued".*"client":"next"/);
    const killedAt = Date.now();
    holder.kill('SIGKILL');
    expect((await waiter.exited).code).toBe(0);
    const lost = eventsOf('lost', 'file_A')[0]!;
    const granted = eventsOf('granted', 'file_A')[1]!;
    expect(lost).toMatchObject({ client: 'doomed', reason: 'lease-expired' });
    expect(granted.client).toBe('next');
    // The holder renewed at most a third of a lease before it died, so the
    // server may not hand the lock on earlier than two thirds of a lease later.
    expect((granted.time as number) - killedAt).toBeGreaterThanOrEqual(1_000 - 50);
    const file = new FencedFile(join(dataDirectory, 'file_A.txt'));
    expect(() => file.write('late', oldToken)).toThrow(StaleTokenError);
    expect(readFileSync(join(dataDirectory, 'file_A.txt'), 'utf8')).toBe('new');
  });

  it('SIGSTOP past the lease, then SIGCONT: the paused holder learns its lock is lost, redoes the work, and the counter stays exact', async () => {
    await launchServer();
    const paused = client('paused', ['--lease-ms', '1000', 'increment', 'counter', '--iterations', '20', '--hold-ms', '150', '--verbose']);
    // Pause it while it holds the lock, between reading the counter and writing it back.
    await paused.waitForLine(/^Holding for 150 ms$/);
    paused.kill('SIGSTOP');
    // The server ends the paused session when its lease runs out...
    await server.waitForLine(/"event":"lost".*"client":"paused"/);
    const steady = client('steady', ['increment', 'counter', '--iterations', '20', '--hold-ms', '5', '--verbose']);
    // ...and the other counter works meanwhile (it has read and written with a newer token).
    await steady.waitForLine(/^sum is \d+$/);
    paused.kill('SIGCONT');
    const [pausedExit, steadyExit] = await Promise.all([paused.exited, steady.exited]);
    expect(pausedExit.code, paused.errorLines.join('\n')).toBe(0);
    expect(steadyExit.code, steady.errorLines.join('\n')).toBe(0);
    expect(paused.errorLines.join('\n')).toMatch(/LOST counter during iteration \d+/);
    expect(readFileSync(join(dataDirectory, 'counter.txt'), 'utf8').trim()).toBe('40');
  });

  it('a paused WRITE holder does not overwrite its successor', async () => {
    await launchServer();
    const paused = client('paused-writer', ['--lease-ms', '1000', 'file_A', 'WRITE', 'stale', '2']);
    await paused.waitForLine(/^Sleeping for 2 seconds/);
    paused.kill('SIGSTOP');
    const fresh = client('fresh-writer', ['file_A', 'WRITE', 'fresh', '0']);
    expect((await fresh.exited).code).toBe(0);
    paused.kill('SIGCONT');
    const result = await paused.exited;
    expect(result.code).toBe(6); // the lock was lost before the write
    expect(paused.errorLines.join('\n')).toMatch(/lost|LEASE_UNCONFIRMED|LOCK_LOST/i);
    expect(paused.lines).not.toContain("WROTE 'stale' to file_A");
    expect(readFileSync(join(dataDirectory, 'file_A.txt'), 'utf8')).toBe('fresh');
  });

  it('restarting the server between two grants: the second token is greater than the first', async () => {
    await launchServer(['--durability', 'memory', '--data-dir', dataDirectory]);
    // A short lease: the restarted server (no log) grants nothing until the longest lease it granted has passed.
    const first = client('first', ['--lease-ms', '1000', 'file_A', 'WRITE', 'one', '0']);
    expect((await first.exited).code).toBe(0);
    const firstToken = BigInt(eventsOf('granted', 'file_A')[0]!.token as string);
    server.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    await launchServer(['--durability', 'memory', '--data-dir', dataDirectory]);
    const second = client('second', ['file_A', 'WRITE', 'two', '0']);
    expect((await second.exited).code).toBe(0);
    const secondToken = BigInt(eventsOf('granted', 'file_A')[0]!.token as string);
    expect(secondToken > firstToken).toBe(true);
  });

  it('three readers share; a writer waits; a fourth reader arriving after the writer waits behind it', async () => {
    await launchServer();
    const readers = ['r1', 'r2', 'r3'].map((name) => client(name, ['--lease-ms', '1000', 'file_A', 'READ', '600']));
    for (const reader of readers) await reader.waitForLine(/^LOCKED file_A$/);
    const writer = client('writer', ['file_A', 'WRITE', 'w', '0']);
    await server.waitForLine(/"event":"queued".*"client":"writer"/);
    const late = client('r4', ['file_A', 'READ', '0']);
    await server.waitForLine(/"event":"queued".*"client":"r4"/);
    const status = client('status', ['status', 'file_A', '--json']);
    expect((await status.exited).code).toBe(0);
    const reply = JSON.parse(status.lines.join('\n')) as { resources: { holders: { client: string; mode: string }[]; waiters: { client: string; position: number }[] }[] };
    expect(reply.resources[0]!.holders.map((holder) => `${holder.client}:${holder.mode}`).sort()).toEqual(['r1:shared', 'r2:shared', 'r3:shared']);
    expect(reply.resources[0]!.waiters.map((waiter) => `${waiter.position}:${waiter.client}`)).toEqual(['1:writer', '2:r4']);
    for (const reader of readers) reader.kill('SIGKILL');
    expect((await writer.exited).code).toBe(0);
    expect((await late.exited).code).toBe(0);
    const grants = eventsOf('granted', 'file_A').map((event) => event.client);
    expect(grants.indexOf('writer')).toBeLessThan(grants.indexOf('r4'));
  });

  it('try-lock on a held resource answers at once; waitMs=300 times out; the queue is empty afterwards', async () => {
    await launchServer();
    const holder = client('holder', ['file_A', 'WRITE', 'x', '600']);
    await holder.waitForLine(/^LOCKED file_A$/);
    const tryLock = client('try', ['--wait-ms', '0', 'file_A', 'WRITE', 'y', '0']);
    expect((await tryLock.exited).code).toBe(3); // TIMEOUT
    expect(tryLock.errorLines.join('\n')).toMatch(/TIMEOUT/);
    const timed = client('timed', ['--wait-ms', '300', 'file_A', 'WRITE', 'z', '0']);
    expect((await timed.exited).code).toBe(3);
    expect(timed.errorLines.join('\n')).toMatch(/not granted within 300 ms \[TIMEOUT\]/);
    expect(eventsOf('queued', 'file_A').map((event) => event.client)).toEqual(['timed']);
    expect(eventsOf('timeout', 'file_A').map((event) => event.client)).toEqual(['try', 'timed']);
    const status = client('status', ['status', 'file_A', '--json']);
    await status.exited;
    expect(JSON.parse(status.lines.join('\n'))).toMatchObject({ resources: [{ resource: 'file_A', waiting: 0, waiters: [] }] });
  });

  it('a client whose connection drops and comes back within its lease keeps its lock', async () => {
    await launchServer();
    const proxy = await LinkProxy.start(server.port);
    cleanups.push(() => proxy.close());
    const holder = client('keeper', ['--lease-ms', '5000', 'file_A', 'WRITE', 'kept', '2'], proxy.port);
    await holder.waitForLine(/^LOCKED file_A$/);
    proxy.reset({ keepAccepting: true });
    // (tcp and ws servers see the drop at once; a ZeroMQ ROUTER only by heartbeat
    // or when the session resumes on a new connection.)
    const waiter = client('after', ['file_A', 'WRITE', 'after', '0']);
    await server.waitForLine(/"event":"resumed".*"client":"keeper"/);
    expect((await holder.exited).code).toBe(0);
    expect(holder.lines).toContain("WROTE 'kept' to file_A");
    expect((await waiter.exited).code).toBe(0);
    const grants = eventsOf('granted', 'file_A').map((event) => event.client);
    expect(grants).toEqual(['keeper', 'after']);
    expect(eventsOf('lost', 'file_A')).toEqual([]);
  });
});
