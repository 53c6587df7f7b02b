/**
 * The coordinator against docs/protocol.md, point by point, spoken raw over
 * the memory transport: the cases a client written from the spec alone found
 * the server and the spec disagreeing on (the version, ids and their types,
 * null, half a resume pair, which messages renew a lease, try-lock on a full
 * queue, resource names, the status reply's byte budget).
 */
import type { Effect, HolderSnapshot, ResourceSnapshot, ServerMessage, SessionSnapshot, WaiterSnapshot } from '@baton/core';
import type { Listener } from '@baton/transport';
import { encodeMessage, ErrorCode, MAX_MESSAGE_BYTES, MAX_RESOURCE_NAME_LENGTH, MAX_STATUS_REPLY_BYTES } from '@baton/core';
import { memoryTransport } from '@baton/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeEffect, messageForEffect } from '../src/effect-message.js';
import { buildStatusReply, busiestFirst, Coordinator } from '../src/index.js';
import type { CoordinatorOptions } from '../src/index.js';
import { RawClient } from './raw-client.js';

let coordinator: Coordinator | undefined;
let listener: Listener;
const clients: RawClient[] = [];

async function start(options: CoordinatorOptions = {}): Promise<void> {
  coordinator = new Coordinator(options);
  listener = await coordinator.listen(memoryTransport, '127.0.0.1', 0);
}

async function dial(): Promise<RawClient> {
  const raw = await RawClient.dial(memoryTransport, listener.port);
  clients.push(raw);
  return raw;
}

/** A connection whose session is open. */
async function client(name = 'raw', leaseMs?: number): Promise<RawClient> {
  const raw = await dial();
  await raw.hello(name, leaseMs);
  return raw;
}

/** Send one request and take the next message on the connection: no matching by id, so its type is checked as received. */
async function exchange(raw: RawClient, message: unknown): Promise<ServerMessage> {
  const reply = raw.next();
  raw.send(message);
  return reply;
}

function running(): Coordinator {
  if (!coordinator) throw new Error('no coordinator started');
  return coordinator;
}

afterEach(async () => {
  for (const raw of clients.splice(0)) raw.close();
  await coordinator?.close();
  coordinator = undefined;
});

describe('hello: the protocol version (3)', () => {
  it.each([0, 2, -1, 1.5, 1_000_001, 1e300])('v = %j gets UNSUPPORTED_VERSION with the id, and the connection may hello again', async (v) => {
    await start();
    const raw = await dial();
    expect(await exchange(raw, { op: 'hello', id: 'h', v })).toMatchObject({ op: 'error', id: 'h', code: ErrorCode.UNSUPPORTED_VERSION });
    expect(running().stats().sessions).toBe(0);
    expect(await exchange(raw, { op: 'hello', id: 'again', v: 1 })).toMatchObject({ op: 'welcome', id: 'again', v: 1 });
  });

  it.each(['1', null, true])('v = %j, not a number, gets BAD_FIELD with the id', async (v) => {
    await start();
    const raw = await dial();
    expect(await exchange(raw, { op: 'hello', id: 'h', v })).toMatchObject({ op: 'error', id: 'h', code: ErrorCode.BAD_FIELD });
  });
});

describe('hello: half a resume pair (3)', () => {
  it.each([
    [{ session: 's1-00000000' }, '"secret"'],
    [{ secret: '6c0e' }, '"session"'],
  ])('%j gets MISSING_FIELD naming the other half, and opens no session', async (half, missing) => {
    await start();
    const raw = await dial();
    const reply = await exchange(raw, { op: 'hello', id: 'h', ...half });
    expect(reply).toMatchObject({ op: 'error', id: 'h', code: ErrorCode.MISSING_FIELD });
    expect((reply as { message: string }).message).toContain(missing);
    expect(running().stats().sessions).toBe(0);
  });
});

