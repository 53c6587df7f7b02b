/**
 * Exact scenarios of the sans-IO client session: inputs in, effects out, time
 * as a number. The server's side is written by hand here; the simulation
 * (session-simulation.test.ts) runs it against the real coordinator.
 */
import { describe, expect, it } from 'vitest';
import { ClientSession, GOODBYE_TIMEOUT_MS, MIN_SAFETY_MARGIN_MS } from '../src/index.js';
import type { SessionEffect } from '../src/index.js';

const LEASE = 1_000;

function sent(effects: SessionEffect[]): Record<string, unknown>[] {
  return effects.flatMap((effect) => (effect.type === 'send' ? [JSON.parse(effect.text) as Record<string, unknown>] : []));
}

function welcome(id: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ op: 'welcome', id, v: 1, session: 's1', secret: 'x', leaseMs: LEASE, resumed: false, exactlyOnce: true, applied: 0, sn: 0, ...extra });
}

/** A session opened at time 0 on an exactly-once server. */
function opened(): ClientSession {
  const session = new ClientSession({ client: 'test' });
  const open = session.open();
  expect(session.takeEffects()).toEqual([{ type: 'dial' }]);
  session.connected(0);
  const [hello] = sent(session.takeEffects());
  expect(hello).toMatchObject({ op: 'hello', v: 1, client: 'test', exactlyOnce: true });
  session.handle(welcome(hello!.id), 5);
  expect(session.takeEffects()).toContainEqual({ type: 'resolved', call: open, result: { kind: 'session', session: 's1', leaseMs: LEASE } });
  expect(session.ready).toBe(true);
  return session;
}

