/**
 * The strict decoder for server messages: every op round-trips, every field
 * rule refuses with its code (and says which field and rule), arbitrary valid
 * messages decode to themselves, and no input at all makes it throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  MAX_REQUEST_ID_LENGTH,
  MAX_RESOURCE_NAME_LENGTH,
  MAX_STATUS_HOLDERS,
  MAX_STATUS_RESOURCES,
  MAX_STATUS_SESSIONS,
  MAX_STATUS_WAITERS_ONE_RESOURCE,
  SERVER_OPS,
  decodeServerMessage,
  decodeServerReply,
  decodeServerReplyInGeneral,
  encodeMessage,
  isValidResourceName,
} from '../src/index.js';
import type {
  DecodeResult,
  HolderStatus,
  RequestId,
  ResourceStatus,
  ServerMessage,
  SessionStatus,
  StatusReplyMessage,
  WaiterStatus,
} from '../src/index.js';

function decode(value: unknown): DecodeResult<ServerMessage> {
  return decodeServerReply(JSON.stringify(value));
}

function failure(code: ErrorCode, id?: RequestId, message: unknown = expect.any(String)) {
  const expected: Record<string, unknown> = { ok: false, code, message };
  if (id !== undefined) expected.id = id;
  return expected;
}

const ERROR_CODES = new Set<string>(Object.values(ErrorCode));

const holder: HolderStatus = { session: 's1-ab', client: 'alice', mode: 'shared', token: '12', grantedAt: 1764057600000, heldMs: 1520 };
const waiter: WaiterStatus = { session: 's2-cd', client: 'bob', mode: 'exclusive', position: 1, waitedMs: 800, timeoutInMs: 59200 };
const busy: ResourceStatus = { resource: 'file_A', holders: [holder], holding: 1, waiters: [waiter], waiting: 1, blockedForMs: 0 };
const session: SessionStatus = { session: 's1-ab', client: 'alice', leaseMs: 10000, expiresInMs: 9100, held: 1, waiting: 0 };
const status: StatusReplyMessage = {
  op: 'status',
  id: 10,
  resources: [busy],
  totalResources: 1,
  offset: 0,
  nextOffset: 1,
  sessions: [session],
  totalSessions: 1,
};

/** One message of each op with every field it may have, and the fields it may leave out. */
const full: ReadonlyArray<readonly [ServerMessage, readonly string[]]> = [
  [{ op: 'welcome', id: 1, v: 1, session: 's1-9f2c01ab', secret: '6c0e', leaseMs: 10000, resumed: false, exactlyOnce: true, applied: 0, sn: 0 }, ['id', 'exactlyOnce', 'applied', 'sn']],
  [{ op: 'queued', id: 2, resource: 'file_A', mode: 'exclusive', position: 3, sn: 4 }, ['sn']],
  [{ op: 'granted', id: 2, resource: 'file_A', mode: 'shared', token: '7', waitedMs: 0, sn: 5 }, ['sn']],
  [{ op: 'released', id: 'r-4', resource: 'file_A', token: '7', sn: 6 }, ['sn']],
  [{ op: 'timeout', id: 3, resource: 'db.users-2', sn: 7 }, ['sn']],
  [{ op: 'cancelled', id: 9, target: 'a-1', resource: 'x', sn: 8 }, ['sn']],
  [{ op: 'lost', resource: 'file_A', token: '18446744073709551615', reason: 'lease-expired', sn: 9 }, ['sn']],
  [{ op: 'alive', id: 5, leaseMs: 10000, sn: 10 }, ['id', 'sn']],
  [{ op: 'bye', id: 6 }, ['id']],
  [status, ['nextOffset']],
  [{ op: 'force-released', id: 11, resource: 'file_A', tokens: ['1043', '1'], sn: 11 }, ['sn']],
  [{ op: 'error', id: 7, code: 'BAD_RESOURCE_NAME', message: 'resource name "../x" may use only …', sn: 12 }, ['id', 'sn']],
];

