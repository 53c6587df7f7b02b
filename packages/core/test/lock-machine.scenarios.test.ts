/**
 * Hand-written scenarios for the lock machine: each step's full effect list is
 * pinned with `toEqual`, so any change in what the machine says (or in what
 * order) shows up here.
 */
import { describe, expect, it } from 'vitest';
import {
  CoreMisuseError,
  DEFAULT_LEASE_MS,
  ErrorCode,
  LockMachine,
  MAX_LEASE_MS,
  MAX_RESOURCE_NAME_LENGTH,
  MIN_LEASE_MS,
  TOKEN_RESERVATION_BLOCK,
} from '../src/index.js';
import type { Effect, Input, LockMachineOptions, LockMode, RequestId } from '../src/index.js';

const R = 'file_A';

function rejected(session: string | undefined, request: RequestId | undefined, code: ErrorCode): Effect {
  return { type: 'rejected', session, request, code, message: expect.any(String) as string };
}

function granted(session: string, request: RequestId, token: string, waitedMs = 0, mode: LockMode = 'exclusive', resource = R): Effect {
  return { type: 'granted', session, request, resource, mode, token, waitedMs };
}

function queued(session: string, request: RequestId, position: number, mode: LockMode = 'exclusive', resource = R): Effect {
  return { type: 'queued', session, request, resource, mode, position };
}

function released(session: string, request: RequestId, token: string, resource = R): Effect {
  return { type: 'released', session, request, resource, token };
}

const firstReserve: Effect = { type: 'reserve-tokens', through: '1000' };

/** A machine with the named sessions open at time 0. */
function machineWith(sessions: Record<string, number | undefined>, options?: LockMachineOptions): LockMachine {
  const machine = new LockMachine(options);
  for (const [session, leaseMs] of Object.entries(sessions)) {
    machine.handle({ type: 'open-session', session, leaseMs }, 0);
  }
  return machine;
}

describe('acquire and release', () => {
  it('opens a session and grants a free resource at once, reserving tokens first', () => {
    const machine = new LockMachine();
    expect(machine.handle({ type: 'open-session', session: 'a', request: 0 }, 0)).toEqual([
      { type: 'session-opened', session: 'a', request: 0, leaseMs: DEFAULT_LEASE_MS },
    ]);
    expect(machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 5)).toEqual([firstReserve, granted('a', 1, '1')]);
    expect(machine.inspect()).toEqual([
      {
        resource: R,
        holders: [{ session: 'a', client: 'a', request: 1, mode: 'exclusive', token: '1', grantedAt: 5, heldMs: 0 }],
        waiters: [],
      },
    ]);
    expect(machine.stats()).toEqual({ sessions: 1, resources: 1, holders: 1, waiters: 0, lastToken: '1' });
  });

  it('hands an exclusive lock on in FIFO order across three sessions', () => {
    const machine = machineWith({ a: undefined, b: undefined, c: undefined });
    expect(machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0)).toEqual([firstReserve, granted('a', 1, '1')]);
    expect(machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R }, 10)).toEqual([queued('b', 1, 1)]);
    expect(machine.handle({ type: 'acquire', session: 'c', request: 'c1', resource: R }, 20)).toEqual([queued('c', 'c1', 2)]);
    expect(machine.inspect(R)[0]!.waiters.map((w) => [w.session, w.request])).toEqual([
      ['b', 1],
      ['c', 'c1'],
    ]);

    expect(machine.handle({ type: 'release', session: 'a', request: 2, resource: R, token: '1' }, 100)).toEqual([
      released('a', 2, '1'),
      granted('b', 1, '2', 90),
    ]);
    expect(machine.handle({ type: 'release', session: 'b', request: 2, resource: R, token: '2' }, 150)).toEqual([
      released('b', 2, '2'),
      granted('c', 'c1', '3', 130),
    ]);
    expect(machine.handle({ type: 'release', session: 'c', request: 'c2', resource: R, token: '3' }, 160)).toEqual([released('c', 'c2', '3')]);
    expect(machine.inspect()).toEqual([]);
  });

  it('refuses a release with a token it never granted (NOT_HELD) and one held by another session (FOREIGN_TOKEN)', () => {
    const machine = machineWith({ a: undefined, b: undefined });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0);
    expect(machine.handle({ type: 'release', session: 'a', request: 2, resource: R, token: '7' }, 1)).toEqual([
      rejected('a', 2, ErrorCode.NOT_HELD),
    ]);
    expect(machine.handle({ type: 'release', session: 'a', request: 3, resource: 'other', token: '1' }, 1)).toEqual([
      rejected('a', 3, ErrorCode.NOT_HELD),
    ]);
    expect(machine.handle({ type: 'release', session: 'b', request: 1, resource: R, token: '1' }, 2)).toEqual([
      rejected('b', 1, ErrorCode.FOREIGN_TOKEN),
    ]);
    // Nothing changed: a still holds, and its release goes through; a second one is stale.
    expect(machine.handle({ type: 'release', session: 'a', request: 4, resource: R, token: '1' }, 3)).toEqual([released('a', 4, '1')]);
    expect(machine.handle({ type: 'release', session: 'a', request: 5, resource: R, token: '1' }, 4)).toEqual([
      rejected('a', 5, ErrorCode.NOT_HELD),
    ]);
  });

  it('lets readers share, queues a writer, and keeps a later reader behind the writer', () => {
    const machine = machineWith({ r1: undefined, r2: undefined, r3: undefined, w: undefined, r4: undefined });
    const shared = (session: string, now: number) => machine.handle({ type: 'acquire', session, request: 1, resource: R, mode: 'shared' }, now);
    expect(shared('r1', 0)).toEqual([firstReserve, granted('r1', 1, '1', 0, 'shared')]);
    expect(shared('r2', 1)).toEqual([granted('r2', 1, '2', 0, 'shared')]);
    expect(shared('r3', 2)).toEqual([granted('r3', 1, '3', 0, 'shared')]);
    expect(machine.handle({ type: 'acquire', session: 'w', request: 1, resource: R, mode: 'exclusive' }, 3)).toEqual([queued('w', 1, 1)]);
    expect(shared('r4', 4)).toEqual([queued('r4', 1, 2, 'shared')]);

    const release = (session: string, token: string, now: number) =>
      machine.handle({ type: 'release', session, request: 2, resource: R, token }, now);
    expect(release('r1', '1', 10)).toEqual([released('r1', 2, '1')]);
    expect(release('r2', '2', 11)).toEqual([released('r2', 2, '2')]);
    expect(release('r3', '3', 12)).toEqual([released('r3', 2, '3'), granted('w', 1, '4', 9)]);
    expect(release('w', '4', 20)).toEqual([released('w', 2, '4'), granted('r4', 1, '5', 16, 'shared')]);
  });

  it('grants a run of consecutive readers at the queue head together', () => {
    const machine = machineWith({ w: undefined, r1: undefined, r2: undefined, w2: undefined, r3: undefined });
    machine.handle({ type: 'acquire', session: 'w', request: 1, resource: R }, 0);
    machine.handle({ type: 'acquire', session: 'r1', request: 1, resource: R, mode: 'shared' }, 1);
    machine.handle({ type: 'acquire', session: 'r2', request: 1, resource: R, mode: 'shared' }, 2);
    machine.handle({ type: 'acquire', session: 'w2', request: 1, resource: R }, 3);
    machine.handle({ type: 'acquire', session: 'r3', request: 1, resource: R, mode: 'shared' }, 4);
    expect(machine.handle({ type: 'release', session: 'w', request: 2, resource: R, token: '1' }, 10)).toEqual([
      released('w', 2, '1'),
      granted('r1', 1, '2', 9, 'shared'),
      granted('r2', 1, '3', 8, 'shared'),
    ]);
    expect(machine.inspect(R)[0]!.waiters.map((w) => w.session)).toEqual(['w2', 'r3']);
  });
});

