import { describe, expect, it } from 'vitest';
import { formatNumber, formatSummary, median, pairedRatios, percentile, summarize, summarizeLatencies } from '../src/statistics.js';

describe('median', () => {
  it('is the middle value of an odd count, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
  });
  it('is the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('refuses no values', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_unused, index) => index + 1);
  it('p99 of 1..100 is 99 and p100 is the maximum', () => {
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
  });
  it('p99 of 1..1000 is 990, an observed value', () => {
    expect(percentile(Array.from({ length: 1000 }, (_unused, index) => index + 1), 99)).toBe(990);
  });
  it('p0 is the minimum and a single sample is every percentile', () => {
    expect(percentile([7, 3, 9], 0)).toBe(3);
    expect(percentile([42], 99)).toBe(42);
  });
  it('does not sort the caller’s array', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });
  it('refuses a percentile outside 0..100', () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('summaries of repetitions', () => {
  it('keep the median, the spread and every run in measured order', () => {
    expect(summarize([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, runs: [30, 10, 20] });
  });
  it('pair ratios repetition by repetition, never across repetitions', () => {
    const ratios = pairedRatios([100, 200, 90], [50, 100, 90]);
    expect(ratios.runs).toEqual([2, 2, 1]);
    expect(ratios.median).toBe(2);
    expect(ratios.min).toBe(1);
  });
  it('refuse ratios of unequal repetition counts', () => {
    expect(() => pairedRatios([1, 2], [1])).toThrow(RangeError);
  });
  it('reduce latency samples to count, median, p99 and max', () => {
    const samples = Array.from({ length: 200 }, (_unused, index) => index + 1);
    expect(summarizeLatencies(samples)).toEqual({ count: 200, median: 100.5, p99: 198, max: 200 });
  });
});

describe('formatting', () => {
  it('shows the spread only when there were several runs', () => {
    expect(formatSummary(summarize([12.34]))).toBe('12.3');
    expect(formatSummary(summarize([1200, 1100, 1350]), 0)).toBe('1,200 (1,100–1,350)');
  });
  it('keeps about three significant digits', () => {
    expect(formatNumber(1234.5)).toBe('1,235');
    expect(formatNumber(12.345)).toBe('12.3');
    expect(formatNumber(1.2345)).toBe('1.23');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });
});