function without(message: object, key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...message };
  delete copy[key];
  return copy;
}

function idOf(message: object): RequestId | undefined {
  return 'id' in message && (typeof message.id === 'number' || typeof message.id === 'string') ? message.id : undefined;
}

/** The failure for a message whose `id` (and `sn`, but a welcome's) are readable unless `broken` is one of them. */
function refusal(code: ErrorCode, message: Record<string, unknown>, broken: string, says: unknown = expect.any(String)) {
  const expected = failure(code, broken === 'id' ? undefined : idOf(message), says);
  if (message.op !== 'welcome' && broken !== 'sn' && typeof message.sn === 'number') expected.sn = message.sn;
  return expected;
}

describe('decodeServerReply accepts every op', () => {
  const minimal: ServerMessage[] = full.map(([message, optional]) => {
    let copy: Record<string, unknown> = { ...message };
    for (const key of optional) delete copy[key];
    if (copy.op === 'status') copy = { ...copy, resources: [], sessions: [] };
    return copy as unknown as ServerMessage;
  });
  const valid: ServerMessage[] = [
    ...full.map(([message]) => message),
    ...minimal,
    { op: 'lost', resource: 'r', token: '1', reason: 'revoked' },
    { op: 'error', code: 'SESSION_ENDED', message: '' },
    { op: 'welcome', v: 1, session: 's', secret: 'x', leaseMs: 1000, resumed: true },
    { op: 'force-released', id: 0, resource: 'r', tokens: [] },
    { ...status, resources: [{ resource: 'r', holders: [], holding: 0, waiters: [{ ...waiter, timeoutInMs: undefined }], waiting: 9 }].map((entry) => JSON.parse(JSON.stringify(entry)) as ResourceStatus) },
  ];

  it.each(valid.map((message) => [encodeMessage(message), message] as const))('%s', (text, message) => {
    expect(decodeServerReply(text)).toEqual({ ok: true, message });
    expect(decodeServerReplyInGeneral(text)).toEqual({ ok: true, message });
    expect(decodeServerMessage(text)).toEqual(message);
  });

  it('covers every op in SERVER_OPS', () => {
    expect(new Set(full.map(([message]) => message.op))).toEqual(new Set(SERVER_OPS));
  });

  it('drops unknown fields, also inside status entries, and leaves no undefined keys', () => {
    const result = decode({ op: 'granted', id: 1, resource: 'r', mode: 'exclusive', token: '1', waitedMs: 0, extra: [1], sn: undefined });
    expect(result).toEqual({ ok: true, message: { op: 'granted', id: 1, resource: 'r', mode: 'exclusive', token: '1', waitedMs: 0 } });
    expect(Object.keys(result.ok ? result.message : {})).toEqual(['op', 'id', 'resource', 'mode', 'token', 'waitedMs']);

    const padded = { ...status, later: true, resources: [{ ...busy, x: 1, holders: [{ ...holder, y: 2 }], waiters: [{ ...waiter, z: 3 }] }], sessions: [{ ...session, w: 4 }] };
    expect(decode(padded)).toEqual({ ok: true, message: status });
  });

  it('takes the canonical fast path and the general decoder to the same answer', () => {
    const texts = [
      '{"op":"granted","id":1,"resource":"r","mode":"exclusive","token":"1","waitedMs":0}',
      '{"op":"granted","id":1,"resource":"r","mode":"shared","token":"99","waitedMs":12,"sn":3}',
      '{"op":"released","id":7,"resource":"a.b-c_d","token":"42"}',
      '{"op":"released","id":7,"resource":"a.b-c_d","token":"42","sn":1}',
    ];
    for (const text of texts) {
      expect(decodeServerReply(text)).toEqual(decodeServerReplyInGeneral(text));
      expect(decodeServerReply(text).ok).toBe(true);
    }
  });

  it('refuses a canonical text with "sn":0, which the fast path would match', () => {
    expect(decodeServerReply('{"op":"granted","id":1,"resource":"r","mode":"exclusive","token":"1","waitedMs":0,"sn":0}')).toEqual(
      failure(ErrorCode.BAD_FIELD, 1, `granted: "sn" must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}`),
    );
    expect(decodeServerReply('{"op":"released","id":1,"resource":"r","token":"1","sn":0}')).toEqual(failure(ErrorCode.BAD_FIELD, 1));
  });

  it('delegates decodeServerMessage to it: the message, or undefined for anything malformed', () => {
    expect(decodeServerMessage('{"op":"bye"}')).toEqual({ op: 'bye' });
    expect(decodeServerMessage('{"op":"granted","id":1}')).toBeUndefined();
    expect(decodeServerMessage('{"op":"hello"}')).toBeUndefined();
    expect(decodeServerMessage('[')).toBeUndefined();
  });
});