describe('waiting limits', () => {
  it('answers a try-lock on a held resource with an immediate timeout and queues nothing', () => {
    const machine = machineWith({ a: undefined, b: undefined });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0);
    expect(machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R, waitMs: 0 }, 5)).toEqual([
      { type: 'timeout', session: 'b', request: 1, resource: R },
    ]);
    const [snapshot] = machine.inspect(R);
    expect(snapshot!.waiters).toEqual([]);
    expect(snapshot!.holders.map((h) => h.session)).toEqual(['a']);
    expect(machine.stats().waiters).toBe(0);
    // A try-lock on a free resource is simply granted.
    expect(machine.handle({ type: 'acquire', session: 'b', request: 2, resource: 'free', waitMs: 0 }, 6)).toEqual([
      granted('b', 2, '2', 0, 'exclusive', 'free'),
    ]);
  });

  it('times a waiter out at enqueue + waitMs, leaves no trace, and grants the compatible waiter behind it', () => {
    const machine = machineWith({ a: undefined, b: undefined, c: undefined });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R, mode: 'shared' }, 0);
    expect(machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R, waitMs: 300 }, 100)).toEqual([queued('b', 1, 1)]);
    expect(machine.handle({ type: 'acquire', session: 'c', request: 1, resource: R, mode: 'shared' }, 150)).toEqual([
      queued('c', 1, 2, 'shared'),
    ]);
    expect(machine.nextDeadline()).toBe(400);
    expect(machine.inspect(R)[0]!.waiters[0]).toMatchObject({ session: 'b', enqueuedAt: 100, deadline: 400 });

    expect(machine.handle({ type: 'tick' }, 399)).toEqual([]);
    expect(machine.handle({ type: 'tick' }, 400)).toEqual([
      { type: 'timeout', session: 'b', request: 1, resource: R },
      granted('c', 1, '2', 250, 'shared'),
    ]);
    expect(machine.inspect(R)[0]!.waiters).toEqual([]);
    expect(machine.listSessions().find((s) => s.session === 'b')).toMatchObject({ held: 0, waiting: 0 });
    // The request is gone for good: cancelling it now is refused.
    expect(machine.handle({ type: 'cancel', session: 'b', request: 2, target: 1 }, 401)).toEqual([
      rejected('b', 2, ErrorCode.UNKNOWN_REQUEST),
    ]);
  });

  it('leaves a timed-out waiter with an incompatible successor still queued', () => {
    const machine = machineWith({ a: undefined, b: undefined, c: undefined });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0);
    machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R, waitMs: 50 }, 0);
    machine.handle({ type: 'acquire', session: 'c', request: 1, resource: R }, 0);
    expect(machine.handle({ type: 'tick' }, 50)).toEqual([{ type: 'timeout', session: 'b', request: 1, resource: R }]);
    expect(machine.inspect(R)[0]!.waiters.map((w) => w.session)).toEqual(['c']);
  });

  it('cancels a waiter and grants the next one when it is compatible', () => {
    const machine = machineWith({ a: undefined, b: undefined, c: undefined });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R, mode: 'shared' }, 0);
    machine.handle({ type: 'acquire', session: 'b', request: 'w', resource: R }, 1);
    machine.handle({ type: 'acquire', session: 'c', request: 1, resource: R, mode: 'shared' }, 2);
    expect(machine.handle({ type: 'cancel', session: 'b', request: 9, target: 'w' }, 5)).toEqual([
      { type: 'cancelled', session: 'b', request: 9, target: 'w', resource: R },
      granted('c', 1, '2', 3, 'shared'),
    ]);
    expect(machine.inspect(R)[0]!.waiters).toEqual([]);
    expect(machine.stats()).toMatchObject({ holders: 2, waiters: 0 });
  });

  it('refuses to cancel a request that is not waiting (UNKNOWN_REQUEST)', () => {
    const machine = machineWith({ a: undefined });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0);
    expect(machine.handle({ type: 'cancel', session: 'a', request: 2, target: 42 }, 1)).toEqual([rejected('a', 2, ErrorCode.UNKNOWN_REQUEST)]);
    // A granted request is not waiting either.
    expect(machine.handle({ type: 'cancel', session: 'a', request: 3, target: 1 }, 1)).toEqual([rejected('a', 3, ErrorCode.UNKNOWN_REQUEST)]);
    // Request ids are typed: the string "1" is not the number 1.
    machine.handle({ type: 'open-session', session: 'b' }, 1);
    machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R }, 1);
    expect(machine.handle({ type: 'cancel', session: 'b', request: 2, target: '1' }, 2)).toEqual([rejected('b', 2, ErrorCode.UNKNOWN_REQUEST)]);
  });
});

