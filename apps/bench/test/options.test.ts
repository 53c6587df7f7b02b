import { describe, expect, it } from 'vitest';
import { FULL_SIZES, parseOptions, QUICK_SIZES, resolveSystems, resolveWorkloads } from '../src/options.js';

describe('options', () => {
  it('runs everything, five times, by default', () => {
    const options = parseOptions([]);
    expect(options.systems).toEqual(['baton-tcp', 'baton-zmq', 'baton-ws', 'raw-tcp', 'raw-zmq', 'raw-ws', 'redis', 'etcd', 'baton-durable-tcp', 'redis-fsync', 'baton-group-tcp', 'etcd-cluster', 'etcd-fifo', 'etcd-txn']);
    expect(options.workloads).toEqual(['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'failover']);
    expect(options.sizes.failover.kills).toBe(10);
    expect(options.sizes.repetitions).toBe(5);
    expect(options.redisRetryMs).toEqual([2, 200]);
    expect(options.outDirectory).toMatch(/bench\/results$/);
  });

  it('--quick is short and writes under bench/results/tmp', () => {
    const options = parseOptions(['--quick']);
    expect(options.sizes).toEqual(QUICK_SIZES);
    expect(options.outDirectory).toMatch(/bench\/results\/tmp$/);
  });

  it('ignores the -- that `pnpm bench -- …` passes through', () => {
    expect(parseOptions(['--', '--quick']).quick).toBe(true);
  });

  it('picks systems by family or by name, in a fixed order', () => {
    expect(resolveSystems(['redis', 'baton'])).toEqual(['baton-tcp', 'baton-zmq', 'baton-ws', 'redis']);
    expect(resolveSystems(['raw-zmq', 'baton-tcp'])).toEqual(['baton-tcp', 'raw-zmq']);
    expect(() => resolveSystems(['mysql'])).toThrow(/unknown system "mysql"/);
    expect(resolveSystems(['replicated'])).toEqual(['baton-group-tcp', 'etcd-cluster', 'etcd-fifo', 'etcd-txn']);
  });

  it('picks workloads and refuses unknown ones', () => {
    expect(resolveWorkloads(['w3', 'w1'])).toEqual(['w1', 'w3']);
    expect(() => resolveWorkloads(['w9'])).toThrow(/unknown workload/);
  });

  it('overrides repetitions and seconds without touching the defaults', () => {
    const options = parseOptions(['--runs', '3', '--seconds', '1.5', '--systems', 'baton-tcp,redis', '--redis-retry-ms', '5']);
    expect(options.sizes.repetitions).toBe(3);
    expect(options.sizes.w2.durationMs).toBe(1500);
    expect(options.sizes.w3.durationMs).toBe(1500);
    expect(options.redisRetryMs).toEqual([5]);
    expect(parseOptions(['--quick', '--kills', '5']).sizes.failover.kills).toBe(5);
    expect(QUICK_SIZES.failover.kills).toBe(3);
    expect(FULL_SIZES.w2.durationMs).toBe(2000);
  });

  it('refuses bad numbers', () => {
    expect(() => parseOptions(['--runs', '0'])).toThrow();
    expect(() => parseOptions(['--seconds', '-1'])).toThrow();
  });
});
