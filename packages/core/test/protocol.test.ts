/**
 * The wire codec: every client op decodes, every kind of bad input becomes a
 * DecodeFailure with a stable code (and the request id when it was readable),
 * and no input at all makes decodeClientMessage throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_OPS,
  ErrorCode,
  MAX_ADMIN_TOKEN_LENGTH,
  MAX_CLIENT_NAME_LENGTH,
  MAX_LEASE_MS,
  MAX_LOCK_DELAY_MS,
  MAX_REQUEST_ID_LENGTH,
  MAX_RESOURCE_NAME_LENGTH,
  MAX_SECRET_LENGTH,
  MAX_SESSION_ID_LENGTH,
  MAX_WAIT_MS,
  MIN_LEASE_MS,
  decodeClientMessage,
  decodeServerMessage,
  encodeMessage,
} from '../src/index.js';
import type { ClientMessage, DecodeResult, RequestId } from '../src/index.js';
import { utf8ByteLength } from '../src/field-rules.js';

function decode(value: unknown): DecodeResult<ClientMessage> {
  return decodeClientMessage(JSON.stringify(value));
}

function failure(code: ErrorCode, id?: RequestId) {
  const expected: Record<string, unknown> = { ok: false, code, message: expect.any(String) };
  if (id !== undefined) expected.id = id;
  return expected;
}

const ERROR_CODES = new Set<string>(Object.values(ErrorCode));

describe('decodeClientMessage accepts every op', () => {
  const valid: ClientMessage[] = [
    { op: 'hello' },
    { op: 'hello', id: 1, v: 1, client: 'worker-7', leaseMs: 5000, session: 's-1', secret: 'xyz' },
    { op: 'acquire', id: 1, resource: 'file_A' },
    { op: 'acquire', id: 'a-1', resource: 'db.users-2', mode: 'shared', waitMs: 0, lockDelayMs: 500 },
    { op: 'acquire', id: 2, resource: 'x', mode: 'exclusive', waitMs: MAX_WAIT_MS, lockDelayMs: MAX_LOCK_DELAY_MS },
    { op: 'release', id: 3, resource: 'file_A', token: '42' },
    { op: 'cancel', id: 4, target: 1 },
    { op: 'cancel', id: 'c', target: 'a-1' },
    { op: 'keepalive' },
    { op: 'keepalive', id: 5 },
    { op: 'goodbye' },
    { op: 'goodbye', id: 'bye' },
    { op: 'status', id: 6 },
    { op: 'status', id: 6, resource: 'file_A' },
    { op: 'status', id: 6, offset: 100 },
    { op: 'force-release', id: 7, resource: 'file_A' },
    { op: 'force-release', id: 7, resource: 'file_A', token: '12', adminToken: 'secret' },
  ];

  it.each(valid.map((message) => [JSON.stringify(message), message] as const))('%s', (_text, message) => {
    expect(decode(message)).toEqual({ ok: true, message });
  });

  it('covers every op in CLIENT_OPS', () => {
    expect(new Set(valid.map((message) => message.op))).toEqual(new Set(CLIENT_OPS));
  });

  it('drops unknown fields and leaves no undefined keys', () => {
    const result = decode({ op: 'acquire', id: 1, resource: 'r', extra: true, mode: undefined });
    expect(result).toEqual({ ok: true, message: { op: 'acquire', id: 1, resource: 'r' } });
    expect(Object.keys(result.ok ? result.message : {})).toEqual(['op', 'id', 'resource']);
  });
});

describe('decodeClientMessage refuses malformed messages', () => {
  it.each(['', '{', '{"op":"hello"', 'hello', "{'op':'hello'}", '{"op":"hello",}', 'undefined', 'NaN'])('BAD_JSON for %j', (raw) => {
    expect(decodeClientMessage(raw)).toEqual(failure(ErrorCode.BAD_JSON));
  });

  it.each(['[]', '[{"op":"hello"}]', '42', '"hello"', 'null', 'true'])('BAD_MESSAGE for %s', (raw) => {
    expect(decodeClientMessage(raw)).toEqual(failure(ErrorCode.BAD_MESSAGE));
  });

  it('UNKNOWN_OP for an op nobody knows, echoing the id', () => {
    expect(decode({ op: 'frobnicate', id: 7 })).toEqual(failure(ErrorCode.UNKNOWN_OP, 7));
    expect(decode({ op: 'granted', id: 'x' })).toEqual(failure(ErrorCode.UNKNOWN_OP, 'x'));
    expect(decode({ op: 'toString' })).toEqual(failure(ErrorCode.UNKNOWN_OP));
    expect(decode({ op: '__proto__' })).toEqual(failure(ErrorCode.UNKNOWN_OP));
  });

  it('MISSING_FIELD for an absent op', () => {
    expect(decode({ id: 1 })).toEqual(failure(ErrorCode.MISSING_FIELD, 1));
  });

  it('BAD_FIELD for an op that is not a string', () => {
    expect(decode({ op: 1, id: 2 })).toEqual(failure(ErrorCode.BAD_FIELD, 2));
    expect(decode({ op: null })).toEqual(failure(ErrorCode.BAD_FIELD));
  });

  it.each([
    [{ op: 'acquire', resource: 'r' }, undefined],
    [{ op: 'acquire', id: 1 }, 1],
    [{ op: 'release', id: 1, resource: 'r' }, 1],
    [{ op: 'release', id: 1, token: '1' }, 1],
    [{ op: 'release', resource: 'r', token: '1' }, undefined],
    [{ op: 'cancel', id: 1 }, 1],
    [{ op: 'cancel', target: 1 }, undefined],
    [{ op: 'status' }, undefined],
    [{ op: 'force-release', id: 'f' }, 'f'],
    [{ op: 'force-release', resource: 'r' }, undefined],
  ] as const)('MISSING_FIELD for %j', (message, id) => {
    expect(decode(message)).toEqual(failure(ErrorCode.MISSING_FIELD, id));
  });

  it.each([
    { op: 'acquire', id: 1, resource: 'r', mode: 'upgradable' },
    { op: 'acquire', id: 1, resource: 'r', mode: 1 },
    { op: 'acquire', id: 1, resource: 'r', waitMs: -1 },
    { op: 'acquire', id: 1, resource: 'r', waitMs: 1.5 },
    { op: 'acquire', id: 1, resource: 'r', waitMs: '100' },
    { op: 'acquire', id: 1, resource: 'r', waitMs: MAX_WAIT_MS + 1 },
    { op: 'acquire', id: 1, resource: 'r', lockDelayMs: MAX_LOCK_DELAY_MS + 1 },
    { op: 'acquire', id: 1, resource: 'r', lockDelayMs: null },
    { op: 'acquire', id: 1, resource: 42 },
    { op: 'acquire', id: 1, resource: ['r'] },
    { op: 'hello', id: 1, leaseMs: MIN_LEASE_MS - 1 },
    { op: 'hello', id: 1, leaseMs: MAX_LEASE_MS + 1 },
    { op: 'status', id: 1, offset: -1 },
    { op: 'status', id: 1, offset: '100' },
    { op: 'hello', id: 1, client: 7 },
    { op: 'hello', id: 1, client: 'c'.repeat(MAX_CLIENT_NAME_LENGTH + 1) },
    { op: 'hello', id: 1, client: 'é'.repeat(MAX_CLIENT_NAME_LENGTH / 2 + 1) },
    { op: 'hello', id: 1, session: 'é'.repeat(MAX_SESSION_ID_LENGTH / 2 + 1), secret: 'x' },
    { op: 'hello', id: 1, session: 's', secret: 'é'.repeat(MAX_SECRET_LENGTH / 2 + 1) },
    { op: 'force-release', id: 1, resource: 'r', adminToken: 'é'.repeat(MAX_ADMIN_TOKEN_LENGTH / 2 + 1) },
    { op: 'hello', id: 1, session: 's'.repeat(129) },
    { op: 'hello', id: 1, secret: 's'.repeat(257) },
    { op: 'cancel', id: 1, target: 1.5 },
    { op: 'cancel', id: 1, target: '' },
    { op: 'force-release', id: 1, resource: 'r', adminToken: 5 },
  ])('BAD_FIELD for %j, echoing the id', (message) => {
    expect(decode(message)).toEqual(failure(ErrorCode.BAD_FIELD, 1));
  });

  it.each([
    '',
    'a\u0000b',
    'line\nfeed',
    'tab\t',
    '\u001b[2J',
    'del\u007f',
    'c1\u0080',
    'csi\u009b',
    'x'.repeat(MAX_RESOURCE_NAME_LENGTH + 1),
    'é'.repeat(MAX_RESOURCE_NAME_LENGTH / 2 + 1),
    '😀'.repeat(MAX_RESOURCE_NAME_LENGTH / 4) + 'x',
    'lone\ud800',
    '\udc00trail',
  ])(
    'BAD_RESOURCE_NAME for resource %j',
    (resource) => {
      expect(decode({ op: 'acquire', id: 'q', resource })).toEqual(failure(ErrorCode.BAD_RESOURCE_NAME, 'q'));
      expect(decode({ op: 'release', id: 'q', resource, token: '1' })).toEqual(failure(ErrorCode.BAD_RESOURCE_NAME, 'q'));
      expect(decode({ op: 'status', id: 'q', resource })).toEqual(failure(ErrorCode.BAD_RESOURCE_NAME, 'q'));
      expect(decode({ op: 'force-release', id: 'q', resource })).toEqual(failure(ErrorCode.BAD_RESOURCE_NAME, 'q'));
    },
  );

  it.each([
    'a'.repeat(MAX_RESOURCE_NAME_LENGTH),
    'é'.repeat(MAX_RESOURCE_NAME_LENGTH / 2),
    '😀'.repeat(MAX_RESOURCE_NAME_LENGTH / 4),
    'ab' + '€'.repeat((MAX_RESOURCE_NAME_LENGTH - 2) / 3),
  ])('accepts a resource name of exactly the maximum length in UTF-8 bytes (%#)', (resource) => {
    expect(new TextEncoder().encode(resource).length).toBe(MAX_RESOURCE_NAME_LENGTH);
    expect(decode({ op: 'acquire', id: 1, resource })).toEqual({ ok: true, message: { op: 'acquire', id: 1, resource } });
  });

  it.each(['orders/42', 'user:1', 'locks:tenant-7:invoice', 'Ünïcode', '../x', '..', '.', '/etc/passwd', '.hidden', '-rf', 'a b', 'a"b', 'a\\b', '{"op":"x"}', '名前', '😀', '\u00a0nbsp', 'right\u202eleft'])(
    'accepts resource name %j',
    (resource) => {
      expect(decode({ op: 'acquire', id: 1, resource })).toEqual({ ok: true, message: { op: 'acquire', id: 1, resource } });
      expect(decode({ op: 'release', id: 2, resource, token: '5' })).toEqual({ ok: true, message: { op: 'release', id: 2, resource, token: '5' } });
      expect(decode({ op: 'status', id: 3, resource })).toEqual({ ok: true, message: { op: 'status', id: 3, resource } });
    },
  );
});

describe('tokens are decimal strings', () => {
  it.each(['1', '42', '1000', '18446744073709551615', '99999999999999999999'])('accepts %j', (token) => {
    expect(decode({ op: 'release', id: 1, resource: 'r', token })).toEqual({ ok: true, message: { op: 'release', id: 1, resource: 'r', token } });
  });

  it.each([42, '0', '007', '-1', '+1', '1e3', '1.0', ' 1', '1 ', '0x1f', '', '１', '123456789012345678901', null, true])('refuses %j with BAD_FIELD', (token) => {
    expect(decode({ op: 'release', id: 1, resource: 'r', token })).toEqual(failure(ErrorCode.BAD_FIELD, 1));
    expect(decode({ op: 'force-release', id: 1, resource: 'r', token })).toEqual(failure(ErrorCode.BAD_FIELD, 1));
  });
});

describe('request ids are safe integers or short strings', () => {
  it.each([0, 1, -5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 'a', 'x'.repeat(MAX_REQUEST_ID_LENGTH), 'é'.repeat(MAX_REQUEST_ID_LENGTH / 2), '😀'.repeat(MAX_REQUEST_ID_LENGTH / 4)])('accepts %j', (id) => {
    expect(decode({ op: 'cancel', id, target: id })).toEqual({ ok: true, message: { op: 'cancel', id, target: id } });
  });

  it.each([1.5, Number.MAX_SAFE_INTEGER + 1, 1e300, '', 'x'.repeat(MAX_REQUEST_ID_LENGTH + 1), 'é'.repeat(MAX_REQUEST_ID_LENGTH / 2 + 1), null, true, [1], { n: 1 }])(
    'refuses %j with BAD_FIELD and does not echo it',
    (id) => {
      expect(decode({ op: 'keepalive', id })).toEqual(failure(ErrorCode.BAD_FIELD));
      expect(decode({ op: 'acquire', id, resource: 'r' })).toEqual(failure(ErrorCode.BAD_FIELD));
    },
  );

  it('does not echo an unreadable id even when another field is the problem', () => {
    expect(decodeClientMessage('{"op":"nope","id":1e400}')).toEqual(failure(ErrorCode.UNKNOWN_OP));
  });
});

describe('server messages and encoding', () => {
  it('round-trips a client message through encodeMessage', () => {
    const message: ClientMessage = { op: 'acquire', id: 9, resource: 'r', mode: 'shared', waitMs: 10 };
    expect(decodeClientMessage(encodeMessage(message))).toEqual({ ok: true, message });
  });

  it('decodes a valid server message and refuses what is not one (no op, not an object)', () => {
    expect(decodeServerMessage('{"op":"granted","id":1,"resource":"r","mode":"exclusive","token":"1","waitedMs":0}')).toMatchObject({
      op: 'granted',
    });
    expect(decodeServerMessage('{"id":1}')).toBeUndefined();
    expect(decodeServerMessage('[')).toBeUndefined();
    expect(decodeServerMessage('null')).toBeUndefined();
  });
});

describe('decodeClientMessage never throws', () => {
  function wellFormed(result: DecodeResult<ClientMessage>): boolean {
    if (result.ok) return (CLIENT_OPS as readonly string[]).includes(result.message.op);
    return ERROR_CODES.has(result.code) && typeof result.message === 'string' && result.message.length > 0;
  }

  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (raw) => {
        expect(wellFormed(decodeClientMessage(raw))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('on arbitrary JSON texts', () => {
    fc.assert(
      fc.property(fc.json(), (raw) => {
        expect(wellFormed(decodeClientMessage(raw))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('on arbitrary values, stringified', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true, withSparseArray: true }), (value) => {
        const raw = JSON.stringify(value) as string | undefined;
        expect(wellFormed(decodeClientMessage(raw ?? 'undefined'))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('on objects with a known op and arbitrary field values, echoing only readable ids', () => {
    const field = fc.oneof(fc.anything(), fc.integer(), fc.string({ maxLength: 10 }), fc.constantFrom('shared', 'exclusive', '1', 'r'));
    const message = fc.record(
      {
        op: fc.constantFrom(...CLIENT_OPS),
        id: field,
        resource: field,
        token: field,
        target: field,
        mode: field,
        waitMs: field,
        lockDelayMs: field,
        leaseMs: field,
        v: field,
        client: field,
        session: field,
        secret: field,
        adminToken: field,
      },
      { requiredKeys: ['op'] },
    );
    fc.assert(
      fc.property(message, (value) => {
        const result = decodeClientMessage(JSON.stringify(value));
        expect(wellFormed(result)).toBe(true);
        if (!result.ok && result.id !== undefined) {
          expect(result.id).toEqual((JSON.parse(JSON.stringify(value)) as { id: unknown }).id);
        }
        if (result.ok) {
          expect(result.message.op).toBe(value.op);
          expect(Object.values(result.message)).not.toContain(undefined);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('hello: the protocol version (docs/protocol.md 3)', () => {
  it.each([0, 2, -1, 1.5, 1_000_001, 1e300, Number.MAX_SAFE_INTEGER])('UNSUPPORTED_VERSION for v = %j, echoing the id', (v) => {
    expect(decode({ op: 'hello', id: 'h', v })).toEqual(failure(ErrorCode.UNSUPPORTED_VERSION, 'h'));
  });

  it.each(['1', null, true, [1], { v: 1 }])('BAD_FIELD for v = %j, which is not a number', (v) => {
    expect(decode({ op: 'hello', id: 'h', v })).toEqual(failure(ErrorCode.BAD_FIELD, 'h'));
  });

  it('reads the version before the other fields: another version is told so, whatever else it sends', () => {
    expect(decode({ op: 'hello', id: 'h', v: 2, leaseMs: 'long', client: 7 })).toEqual(failure(ErrorCode.UNSUPPORTED_VERSION, 'h'));
  });

  it('accepts v = 1 and no v at all', () => {
    expect(decode({ op: 'hello', v: 1 })).toEqual({ ok: true, message: { op: 'hello', v: 1 } });
    expect(decode({ op: 'hello' })).toEqual({ ok: true, message: { op: 'hello' } });
  });
});

describe('hello: resuming takes session and secret together', () => {
  it('MISSING_FIELD naming the other half, echoing the id', () => {
    const withoutSecret = decode({ op: 'hello', id: 4, session: 's1-9f2c01ab' });
    expect(withoutSecret).toEqual(failure(ErrorCode.MISSING_FIELD, 4));
    expect(withoutSecret.ok ? '' : withoutSecret.message).toContain('"secret"');
    const withoutSession = decode({ op: 'hello', id: 4, secret: '6c0e' });
    expect(withoutSession).toEqual(failure(ErrorCode.MISSING_FIELD, 4));
    expect(withoutSession.ok ? '' : withoutSession.message).toContain('"session"');
  });
});

describe('null is never a value: BAD_FIELD, for optional fields too', () => {
  const optional: Array<[op: string, base: Record<string, unknown>, field: string]> = [
    ['hello', {}, 'id'],
    ['hello', {}, 'v'],
    ['hello', {}, 'client'],
    ['hello', {}, 'leaseMs'],
    ['hello', { secret: 'x' }, 'session'],
    ['hello', { session: 's' }, 'secret'],
    ['hello', {}, 'exactlyOnce'],
    ['hello', {}, 'ack'],
    ['acquire', { id: 1, resource: 'r' }, 'mode'],
    ['acquire', { id: 1, resource: 'r' }, 'waitMs'],
    ['acquire', { id: 1, resource: 'r' }, 'lockDelayMs'],
    ['acquire', { id: 1, resource: 'r' }, 'seq'],
    ['acquire', { id: 1, resource: 'r' }, 'ack'],
    ['keepalive', {}, 'id'],
    ['goodbye', {}, 'id'],
    ['status', { id: 1 }, 'resource'],
    ['status', { id: 1 }, 'offset'],
    ['force-release', { id: 1, resource: 'r' }, 'token'],
    ['force-release', { id: 1, resource: 'r' }, 'adminToken'],
  ];
  it.each(optional)('%s with %j and %s: null', (op, base, field) => {
    const message = { op, ...base, [field]: null };
    expect(decode(message)).toEqual(failure(ErrorCode.BAD_FIELD, field === 'id' ? undefined : (message as { id?: RequestId }).id));
  });

  it.each([
    [{ op: 'acquire', id: 1, resource: null }],
    [{ op: 'release', id: 1, resource: 'r', token: null }],
    [{ op: 'cancel', id: 1, target: null }],
    [{ op: 'acquire', id: null, resource: 'r' }],
  ])('a required field that is null is BAD_FIELD, not MISSING_FIELD: %j', (message) => {
    expect(decode(message)).toEqual(failure(ErrorCode.BAD_FIELD, message.id === null ? undefined : 1));
  });
});

describe('which requests need an id', () => {
  it.each(['acquire', 'release', 'cancel', 'status', 'force-release'])('%s: MISSING_FIELD without one (and no id to echo)', (op) => {
    const result = decode({ op, resource: 'r', token: '1', target: 1 });
    expect(result).toEqual(failure(ErrorCode.MISSING_FIELD));
    expect(result.ok ? '' : result.message).toBe('"id" is required');
  });

  it.each(['hello', 'keepalive', 'goodbye'])('%s: optional', (op) => {
    expect(decode({ op })).toEqual({ ok: true, message: { op } });
  });
});

describe('ids are typed: 77 and "77" are two ids', () => {
  it('decodes each with its own type', () => {
    expect(decode({ op: 'cancel', id: 77, target: '77' })).toEqual({ ok: true, message: { op: 'cancel', id: 77, target: '77' } });
    expect(decode({ op: 'cancel', id: '77', target: 77 })).toEqual({ ok: true, message: { op: 'cancel', id: '77', target: 77 } });
    expect(decodeClientMessage('{"op":"acquire","id":77,"resource":"r","mode":"exclusive"}')).toEqual({ ok: true, message: { op: 'acquire', id: 77, resource: 'r', mode: 'exclusive' } });
    expect(decodeClientMessage('{"op":"acquire","id":"77","resource":"r","mode":"exclusive"}')).toEqual({ ok: true, message: { op: 'acquire', id: '77', resource: 'r', mode: 'exclusive' } });
  });

  it('echoes a refused request id with its own type', () => {
    expect(decode({ op: 'acquire', id: '77', resource: '' })).toEqual(failure(ErrorCode.BAD_RESOURCE_NAME, '77'));
    expect(decode({ op: 'acquire', id: 77, resource: '' })).toEqual(failure(ErrorCode.BAD_RESOURCE_NAME, 77));
  });
});

describe('field order is never significant', () => {
  it('decodes a request with its keys in any order to the same message', () => {
    const message = { op: 'acquire', id: 9, resource: 'orders/42', mode: 'shared', waitMs: 10, lockDelayMs: 5, seq: 3, ack: 2 };
    const reversed = Object.fromEntries(Object.entries(message).reverse());
    expect(decode(reversed)).toEqual(decode(message));
    expect(decode(reversed).ok).toBe(true);
  });
});

describe('seq of a refused request', () => {
  it('is reported for a numbered op, so the coordinator consumes it (docs/protocol.md 3.1)', () => {
    expect(decode({ op: 'acquire', id: 1, resource: '', seq: 4 })).toEqual({ ...failure(ErrorCode.BAD_RESOURCE_NAME, 1), seq: 4 });
  });

  it('is not reported for hello and status, which are never numbered', () => {
    expect(decode({ op: 'hello', id: 1, v: 2, seq: 4 })).toEqual(failure(ErrorCode.UNSUPPORTED_VERSION, 1));
    expect(decode({ op: 'status', id: 1, offset: -1, seq: 4 })).toEqual(failure(ErrorCode.BAD_FIELD, 1));
  });
});

describe('utf8ByteLength', () => {
  it('counts what TextEncoder writes, lone surrogates as the U+FFFD they become', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.constantFrom('a', 'é', '€', '😀', '\ud800', '\udc00', '\u0000'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 40 }), (text) => {
        expect(utf8ByteLength(text)).toBe(encoder.encode(text).length);
      }),
      { numRuns: 2000 },
    );
  });
});
