/**
 * Where a system under test listens and how its clients behave: plain data,
 * so the orchestrator can hand it to worker processes over IPC.
 */

export type TransportName = 'tcp' | 'zmq' | 'ws';

export const TRANSPORTS: readonly TransportName[] = ['tcp', 'zmq', 'ws'];

/** Baton through its real SDK (`@baton/client`). */
export interface BatonTarget {
  kind: 'baton';
  transport: TransportName;
  /** `tcp://127.0.0.1:P`, `zmq://…`, `ws://…`. */
  url: string;
}

/**
 * The raw echo server of one transport: an acquire and a release each cost
 * one round trip of a message the size of Baton's, and nothing else.
 */
export interface RawEchoTarget {
  kind: 'raw';
  transport: TransportName;
  host: string;
  port: number;
}

/**
 * Redis with the standard single-instance lock: `SET key token NX PX ttl`,
 * compare-and-delete in Lua. A waiter retries after `retryDelayMs` ±
 * `retryJitterMs` (uniform), as node-redlock does.
 */
export interface RedisTarget {
  kind: 'redis';
  host: string;
  port: number;
  retryDelayMs: number;
  retryJitterMs: number;
  ttlMs: number;
}

/** etcd 3 through the `etcd3` npm client's `lock(name).acquire()/release()`. */
export interface EtcdTarget {
  kind: 'etcd';
  endpoint: string;
}

export type SystemTarget = BatonTarget | RawEchoTarget | RedisTarget | EtcdTarget;
