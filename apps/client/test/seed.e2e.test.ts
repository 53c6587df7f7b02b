/**
 * The seed's behaviours with real processes on 127.0.0.1, over each
 * transport: lock-server and several lock-client processes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppProcess } from './processes.js';
import { serverEvents, startClient, startServer } from './processes.js';

const TRANSPORTS = ['tcp', 'zmq', 'ws'] as const;

describe.each(TRANSPORTS)('over %s', (transport) => {
  let dataDirectory: string;
  let server: AppProcess & { port: number };
  const processes: AppProcess[] = [];

  function client(name: string, args: string[]): AppProcess {
    const started = startClient(name, transport, server.port, dataDirectory, args);
    processes.push(started);
    return started;
  }

  beforeEach(async () => {
    dataDirectory = mkdtempSync(join(tmpdir(), `baton-e2e-${transport}-`));
    server = await startServer(transport, dataDirectory, ['--no-state-file']);
    processes.push(server);
  });

  afterEach(async () => {
    for (const started of processes.splice(0)) {
      started.kill('SIGKILL');
      await started.exited;
    }
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  it('5 counter processes x 200 increments end at exactly 1000, granted in arrival order', async () => {
    const counters = Array.from({ length: 5 }, (_, index) => client(`counter-${index}`, ['increment', 'counter', '--iterations', '200']));
    const results = await Promise.all(counters.map((counter) => counter.exited));
    expect(results.map((result) => result.code)).toEqual([0, 0, 0, 0, 0]);
    expect(readFileSync(join(dataDirectory, 'counter.txt'), 'utf8').trim()).toBe('1000');

    // FIFO: the requests that had to wait were granted in the order they were queued.
    const events = serverEvents(server).filter((event) => event.resource === 'counter');
    const queuedOrder = events.filter((event) => event.event === 'queued').map((event) => event.session);
    const grants = events.filter((event) => event.event === 'granted');
    expect(grants).toHaveLength(1000);
    const grantedAfterWaiting = grants.filter((event) => (event.waitedMs as number) > 0 || queuedOrder.includes(event.session));
    expect(queuedOrder.length).toBeGreaterThan(0);
    // Replay: every grant of a queued request must go to the oldest queued request of that resource.
    const queue: unknown[] = [];
    for (const event of events) {
      if (event.event === 'queued') queue.push(event.session);
      if (event.event === 'granted' && queue.length > 0 && queue.includes(event.session)) {
        expect(event.session).toBe(queue[0]);
        queue.shift();
      }
    }
    expect(queue).toEqual([]);
    expect(grantedAfterWaiting.length).toBeGreaterThan(0);
  });

  it("a reader started while the writer holds file_A locks only after the writer's UNLOCKED and reads the new value", async () => {
    const writer = client('writer', ['file_A', 'WRITE', 'Hello Distributed World', '2']);
    await writer.waitForLine(/^LOCKED file_A$/);
    const reader = client('reader', ['file_A', 'READ', '0']);
    await reader.waitForLine(/^REQUESTING lock for resource: file_A$/);
    await reader.waitForLine(/^LOCKED file_A$/);
    // By the time the reader holds the lock, the writer must have released it.
    expect(writer.indexOf(/^WROTE 'Hello Distributed World' to file_A$/)).toBeGreaterThan(0);
    await writer.exited;
    expect(writer.lines).toEqual([
      'REQUESTING lock for resource: file_A',
      'LOCKED file_A',
      'Sleeping for 2 seconds...',
      "WROTE 'Hello Distributed World' to file_A",
      'UNLOCKED file_A',
    ]);
    expect(await reader.waitForLine(/^READ from file_A: /)).toBe('READ from file_A: Hello Distributed World');
    expect((await reader.exited).code).toBe(0);
    const events = serverEvents(server).filter((event) => event.resource === 'file_A');
    const order = events.map((event) => `${event.event as string}:${event.client as string}`);
    expect(order.indexOf('released:writer')).toBeLessThan(order.indexOf('granted:reader'));
    expect(order).toContain('queued:reader');
  });

  it('locks on different resources never wait for each other', async () => {
    const holder = client('holder', ['file_A', 'WRITE', 'x', '600']);
    await holder.waitForLine(/^LOCKED file_A$/);
    const other = client('other', ['file_B', 'WRITE', 'y', '0']);
    expect((await other.exited).code).toBe(0);
    expect(other.lines).toContain('UNLOCKED file_B');
    expect(holder.indexOf(/^UNLOCKED/)).toBe(-1);
  });

  it('passes the lock of a SIGKILLed holder to the next waiter once its lease (1 s here) runs out', async () => {
    const holder = client('doomed', ['--lease-ms', '1000', 'file_A', 'WRITE', 'x', '600']);
    await holder.waitForLine(/^LOCKED file_A$/);
    const waiter = client('next', ['file_A', 'WRITE', 'after', '0']);
    await waiter.waitForLine(/^REQUESTING/);
    // wait until the server has queued it, so the kill happens while it waits
    await server.waitForLine(/"event":"queued".*"client":"next"/);
    holder.kill('SIGKILL');
    await holder.exited;
    await waiter.waitForLine(/^LOCKED file_A$/);
    expect((await waiter.exited).code).toBe(0);
    const lost = serverEvents(server).find((event) => event.event === 'lost');
    expect(lost).toMatchObject({ resource: 'file_A', client: 'doomed', reason: 'lease-expired' });
  });

  it('keeps a name like ../x or /etc/passwd inside the data directory, percent-encoded, and reads it back', async () => {
    for (const [name, fileName] of [
      ['../x', '%2E.%2Fx.txt'],
      ['/etc/passwd', '%2Fetc%2Fpasswd.txt'],
      ['orders/42', 'orders%2F42.txt'],
    ] as const) {
      const writer = client('odd-name-writer', [name, 'WRITE', `value of ${name}`, '0']);
      expect((await writer.exited).code).toBe(0);
      expect(readFileSync(join(dataDirectory, fileName), 'utf8')).toBe(`value of ${name}`);
      const reader = client('odd-name-reader', [name, 'READ']);
      expect((await reader.exited).code).toBe(0);
      expect(reader.lines).toContain(`READ from ${name}: value of ${name}`);
    }
  });

  it('refuses a name the protocol refuses (control character, over 512 bytes) before sending anything', async () => {
    for (const name of ['a\u0001b', 'x'.repeat(513), 'é'.repeat(257)]) {
      const refused = client('bad-name', [name, 'WRITE', 'v', '0']);
      const result = await refused.exited;
      expect(result.code).toBe(2);
      expect(refused.errorLines.join('\n')).toMatch(/refusing resource name/);
      expect(refused.lines).toEqual([]);
    }
    expect(serverEvents(server).filter((event) => event.event === 'session-opened' && event.client === 'bad-name')).toEqual([]);
  });
});
