import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLikeMessage, releaseLikeMessage } from '../src/systems/raw-echo-client.js';
import { retryDelay } from '../src/systems/redis-client.js';
import { incrementCounter, readCounter } from '../src/workloads/handoff.js';

describe('node-redlock’s retry delay', () => {
  it('is the delay ± the jitter, uniform, never negative', () => {
    expect(retryDelay(200, 100, () => 0)).toBe(100);
    expect(retryDelay(200, 100, () => 0.5)).toBe(200);
    expect(retryDelay(200, 100, () => 0.999_999)).toBe(299);
    expect(retryDelay(2, 5, () => 0)).toBe(0);
  });
});

describe('the raw echo messages', () => {
  it('are the size of Baton’s acquire and release requests', () => {
    const acquire = acquireLikeMessage('w1-baton-tcp', 12);
    expect(JSON.parse(acquire)).toEqual({ op: 'acquire', id: 12, resource: 'w1-baton-tcp', mode: 'exclusive' });
    expect(JSON.parse(releaseLikeMessage('w1-baton-tcp', 13))).toMatchObject({ op: 'release', token: '1000013' });
  });
});

describe('the W3 counter file', () => {
  const directory = mkdtempSync(join(tmpdir(), 'bench-counter-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('counts, and remembers who incremented it last', () => {
    const file = join(directory, 'counter.txt');
    writeFileSync(file, '0');
    expect(incrementCounter(file, 'a')).toEqual({ value: 0, holder: undefined });
    expect(incrementCounter(file, 'a')).toEqual({ value: 1, holder: 'a' });
    expect(incrementCounter(file, 'b')).toEqual({ value: 2, holder: 'a' });
    expect(readCounter(file)).toEqual({ value: 3, holder: 'b' });
  });
});