describe('ClientSession', () => {
  it('numbers requests, resolves a grant, and proves the lease from the send time', () => {
    const session = opened();
    const call = session.acquire('file_A', {}, 10);
    const [acquire] = sent(session.takeEffects());
    expect(acquire).toEqual({ op: 'acquire', id: call, resource: 'file_A', mode: 'exclusive', seq: 1, ack: 0 });
    session.handle(`{"op":"granted","id":${call},"resource":"file_A","mode":"exclusive","token":"7","waitedMs":0,"sn":1}`, 400);
    expect(session.takeEffects()).toEqual([{ type: 'resolved', call, result: { kind: 'lock', lock: { resource: 'file_A', mode: 'exclusive', token: '7', waitedMs: 0 } } }]);
    expect(session.heldLocks()).toEqual([{ token: '7', resource: 'file_A', mode: 'exclusive' }]);
    // Sent at 10, so the lease is proven until 1010, not 1400.
    expect(session.holdsUntil()).toBe(10 + LEASE - MIN_SAFETY_MARGIN_MS);
  });

  it('rejects a call whose reply is malformed with PROTOCOL, and never acts on it', () => {
    const session = opened();
    const call = session.acquire('file_A', {}, 10);
    session.takeEffects();
    session.handle(`{"op":"granted","id":${call},"resource":"file_A","mode":"exclusive","token":"seven","waitedMs":0,"sn":1}`, 20);
    const effects = session.takeEffects();
    expect(effects).toContainEqual(expect.objectContaining({ type: 'rejected', call, error: expect.objectContaining({ code: 'PROTOCOL' }) }));
    expect(session.heldLocks()).toEqual([]);
    // Its sn was counted: the next message is not taken for a gap.
    session.handle('{"op":"alive","leaseMs":1000,"sn":2}', 30);
    expect(session.takeEffects().some((effect) => effect.type === 'close-connection')).toBe(false);
  });

  it('drops a repeated sn and drops the connection on a gap', () => {
    const session = opened();
    const call = session.acquire('file_A', {}, 10);
    session.takeEffects();
    const queued = `{"op":"queued","id":${call},"resource":"file_A","mode":"exclusive","position":1,"sn":1}`;
    session.handle(queued, 20);
    expect(session.takeEffects()).toEqual([{ type: 'queued', call, position: 1 }]);
    session.handle(queued, 21);
    expect(session.takeEffects()).toEqual([]);
    session.handle(`{"op":"granted","id":${call},"resource":"file_A","mode":"exclusive","token":"7","waitedMs":5,"sn":3}`, 22);
    expect(session.takeEffects()).toEqual([{ type: 'close-connection' }, { type: 'event', event: { type: 'disconnected' } }]);
    expect(session.heldLocks()).toEqual([]);
  });

  it('gives every lock up and stops waiting calls when the lease can no longer be proven', () => {
    const session = opened();
    const first = session.acquire('a', {}, 10);
    session.handle(`{"op":"granted","id":${first},"resource":"a","mode":"exclusive","token":"1","waitedMs":0,"sn":1}`, 11);
    const waiting = session.acquire('b', {}, 20);
    session.takeEffects();
    const deadline = session.nextDeadline()!;
    expect(deadline).toBeLessThanOrEqual(session.holdsUntil());
    // Keepalives go out but nothing comes back.
    for (let now = deadline; now < session.holdsUntil(); now = session.nextDeadline()!) session.tick(now);
    session.takeEffects();
    session.tick(session.holdsUntil());
    const effects = session.takeEffects();
    expect(effects).toContainEqual(expect.objectContaining({ type: 'lock-lost', token: '1', error: expect.objectContaining({ code: 'LEASE_UNCONFIRMED' }) }));
    expect(effects).toContainEqual(expect.objectContaining({ type: 'rejected', call: waiting, error: expect.objectContaining({ code: 'UNAVAILABLE' }) }));
    expect(effects).toContainEqual({ type: 'close-connection' });
    expect(session.heldLocks()).toEqual([]);
  });

  it('resumes with its ack and sends again what the server has not applied', () => {
    const session = opened();
    const first = session.acquire('a', {}, 10);
    const second = session.acquire('b', {}, 11);
    session.takeEffects();
    session.handle(`{"op":"granted","id":${first},"resource":"a","mode":"exclusive","token":"1","waitedMs":0,"sn":1}`, 12);
    session.disconnected(undefined, 13);
    session.tick(13);
    expect(session.takeEffects()).toContainEqual({ type: 'dial' });
    session.connected(20);
    const [hello] = sent(session.takeEffects());
    expect(hello).toMatchObject({ op: 'hello', session: 's1', secret: 'x', ack: 1 });
    expect(hello).not.toHaveProperty('exactlyOnce');
    session.handle(welcome(hello!.id, { resumed: true, applied: 1, sn: 1 }), 25);
    // seq 1 (the first acquire) was applied; seq 2 goes again, exactly as first sent.
    expect(sent(session.takeEffects())).toEqual([{ op: 'acquire', id: second, resource: 'b', mode: 'exclusive', seq: 2, ack: 0 }]);
  });

  it('enforces waitMs on this side while the server cannot be reached', () => {
    const session = opened();
    session.disconnected(undefined, 100);
    session.takeEffects();
    const call = session.acquire('a', { waitMs: 300 }, 100);
    session.dialFailed('refused', 100);
    for (let now = session.nextDeadline()!; now <= 400; now = session.nextDeadline()!) {
      session.tick(now);
      if (now >= 400) break;
      session.dialFailed('refused', now);
    }
    expect(session.takeEffects()).toContainEqual(expect.objectContaining({ type: 'rejected', call, error: expect.objectContaining({ code: 'TIMEOUT' }) }));
    expect(session.pendingCount).toBe(0);
  });

  it('rejects an aborted acquire at once, withdraws it, and gives back a grant that raced the abort', () => {
    const session = opened();
    const call = session.acquire('a', {}, 10);
    session.takeEffects();
    session.abort(call, 20);
    const effects = session.takeEffects();
    expect(effects).toContainEqual(expect.objectContaining({ type: 'rejected', call, error: expect.objectContaining({ code: 'ABORTED' }) }));
    expect(sent(effects)).toEqual([expect.objectContaining({ op: 'cancel', target: call, seq: 2 })]);
    session.handle(`{"op":"granted","id":${call},"resource":"a","mode":"exclusive","token":"9","waitedMs":0,"sn":1}`, 21);
    expect(sent(session.takeEffects())).toEqual([expect.objectContaining({ op: 'release', resource: 'a', token: '9', seq: 3 })]);
    expect(session.heldLocks()).toEqual([]);
  });

  it('turns SHUTTING_DOWN into lost locks and refused calls', () => {
    const session = opened();
    const first = session.acquire('a', {}, 10);
    session.handle(`{"op":"granted","id":${first},"resource":"a","mode":"exclusive","token":"1","waitedMs":0,"sn":1}`, 11);
    const waiting = session.acquire('b', {}, 12);
    session.takeEffects();
    session.handle('{"op":"error","code":"SHUTTING_DOWN","message":"bye"}', 13);
    const effects = session.takeEffects();
    expect(effects).toContainEqual({ type: 'event', event: { type: 'shutting-down', message: 'bye' } });
    expect(effects).toContainEqual(expect.objectContaining({ type: 'lock-lost', token: '1' }));
    expect(effects).toContainEqual(expect.objectContaining({ type: 'rejected', call: waiting, error: expect.objectContaining({ code: 'SHUTTING_DOWN' }) }));
  });

  it('closes after the bye, or after GOODBYE_TIMEOUT_MS without one, and then has no deadline', () => {
    const session = opened();
    const close = session.close(50);
    expect(sent(session.takeEffects())).toEqual([expect.objectContaining({ op: 'goodbye', seq: 1 })]);
    expect(session.nextDeadline()).toBeLessThanOrEqual(50 + GOODBYE_TIMEOUT_MS);
    session.tick(50 + GOODBYE_TIMEOUT_MS);
    expect(session.takeEffects()).toEqual([{ type: 'close-connection' }, { type: 'resolved', call: close, result: { kind: 'closed' } }]);
    expect(session.closed).toBe(true);
    expect(session.nextDeadline()).toBeUndefined();
    const late = session.acquire('a', {}, 60);
    expect(session.takeEffects()).toEqual([{ type: 'rejected', call: late, error: expect.objectContaining({ code: 'CLIENT_CLOSED' }) }]);
  });

  it('resumes to say its goodbye again when the connection drops before the bye', () => {
    const session = opened();
    const close = session.close(50);
    expect(sent(session.takeEffects())).toEqual([expect.objectContaining({ op: 'goodbye', id: close, seq: 1 })]);
    session.disconnected(new Error('reset'), 60);
    expect(session.closed).toBe(false);
    session.tick(60);
    expect(session.takeEffects()).toContainEqual({ type: 'dial' });
    session.connected(70);
    const [hello] = sent(session.takeEffects());
    expect(hello).toMatchObject({ op: 'hello', session: 's1', secret: 'x', ack: 0 });
    session.handle(welcome(hello!.id, { resumed: true, applied: 0, sn: 0 }), 75);
    // Not applied: the goodbye goes again, as first sent; nothing else does.
    expect(sent(session.takeEffects())).toEqual([{ op: 'goodbye', id: close, seq: 1, ack: 0 }]);
    session.handle(`{"op":"bye","id":${close}}`, 80);
    expect(session.takeEffects()).toEqual([{ type: 'close-connection' }, { type: 'resolved', call: close, result: { kind: 'closed' } }]);
    expect(session.closed).toBe(true);
  });

  it('counts a resume that finds the session gone as closed: the goodbye was applied, its bye lost', () => {
    const session = opened();
    const close = session.close(50);
    session.takeEffects();
    session.disconnected(undefined, 60);
    session.tick(60);
    session.connected(70);
    const [hello] = sent(session.takeEffects());
    session.handle(`{"op":"error","id":${String(hello!.id)},"code":"UNKNOWN_SESSION","message":"no such session"}`, 75);
    const effects = session.takeEffects();
    expect(effects).toContainEqual({ type: 'resolved', call: close, result: { kind: 'closed' } });
    expect(sent(effects)).toEqual([]);
    expect(session.closed).toBe(true);
  });

  it('says goodbye after the resume when closed while the connection is down, and gives up at GOODBYE_TIMEOUT_MS', () => {
    const session = opened();
    session.disconnected(undefined, 60);
    session.takeEffects();
    const close = session.close(61);
    const late = session.acquire('a', {}, 62);
    expect(session.takeEffects()).toEqual([{ type: 'rejected', call: late, error: expect.objectContaining({ code: 'CLIENT_CLOSED' }) }]);
    session.tick(61);
    session.connected(70);
    const [hello] = sent(session.takeEffects());
    session.handle(welcome(hello!.id, { resumed: true, applied: 0, sn: 0 }), 75);
    expect(sent(session.takeEffects())).toEqual([{ op: 'goodbye', id: close, seq: 1, ack: 0 }]);
    // The link drops again and the server stays unreachable: the close ends at its deadline.
    session.disconnected(undefined, 80);
    session.tick(80);
    session.dialFailed('refused', 90);
    session.takeEffects();
    expect(session.nextDeadline()).toBeLessThanOrEqual(61 + GOODBYE_TIMEOUT_MS);
    session.tick(61 + GOODBYE_TIMEOUT_MS);
    expect(session.takeEffects()).toContainEqual({ type: 'resolved', call: close, result: { kind: 'closed' } });
    expect(session.closed).toBe(true);
    expect(session.nextDeadline()).toBeUndefined();
  });

  it('fails the open and keeps nothing when the connection drops before the welcome', () => {
    const session = new ClientSession();
    const open = session.open();
    session.takeEffects();
    session.connected(0);
    session.takeEffects();
    session.disconnected(new Error('reset'), 5);
    expect(session.takeEffects()).toContainEqual(expect.objectContaining({ type: 'rejected', call: open, error: expect.objectContaining({ code: 'CONNECT_FAILED' }) }));
    expect(session.closed).toBe(true);
    expect(session.nextDeadline()).toBeUndefined();
  });
});
