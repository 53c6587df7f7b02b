import { describe, expect, it } from 'vitest';
import { evaluateChecks, evaluateTargets } from '../src/targets.js';
import { sampleResults } from './fixtures.js';

function byId(results = sampleResults()) {
  return new Map(evaluateTargets(results).map((target) => [target.id, target]));
}

describe('evaluateTargets', () => {
  it('takes W1 ratios repetition by repetition and judges the median', () => {
    const target = byId().get('w1-tcp-vs-raw')!;
    expect(target.measured!.runs).toEqual([2, 2.2, 1.8]);
    expect(target.measured!.median).toBe(2);
    expect(target.met).toBe(false);
  });

  it('meets an "at most" goal at or under it', () => {
    const targets = byId();
    // baton-tcp vs redis: 100/120, 110/100, 90/100 → median 0.9
    expect(targets.get('w1-tcp-vs-redis')!.measured!.median).toBeCloseTo(0.9);
    expect(targets.get('w1-tcp-vs-redis')!.met).toBe(true);
  });

  it('evaluates W2 per client-process variant', () => {
    const targets = byId();
    expect(targets.get('w2-1p-tcp-vs-redis')!.measured!.median).toBeCloseTo(1.55);
    expect(targets.get('w2-1p-tcp-vs-redis')!.met).toBe(true);
    expect(targets.get('w2-2p-tcp-vs-redis')!.met).toBe(false);
    expect(targets.get('w2-1p-tcp-vs-etcd')!.measured!.median).toBe(31);
    expect(targets.get('w2-1p-tcp-vs-raw')!.met).toBe(false);
  });

  it('judges W3 on hand-offs and on fairness', () => {
    const targets = byId();
    expect(targets.get('w3-tcp-vs-redis-2ms')!.measured!.median).toBe(3);
    expect(targets.get('w3-tcp-vs-redis-200ms')!.met).toBe(true);
    expect(targets.get('w3-tcp-wait-spread')!.met).toBe(true);
    expect(targets.get('w3-tcp-equal-share')!.passed).toBe(true);
  });

  it('judges W4 latency, memory and sessions', () => {
    const targets = byId();
    expect(targets.get('w4-latency')!.met).toBe(true);
    expect(targets.get('w4-memory')!.measured!.median).toBe(900);
    expect(targets.get('w4-memory')!.met).toBe(true);
    expect(targets.get('w4-sessions')!.met).toBe(true);
  });

  it('leaves a target unjudged, with a reason, when a system it needs is missing', () => {
    const results = sampleResults();
    delete results.w2!.variants[0]!.systems.etcd;
    const target = byId(results).get('w2-1p-tcp-vs-etcd')!;
    expect(target.met).toBeUndefined();
    expect(target.note).toMatch(/not measured/);
  });

  it('refuses to pair repetitions that do not line up', () => {
    const results = sampleResults();
    results.w1!.systems['raw-tcp']!.pairMedianUs.runs.pop();
    expect(byId(results).get('w1-tcp-vs-raw')!.met).toBeUndefined();
  });
});

describe('evaluateChecks', () => {
  it('passes a clean run', () => {
    expect(evaluateChecks(sampleResults()).every((check) => check.ok)).toBe(true);
  });

  it('fails on a W3 counter mismatch, a W4 trouble event or a failed measurement', () => {
    const results = sampleResults();
    results.w3!.systems['baton-tcp']!.counterCorrect = false;
    results.w4!.troubles = 2;
    results.errors.push({ workload: 'W2 1p', system: 'redis', repetition: 2, message: 'boom\nstack' });
    const failed = evaluateChecks(results).filter((check) => !check.ok).map((check) => check.id);
    expect(failed).toEqual(['measurements', 'w3-counter-baton-tcp', 'w4-errors']);
  });
});