describe('field order is never significant (docs/protocol.md 1)', () => {
  it.each(full.map(([message]) => [message.op, message] as const))('%s decodes the same with its keys in reverse order', (_op, message) => {
    const reversed = Object.fromEntries(Object.entries(message).reverse());
    expect(decodeServerReply(JSON.stringify(reversed))).toEqual({ ok: true, message });
  });
});

describe('decodeServerReply refuses malformed messages', () => {
  it.each(['', '{', '{"op":"bye"', 'bye', "{'op':'bye'}", '{"op":"bye",}', 'undefined', 'NaN'])('BAD_JSON for %j', (raw) => {
    expect(decodeServerReply(raw)).toEqual(failure(ErrorCode.BAD_JSON));
  });

  it.each(['[]', '[{"op":"bye"}]', '42', '"bye"', 'null', 'true'])('BAD_MESSAGE for %s', (raw) => {
    expect(decodeServerReply(raw)).toEqual(failure(ErrorCode.BAD_MESSAGE));
  });

  it('UNKNOWN_OP for an op no server sends, echoing the id', () => {
    expect(decode({ op: 'frobnicate', id: 7 })).toEqual(failure(ErrorCode.UNKNOWN_OP, 7));
    expect(decode({ op: 'acquire', id: 'x', resource: 'r' })).toEqual(failure(ErrorCode.UNKNOWN_OP, 'x'));
    expect(decode({ op: 'toString' })).toEqual(failure(ErrorCode.UNKNOWN_OP));
    expect(decode({ op: '__proto__' })).toEqual(failure(ErrorCode.UNKNOWN_OP));
    expect(decode({ op: 'Granted' })).toEqual(failure(ErrorCode.UNKNOWN_OP));
  });

  it('MISSING_FIELD for an absent op, BAD_FIELD for one that is not a string', () => {
    expect(decode({ id: 1 })).toEqual(failure(ErrorCode.MISSING_FIELD, 1, '"op" is required'));
    expect(decode({ op: 1, id: 2 })).toEqual(failure(ErrorCode.BAD_FIELD, 2, '"op" must be a string'));
    expect(decode({ op: null })).toEqual(failure(ErrorCode.BAD_FIELD));
  });

  // Every field each op requires, left out in turn; the optional ones may be.
  const omissions = full.flatMap(([message, optional]) =>
    Object.keys(message)
      .filter((key) => key !== 'op')
      .map((key) => [message.op, key, optional.includes(key), message] as const),
  );
  it.each(omissions)('%s without "%s": required unless optional (%s)', (op, key, optional, message) => {
    const result = decode(without(message, key));
    if (optional) expect(result.ok).toBe(true);
    else expect(result).toEqual(refusal(ErrorCode.MISSING_FIELD, without(message, key), key, `${op}: "${key}" is required`));
  });

  const base = new Map(full.map(([message]) => [message.op, message]));
  function variant(op: string, changes: Record<string, unknown>): Record<string, unknown> {
    return { ...base.get(op as ServerMessage['op']), ...changes };
  }

  // [op, field, bad value, what the message must say]
  const badFields: Array<[op: string, field: string, value: unknown, says?: string]> = [
    // ids, by the RequestId rule
    ['granted', 'id', 1.5, `granted: "id" must be a safe integer or a string of 1 to ${MAX_REQUEST_ID_LENGTH} UTF-8 bytes`],
    // 33 units, 66 bytes: the limit counts bytes
    ['granted', 'id', 'é'.repeat(MAX_REQUEST_ID_LENGTH / 2 + 1)],
    ['granted', 'id', Number.MAX_SAFE_INTEGER + 1],
    ['queued', 'id', ''],
    ['released', 'id', 'x'.repeat(MAX_REQUEST_ID_LENGTH + 1)],
    ['timeout', 'id', null],
    ['cancelled', 'target', true],
    ['cancelled', 'target', [1]],
    ['welcome', 'id', { n: 1 }],
    ['alive', 'id', 1.25],
    ['bye', 'id', ''],
    ['error', 'id', false],
    ['status', 'id', 2 ** 60],
    ['force-released', 'id', 'x'.repeat(MAX_REQUEST_ID_LENGTH + 1)],
    // resources, by the naming rule
    ['granted', 'resource', 'a\u0000b', 'granted: resource name must not contain control characters (U+0000–U+001F, U+007F–U+009F); character 2 is U+0000'],
    ['queued', 'resource', ''],
    ['released', 'resource', 'x'.repeat(MAX_RESOURCE_NAME_LENGTH + 1), `released: resource name is more than ${MAX_RESOURCE_NAME_LENGTH} UTF-8 bytes; the limit is ${MAX_RESOURCE_NAME_LENGTH}`],
    ['released', 'resource', 'é'.repeat(MAX_RESOURCE_NAME_LENGTH / 2 + 1), `released: resource name is ${MAX_RESOURCE_NAME_LENGTH + 2} UTF-8 bytes; the limit is ${MAX_RESOURCE_NAME_LENGTH}`],
    ['timeout', 'resource', 42, 'timeout: resource must be a string'],
    ['cancelled', 'resource', 'a\u007fb'],
    ['lost', 'resource', 'a\ud800', 'lost: resource name must be well-formed Unicode; character 2 is a lone surrogate U+D800'],
    ['force-released', 'resource', ['r']],
    // tokens: decimal strings
    ['granted', 'token', 42, 'granted: "token" must be a decimal string, as granted'],
    ['granted', 'token', '0'],
    ['released', 'token', '007'],
    ['lost', 'token', '123456789012345678901'],
    ['lost', 'token', '1e3'],
    ['force-released', 'tokens', '1043', 'force-released: "tokens" must be an array'],
    ['force-released', 'tokens', ['1', '01'], 'force-released: "tokens[1]" must be a decimal string, as granted'],
    ['force-released', 'tokens', [1]],
    // mode literal
    ['granted', 'mode', 'upgradable', 'granted: "mode" must be "exclusive" or "shared"'],
    ['queued', 'mode', 'Exclusive'],
    ['queued', 'mode', 1],
    // positions ≥ 1
    ['queued', 'position', 0, `queued: "position" must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}`],
    ['queued', 'position', 1.5],
    ['queued', 'position', '1'],
    // durations and counts ≥ 0
    ['granted', 'waitedMs', -1, `granted: "waitedMs" must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}`],
    ['granted', 'waitedMs', 0.5],
    ['granted', 'waitedMs', null],
    ['alive', 'leaseMs', -1],
    ['alive', 'leaseMs', '10000'],
    ['welcome', 'leaseMs', 1e300],
    // sn ≥ 1 on stream messages
    ['granted', 'sn', 0, `granted: "sn" must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}`],
    ['queued', 'sn', -3],
    ['released', 'sn', Number.MAX_SAFE_INTEGER + 1],
    ['timeout', 'sn', '1'],
    ['cancelled', 'sn', 1.5],
    ['lost', 'sn', 0],
    ['alive', 'sn', null],
    ['force-released', 'sn', 0],
    ['error', 'sn', 0],
    // welcome
    ['welcome', 'v', 0],
    ['welcome', 'v', '1'],
    ['welcome', 'session', 7, 'welcome: "session" must be a string'],
    ['welcome', 'session', 's'.repeat(129), 'welcome: "session" must be at most 128 UTF-8 bytes'],
    ['welcome', 'session', 'é'.repeat(65)],
    ['welcome', 'secret', 's'.repeat(257)],
    ['welcome', 'secret', 'é'.repeat(129), 'welcome: "secret" must be at most 256 UTF-8 bytes'],
    ['welcome', 'resumed', 'false', 'welcome: "resumed" must be true or false'],
    ['welcome', 'resumed', 0],
    ['welcome', 'exactlyOnce', 1],
    ['welcome', 'applied', -1, `welcome: "applied" must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}`],
    ['welcome', 'applied', 0.5],
    ['welcome', 'sn', -1],
    ['welcome', 'sn', Number.MAX_SAFE_INTEGER + 1],
    // lost
    ['lost', 'reason', 'expired', 'lost: "reason" must be "lease-expired" or "revoked"'],
    ['lost', 'reason', null],
    // error
    ['error', 'code', 'NOPE', 'error: "code" must be one of the error codes of docs/protocol.md 6'],
    ['error', 'code', 'bad_json'],
    ['error', 'code', 1],
    ['error', 'code', 'PROTOCOL'],
    ['error', 'message', 5, 'error: "message" must be a string'],
    ['error', 'message', null],
    // status, top level
    ['status', 'resources', {}, 'status: "resources" must be an array'],
    ['status', 'resources', [null], 'status: resources[0]: must be an object'],
    ['status', 'resources', [busy, []]],
    ['status', 'resources', Array.from({ length: MAX_STATUS_RESOURCES + 1 }, () => busy), `status: "resources" must have at most ${MAX_STATUS_RESOURCES} entries`],
    ['status', 'sessions', 'all'],
    ['status', 'sessions', Array.from({ length: MAX_STATUS_SESSIONS + 1 }, () => session)],
    ['status', 'totalResources', -1],
    ['status', 'offset', 1.5],
    ['status', 'nextOffset', '100'],
    ['status', 'totalSessions', null],
    // status, resource entries
    ['status', 'resources', [{ ...busy, resource: 'a\u001bb' }], 'status: resources[0]: resource name must not contain control characters (U+0000–U+001F, U+007F–U+009F); character 2 is U+001B'],
    ['status', 'resources', [{ ...busy, holders: {} }], 'status: resources[0]: "holders" must be an array'],
    ['status', 'resources', [{ ...busy, holders: Array.from({ length: MAX_STATUS_HOLDERS + 1 }, () => holder) }]],
    ['status', 'resources', [{ ...busy, waiters: Array.from({ length: MAX_STATUS_WAITERS_ONE_RESOURCE + 1 }, () => waiter) }]],
    ['status', 'resources', [{ ...busy, waiting: -1 }]],
    ['status', 'resources', [{ ...busy, blockedForMs: -1 }]],
    // status, holder, waiter and session entries
    ['status', 'resources', [{ ...busy, holders: [holder, { ...holder, token: '0' }] }], 'status: resources[0].holders[1]: "token" must be a decimal string, as granted'],
    ['status', 'resources', [{ ...busy, holders: [{ ...holder, mode: 'read' }] }]],
    ['status', 'resources', [{ ...busy, holders: [{ ...holder, session: 1 }] }]],
    ['status', 'resources', [{ ...busy, holders: [{ ...holder, client: 'c'.repeat(129) }] }]],
    ['status', 'resources', [{ ...busy, holders: [{ ...holder, client: 'é'.repeat(65) }] }], 'status: resources[0].holders[0]: "client" must be at most 128 UTF-8 bytes'],
    ['status', 'resources', [{ ...busy, holders: [{ ...holder, grantedAt: -5 }] }]],
    ['status', 'resources', [{ ...busy, holders: [{ ...holder, heldMs: 1.5 }] }]],
    ['status', 'resources', [{ ...busy, holders: ['s1'] }], 'status: resources[0].holders[0]: must be an object'],
    ['status', 'resources', [{ ...busy, waiters: [{ ...waiter, position: 0 }] }], `status: resources[0].waiters[0]: "position" must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}`],
    ['status', 'resources', [{ ...busy, waiters: [{ ...waiter, waitedMs: -1 }] }]],
    ['status', 'resources', [{ ...busy, waiters: [{ ...waiter, timeoutInMs: '5' }] }]],
    ['status', 'resources', [{ ...busy, waiters: [{ ...waiter, mode: null }] }]],
    ['status', 'sessions', [{ ...session, leaseMs: -1 }], `status: sessions[0]: "leaseMs" must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}`],
    ['status', 'sessions', [{ ...session, expiresInMs: 0.5 }]],
    ['status', 'sessions', [{ ...session, held: '1' }]],
    ['status', 'sessions', [{ ...session, waiting: -1 }]],
    ['status', 'sessions', [{ ...session, client: 7 }]],
  ];

  it.each(badFields)('BAD_FIELD for %s with %s = %j, echoing a readable id', (op, field, value, says) => {
    const message = variant(op, { [field]: value });
    expect(decode(message)).toEqual(refusal(ErrorCode.BAD_FIELD, message, field, says ?? expect.stringMatching(new RegExp(`^${op}: `))));
  });

  it.each([
    ['status', 'resources', [without(busy, 'resource')], 'status: resources[0]: "resource" is required'],
    ['status', 'resources', [busy, without(busy, 'holding')], 'status: resources[1]: "holding" is required'],
    ['status', 'resources', [{ ...busy, holders: [without(holder, 'token')] }], 'status: resources[0].holders[0]: "token" is required'],
    ['status', 'resources', [{ ...busy, waiters: [without(waiter, 'position')] }], 'status: resources[0].waiters[0]: "position" is required'],
    ['status', 'sessions', [without(session, 'expiresInMs')], 'status: sessions[0]: "expiresInMs" is required'],
  ] as const)('MISSING_FIELD inside %s %s says where', (op, field, value, says) => {
    expect(decode(variant(op, { [field]: value }))).toEqual(failure(ErrorCode.MISSING_FIELD, 10, says));
  });

  it('accepts the list limits exactly', () => {
    const atLimit = {
      ...status,
      resources: Array.from({ length: MAX_STATUS_RESOURCES }, (_, index) => ({
        ...busy,
        resource: `r${index}`,
        holders: index === 0 ? Array.from({ length: MAX_STATUS_HOLDERS }, () => holder) : [],
        waiters: index === 0 ? Array.from({ length: MAX_STATUS_WAITERS_ONE_RESOURCE }, () => waiter) : [],
      })),
      sessions: Array.from({ length: MAX_STATUS_SESSIONS }, () => session),
    };
    expect(decode(atLimit)).toEqual({ ok: true, message: atLimit });
  });

  it('echoes the sn of a malformed stream message, never the welcome\'s', () => {
    expect(decode({ op: 'granted', id: 1, resource: 'r', sn: 5 })).toEqual({ ...failure(ErrorCode.MISSING_FIELD, 1), sn: 5 });
    expect(decode({ op: 'future-op', sn: 6 })).toEqual({ ...failure(ErrorCode.UNKNOWN_OP), sn: 6 });
    expect(decode({ op: 'welcome', id: 1, sn: 5 })).toEqual(failure(ErrorCode.MISSING_FIELD, 1));
    expect(decode({ op: 'granted', id: 1, sn: 0 })).toEqual(failure(ErrorCode.MISSING_FIELD, 1));
  });
});

