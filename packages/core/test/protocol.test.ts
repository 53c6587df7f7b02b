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
  MAX_CLIENT_NAME_LENGTH,
  MAX_LEASE_MS,
  MAX_LOCK_DELAY_MS,
  MAX_REQUEST_ID_LENGTH,
  MAX_RESOURCE_NAME_LENGTH,
  MAX_WAIT_MS,
  MIN_LEASE_MS,
  decodeClientMessage,
  decodeServerMessage,
  encodeMessage,
} from '../src/index.js';
import type { ClientMessage, DecodeResult, RequestId } from '../src/index.js';

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
    { op: 'hello', id: 1, v: 0 },
    { op: 'status', id: 1, offset: -1 },
    { op: 'status', id: 1, offset: '100' },
    { op: 'hello', id: 1, client: 7 },
    { op: 'hello', id: 1, client: 'c'.repeat(MAX_CLIENT_NAME_LENGTH + 1) },
    { op: 'hello', id: 1, session: 's'.repeat(129) },
    { op: 'hello', id: 1, secret: 's'.repeat(257) },
    { op: 'cancel', id: 1, target: 1.5 },
    { op: 'cancel', id: 1, target: '' },
    { op: 'force-release', id: 1, resource: 'r', adminToken: 5 },
  ])('BAD_FIELD for %j, echoing the id', (message) => {
    expect(decode(message)).toEqual(failure(ErrorCode.BAD_FIELD, 1));
  });

  it.each(['../x', '/etc/passwd', 'a\u0000b', 'x'.repeat(MAX_RESOURCE_NAME_LENGTH + 1), '', '.hidden', '-x', 'a b', 'a/b', 'ü'])(
    'BAD_RESOURCE_NAME for resource %j',
    (resource) => {
      expect(decode({ op: 'acquire', id: 'q', resource })).toEqual(failure(ErrorCode.BAD_RESOURCE_NAME, 'q'));
      expect(decode({ op: 'release', id: 'q', resource, token: '1' })).toEqual(failure(ErrorCode.BAD_RESOURCE_NAME, 'q'));
      expect(decode({ op: 'status', id: 'q', resource })).toEqual(failure(ErrorCode.BAD_RESOURCE_NAME, 'q'));
      expect(decode({ op: 'force-release', id: 'q', resource })).toEqual(failure(ErrorCode.BAD_RESOURCE_NAME, 'q'));
    },
  );

  it('accepts a resource name of exactly the maximum length', () => {
    const resource = 'a'.repeat(MAX_RESOURCE_NAME_LENGTH);
    expect(decode({ op: 'acquire', id: 1, resource })).toEqual({ ok: true, message: { op: 'acquire', id: 1, resource } });
  });
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
  it.each([0, 1, -5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 'a', 'x'.repeat(MAX_REQUEST_ID_LENGTH)])('accepts %j', (id) => {
    expect(decode({ op: 'cancel', id, target: id })).toEqual({ ok: true, message: { op: 'cancel', id, target: id } });
  });

  it.each([1.5, Number.MAX_SAFE_INTEGER + 1, 1e300, '', 'x'.repeat(MAX_REQUEST_ID_LENGTH + 1), null, true, [1], { n: 1 }])(
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
