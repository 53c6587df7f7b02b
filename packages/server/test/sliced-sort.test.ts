/**
 * SlicedSort gives what Array.prototype.sort gives (stably), however small
 * the slices it is run in, and never does much more than its budget per step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlicedSort } from '../src/sliced-sort.js';

describe('SlicedSort', () => {
  it('sorts like the built-in stable sort, in slices of any budget', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 3_000 }), fc.integer({ min: 1, max: 5_000 }), (keys, budget) => {
        const items = keys.map((key, position) => ({ key, position }));
        const expected = [...items].sort((a, b) => a.key - b.key);
        const sort = new SlicedSort([...items], (a, b) => a.key - b.key);
        let steps = 0;
        while (!sort.step(budget)) steps++;
        expect(sort.result).toEqual(expected);
        // A budget smaller than the work means more than one step.
        if (items.length > 600 && budget < 100) expect(steps).toBeGreaterThan(1);
      }),
      { numRuns: 200 },
    );
  });
});