// ---- arbitraries of valid server messages ----

// Ids and names by their byte limits: a code point is at most 4 UTF-8 bytes.
const requestId = fc.oneof(
  fc.maxSafeInteger(),
  fc.string({ minLength: 1, maxLength: MAX_REQUEST_ID_LENGTH }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: MAX_REQUEST_ID_LENGTH / 4 }),
);
const resourceName = fc.oneof(
  fc.stringMatching(/^[ -~]{1,40}$/),
  fc.string({ unit: 'binary', minLength: 1, maxLength: MAX_RESOURCE_NAME_LENGTH / 4 }).filter(isValidResourceName),
  fc.constantFrom('orders/42', 'user:1', 'Ünïcode', 'a"b\\c', 'x'.repeat(MAX_RESOURCE_NAME_LENGTH), 'é'.repeat(MAX_RESOURCE_NAME_LENGTH / 2), '😀'.repeat(MAX_RESOURCE_NAME_LENGTH / 4)),
);
const token = fc.bigInt({ min: 1n, max: 10n ** 20n - 1n }).map(String);
const mode = fc.constantFrom('exclusive' as const, 'shared' as const);
const count = fc.maxSafeNat();
const position = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const sn = position;
const sessionId = fc.string({ unit: 'binary', maxLength: 32 });
const clientName = fc.string({ maxLength: 128 });