describe('leases', () => {
  it('ends an expired session, reports each lost lock, and grants the next waiter in the same step', () => {
    const machine = machineWith({ a: 1000, b: 5000 });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0);
    machine.handle({ type: 'acquire', session: 'a', request: 2, resource: 'other', mode: 'shared' }, 0);
    machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R }, 10);
    expect(machine.nextDeadline()).toBe(1000);
    expect(machine.handle({ type: 'tick' }, 999)).toEqual([]);
    expect(machine.handle({ type: 'tick' }, 1000)).toEqual([
      { type: 'lost', session: 'a', resource: R, token: '1', reason: 'lease-expired' },
      { type: 'lost', session: 'a', resource: 'other', token: '2', reason: 'lease-expired' },
      {
        type: 'session-ended',
        session: 'a',
        reason: 'lease-expired',
        released: [
          { resource: R, token: '1' },
          { resource: 'other', token: '2' },
        ],
        withdrawn: 0,
      },
      granted('b', 1, '3', 990),
    ]);
    expect(machine.hasSession('a')).toBe(false);
    expect(machine.listSessions().map((s) => s.session)).toEqual(['b']);
  });

  it('withdraws the waiting requests of an expired session', () => {
    const machine = machineWith({ a: undefined, b: 1000 });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0);
    machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R }, 0);
    expect(machine.handle({ type: 'tick' }, 1000)).toEqual([
      { type: 'session-ended', session: 'b', reason: 'lease-expired', released: [], withdrawn: 1 },
    ]);
    expect(machine.inspect(R)[0]!.waiters).toEqual([]);
  });

  it('renews the lease on keepalive so the old expiry passes harmlessly', () => {
    const machine = machineWith({ a: 1000 });
    expect(machine.handle({ type: 'keepalive', session: 'a', request: 5 }, 800)).toEqual([
      { type: 'renewed', session: 'a', request: 5, leaseMs: 1000 },
    ]);
    expect(machine.listSessions()).toEqual([{ session: 'a', client: 'a', leaseMs: 1000, expiresAt: 1800, held: 0, waiting: 0 }]);
    expect(machine.handle({ type: 'tick' }, 1000)).toEqual([]);
    expect(machine.hasSession('a')).toBe(true);
    expect(machine.handle({ type: 'tick' }, 1799)).toEqual([]);
    expect(machine.handle({ type: 'tick' }, 1800)).toEqual([
      { type: 'session-ended', session: 'a', reason: 'lease-expired', released: [], withdrawn: 0 },
    ]);
  });

  it('resumes a live session as an input of its own (renewing its lease), and refuses one whose lease ran out', () => {
    const machine = machineWith({ a: 1000, b: 1000 });
    expect(machine.handle({ type: 'resume-session', session: 'a', request: 3 }, 900)).toEqual([
      { type: 'session-resumed', session: 'a', request: 3, leaseMs: 1000 },
    ]);
    expect(machine.listSessions().find((session) => session.session === 'a')?.expiresAt).toBe(1900);
    // b's lease ended at 1000: the resume first ends it, then is refused.
    expect(machine.handle({ type: 'resume-session', session: 'b', request: 4 }, 1200)).toEqual([
      { type: 'session-ended', session: 'b', reason: 'lease-expired', released: [], withdrawn: 0 },
      rejected('b', 4, ErrorCode.SESSION_ENDED),
    ]);
  });

  it('renews the lease on any input naming the session, even a refused one', () => {
    const machine = machineWith({ a: 1000 });
    machine.handle({ type: 'release', session: 'a', request: 1, resource: R, token: '99' }, 900);
    expect(machine.listSessions()[0]!.expiresAt).toBe(1900);
    machine.handle({ type: 'cancel', session: 'a', request: 2, target: 1 }, 1500);
    expect(machine.listSessions()[0]!.expiresAt).toBe(2500);
  });

  it('answers an expired session with SESSION_ENDED and never grants it anything', () => {
    const machine = machineWith({ a: 1000 });
    // No tick was sent at 1000: the acquire itself first ends the session, then is refused.
    expect(machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 1500)).toEqual([
      { type: 'session-ended', session: 'a', reason: 'lease-expired', released: [], withdrawn: 0 },
      rejected('a', 1, ErrorCode.SESSION_ENDED),
    ]);
    expect(machine.handle({ type: 'keepalive', session: 'a' }, 1600)).toEqual([rejected('a', undefined, ErrorCode.SESSION_ENDED)]);
    expect(machine.handle({ type: 'acquire', session: 'a', request: 2, resource: R }, 1700)).toEqual([rejected('a', 2, ErrorCode.SESSION_ENDED)]);
    expect(machine.handle({ type: 'close-session', session: 'a' }, 1800)).toEqual([rejected('a', undefined, ErrorCode.SESSION_ENDED)]);
    expect(machine.handle({ type: 'acquire', session: 'ghost', request: 1, resource: R }, 1900)).toEqual([
      rejected('ghost', 1, ErrorCode.SESSION_ENDED),
    ]);
    expect(machine.inspect()).toEqual([]);
    expect(machine.stats().lastToken).toBeUndefined();
  });

  it('keeps a lost lock from anyone until the lock-delay lapses', () => {
    const machine = machineWith({ a: 1000, b: 10_000, c: 10_000 });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R, lockDelayMs: 500 }, 0);
    machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R }, 100);
    expect(machine.handle({ type: 'tick' }, 1000)).toEqual([
      { type: 'lost', session: 'a', resource: R, token: '1', reason: 'lease-expired' },
      { type: 'session-ended', session: 'a', reason: 'lease-expired', released: [{ resource: R, token: '1' }], withdrawn: 0 },
    ]);
    expect(machine.inspect(R)[0]).toMatchObject({ holders: [], blockedUntil: 1500 });
    expect(machine.nextDeadline()).toBe(1500);
    // A try-lock during the delay times out at once.
    expect(machine.handle({ type: 'acquire', session: 'c', request: 1, resource: R, waitMs: 0 }, 1200)).toEqual([
      { type: 'timeout', session: 'c', request: 1, resource: R },
    ]);
    expect(machine.handle({ type: 'tick' }, 1499)).toEqual([]);
    expect(machine.handle({ type: 'tick' }, 1500)).toEqual([granted('b', 1, '2', 1400)]);
    expect(machine.inspect(R)[0]!.blockedUntil).toBeUndefined();
  });

  it('keeps an idle resource listed during its lock-delay and drops it when the delay lapses', () => {
    const machine = machineWith({ a: 1000 });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R, lockDelayMs: 500 }, 0);
    machine.handle({ type: 'tick' }, 1000);
    expect(machine.inspect()).toEqual([{ resource: R, holders: [], waiters: [], blockedUntil: 1500 }]);
    expect(machine.nextDeadline()).toBe(1500);
    expect(machine.handle({ type: 'tick' }, 1500)).toEqual([]);
    expect(machine.inspect()).toEqual([]);
    expect(machine.stats()).toEqual({ sessions: 0, resources: 0, holders: 0, waiters: 0, lastToken: '1' });
  });

  it('applies overdue deadlines in time order when ticked late, as if it had been ticked on time', () => {
    // a's lease is renewed (to 1950) after its first deadline entry (1000) was
    // scheduled; its wait runs out at 1050, before the lease. Ticked late at
    // 3000, the wait must still time out first and the session end after.
    const setup = () => {
      const machine = machineWith({ holder: 10_000, a: 1000 });
      machine.handle({ type: 'acquire', session: 'holder', request: 1, resource: R }, 0);
      machine.handle({ type: 'keepalive', session: 'a' }, 900);
      machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R, waitMs: 100 }, 950);
      return machine;
    };
    const timeout: Effect = { type: 'timeout', session: 'a', request: 1, resource: R };
    const ended: Effect = { type: 'session-ended', session: 'a', reason: 'lease-expired', released: [], withdrawn: 0 };

    const punctual = setup();
    expect(punctual.handle({ type: 'tick' }, 1050)).toEqual([timeout]);
    expect(punctual.handle({ type: 'tick' }, 1950)).toEqual([ended]);

    const late = setup();
    expect(late.handle({ type: 'tick' }, 3000)).toEqual([timeout, ended]);
  });

  it('catches up a late tick as if it had been ticked at every deadline: the waiter is granted when the lease ends', () => {
    // holder's lease ends at 1000; waiter's waitMs would end at 2000.
    const setup = () => {
      const machine = machineWith({ holder: 1000, waiter: 10_000 });
      machine.handle({ type: 'acquire', session: 'holder', request: 1, resource: R }, 0);
      machine.handle({ type: 'acquire', session: 'waiter', request: 1, resource: R, waitMs: 2000 }, 0);
      return machine;
    };
    const expected: Effect[] = [
      { type: 'lost', session: 'holder', resource: R, token: '1', reason: 'lease-expired' },
      { type: 'session-ended', session: 'holder', reason: 'lease-expired', released: [{ resource: R, token: '1' }], withdrawn: 0 },
      granted('waiter', 1, '2', 1000),
    ];

    const punctual = setup();
    expect(punctual.handle({ type: 'tick' }, 1000)).toEqual(expected);
    expect(punctual.handle({ type: 'tick' }, 2000)).toEqual([]);

    const late = setup();
    expect(late.handle({ type: 'tick' }, 3000)).toEqual(expected);
    // The grant happened at 1000, the instant the lease ended, not at 3000.
    expect(late.inspect(R)[0]!.holders).toEqual([
      { session: 'waiter', client: 'waiter', request: 1, mode: 'exclusive', token: '2', grantedAt: 1000, heldMs: 2000 },
    ]);
    expect(late.inspect()).toEqual(punctual.inspect().map((snapshot) => ({
      ...snapshot,
      holders: snapshot.holders.map((holder) => ({ ...holder, heldMs: 3000 - holder.grantedAt })),
    })));
  });

  it('sees a session as alive at an earlier instant of a catch-up even though its lease ends later in it, and measures lock-delay from that later instant', () => {
    // a's lease ends at 1000; b is granted then, but b's own lease ends at 1600,
    // so b loses the lock (lock-delay 300, until 1900) and c is granted at 1900.
    const setup = () => {
      const machine = machineWith({ a: 1000, b: 1500, c: 10_000 });
      machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0);
      machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R, lockDelayMs: 300 }, 100);
      machine.handle({ type: 'acquire', session: 'c', request: 1, resource: R }, 200);
      return machine;
    };
    const all: Effect[] = [
      { type: 'lost', session: 'a', resource: R, token: '1', reason: 'lease-expired' },
      { type: 'session-ended', session: 'a', reason: 'lease-expired', released: [{ resource: R, token: '1' }], withdrawn: 0 },
      granted('b', 1, '2', 900),
      { type: 'lost', session: 'b', resource: R, token: '2', reason: 'lease-expired' },
      { type: 'session-ended', session: 'b', reason: 'lease-expired', released: [{ resource: R, token: '2' }], withdrawn: 0 },
      granted('c', 1, '3', 1700),
    ];

    const punctual = setup();
    const punctualEffects: Effect[] = [];
    const deadlines: number[] = [];
    for (let deadline = punctual.nextDeadline(); deadline !== undefined && deadline <= 5000; deadline = punctual.nextDeadline()) {
      deadlines.push(deadline);
      punctualEffects.push(...punctual.handle({ type: 'tick' }, deadline));
    }
    // 1500 is b's original lease end, renewed by its acquire to 1600: a tick there does nothing.
    expect(deadlines).toEqual([1000, 1500, 1600, 1900]);
    expect(punctualEffects).toEqual(all);

    const late = setup();
    expect(late.handle({ type: 'tick' }, 5000)).toEqual(all);
    expect(late.inspect()).toEqual([
      { resource: R, holders: [{ session: 'c', client: 'c', request: 1, mode: 'exclusive', token: '3', grantedAt: 1900, heldMs: 3100 }], waiters: [] },
    ]);
    expect(late.listSessions()).toEqual(punctual.listSessions());
    expect(late.nextDeadline()).toBe(punctual.nextDeadline());
  });

  it('settles a deadline due exactly at an input\'s time before applying the input, as a tick at that time would', () => {
    const machine = machineWith({ a: 1000, b: 10_000, c: 10_000 });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0);
    machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R }, 0);
    // No tick at 1000: c's acquire at 1000 first sees a's lease end and b granted, so c is next in line.
    expect(machine.handle({ type: 'acquire', session: 'c', request: 1, resource: R }, 1000)).toEqual([
      { type: 'lost', session: 'a', resource: R, token: '1', reason: 'lease-expired' },
      { type: 'session-ended', session: 'a', reason: 'lease-expired', released: [{ resource: R, token: '1' }], withdrawn: 0 },
      granted('b', 1, '2', 1000),
      queued('c', 1, 1),
    ]);
  });

  it('treats a time earlier than the last one as the last one', () => {
    const machine = machineWith({ a: 1000 });
    machine.handle({ type: 'keepalive', session: 'a' }, 500);
    machine.handle({ type: 'keepalive', session: 'a' }, 100);
    expect(machine.listSessions()[0]!.expiresAt).toBe(1500);
  });
});