describe('ids (1)', () => {
  it('a request that needs an id and has none gets MISSING_FIELD without one; one with a bad id gets BAD_FIELD without one', async () => {
    await start();
    const raw = await client();
    const missing = await exchange(raw, { op: 'acquire', resource: 'file_A' });
    expect(missing).toMatchObject({ op: 'error', code: ErrorCode.MISSING_FIELD });
    expect('id' in missing).toBe(false);
    const bad = await exchange(raw, { op: 'acquire', id: 1.5, resource: 'file_A' });
    expect(bad).toMatchObject({ op: 'error', code: ErrorCode.BAD_FIELD });
    expect('id' in bad).toBe(false);
    expect(running().inspect()).toEqual([]);
  });

  it('keepalive and goodbye need none: their replies carry none', async () => {
    await start();
    const raw = await client();
    const alive = await exchange(raw, { op: 'keepalive' });
    expect(alive.op).toBe('alive');
    expect('id' in alive).toBe(false);
    const bye = await exchange(raw, { op: 'goodbye' });
    expect(bye).toEqual({ op: 'bye' });
  });

  it('77 and "77" are two ids: both may wait at once, and every reply echoes the exact type', async () => {
    await start();
    const holder = await client('holder');
    const lock = (await exchange(holder, { op: 'acquire', id: 1, resource: 'file_A' })) as Extract<ServerMessage, { op: 'granted' }>;
    const waiter = await client('waiter');
    const asNumber = await exchange(waiter, { op: 'acquire', id: 77, resource: 'file_A' });
    expect(asNumber).toMatchObject({ op: 'queued', position: 1 });
    expect((asNumber as { id: unknown }).id).toBe(77);
    const asString = await exchange(waiter, { op: 'acquire', id: '77', resource: 'file_A' });
    expect(asString).toMatchObject({ op: 'queued', position: 2 });
    expect((asString as { id: unknown }).id).toBe('77');
    const cancelled = await exchange(waiter, { op: 'cancel', id: '78', target: '77' });
    expect(cancelled).toEqual({ op: 'cancelled', id: '78', target: '77', resource: 'file_A' });
    const grant = waiter.next();
    await exchange(holder, { op: 'release', id: 2, resource: 'file_A', token: lock.token });
    const granted = await grant;
    expect(granted).toMatchObject({ op: 'granted', resource: 'file_A' });
    expect((granted as { id: unknown }).id).toBe(77);
  });
});

describe('null is never a value (1)', () => {
  it.each([
    { op: 'acquire', id: 'n', resource: 'file_A', mode: null },
    { op: 'acquire', id: 'n', resource: 'file_A', waitMs: null },
    { op: 'status', id: 'n', resource: null },
  ])('%j gets BAD_FIELD with the id and changes nothing', async (message) => {
    await start();
    const raw = await client();
    expect(await exchange(raw, message)).toMatchObject({ op: 'error', id: 'n', code: ErrorCode.BAD_FIELD });
    expect(running().inspect()).toEqual([]);
  });
});

describe('field order is never significant (1)', () => {
  it('serves a request whose keys come in another order exactly as the canonical one', async () => {
    await start();
    const raw = await client();
    expect(await exchange(raw, '{"mode":"shared","resource":"file_A","id":5,"op":"acquire"}')).toMatchObject({ op: 'granted', id: 5, resource: 'file_A', mode: 'shared' });
  });
});

describe('try-lock on a full queue (4)', () => {
  it('is answered timeout, never QUEUE_FULL; a waiting acquire is refused QUEUE_FULL', async () => {
    await start({ maxQueueLength: 1 });
    const holder = await client('holder');
    expect(await exchange(holder, { op: 'acquire', id: 1, resource: 'file_A' })).toMatchObject({ op: 'granted' });
    const waiter = await client('waiter');
    expect(await exchange(waiter, { op: 'acquire', id: 1, resource: 'file_A' })).toMatchObject({ op: 'queued', position: 1 });
    const third = await client('third');
    expect(await exchange(third, { op: 'acquire', id: 't', resource: 'file_A', waitMs: 0 })).toEqual({ op: 'timeout', id: 't', resource: 'file_A' });
    expect(await exchange(third, { op: 'acquire', id: 'w', resource: 'file_A', waitMs: 5_000 })).toMatchObject({ op: 'error', id: 'w', code: ErrorCode.QUEUE_FULL });
    expect(running().inspect('file_A')[0]!.waiters).toHaveLength(1);
  });
});

