/**
 * A mass expiry through the coordinator: the machine's catch-up runs in
 * slices (MAX_EXPIRIES_PER_TICK), the coordinator re-arms its timer with zero
 * delay while work remains (so the event loop serves sockets in between), and
 * a client that renews between slices keeps its session and its lock.
 */
import type { Listener } from '@baton/transport';
import { memoryTransport } from '@baton/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../src/index.js';
import { RawClient } from './raw-client.js';
import { VirtualTime } from './virtual-time.js';

let coordinator: Coordinator | undefined;
/** Long, and told apart from the machine's timer by its delay. */
const IDLE_MS = 60_000;
/** The delays the coordinator asked for its machine timer, leaving out connections' idle timers. */
function machineDelays(time: VirtualTime, from: number): number[] {
  return time.delays.slice(from).filter((delay) => delay !== IDLE_MS);
}
let listener: Listener;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const raw of clients.splice(0)) raw.close();
  await coordinator?.close();
  coordinator = undefined;
});

async function dial(): Promise<RawClient> {
  const raw = await RawClient.dial(memoryTransport, listener.port);
  clients.push(raw);
  return raw;
}

describe('a mass expiry', () => {
  it('runs in slices on zero-delay timers, and a renewal between slices keeps its session and lock', async () => {
    const time = new VirtualTime();
    coordinator = new Coordinator({ clock: time.clock, timers: time.timers, maxExpiriesPerTick: 50, preSessionIdleMs: IDLE_MS });
    listener = await coordinator.listen(memoryTransport, '127.0.0.1', 0);
    for (let index = 0; index < 40; index++) {
      const raw = await dial();
      await raw.hello(`crowd-${index}`, 1_000);
      for (let lock = 0; lock < 5; lock++) await raw.call({ op: 'acquire', id: lock, resource: `crowd-${index}-${lock}` });
    }
    const honest = await dial();
    await honest.hello('honest', 1_000);
    expect(await honest.call({ op: 'acquire', id: 1, resource: 'honest-lock' })).toMatchObject({ op: 'granted' });
    time.now = 600;
    expect(await honest.call({ op: 'keepalive', id: 2 })).toMatchObject({ op: 'alive' });
    expect(coordinator.stats()).toMatchObject({ sessions: 41, holders: 201 });

    // The first slice, at the crowd's lease end: it leaves work due and asks to come back at once.
    time.now = 1_000;
    const delaysBefore = time.delays.length;
    expect(time.fireNext()).toBe(true);
    expect(coordinator.stats().sessions).toBeGreaterThan(1);
    expect(machineDelays(time, delaysBefore)).toEqual([0]);

    // The honest client renews between slices, and is answered.
    time.now = 1_590;
    expect(await honest.call({ op: 'keepalive', id: 3 })).toMatchObject({ op: 'alive' });
    time.advance(1_700);
    expect(coordinator.stats()).toMatchObject({ sessions: 1, holders: 1 });
    expect(coordinator.inspect('honest-lock')[0]!.holders[0]).toMatchObject({ client: 'honest' });
    expect(honest.received.some((message) => message.op === 'lost' || message.op === 'error')).toBe(false);
    // Every slice after the first was armed with zero delay too, until the backlog was gone.
    const delays = machineDelays(time, delaysBefore);
    expect(delays.length).toBeGreaterThan(2);
    expect(delays.slice(0, -1).every((delay) => delay === 0)).toBe(true);
    expect(delays.at(-1)).toBe(2_590 - 1_700);
  });
});