describe('ending sessions and revoking locks', () => {
  it('releases everything at once on close-session, without lock-delay', () => {
    const machine = machineWith({ a: undefined, b: undefined });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R, lockDelayMs: 500 }, 0);
    machine.handle({ type: 'acquire', session: 'b', request: 1, resource: 'other' }, 0);
    machine.handle({ type: 'acquire', session: 'a', request: 2, resource: 'other' }, 1);
    machine.handle({ type: 'acquire', session: 'b', request: 2, resource: R, mode: 'shared' }, 2);
    expect(machine.handle({ type: 'close-session', session: 'a', request: 7 }, 200)).toEqual([
      { type: 'session-ended', session: 'a', request: 7, reason: 'closed', released: [{ resource: R, token: '1' }], withdrawn: 1 },
      granted('b', 2, '3', 198, 'shared'),
    ]);
    expect(machine.inspect(R)[0]!.blockedUntil).toBeUndefined();
    expect(machine.inspect('other')[0]!.waiters).toEqual([]);
    expect(machine.handle({ type: 'close-session', session: 'b', reason: 'disconnected' }, 300)).toEqual([
      {
        type: 'session-ended',
        session: 'b',
        reason: 'disconnected',
        released: [
          { resource: 'other', token: '2' },
          { resource: R, token: '3' },
        ],
        withdrawn: 0,
      },
    ]);
    expect(machine.inspect()).toEqual([]);
  });

  it('revokes a lock on force-release, tells the holder, and grants the next waiter without lock-delay', () => {
    const machine = machineWith({ a: undefined, b: undefined });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R, lockDelayMs: 5000 }, 0);
    machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R }, 10);
    expect(machine.handle({ type: 'force-release', resource: R, session: 'admin', request: 3 }, 50)).toEqual([
      { type: 'lost', session: 'a', resource: R, token: '1', reason: 'revoked' },
      { type: 'force-released', session: 'admin', request: 3, resource: R, tokens: ['1'] },
      granted('b', 1, '2', 40),
    ]);
    expect(machine.handle({ type: 'release', session: 'a', request: 2, resource: R, token: '1' }, 60)).toEqual([
      rejected('a', 2, ErrorCode.NOT_HELD),
    ]);
  });

  it('force-releases only the named token, and refuses when nothing matches', () => {
    const machine = machineWith({ a: undefined, b: undefined });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R, mode: 'shared' }, 0);
    machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R, mode: 'shared' }, 0);
    expect(machine.handle({ type: 'force-release', resource: R, token: '2' }, 1)).toEqual([
      { type: 'lost', session: 'b', resource: R, token: '2', reason: 'revoked' },
      { type: 'force-released', resource: R, tokens: ['2'] },
    ]);
    expect(machine.handle({ type: 'force-release', resource: R, token: '2', request: 4 }, 2)).toEqual([
      rejected(undefined, 4, ErrorCode.NOT_HELD),
    ]);
    expect(machine.handle({ type: 'force-release', resource: 'nobody' }, 2)).toEqual([rejected(undefined, undefined, ErrorCode.NOT_HELD)]);
    expect(machine.inspect(R)[0]!.holders.map((h) => h.token)).toEqual(['1']);
  });

  it('force-releases every shared holder at once', () => {
    const machine = machineWith({ a: undefined, b: undefined, w: undefined });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R, mode: 'shared' }, 0);
    machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R, mode: 'shared' }, 0);
    machine.handle({ type: 'acquire', session: 'w', request: 1, resource: R }, 0);
    expect(machine.handle({ type: 'force-release', resource: R }, 1)).toEqual([
      { type: 'lost', session: 'a', resource: R, token: '1', reason: 'revoked' },
      { type: 'lost', session: 'b', resource: R, token: '2', reason: 'revoked' },
      { type: 'force-released', resource: R, tokens: ['1', '2'] },
      granted('w', 1, '3', 1),
    ]);
  });
});

