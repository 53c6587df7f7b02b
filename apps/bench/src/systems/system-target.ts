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
  /** Client URLs: one for the single member, every member's for the cluster (the client spreads its calls over them). */
  endpoints: string[];
}

/**
 * etcd's revision-ordered FIFO lock (Go's `concurrency.Mutex`), on the
 * `etcd3` client: one lease per client (its session), a key
 * `<resource>/<lease>` per request, and a wait for the deletion of every key
 * of the resource with a lower create revision.
 */
export interface EtcdFifoTarget {
  kind: 'etcd-fifo';
  endpoints: string[];
}

/**
 * Not a lock: one etcd transaction per "acquire" (a compare on a key's create
 * revision and a put, as Baton's group log commits a batch), and a "release"
 * that does nothing. Its W1 row is one transaction's round trip.
 */
export interface EtcdTxnTarget {
  kind: 'etcd-txn';
  endpoints: string[];
}

export type SystemTarget = BatonTarget | RawEchoTarget | RedisTarget | EtcdTarget | EtcdFifoTarget | EtcdTxnTarget;
