/**
 * The bounded catch-up (theory of operation, phase 1): one call does at most
 * `maxExpiryWork` units of expiry work and leaves the rest due, so a mass
 * expiry runs in slices with the embedding program's I/O in between.
 *
 * Scenarios pin what happens while the machine is behind: a renewal between
 * slices keeps its session, an input naming a lapsed session finds it ended,
 * nothing is granted to a lapsed session or to a wait that ran out. Properties
 * check that ticks in slices reach exactly what one unbounded tick reaches
 * (same effects in the same order, same state), and that every call's expiry
 * work is bounded whatever the backlog.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LockMachine, MAX_EXPIRIES_PER_TICK } from '../src/index.js';
import type { Effect, Input, LockMode } from '../src/index.js';

/** Tick at `now` once, then again until nothing is due any more; every slice's effects, in order. */
function tickUntilCaughtUp(machine: LockMachine, now: number): Effect[][] {
  const slices: Effect[][] = [];
  for (;;) {
    slices.push(machine.handle({ type: 'tick' }, now));
    const deadline = machine.nextDeadline();
    if (deadline === undefined || deadline > now) return slices;
    if (slices.length > 1_000_000) throw new Error('the catch-up does not progress');
  }
}

/** `count` sessions opened at time 0 with a 1,000 ms lease, each holding `locks` locks of its own. */
function crowd(machine: LockMachine, count: number, locks: number): void {
  for (let index = 0; index < count; index++) {
    const session = `crowd-${index}`;
    machine.handle({ type: 'open-session', session, leaseMs: 1_000 }, 0);
    for (let lock = 0; lock < locks; lock++) machine.handle({ type: 'acquire', session, request: lock, resource: `${session}-${lock}` }, 0);
  }
}