describe('fencing tokens', () => {
  it('reserves a new block before the first grant beyond the reserved mark', () => {
    const machine = machineWith({ a: undefined });
    const block = Number(TOKEN_RESERVATION_BLOCK);
    for (let token = 1; token <= block; token++) {
      const effects = machine.handle({ type: 'acquire', session: 'a', request: token, resource: R }, 0);
      expect(effects).toEqual(token === 1 ? [firstReserve, granted('a', token, '1')] : [granted('a', token, String(token))]);
      machine.handle({ type: 'release', session: 'a', request: 0, resource: R, token: String(token) }, 0);
    }
    expect(machine.handle({ type: 'acquire', session: 'a', request: 'next', resource: R }, 0)).toEqual([
      { type: 'reserve-tokens', through: String(2 * block) },
      granted('a', 'next', String(block + 1)),
    ]);
  });

  it('continues above the persisted mark after a restart with firstToken = through + 1', () => {
    const before = machineWith({ a: undefined });
    const effects = before.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0);
    const reserve = effects.find((effect) => effect.type === 'reserve-tokens');
    expect(reserve).toEqual({ type: 'reserve-tokens', through: '1000' });

    const after = machineWith({ a: undefined }, { firstToken: BigInt(reserve!.through) + 1n });
    expect(after.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0)).toEqual([
      { type: 'reserve-tokens', through: '2000' },
      granted('a', 1, '1001'),
    ]);
    expect(after.handle({ type: 'acquire', session: 'a', request: 2, resource: 'other' }, 0)).toEqual([
      granted('a', 2, '1002', 0, 'exclusive', 'other'),
    ]);
  });

  it('issues tokens beyond 2^53 exactly', () => {
    const machine = machineWith({ a: undefined }, { firstToken: 2n ** 64n });
    expect(machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0)).toEqual([
      { type: 'reserve-tokens', through: (2n ** 64n + 999n).toString() },
      granted('a', 1, '18446744073709551616'),
    ]);
  });

  it('reports no lastToken until the first grant, also when firstToken is above 1', () => {
    const machine = machineWith({ a: undefined }, { firstToken: 1001n });
    expect(machine.stats().lastToken).toBeUndefined();
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0);
    expect(machine.stats().lastToken).toBe('1001');
  });

  it('refuses a firstToken below 1', () => {
    expect(() => new LockMachine({ firstToken: 0n })).toThrow(CoreMisuseError);
  });
});

