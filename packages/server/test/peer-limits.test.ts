/**
 * The coordinator's bounds on peers (docs/protocol.md 3 and 7): sessions
 * (MAX_SESSIONS), time without a session (PRE_SESSION_IDLE_MS), bad messages
 * per connection per second (MAX_BAD_MESSAGES_PER_SECOND) and log lines
 * about peers' errors (PEER_ERROR_LOG_LINES_PER_SECOND; none at all when the
 * logger is quiet). Each is lowered through its Coordinator option; the
 * per-host connection limit needs real source addresses and is tested over
 * TCP in apps/server/test/connection-limits.test.ts.
 */
import type { Listener } from '@baton/transport';
import { memoryTransport } from '@baton/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../src/index.js';
import type { CoordinatorOptions } from '../src/index.js';
import { capturingLogger } from './capturing-logger.js';
import { RawClient } from './raw-client.js';
import { VirtualTime } from './virtual-time.js';

let coordinator: Coordinator | undefined;
let listener: Listener;
const clients: RawClient[] = [];

async function start(options: CoordinatorOptions): Promise<void> {
  coordinator = new Coordinator(options);
  listener = await coordinator.listen(memoryTransport, '127.0.0.1', 0);
}

async function dial(): Promise<RawClient> {
  const raw = await RawClient.dial(memoryTransport, listener.port);
  clients.push(raw);
  return raw;
}

afterEach(async () => {
  for (const raw of clients.splice(0)) raw.close();
  await coordinator?.close();
  coordinator = undefined;
});

describe('MAX_SESSIONS', () => {
  it('refuses a new session beyond it with TOO_MANY_SESSIONS, keeps the connection, and still resumes existing sessions', async () => {
    await start({ maxSessions: 2 });
    const first = await dial();
    const welcome = await first.hello('first');
    await (await dial()).hello('second');
    const third = await dial();
    expect(await third.call({ op: 'hello', id: 'h', client: 'third' })).toMatchObject({ op: 'error', id: 'h', code: 'TOO_MANY_SESSIONS' });
    expect(await third.call({ op: 'status', id: 's' })).toMatchObject({ op: 'status', id: 's' });
    // Resuming is not a new session.
    first.close();
    const again = await dial();
    expect(await again.call({ op: 'hello', id: 'r', session: welcome.session, secret: welcome.secret })).toMatchObject({ op: 'welcome', resumed: true });
    // Once one ends, there is room again.
    expect(await again.call({ op: 'goodbye', id: 'g' })).toMatchObject({ op: 'bye' });
    expect(await third.call({ op: 'hello', id: 'h2', client: 'third' })).toMatchObject({ op: 'welcome' });
    expect(coordinator!.stats().sessions).toBe(2);
  });
});

describe('PRE_SESSION_IDLE_MS', () => {
  it('closes a connection that opens no session in time, after telling it why; one with a session stays', async () => {
    const time = new VirtualTime();
    await start({ clock: time.clock, timers: time.timers, preSessionIdleMs: 10_000 });
    const idle = await dial();
    const working = await dial();
    time.advance(5_000);
    await working.hello('working', 60_000);
    expect(await idle.call({ op: 'status', id: 's' })).toMatchObject({ op: 'status' }); // a request is not a session
    time.advance(9_999);
    expect(idle.closed).toBe(false);
    time.advance(10_000);
    expect(await idle.next((message) => message.op === 'error')).toMatchObject({ op: 'error', code: 'NO_SESSION', message: expect.stringContaining('10000 ms') as string });
    await idle.closedPromise;
    time.advance(30_000);
    expect(working.closed).toBe(false);
    expect(await working.call({ op: 'keepalive', id: 1 })).toMatchObject({ op: 'alive' });
  });

  it('starts counting again when a connection loses its session', async () => {
    const time = new VirtualTime();
    await start({ clock: time.clock, timers: time.timers, preSessionIdleMs: 10_000 });
    const raw = await dial();
    await raw.hello('leaving', 60_000);
    time.advance(20_000);
    expect(await raw.call({ op: 'goodbye', id: 'g' })).toMatchObject({ op: 'bye' });
    time.advance(29_999);
    expect(raw.closed).toBe(false);
    time.advance(30_000);
    await raw.closedPromise;
    expect(coordinator!.stats().connections).toBe(0);
  });
});

