import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from '../src/increment-command.js';
import { checkTimeline } from './timeline-checker.js';

function entry(pid: number, token: string, from: number, to: number, resource = 'counter'): TimelineEntry {
  return { pid, resource, token, from: String(from * 1e6), to: String(to * 1e6) };
}

describe('the timeline checker', () => {
  it('passes holders one after the other, also touching at an instant', () => {
    expect(checkTimeline([entry(1, '1', 0, 10), entry(2, '2', 10, 20), entry(1, '3', 25, 30)])).toEqual({ entries: 3, overlaps: [], repeatedTokens: [], tokensOutOfOrder: [] });
  });

  it('finds an overlap, also one hidden behind a short interval inside a long one', () => {
    const verdict = checkTimeline([entry(1, '1', 0, 100), entry(2, '2', 10, 20), entry(3, '3', 50, 60), entry(4, '4', 200, 210)]);
    expect(verdict.overlaps.map((overlap) => [overlap.first.token, overlap.second.token, overlap.overlapMs])).toEqual([
      ['1', '2', 10],
      ['1', '3', 10],
    ]);
  });

  it('keeps resources apart, and finds repeated and out-of-order tokens', () => {
    const verdict = checkTimeline([entry(1, '5', 0, 10, 'a'), entry(2, '5', 0, 10, 'b'), entry(1, '7', 20, 30, 'a'), entry(2, '6', 40, 50, 'a'), entry(3, '7', 60, 70, 'a')]);
    expect(verdict.overlaps).toEqual([]);
    expect(verdict.repeatedTokens).toEqual(['7']);
    expect(verdict.tokensOutOfOrder.map(({ earlier, later }) => [earlier.token, later.token])).toEqual([['7', '6']]);
  });
});