describe('validation', () => {
  it.each([MIN_LEASE_MS - 1, MAX_LEASE_MS + 1, 1500.5, 0, -1000, Number.NaN])('refuses leaseMs %s with BAD_FIELD and opens nothing', (leaseMs) => {
    const machine = new LockMachine();
    expect(machine.handle({ type: 'open-session', session: 'a', request: 1, leaseMs }, 0)).toEqual([rejected(undefined, 1, ErrorCode.BAD_FIELD)]);
    expect(machine.hasSession('a')).toBe(false);
    expect(machine.listSessions()).toEqual([]);
  });

  it('accepts the lease bounds themselves', () => {
    const machine = new LockMachine();
    expect(machine.handle({ type: 'open-session', session: 'min', leaseMs: MIN_LEASE_MS }, 0)).toEqual([
      { type: 'session-opened', session: 'min', leaseMs: MIN_LEASE_MS },
    ]);
    expect(machine.handle({ type: 'open-session', session: 'max', leaseMs: MAX_LEASE_MS }, 0)).toEqual([
      { type: 'session-opened', session: 'max', leaseMs: MAX_LEASE_MS },
    ]);
  });

  it.each([
    'a\u0000b',
    'line\nbreak',
    'del\u007f',
    'c1\u0085',
    'x'.repeat(MAX_RESOURCE_NAME_LENGTH + 1),
    'é'.repeat(MAX_RESOURCE_NAME_LENGTH / 2 + 1),
    'lone\ud800',
    '',
  ])(
    'refuses resource name %j with BAD_RESOURCE_NAME',
    (resource) => {
      const machine = machineWith({ a: undefined });
      expect(machine.handle({ type: 'acquire', session: 'a', request: 1, resource }, 0)).toEqual([
        rejected('a', 1, ErrorCode.BAD_RESOURCE_NAME),
      ]);
      expect(machine.inspect()).toEqual([]);
    },
  );

  it.each(['../x', '/etc/passwd', '.hidden', '-rf', 'a b', 'dir/file', 'é', 'orders/42', 'user:1', 'Ünïcode', '😀'])(
    'accepts resource name %j (names are not file names)',
    (resource) => {
      const machine = machineWith({ a: undefined });
      expect(machine.handle({ type: 'acquire', session: 'a', request: 1, resource }, 0)).toEqual([
        firstReserve,
        granted('a', 1, '1', 0, 'exclusive', resource),
      ]);
    },
  );

  it('accepts a name of exactly the maximum length in UTF-8 bytes', () => {
    const machine = machineWith({ a: undefined });
    const resource = 'é'.repeat(MAX_RESOURCE_NAME_LENGTH / 2);
    expect(machine.handle({ type: 'acquire', session: 'a', request: 1, resource }, 0)).toEqual([
      firstReserve,
      granted('a', 1, '1', 0, 'exclusive', resource),
    ]);
  });

  it('accepts a resource name of exactly the maximum length', () => {
    const machine = machineWith({ a: undefined });
    const resource = 'x'.repeat(MAX_RESOURCE_NAME_LENGTH);
    expect(machine.handle({ type: 'acquire', session: 'a', request: 1, resource }, 0)).toEqual([
      firstReserve,
      granted('a', 1, '1', 0, 'exclusive', resource),
    ]);
  });

  it('refuses bad mode, waitMs and lockDelayMs with BAD_FIELD', () => {
    const machine = machineWith({ a: undefined });
    const bad = [
      { mode: 'upgradable' as LockMode },
      { waitMs: -1 },
      { waitMs: 1.5 },
      { lockDelayMs: -1 },
      { lockDelayMs: 60_001 },
    ];
    for (const fields of bad) {
      expect(machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R, ...fields }, 0)).toEqual([
        rejected('a', 1, ErrorCode.BAD_FIELD),
      ]);
    }
    expect(machine.inspect()).toEqual([]);
  });

  it('refuses an acquire that reuses the id of a waiting request (DUPLICATE_REQUEST)', () => {
    const machine = machineWith({ a: undefined, b: undefined });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0);
    expect(machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R }, 1)).toEqual([queued('b', 1, 1)]);
    expect(machine.handle({ type: 'acquire', session: 'b', request: 1, resource: 'other' }, 2)).toEqual([
      rejected('b', 1, ErrorCode.DUPLICATE_REQUEST),
    ]);
    expect(machine.inspect()).toHaveLength(1);
    // Reusing the id of a request that was granted is fine.
    expect(machine.handle({ type: 'acquire', session: 'a', request: 1, resource: 'other' }, 3)).toEqual([
      granted('a', 1, '2', 0, 'exclusive', 'other'),
    ]);
  });

  it('refuses a waiter beyond maxQueueLength with QUEUE_FULL', () => {
    const machine = machineWith({ a: undefined, b: undefined, c: undefined, d: undefined }, { maxQueueLength: 2 });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0);
    machine.handle({ type: 'acquire', session: 'b', request: 1, resource: R }, 0);
    machine.handle({ type: 'acquire', session: 'c', request: 1, resource: R }, 0);
    expect(machine.handle({ type: 'acquire', session: 'd', request: 1, resource: R }, 0)).toEqual([rejected('d', 1, ErrorCode.QUEUE_FULL)]);
    expect(machine.inspect(R)[0]!.waiters).toHaveLength(2);
    // A try-lock on the full queue is still just a timeout.
    expect(machine.handle({ type: 'acquire', session: 'd', request: 2, resource: R, waitMs: 0 }, 0)).toEqual([
      { type: 'timeout', session: 'd', request: 2, resource: R },
    ]);
  });

  it('throws CoreMisuseError for a session opened twice or a time that is not a number', () => {
    const machine = machineWith({ a: undefined });
    expect(() => machine.handle({ type: 'open-session', session: 'a' }, 1)).toThrow(CoreMisuseError);
    expect(() => machine.handle({ type: 'tick' }, Number.NaN)).toThrow(CoreMisuseError);
  });
});