describe('renewal (3): the list of messages that renew a lease', () => {
  /** A coordinator on a virtual clock; its timer never fires, and inspect() brings time up to date. */
  async function startVirtual(): Promise<(to: number) => void> {
    let now = 0;
    await start({ clock: () => now, timers: { set: () => 0, clear: () => {} } });
    return (to) => {
      now = to;
    };
  }

  function sessionsAt(advance: (to: number) => void, at: number): number {
    advance(at);
    running().inspect();
    return running().stats().sessions;
  }

  it.each([
    ['keepalive', { op: 'keepalive', id: 'k' }],
    ['a release refused NOT_HELD', { op: 'release', id: 'r', resource: 'file_A', token: '9' }],
    ['a cancel refused UNKNOWN_REQUEST', { op: 'cancel', id: 'c', target: 'nothing' }],
    ['an acquire refused BAD_RESOURCE_NAME', { op: 'acquire', id: 'a', resource: '' }],
    ['a request refused MISSING_FIELD', { op: 'acquire', id: 'm' }],
    ['a request refused BAD_FIELD', { op: 'acquire', id: 'b', resource: 'file_A', mode: null }],
    ['an op refused UNKNOWN_OP', { op: 'frobnicate', id: 'u' }],
    ['a message refused BAD_MESSAGE', '[1]'],
    ['a message refused BAD_JSON', '{"op":'],
    ['a hello refused UNSUPPORTED_VERSION', { op: 'hello', id: 'v', v: 2 }],
    ['a hello refused MISSING_FIELD (half a resume pair)', { op: 'hello', id: 'p', session: 's1-00000000' }],
    ['status', { op: 'status', id: 's' }],
    ['a refused force-release', { op: 'force-release', id: 'f', resource: 'file_A' }],
  ])('%s renews the lease of the session its connection speaks for', async (_name, message) => {
    const advance = await startVirtual();
    const raw = await client('renewing', 1_000);
    advance(900);
    expect((await exchange(raw, message)).op).not.toBe('welcome');
    expect(sessionsAt(advance, 1_500)).toBe(1);
    expect(sessionsAt(advance, 1_901)).toBe(0);
  });

  it('the one exception: a second hello, refused SESSION_EXISTS, renews nothing', async () => {
    const advance = await startVirtual();
    const raw = await client('renewing', 1_000);
    advance(900);
    expect(await exchange(raw, { op: 'hello', id: 'again' })).toMatchObject({ op: 'error', id: 'again', code: ErrorCode.SESSION_EXISTS });
    expect(sessionsAt(advance, 1_001)).toBe(0);
  });
});

describe('resource names (4): any text of 1 to 512 UTF-8 bytes without control characters', () => {
  const names = [
    'orders/42',
    'user:1',
    'locks:tenant-7:invoice',
    'Ünïcode',
    'a "quoted" \\ name',
    '..',
    '/etc/passwd',
    '名前😀',
    'x'.repeat(MAX_RESOURCE_NAME_LENGTH),
    'é'.repeat(MAX_RESOURCE_NAME_LENGTH / 2),
    '"'.repeat(MAX_RESOURCE_NAME_LENGTH),
  ];

  it.each(names.map((name) => [name.length > 40 ? `${name.slice(0, 12)}… (${name.length})` : name, name]))('%s is granted, listed and released under its exact name', async (_label, resource) => {
    await start();
    const raw = await client();
    const granted = await exchange(raw, { op: 'acquire', id: 1, resource, mode: 'exclusive' });
    expect(granted).toMatchObject({ op: 'granted', id: 1, resource });
    const status = await exchange(raw, { op: 'status', id: 2, resource });
    expect(status).toMatchObject({ op: 'status', resources: [{ resource, holding: 1 }] });
    const token = (granted as { token: string }).token;
    expect(await exchange(raw, `{"op":"release","id":3,"resource":${JSON.stringify(resource)},"token":"${token}"}`)).toEqual({ op: 'released', id: 3, resource, token });
  });

  it.each([
    ['513 bytes', 'x'.repeat(MAX_RESOURCE_NAME_LENGTH + 1)],
    ['514 bytes in 257 characters', 'é'.repeat(MAX_RESOURCE_NAME_LENGTH / 2 + 1)],
    ['an escape sequence', 'a\u001b[2Jb'],
    ['a line feed', 'a\nb'],
    ['a C1 control', 'a\u009bb'],
    ['a lone surrogate', 'a\ud800'],
    ['nothing', ''],
  ])('a name of %s gets BAD_RESOURCE_NAME with the id', async (_label, resource) => {
    await start();
    const raw = await client();
    expect(await exchange(raw, { op: 'acquire', id: 'bad', resource })).toMatchObject({ op: 'error', id: 'bad', code: ErrorCode.BAD_RESOURCE_NAME });
    expect(running().inspect()).toEqual([]);
  });

  it('encodeEffect writes every name as the general encoding does, escaping what JSON must', () => {
    for (const resource of [...names, 'back\\slash', 'quote"', '\u2028', 'tab-free\u00a0']) {
      const effects: Effect[] = [
        { type: 'granted', session: 's', request: 1, resource, mode: 'shared', token: '7', waitedMs: 1.4 },
        { type: 'released', session: 's', request: 'r', resource, token: '7' },
        { type: 'queued', session: 's', request: 2, resource, mode: 'exclusive', position: 1 },
      ];
      for (const effect of effects) {
        const text = encodeEffect(effect)!;
        expect(text).toBe(encodeMessage(messageForEffect(effect)!));
        expect((JSON.parse(text) as { resource: string }).resource).toBe(resource);
      }
    }
  });
});

