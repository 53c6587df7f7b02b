import type { TransportName } from './system-target.js';

/** The systems W1 and W2 compare. */
export const LOCK_SYSTEMS = ['baton-tcp', 'baton-zmq', 'baton-ws', 'raw-tcp', 'raw-zmq', 'raw-ws', 'redis', 'etcd', 'baton-durable-tcp', 'redis-fsync'] as const;

/** The durable systems: every acknowledged change is on disk (fsync / O_DSYNC) before the reply. */
export const DURABLE_SYSTEMS = ['baton-durable-tcp', 'redis-fsync', 'etcd'] as const;
export type LockSystemId = (typeof LOCK_SYSTEMS)[number];

/** What a system id is made of: which server, and for Baton and raw, which transport. */
export function describeSystem(id: string): { family: 'baton' | 'raw' | 'redis' | 'etcd'; transport?: TransportName; durable?: true } {
  if (id === 'baton-durable-tcp') return { family: 'baton', transport: 'tcp', durable: true };
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
  };
  return labels[id] ?? id;
}