describe('misuse changes nothing', () => {
  /** a holds R with a 1000 ms lease that nobody renews; b has a long lease. */
  function withExpiringHolder(): LockMachine {
    const machine = machineWith({ a: 1000, b: 10_000 });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R, lockDelayMs: 200 }, 0);
    return machine;
  }
  const aExpires: Effect[] = [
    { type: 'lost', session: 'a', resource: R, token: '1', reason: 'lease-expired' },
    { type: 'session-ended', session: 'a', reason: 'lease-expired', released: [{ resource: R, token: '1' }], withdrawn: 0 },
  ];

  it('keeps overdue deadlines pending when open-session of an open id throws', () => {
    const machine = withExpiringHolder();
    const before = { inspect: machine.inspect(), sessions: machine.listSessions(), stats: machine.stats(), next: machine.nextDeadline() };
    expect(() => machine.handle({ type: 'open-session', session: 'b' }, 1500)).toThrow(CoreMisuseError);
    expect({ inspect: machine.inspect(), sessions: machine.listSessions(), stats: machine.stats(), next: machine.nextDeadline() }).toEqual(before);
    expect(machine.handle({ type: 'tick' }, 1500)).toEqual(aExpires);
    // The lock-delay ran from 1000, when the lease ended, so by 1500 it has lapsed and R is forgotten.
    expect(machine.inspect()).toEqual([]);
  });

  it('keeps overdue deadlines pending when an unknown input type throws', () => {
    const machine = withExpiringHolder();
    expect(() => machine.handle({ type: 'bogus' } as unknown as Input, 1500)).toThrow(CoreMisuseError);
    expect(machine.hasSession('a')).toBe(true);
    expect(machine.handle({ type: 'tick' }, 1500)).toEqual(aExpires);
  });

  it('does not let a throwing call move the clock', () => {
    const machine = machineWith({ a: 1000 });
    expect(() => machine.handle({ type: 'open-session', session: 'a' }, 900)).toThrow(CoreMisuseError);
    // Had the clock moved to 900, this keepalive at 100 would count as 900 and renew to 1900.
    machine.handle({ type: 'keepalive', session: 'a' }, 100);
    expect(machine.listSessions()[0]!.expiresAt).toBe(1100);
  });

  it('lets an id be opened again once its lease has run out by the time of the open', () => {
    const machine = withExpiringHolder();
    expect(machine.handle({ type: 'open-session', session: 'a', leaseMs: 2000 }, 1000)).toEqual([
      ...aExpires,
      { type: 'session-opened', session: 'a', leaseMs: 2000 },
    ]);
    expect(machine.listSessions().find((session) => session.session === 'a')).toMatchObject({ expiresAt: 3000, held: 0 });
  });
});