const holderStatus: fc.Arbitrary<HolderStatus> = fc.record({ session: sessionId, client: clientName, mode, token, grantedAt: count, heldMs: count });
const waiterStatus: fc.Arbitrary<WaiterStatus> = fc.record(
  { session: sessionId, client: clientName, mode, position, waitedMs: count, timeoutInMs: count },
  { requiredKeys: ['session', 'client', 'mode', 'position', 'waitedMs'] },
);
const resourceStatus: fc.Arbitrary<ResourceStatus> = fc.record(
  {
    resource: resourceName,
    holders: fc.array(holderStatus, { maxLength: 3 }),
    holding: count,
    waiters: fc.array(waiterStatus, { maxLength: 3 }),
    waiting: count,
    blockedForMs: count,
  },
  { requiredKeys: ['resource', 'holders', 'holding', 'waiters', 'waiting'] },
);
const sessionStatus: fc.Arbitrary<SessionStatus> = fc.record({ session: sessionId, client: clientName, leaseMs: count, expiresInMs: count, held: count, waiting: count });

const serverMessage: fc.Arbitrary<ServerMessage> = fc.oneof(
  fc.record(
    {
      op: fc.constant('welcome' as const),
      id: requestId,
      v: fc.integer({ min: 1, max: 1_000_000 }),
      session: fc.string({ maxLength: 128 }),
      secret: fc.string({ maxLength: 256 }),
      leaseMs: count,
      resumed: fc.boolean(),
      exactlyOnce: fc.boolean(),
      applied: count,
      sn: count,
    },
    { requiredKeys: ['op', 'v', 'session', 'secret', 'leaseMs', 'resumed'] },
  ),
  fc.record({ op: fc.constant('queued' as const), id: requestId, resource: resourceName, mode, position, sn }, { requiredKeys: ['op', 'id', 'resource', 'mode', 'position'] }),
  fc.record({ op: fc.constant('granted' as const), id: requestId, resource: resourceName, mode, token, waitedMs: count, sn }, { requiredKeys: ['op', 'id', 'resource', 'mode', 'token', 'waitedMs'] }),
  fc.record({ op: fc.constant('released' as const), id: requestId, resource: resourceName, token, sn }, { requiredKeys: ['op', 'id', 'resource', 'token'] }),
  fc.record({ op: fc.constant('timeout' as const), id: requestId, resource: resourceName, sn }, { requiredKeys: ['op', 'id', 'resource'] }),
  fc.record({ op: fc.constant('cancelled' as const), id: requestId, target: requestId, resource: resourceName, sn }, { requiredKeys: ['op', 'id', 'target', 'resource'] }),
  fc.record(
    { op: fc.constant('lost' as const), resource: resourceName, token, reason: fc.constantFrom('lease-expired' as const, 'revoked' as const), sn },
    { requiredKeys: ['op', 'resource', 'token', 'reason'] },
  ),
  fc.record({ op: fc.constant('alive' as const), id: requestId, leaseMs: count, sn }, { requiredKeys: ['op', 'leaseMs'] }),
  fc.record({ op: fc.constant('bye' as const), id: requestId }, { requiredKeys: ['op'] }),
  fc.record(
    {
      op: fc.constant('status' as const),
      id: requestId,
      resources: fc.array(resourceStatus, { maxLength: 4 }),
      totalResources: count,
      offset: count,
      nextOffset: count,
      sessions: fc.array(sessionStatus, { maxLength: 4 }),
      totalSessions: count,
    },
    { requiredKeys: ['op', 'id', 'resources', 'totalResources', 'offset', 'sessions', 'totalSessions'] },
  ),
  fc.record(
    { op: fc.constant('force-released' as const), id: requestId, resource: resourceName, tokens: fc.array(token, { maxLength: 5 }), sn },
    { requiredKeys: ['op', 'id', 'resource', 'tokens'] },
  ),
  fc.record(
    { op: fc.constant('error' as const), id: requestId, code: fc.constantFrom(...Object.values(ErrorCode)), message: fc.string({ unit: 'binary', maxLength: 100 }), sn },
    { requiredKeys: ['op', 'code', 'message'] },
  ),
);