describe('MAX_BAD_MESSAGES_PER_SECOND', () => {
  it('answers bad messages up to the limit, then sends one last error and closes; everyone else is served', async () => {
    const time = new VirtualTime();
    await start({ clock: time.clock, timers: time.timers, maxBadMessagesPerSecond: 5 });
    const noisy = await dial();
    const bystander = await dial();
    await bystander.hello('bystander');
    for (let index = 0; index < 5; index++) noisy.send('{"op":');
    time.advance(999);
    for (let index = 0; index < 2; index++) noisy.send('not json');
    await noisy.closedPromise;
    const errors = noisy.received.filter((message) => message.op === 'error');
    expect(errors).toHaveLength(6);
    expect(errors.slice(0, 5).every((message) => message.op === 'error' && message.code === 'BAD_JSON' && !message.message.includes('closing'))).toBe(true);
    expect(errors[5]).toMatchObject({ code: 'BAD_JSON', message: expect.stringContaining('more than 5 bad messages in one second') as string });
    expect(await bystander.call({ op: 'acquire', id: 1, resource: 'file_A' })).toMatchObject({ op: 'granted' });
  });

  it('counts per second: the same number spread over seconds is fine', async () => {
    const time = new VirtualTime();
    await start({ clock: time.clock, timers: time.timers, maxBadMessagesPerSecond: 5 });
    const raw = await dial();
    for (let second = 0; second < 3; second++) {
      time.advance(second * 1_000);
      for (let index = 0; index < 5; index++) raw.send('{"op":"nope"}');
      await raw.call({ op: 'status', id: `s${second}` });
    }
    expect(raw.closed).toBe(false);
    expect(raw.received.filter((message) => message.op === 'error')).toHaveLength(15);
  });
});

describe('PEER_ERROR_LOG_LINES_PER_SECOND', () => {
  it('logs peers\' errors at info, at most N lines per second, then one summary line for the second', async () => {
    const time = new VirtualTime();
    const logger = capturingLogger('info');
    await start({ clock: time.clock, timers: time.timers, logger, peerErrorLogLinesPerSecond: 3 });
    const raw = await dial();
    for (let index = 0; index < 10; index++) raw.send('{"op":');
    await raw.call({ op: 'status', id: 's' });
    const badLines = () => logger.lines.filter((line) => line.fields.event === 'bad-message');
    expect(badLines()).toHaveLength(3);
    expect(badLines().every((line) => line.level === 'info')).toBe(true);
    expect(logger.lines.some((line) => line.fields.event === 'suppressed-log-lines')).toBe(false);
    time.advance(1_000);
    expect(logger.lines.filter((line) => line.fields.event === 'suppressed-log-lines').map((line) => line.message)).toEqual([
      'suppressed 7 bad-message lines (more than 3 per second)',
    ]);
  });

  it('logs no peer error at all when the logger is quiet (warnings and errors only)', async () => {
    const logger = capturingLogger('warn');
    await start({ logger });
    const raw = await dial();
    for (let index = 0; index < 10; index++) raw.send('{"op":');
    raw.send({ op: 'acquire', id: 1, resource: 'file_A' });
    await raw.hello('quiet');
    await raw.call({ op: 'release', id: 2, resource: 'file_A', token: '99' });
    await raw.call({ op: 'status', id: 's' });
    expect(logger.lines).toEqual([]);
  });
});

describe('LOCK_LOSS_LOG_LINES_PER_SECOND', () => {
  it('writes at most N LOST lines per second at warn, then one summary: a mass expiry does not write a line per lock', async () => {
    const time = new VirtualTime();
    const logger = capturingLogger('warn');
    await start({ clock: time.clock, timers: time.timers, logger, lockLossLogLinesPerSecond: 4 });
    const holder = await dial();
    await holder.hello('holder', 1_000);
    for (let index = 0; index < 10; index++) await holder.call({ op: 'acquire', id: index, resource: `r${index}` });
    time.advance(1_000);
    const lost = () => logger.lines.filter((line) => line.fields.event === 'lost');
    expect(lost()).toHaveLength(4);
    expect(lost().every((line) => line.level === 'warn')).toBe(true);
    time.advance(2_500);
    expect(logger.lines.filter((line) => line.fields.event === 'suppressed-log-lines').map((line) => [line.level, line.message])).toEqual([
      ['warn', 'suppressed 6 LOST lines (more than 4 per second)'],
    ]);
  });
});