describe('idle resources', () => {
  it('forgets a resource once nobody holds or waits for it', () => {
    const machine = machineWith({ a: undefined, b: undefined });
    machine.handle({ type: 'acquire', session: 'a', request: 1, resource: 'r1' }, 0);
    machine.handle({ type: 'acquire', session: 'b', request: 1, resource: 'r1', waitMs: 100 }, 0);
    machine.handle({ type: 'acquire', session: 'a', request: 2, resource: 'r2' }, 0);
    machine.handle({ type: 'acquire', session: 'b', request: 2, resource: 'r2' }, 0);
    machine.handle({ type: 'acquire', session: 'a', request: 3, resource: 'r3' }, 0);
    expect(machine.inspect().map((s) => s.resource)).toEqual(['r1', 'r2', 'r3']);

    machine.handle({ type: 'release', session: 'a', request: 4, resource: 'r3', token: '3' }, 10);
    expect(machine.inspect().map((s) => s.resource)).toEqual(['r1', 'r2']);
    machine.handle({ type: 'cancel', session: 'b', request: 5, target: 2 }, 20);
    machine.handle({ type: 'release', session: 'a', request: 6, resource: 'r2', token: '2' }, 30);
    expect(machine.inspect().map((s) => s.resource)).toEqual(['r1']);
    machine.handle({ type: 'tick' }, 100); // b's wait times out
    machine.handle({ type: 'release', session: 'a', request: 7, resource: 'r1', token: '1' }, 110);
    expect(machine.inspect()).toEqual([]);
    expect(machine.stats()).toEqual({ sessions: 2, resources: 0, holders: 0, waiters: 0, lastToken: '3' });
  });

  it('sweeps idle resources out in bulk and serves a name again whether or not it was swept yet', () => {
    const machine = machineWith({ a: undefined, b: undefined });
    let request = 0;
    // 5,000 resources used once each: idle marks pile up and are swept in bulk.
    for (let index = 0; index < 5_000; index++) {
      const resource = `r${index}`;
      const effects = machine.handle({ type: 'acquire', session: 'a', request: ++request, resource }, index);
      const token = (effects.find((effect) => effect.type === 'granted') as { token: string }).token;
      machine.handle({ type: 'release', session: 'a', request: ++request, resource, token }, index);
    }
    expect(machine.inspect()).toEqual([]);
    expect(machine.inspect('r4999')).toEqual([]);
    expect(machine.stats()).toMatchObject({ resources: 0, holders: 0, waiters: 0 });
    // An early name (swept) and the last name (still marked idle) both behave like new resources.
    for (const resource of ['r1', 'r4999']) {
      const first = machine.handle({ type: 'acquire', session: 'a', request: ++request, resource }, 6_000);
      expect(first.map((effect) => effect.type)).toContain('granted');
      expect(machine.handle({ type: 'acquire', session: 'b', request: ++request, resource }, 6_000)).toEqual([
        { type: 'queued', session: 'b', request, resource, mode: 'exclusive', position: 1 },
      ]);
      expect(machine.inspect(resource)[0]!.holders.map((holder) => holder.session)).toEqual(['a']);
    }
    expect(machine.stats().resources).toBe(2);
    // The same name over and over with many others held: always one resource, never a growing table.
    const held = machineWith({ a: undefined, b: undefined });
    for (let index = 0; index < 2_000; index++) held.handle({ type: 'acquire', session: 'b', request: `h${index}`, resource: `held-${index}` }, 0);
    for (let round = 0; round < 3_000; round++) {
      const effects = held.handle({ type: 'acquire', session: 'a', request: ++request, resource: 'hot' }, 1);
      const token = (effects.find((effect) => effect.type === 'granted') as { token: string }).token;
      held.handle({ type: 'release', session: 'a', request: ++request, resource: 'hot', token }, 1);
    }
    expect(held.stats()).toMatchObject({ resources: 2_000, holders: 2_000 });
  });
});

describe('restarts', () => {
  it('restart-leases gives every live session a whole lease from now; one already run out ends first', () => {
    const machine = machineWith({ a: 1_000, b: 1_000 });
    expect(machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0)).toEqual([firstReserve, granted('a', 1, '1')]);
    machine.handle({ type: 'keepalive', session: 'b' }, 500);
    // At 1 200 a's lease has run out (at 1 000), b's has not (1 500).
    expect(machine.handle({ type: 'restart-leases' }, 1_200)).toEqual([
      { type: 'lost', session: 'a', resource: R, token: '1', reason: 'lease-expired' },
      { type: 'session-ended', session: 'a', request: undefined, reason: 'lease-expired', released: [{ resource: R, token: '1' }], withdrawn: 0 },
      { type: 'leases-restarted', sessions: 1 },
    ]);
    expect(machine.listSessions()).toEqual([expect.objectContaining({ session: 'b', expiresAt: 2_200 })]);
    // b lives on until 2 200, not 1 500.
    expect(machine.handle({ type: 'tick' }, 2_199)).toEqual([]);
    expect(machine.handle({ type: 'tick' }, 2_200)).toEqual([expect.objectContaining({ type: 'session-ended', session: 'b', reason: 'lease-expired' })]);
  });

  it('grants nothing before grantsHeldUntil: acquires queue, try-locks time out and leave nothing behind, and the queue is granted at the instant the hold ends', () => {
    const machine = machineWith({ a: MAX_LEASE_MS, b: MAX_LEASE_MS }, { grantsHeldUntil: 5_000 });
    expect(machine.handle({ type: 'acquire', session: 'a', request: 1, resource: R }, 0)).toEqual([queued('a', 1, 1)]);
    expect(machine.handle({ type: 'acquire', session: 'b', request: 1, resource: 'other', waitMs: 0 }, 10)).toEqual([
      { type: 'timeout', session: 'b', request: 1, resource: 'other' },
    ]);
    expect(machine.inspect('other')).toEqual([]);
    expect(machine.nextDeadline()).toBe(5_000);
    expect(machine.handle({ type: 'tick' }, 4_999)).toEqual([]);
    expect(machine.handle({ type: 'tick' }, 5_000)).toEqual([firstReserve, granted('a', 1, '1', 5_000)]);
    expect(machine.handle({ type: 'acquire', session: 'b', request: 2, resource: 'other', waitMs: 0 }, 5_001)).toEqual([granted('b', 2, '2', 0, 'exclusive', 'other')]);
  });
});
