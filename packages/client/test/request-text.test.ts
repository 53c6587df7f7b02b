import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acquireText, releaseText } from '../src/request-text.js';

describe('request texts written without JSON.stringify', () => {
  it('equal the general encoding of an acquire, whatever options it has', () => {
    const cases: { waitMs?: number; lockDelayMs?: number }[] = [{}, { waitMs: 0 }, { waitMs: 250 }, { lockDelayMs: 1_000 }, { waitMs: 5, lockDelayMs: 7 }, { waitMs: -0 }];
    for (const mode of ['exclusive', 'shared'] as const) {
      for (const options of cases) {
        const text = acquireText(42, 'file_A.v-2', mode, options);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify({ op: 'acquire', id: 42, resource: 'file_A.v-2', mode, ...options })));
        expect(text).toBe(JSON.stringify({ op: 'acquire', id: 42, resource: 'file_A.v-2', mode, ...options }));
      }
    }
  });

  it('fall back to JSON.stringify for values a caller should not have passed, so the text stays valid JSON', () => {
    for (const text of [
      acquireText(1, 'r', 'sha"red' as never, {}),
      acquireText(1, 'r', 'exclusive', { waitMs: Number.NaN }),
      acquireText(1, 'r', 'exclusive', { lockDelayMs: 1.5 }),
    ]) {
      expect(() => JSON.parse(text) as unknown).not.toThrow();
    }
    expect(JSON.parse(acquireText(1, 'r', 'sha"red' as never, {})).mode).toBe('sha"red');
  });

  it('equal the general encoding of a release', () => {
    expect(releaseText(7, 'db_connection', '18446744073709551615')).toBe(
      JSON.stringify({ op: 'release', id: 7, resource: 'db_connection', token: '18446744073709551615' }),
    );
  });

  it('stay valid JSON that means the same as the general encoding for any resource name (quotes, backslashes, unicode)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }), (name, raw) => {
        for (const resource of [name, raw, `orders/${name}`, `a"b\\c${raw}`]) {
          expect(JSON.parse(acquireText(3, resource, 'shared', { waitMs: 5 }))).toEqual({ op: 'acquire', id: 3, resource, mode: 'shared', waitMs: 5 });
          expect(JSON.parse(releaseText(4, resource, '12'))).toEqual({ op: 'release', id: 4, resource, token: '12' });
          // eslint-disable-next-line no-control-regex -- the characters JSON must escape
          if (!/["\\\u0000-\u001f\ud800-\udfff]/.test(resource)) expect(acquireText(3, resource, 'shared', {})).toBe(JSON.stringify({ op: 'acquire', id: 3, resource, mode: 'shared' }));
        }
      }),
    );
  });
});