describe('status replies are measured in UTF-8 bytes (5)', () => {
  it('splits 100 resources with multi-byte names and a multi-byte client into pages that each fit', async () => {
    await start();
    const holder = await client('名'.repeat(21));
    const resources = Array.from({ length: 100 }, (_, index) => `資${String(index).padStart(3, '0')}${'源'.repeat(167)}`);
    for (const [index, resource] of resources.entries()) {
      expect(await exchange(holder, { op: 'acquire', id: index, resource })).toMatchObject({ op: 'granted' });
    }
    const reader = await dial();
    const seen: string[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const page = (await exchange(reader, { op: 'status', id: `page-${offset}`, offset })) as Extract<ServerMessage, { op: 'status' }>;
      expect(page.op).toBe('status');
      // The server wrote JSON.stringify(reply); writing the parsed reply again gives the same text.
      const bytes = Buffer.byteLength(JSON.stringify(page), 'utf8');
      expect(bytes).toBeLessThanOrEqual(MAX_STATUS_REPLY_BYTES);
      expect(bytes).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(page.resources.length).toBeGreaterThan(0);
      seen.push(...page.resources.map((entry) => entry.resource));
      offset = page.nextOffset;
    }
    expect(seen.sort()).toEqual([...resources].sort());
  });

  it('keeps within the budget for the largest page the limits allow: long escaped client names everywhere', () => {
    // 64 bytes of control characters: 384 bytes once JSON escapes them.
    const client = '\u0001'.repeat(64);
    const holders: HolderSnapshot[] = Array.from({ length: 100 }, (_, index) => ({ session: `s${index}-00000000`, client, request: index, mode: 'shared', token: String(index + 1), grantedAt: 0, heldMs: 5 }));
    const waiters: WaiterSnapshot[] = Array.from({ length: 400 }, (_, index) => ({ session: `s${index + 100}-00000000`, client, request: index, mode: 'exclusive', enqueuedAt: 0, waitedMs: 5, deadline: 60_000 }));
    const resources: ResourceSnapshot[] = Array.from({ length: 3 }, (_, index) => ({ resource: `${'"'.repeat(MAX_RESOURCE_NAME_LENGTH - 1)}${index}`, holders, waiters }));
    const sessions: SessionSnapshot[] = Array.from({ length: 500 }, (_, index) => ({ session: `s${index}-00000000`, client, leaseMs: 10_000, expiresAt: 10_000, held: 1, waiting: 0 }));
    for (const oneResource of [false, true]) {
      let offset: number | undefined = 0;
      const listed: string[] = [];
      while (offset !== undefined) {
        const ordered = resources.map((entry) => ({ resource: entry.resource, waiting: entry.waiters.length, holding: entry.holders.length })).sort(busiestFirst);
        const byName = (name: string) => resources.find((entry) => entry.resource === name);
        const reply = buildStatusReply({ id: 1, oneResource, offset }, ordered, byName, sessions, 0, 1_764_057_600_000);
        expect(Buffer.byteLength(encodeMessage(reply), 'utf8')).toBeLessThanOrEqual(MAX_STATUS_REPLY_BYTES);
        expect(reply.resources.length).toBeGreaterThan(0);
        for (const entry of reply.resources) {
          expect(entry.holding).toBe(100);
          expect(entry.waiting).toBe(400);
          expect(entry.holders.length + entry.waiters.length).toBeGreaterThan(0);
        }
        expect(reply.totalSessions).toBe(500);
        listed.push(...reply.resources.map((entry) => entry.resource));
        offset = reply.nextOffset;
      }
      expect(listed).toEqual(resources.map((entry) => entry.resource));
    }
  });
});

describe('shutdown (3.2)', () => {
  it('pushes SHUTTING_DOWN without id or sn to every connection, with or without a session, then closes it', async () => {
    await start();
    const holder = await client('holder');
    await exchange(holder, { op: 'acquire', id: 1, resource: 'file_A' });
    const exactlyOnce = await dial();
    expect(await exchange(exactlyOnce, { op: 'hello', id: 'h', exactlyOnce: true })).toMatchObject({ op: 'welcome', exactlyOnce: true });
    const bystander = await dial();
    await running().shutdown();
    for (const raw of [holder, exactlyOnce, bystander]) {
      const notice = await raw.next();
      expect(Object.keys(notice).sort()).toEqual(['code', 'message', 'op']);
      expect(notice).toMatchObject({ op: 'error', code: ErrorCode.SHUTTING_DOWN });
      expect(await raw.closedPromise).toBeUndefined();
    }
  });
});