describe('decodeServerReply on arbitrary valid messages', () => {
  it('decodes encodeMessage(m) to m, by both paths', () => {
    fc.assert(
      fc.property(serverMessage, (message) => {
        const text = encodeMessage(message);
        expect(decodeServerReply(text)).toEqual({ ok: true, message });
        expect(decodeServerReplyInGeneral(text)).toEqual({ ok: true, message });
      }),
      { numRuns: 3000 },
    );
  });

  it('drops any extra field', () => {
    fc.assert(
      fc.property(serverMessage, fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue(), (message, key, value) => {
        fc.pre(!(key in message) && key !== '__proto__');
        const text = JSON.stringify({ ...message, [key]: value });
        expect(decodeServerReply(text)).toEqual({ ok: true, message });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('decodeServerReply never throws', () => {
  function wellFormed(result: DecodeResult<ServerMessage>): boolean {
    if (result.ok) return (SERVER_OPS as readonly string[]).includes(result.message.op);
    return ERROR_CODES.has(result.code) && typeof result.message === 'string' && result.message.length > 0;
  }

  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (raw) => {
        expect(wellFormed(decodeServerReply(raw))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('on arbitrary JSON texts and values', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.jsonValue().map((value) => JSON.stringify(value))), (raw) => {
        expect(wellFormed(decodeServerReply(raw))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('on arbitrary values, stringified', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true, withSparseArray: true }), (value) => {
        const raw = JSON.stringify(value) as string | undefined;
        expect(wellFormed(decodeServerReply(raw ?? 'undefined'))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('on valid messages with one field replaced by an arbitrary JSON value, echoing only readable ids', () => {
    const field = fc.oneof(fc.jsonValue(), fc.integer(), fc.string({ maxLength: 10 }), fc.constantFrom('shared', 'revoked', '1', 'r', [], [{}], -1, 0, 1.5));
    fc.assert(
      fc.property(serverMessage, fc.nat(), field, (message, at, value) => {
        const keys = [...Object.keys(message), 'id', 'sn', 'mode', 'token'];
        const key = keys[at % keys.length]!;
        const mutated = { ...message, [key]: value };
        const text = JSON.stringify(mutated);
        const result = decodeServerReply(text);
        expect(wellFormed(result)).toBe(true);
        expect(result).toEqual(decodeServerReplyInGeneral(text));
        const reparsed = JSON.parse(text) as Record<string, unknown>;
        if (!result.ok && result.id !== undefined) expect(result.id).toEqual(reparsed.id);
        if (result.ok) {
          expect(result.message.op).toBe(reparsed.op);
          expect(Object.values(result.message)).not.toContain(undefined);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
