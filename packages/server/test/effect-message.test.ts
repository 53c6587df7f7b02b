import type { Effect } from '@baton/core';
import { encodeMessage } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { encodeEffect, messageForEffect } from '../src/effect-message.js';

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
