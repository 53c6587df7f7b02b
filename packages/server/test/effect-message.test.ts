import type { Effect } from '@baton/core';
import { encodeMessage, ErrorCode } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { encodeEffect, messageForEffect, welcomeMessage, withId } from '../src/effect-message.js';

const ids = [0, 7, -3, Number.MAX_SAFE_INTEGER, 'a', 'with "quotes" and \\ backslash', 'ünïcode ✓', '\u0001'];

describe('encodeEffect', () => {
  it('writes the hot effects exactly as the general encoder would, for every kind of id', () => {
    for (const request of ids) {
      const effects: Effect[] = [
        { type: 'granted', session: 's', request, resource: 'file_A.v-2', mode: 'shared', token: '18446744073709551615', waitedMs: 12.6 },
        { type: 'released', session: 's', request, resource: 'file_A', token: '42' },
        { type: 'queued', session: 's', request, resource: 'db_connection', mode: 'exclusive', position: 3 },
        { type: 'timeout', session: 's', request, resource: 'file_A' },
      ];
      for (const effect of effects) {
        const text = encodeEffect(effect)!;
        expect(text).toBe(encodeMessage(messageForEffect(effect)!));
        expect(JSON.parse(text)).toMatchObject({ id: request });
      }
    }
  });

  it('has no text for effects that are not messages', () => {
    expect(encodeEffect({ type: 'reserve-tokens', through: '1000' })).toBeUndefined();
  });
});

/** The field order docs/protocol.md shows (section 1: the server keeps it, though clients must not rely on it). */
describe('field order', () => {
  it('writes id right after op in alive, error and welcome, as the spec shows them', () => {
    expect(Object.keys(messageForEffect({ type: 'renewed', session: 's', request: 5, leaseMs: 10_000 })!)).toEqual(['op', 'id', 'leaseMs']);
    expect(Object.keys(messageForEffect({ type: 'rejected', session: 's', request: 7, code: ErrorCode.NOT_HELD, message: 'm' })!)).toEqual(['op', 'id', 'code', 'message']);
    expect(Object.keys(welcomeMessage('s1-a', 'secret', 10_000, false, 1))).toEqual(['op', 'id', 'v', 'session', 'secret', 'leaseMs', 'resumed']);
    expect(Object.keys(welcomeMessage('s1-a', 'secret', 10_000, true, 3, { applied: 1, sn: 1 }))).toEqual([
      'op', 'id', 'v', 'session', 'secret', 'leaseMs', 'resumed', 'exactlyOnce', 'applied', 'sn',
    ]);
  });

  it('writes no id field at all when the request had none', () => {
    expect(encodeMessage(withId({ op: 'alive', leaseMs: 10_000 }, undefined))).toBe('{"op":"alive","leaseMs":10000}');
  });
});
