import { describe, expect, it } from 'vitest';
import { computeFairness } from '../src/fairness.js';

describe('computeFairness', () => {
  it('reports a perfectly even share and equal waits', () => {
    const fairness = computeFairness([2, 2, 2, 2], [10, 10, 10, 10]);
    expect(fairness).toMatchObject({ maxOverMedianWait: 1, equalShare: 10, minAcquisitions: 10, maxAcquisitions: 10, withinOneOfEqualShare: true });
  });

  it('accepts counts within ±1 of a fractional share (62 and 63 of 62.5)', () => {
    const counts = [...Array.from({ length: 8 }, () => 62), ...Array.from({ length: 8 }, () => 63)];
    const fairness = computeFairness([1], counts);
    expect(fairness.equalShare).toBe(62.5);
    expect(fairness.withinOneOfEqualShare).toBe(true);
  });

  it('refuses a client two acquisitions off the share', () => {
    expect(computeFairness([1], [10, 12, 8, 10]).withinOneOfEqualShare).toBe(false);
  });

  it('divides the longest wait by the median wait', () => {
    const fairness = computeFairness([1, 2, 3, 4, 30], [1]);
    expect(fairness.medianWaitMs).toBe(3);
    expect(fairness.maxWaitMs).toBe(30);
    expect(fairness.maxOverMedianWait).toBe(10);
  });

  it('treats a zero median: 1 when nobody waited, Infinity when someone did', () => {
    expect(computeFairness([0, 0, 0], [1]).maxOverMedianWait).toBe(1);
    expect(computeFairness([0, 0, 5], [1]).maxOverMedianWait).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses empty input', () => {
    expect(() => computeFairness([], [1])).toThrow(RangeError);
    expect(() => computeFairness([1], [])).toThrow(RangeError);
  });
});
