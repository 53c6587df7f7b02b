import type { TransportName } from './system-target.js';

/** The systems W1 and W2 compare. */
export const LOCK_SYSTEMS = ['baton-tcp', 'baton-zmq', 'baton-ws', 'raw-tcp', 'raw-zmq', 'raw-ws', 'redis', 'etcd', 'baton-durable-tcp', 'redis-fsync', 'baton-group-tcp', 'etcd-cluster', 'etcd-fifo', 'etcd-txn'] as const;

/** The durable systems: every acknowledged change is on disk (fsync / O_DSYNC) before the reply. */
export const DURABLE_SYSTEMS = ['baton-durable-tcp', 'redis-fsync', 'etcd'] as const;
/**
 * The replicated systems (issue 12), all on ONE 3-member etcd cluster of the
 * run: Baton as a group of 3 coordinators, etcd3's lock, etcd's FIFO recipe,
 * and one etcd transaction's round trip (W1 only: the replicated floor).
 */
export const REPLICATED_SYSTEMS = ['baton-group-tcp', 'etcd-cluster', 'etcd-fifo', 'etcd-txn'] as const;

/** Replicated systems that are locks that wait (a FIFO queue): they run W3 too. */
export const REPLICATED_WAITING_SYSTEMS = ['baton-group-tcp', 'etcd-fifo'] as const;

/** Not a lock (its "release" does nothing): in W1 only. */
export const PROBE_SYSTEMS = ['etcd-txn'] as const;

export function isReplicated(id: string): boolean {
  return (REPLICATED_SYSTEMS as readonly string[]).includes(id);
}

export type LockSystemId = (typeof LOCK_SYSTEMS)[number];

/** What a system id is made of: which server, and for Baton and raw, which transport. */
export function describeSystem(id: string): { family: 'baton' | 'raw' | 'redis' | 'etcd'; transport?: TransportName; durable?: true; replicated?: true } {
  if (id === 'baton-durable-tcp') return { family: 'baton', transport: 'tcp', durable: true };
  if (id === 'baton-group-tcp') return { family: 'baton', transport: 'tcp', replicated: true };
  if (id === 'etcd-cluster' || id === 'etcd-fifo' || id === 'etcd-txn') return { family: 'etcd', replicated: true };
  if (id === 'redis-fsync') return { family: 'redis', durable: true };
  const [family, transport] = id.split('-') as [string, string | undefined];
  if (family === 'baton' || family === 'raw') return { family, transport: transport as TransportName };
  if (family === 'redis') return { family };
  if (family === 'etcd') return { family };
  throw new Error(`unknown system ${id}`);
}

/** W3's Redis entries are named after their retry delay: `redis-retry-2ms`. */
export function redisRetrySystem(delayMs: number): string {
  return `redis-retry-${delayMs}ms`;
}

/** Human names for the tables and the chart. */
export function systemLabel(id: string): string {
  const retry = /^redis-retry-(\d+)ms$/.exec(id);
  if (retry) return `Redis, retry ${retry[1]} ms`;
  const labels: Record<string, string> = {
    'baton-tcp': 'Baton tcp',
    'baton-zmq': 'Baton zmq',
    'baton-ws': 'Baton ws',
    'raw-tcp': 'raw echo tcp',
    'raw-zmq': 'raw echo zmq',
    'raw-ws': 'raw echo ws',
    redis: 'Redis 7 (SET NX PX)',
    etcd: 'etcd 3.4 (etcd3 lock)',
    'baton-durable-tcp': 'Baton tcp, durable (fsync log)',
    'redis-fsync': 'Redis 7, appendfsync always',
    'baton-group-tcp': 'Baton tcp, group of 3 on etcd ×3',
    'etcd-cluster': 'etcd ×3 (etcd3 lock)',
    'etcd-fifo': 'etcd ×3, FIFO recipe (concurrency.Mutex)',
    'etcd-txn': 'one etcd ×3 transaction (the replicated floor)',
  };
  return labels[id] ?? id;
}
