import { describe, expect, it } from 'vitest';
import { firstInOrder } from '../src/first-in-order.js';

describe('firstInOrder', () => {
  it('agrees with a full sort for every limit', () => {
    const items = Array.from({ length: 1_000 }, (_, index) => (index * 7919) % 1_009);
    const compare = (a: number, b: number) => a - b;
    for (const limit of [0, 1, 5, 200, 249, 250, 251, 999, 1_000, 2_000]) {
      expect(firstInOrder(items, limit, compare)).toEqual([...items].sort(compare).slice(0, limit));
    }
  });

  it('keeps ties in input order, as a stable sort does', () => {
    const items = Array.from({ length: 2_000 }, (_, index) => ({ key: index % 10, index }));
    const compare = (a: { key: number }, b: { key: number }) => a.key - b.key;
    expect(firstInOrder(items, 100, compare)).toEqual([...items].sort(compare).slice(0, 100));
  });
});