describe('a mass expiry runs in slices', () => {
  it('ends 2,000 sessions with 10,000 locks in ticks of at most MAX_EXPIRIES_PER_TICK units, each leaving the rest due', () => {
    const machine = new LockMachine();
    crowd(machine, 2_000, 5);
    const slices = tickUntilCaughtUp(machine, 1_000);
    // One deadline is 1 unit plus its effects (5 lost + session-ended): a slice stops before the one that would pass the budget.
    for (const slice of slices) expect(slice.length).toBeLessThanOrEqual(MAX_EXPIRIES_PER_TICK + 6);
    expect(slices.length).toBeGreaterThanOrEqual(Math.ceil((2_000 * 7) / (MAX_EXPIRIES_PER_TICK + 6)));
    expect(slices.flat().filter((effect) => effect.type === 'lost')).toHaveLength(10_000);
    expect(machine.stats()).toMatchObject({ sessions: 0, holders: 0 });
    expect(machine.nextDeadline()).toBeUndefined();
  });

  it('says the rest is due: nextDeadline() is at or before now after a slice that ran out of budget', () => {
    const machine = new LockMachine({ maxExpiryWork: 10 });
    crowd(machine, 50, 1);
    const first = machine.handle({ type: 'tick' }, 1_500);
    expect(first.length).toBeLessThanOrEqual(10 + 2);
    expect(machine.nextDeadline()).toBeLessThanOrEqual(1_500);
    expect(machine.stats().sessions).toBeGreaterThan(0);
  });

  it('keeps a session whose renewal arrives between slices, although its old deadline is in the backlog', () => {
    const machine = new LockMachine({ maxExpiryWork: 20 });
    crowd(machine, 200, 1);
    machine.handle({ type: 'open-session', session: 'honest', leaseMs: 1_000 }, 0);
    machine.handle({ type: 'acquire', session: 'honest', request: 1, resource: 'honest-lock' }, 0);
    machine.handle({ type: 'keepalive', session: 'honest' }, 600); // expires at 1,600; its entry at 1,000 is stale
    const first = machine.handle({ type: 'tick' }, 1_000);
    expect(machine.nextDeadline()).toBe(1_000);
    // The renewal, at 1,590, is applied after at most one more slice and before the rest of the backlog.
    const renewal = machine.handle({ type: 'keepalive', session: 'honest', request: 'k' }, 1_590);
    expect(renewal.at(-1)).toEqual({ type: 'renewed', session: 'honest', request: 'k', leaseMs: 1_000 });
    expect(machine.nextDeadline()).toBeLessThanOrEqual(1_000);
    const rest = tickUntilCaughtUp(machine, 1_700).flat();
    const ended = [...first, ...renewal, ...rest].filter((effect) => effect.type === 'session-ended');
    expect(ended).toHaveLength(200);
    expect([...first, ...renewal, ...rest].some((effect) => 'session' in effect && effect.session === 'honest' && effect.type !== 'renewed')).toBe(false);
    expect(machine.listSessions()).toEqual([{ session: 'honest', client: 'honest', leaseMs: 1_000, expiresAt: 2_590, held: 1, waiting: 0 }]);
    expect(machine.nextDeadline()).toBe(2_590);
  });

  it('ends a session whose lease ran out before its message arrived, even while its deadline waits in the backlog', () => {
    const machine = new LockMachine({ maxExpiryWork: 20 });
    crowd(machine, 200, 1);
    machine.handle({ type: 'open-session', session: 'late', leaseMs: 1_000 }, 5); // expires at 1,005
    machine.handle({ type: 'acquire', session: 'late', request: 1, resource: 'late-lock' }, 5);
    machine.handle({ type: 'tick' }, 1_000);
    expect(machine.nextDeadline()).toBe(1_000);
    const effects = machine.handle({ type: 'acquire', session: 'late', request: 2, resource: 'other' }, 1_006);
    expect(effects.filter((effect) => 'session' in effect && effect.session === 'late')).toEqual([
      { type: 'lost', session: 'late', resource: 'late-lock', token: expect.any(String) as string, reason: 'lease-expired' },
      { type: 'session-ended', session: 'late', request: undefined, reason: 'lease-expired', released: [{ resource: 'late-lock', token: expect.any(String) as string }], withdrawn: 0 },
      { type: 'rejected', session: 'late', request: 2, code: 'SESSION_ENDED', message: expect.any(String) as string },
    ]);
    expect(machine.hasSession('late')).toBe(false);
    // Its stale entry in the backlog passes harmlessly.
    const rest = tickUntilCaughtUp(machine, 1_006).flat();
    expect(rest.some((effect) => 'session' in effect && effect.session === 'late')).toBe(false);
  });

  it('grants nothing to a queue head whose session lapsed while behind: the queue waits for its end (FIFO)', () => {
    const machine = new LockMachine({ maxExpiryWork: 20 });
    crowd(machine, 200, 1);
    machine.handle({ type: 'open-session', session: 'holder', leaseMs: 10_000 }, 1);
    machine.handle({ type: 'open-session', session: 'lapsed', leaseMs: 1_000 }, 1); // expires at 1,001
    machine.handle({ type: 'open-session', session: 'next', leaseMs: 10_000 }, 1);
    const lock = machine.handle({ type: 'acquire', session: 'holder', request: 1, resource: 'x' }, 1).find((effect) => effect.type === 'granted')!;
    machine.handle({ type: 'acquire', session: 'lapsed', request: 1, resource: 'x' }, 1);
    machine.handle({ type: 'acquire', session: 'next', request: 1, resource: 'x' }, 1);
    machine.handle({ type: 'tick' }, 1_002);
    expect(machine.nextDeadline()).toBeLessThanOrEqual(1_002);
    const token = lock.token;
    const release = machine.handle({ type: 'release', session: 'holder', request: 2, resource: 'x', token }, 1_002);
    expect(release.filter((effect) => effect.type !== 'lost' && effect.type !== 'session-ended')).toEqual([
      { type: 'released', session: 'holder', request: 2, resource: 'x', token },
    ]);
    expect(machine.hasSession('lapsed')).toBe(true);
    const rest = tickUntilCaughtUp(machine, 1_002).flat();
    expect(rest.filter((effect) => effect.type === 'granted').map((effect) => 'session' in effect && effect.session)).toEqual(['next']);
    expect(rest).toContainEqual({ type: 'session-ended', session: 'lapsed', request: undefined, reason: 'lease-expired', released: [], withdrawn: 1 });
  });

  it('times out a queue head whose wait ran out while behind instead of granting it late', () => {
    const machine = new LockMachine({ maxExpiryWork: 20 });
    crowd(machine, 200, 1);
    for (const session of ['holder', 'impatient', 'next']) machine.handle({ type: 'open-session', session, leaseMs: 10_000 }, 1);
    const lock = machine.handle({ type: 'acquire', session: 'holder', request: 1, resource: 'x' }, 1).find((effect) => effect.type === 'granted') as Extract<Effect, { type: 'granted' }>;
    machine.handle({ type: 'acquire', session: 'impatient', request: 1, resource: 'x', waitMs: 1_000 }, 1); // gives up at 1,001
    machine.handle({ type: 'acquire', session: 'next', request: 1, resource: 'x' }, 1);
    machine.handle({ type: 'tick' }, 1_002);
    expect(machine.nextDeadline()).toBeLessThanOrEqual(1_002);
    const effects = machine.handle({ type: 'release', session: 'holder', request: 2, resource: 'x', token: lock.token }, 1_002);
    expect(effects.filter((effect) => effect.type !== 'lost' && effect.type !== 'session-ended')).toEqual([
      { type: 'released', session: 'holder', request: 2, resource: 'x', token: lock.token },
      { type: 'timeout', session: 'impatient', request: 1, resource: 'x' },
      { type: 'granted', session: 'next', request: 1, resource: 'x', mode: 'exclusive', token: expect.any(String) as string, waitedMs: 1_001 },
    ]);
    const rest = tickUntilCaughtUp(machine, 1_002).flat();
    expect(rest.some((effect) => 'session' in effect && effect.session === 'impatient')).toBe(false);
  });

  it('bounds the expiry work an input does before it is applied, and applies it at its own time', () => {
    const machine = new LockMachine({ maxExpiryWork: 10 });
    crowd(machine, 100, 3);
    machine.handle({ type: 'open-session', session: 'live', leaseMs: 10_000 }, 500);
    const effects = machine.handle({ type: 'acquire', session: 'live', request: 1, resource: 'fresh' }, 1_200);
    // At most 10 units, then one more deadline (3 lost + session-ended), then the input's own grant.
    expect(effects.length).toBeLessThanOrEqual(10 + 4 + 1);
    expect(effects.at(-1)).toMatchObject({ type: 'granted', session: 'live', resource: 'fresh', waitedMs: 0 });
    expect(machine.inspect('fresh')[0]!.holders[0]!.grantedAt).toBe(1_200);
    expect(machine.nextDeadline()).toBeLessThanOrEqual(1_200);
  });
});

// ---------------------------------------------------------------------------
// Properties

interface Setup {
  sessions: Array<{ leaseMs: number }>;
  requests: Array<{ session: number; resource: number; mode: LockMode; waitMs: number | undefined; lockDelayMs: number; at: number }>;
  renewals: Array<{ session: number; at: number }>;
}

const setupArbitrary: fc.Arbitrary<Setup> = fc.record({
  sessions: fc.array(fc.record({ leaseMs: fc.integer({ min: 1_000, max: 1_400 }) }), { minLength: 1, maxLength: 30 }),
  requests: fc.array(
    fc.record({
      session: fc.nat(29),
      resource: fc.nat(5),
      mode: fc.constantFrom<LockMode>('exclusive', 'shared'),
      waitMs: fc.option(fc.integer({ min: 100, max: 1_500 }), { nil: undefined }),
      lockDelayMs: fc.constantFrom(0, 0, 50, 300),
      at: fc.integer({ min: 0, max: 50 }),
    }),
    { maxLength: 80 },
  ),
  renewals: fc.array(fc.record({ session: fc.nat(29), at: fc.integer({ min: 51, max: 90 }) }), { maxLength: 10 }),
});

/** The setup as inputs in time order. Every deadline it creates is later than its last input, so no catch-up runs while it is fed. */
function setupInputs(setup: Setup): Array<{ input: Input; at: number }> {
  const inputs: Array<{ input: Input; at: number }> = setup.sessions.map((session, index) => ({ input: { type: 'open-session', session: `s${index}`, leaseMs: session.leaseMs }, at: 0 }));
  const timed = [
    ...setup.requests.map((request, index) => ({
      input: {
        type: 'acquire',
        session: `s${request.session % setup.sessions.length}`,
        request: index,
        resource: `r${request.resource}`,
        mode: request.mode,
        waitMs: request.waitMs,
        lockDelayMs: request.lockDelayMs,
      } satisfies Input,
      at: request.at,
    })),
    ...setup.renewals.map((renewal) => ({ input: { type: 'keepalive', session: `s${renewal.session % setup.sessions.length}` } satisfies Input, at: renewal.at })),
  ].sort((a, b) => a.at - b.at);
  return [...inputs, ...timed];
}

function fed(setup: Setup, maxExpiryWork: number): LockMachine {
  const machine = new LockMachine({ maxExpiryWork });
  for (const { input, at } of setupInputs(setup)) machine.handle(input, at);
  return machine;
}

/** Everything observable about a machine's state. */
function state(machine: LockMachine): unknown {
  return { resources: machine.inspect(), sessions: machine.listSessions(), stats: machine.stats(), next: machine.nextDeadline() };
}

/** The most effects one deadline and its instant's settle can produce in this setup: a session's end with all its requests, plus every waiter granted, plus a token reservation. */
function largestStep(setup: Setup): number {
  const perSession = new Map<number, number>();
  for (const request of setup.requests) {
    const session = request.session % setup.sessions.length;
    perSession.set(session, (perSession.get(session) ?? 0) + 1);
  }
  return Math.max(0, ...perSession.values()) + 2 + setup.requests.length + 1;
}

describe('slicing, as properties', () => {
  it('ticks in slices reach exactly what one unbounded tick reaches: same effects in the same order, same state', () => {
    let runsInSlices = 0;
    fc.assert(
      fc.property(setupArbitrary, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 900, max: 4_000 }), (setup, budget, later) => {
        const whole = fed(setup, Number.MAX_SAFE_INTEGER);
        const sliced = fed(setup, budget);
        expect(state(sliced)).toEqual(state(whole));
        const at = 100 + later;
        const all = whole.handle({ type: 'tick' }, at);
        expect(whole.nextDeadline() === undefined || whole.nextDeadline()! > at).toBe(true);
        const slices = tickUntilCaughtUp(sliced, at);
        expect(slices.flat()).toEqual(all);
        if (all.length > budget + largestStep(setup)) expect(slices.length).toBeGreaterThan(1);
        if (slices.length > 2) runsInSlices++;
        expect(state(sliced)).toEqual(state(whole));
        // And they go on alike: the next instant, and a new session's request.
        const next = at + 2_000;
        expect(tickUntilCaughtUp(sliced, next).flat()).toEqual(whole.handle({ type: 'tick' }, next));
        const open: Input = { type: 'open-session', session: 'newcomer', leaseMs: 1_000 };
        expect(sliced.handle(open, next)).toEqual(whole.handle(open, next));
        expect(state(sliced)).toEqual(state(whole));
      }),
      { numRuns: 500 },
    );
    // The generator must keep producing backlogs that take several slices, or this property proves little.
    expect(runsInSlices).toBeGreaterThan(250);
  });

  it('every call does bounded expiry work, whatever the backlog, and the backlog always drains', () => {
    fc.assert(
      fc.property(setupArbitrary, fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 20 }), (setup, budget, steps) => {
        const machine = fed(setup, budget);
        // A crowd on top, so the backlog is far larger than the bound.
        crowd(machine, 100, 2);
        const bound = budget + largestStep(setup);
        let now = 1_000;
        for (const step of steps) {
          now += step;
          // A live session's keepalive or a tick, alternately: both catch up within the bound.
          // (A keepalive naming a lapsed session ends it there, as its own work: one more step.)
          const effects = machine.handle(step % 2 === 0 ? { type: 'tick' } : { type: 'keepalive', session: 's0' }, now);
          expect(effects.length).toBeLessThanOrEqual(bound + largestStep(setup) + 1);
        }
        for (const slice of tickUntilCaughtUp(machine, now)) expect(slice.length).toBeLessThanOrEqual(bound);
        const deadline = machine.nextDeadline();
        expect(deadline === undefined || deadline > now).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
