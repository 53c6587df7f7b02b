import type { SystemTarget } from './system-target.js';
import { openBatonClient } from './baton-client.js';
import { openEtcdClient } from './etcd-client.js';
import { openEtcdFifoClient, openEtcdTxnClient } from './etcd-fifo-client.js';
import { openRawEchoClient } from './raw-echo-client.js';
import { openRedisClient } from './redis-client.js';

/** A lock that is held; releasing it is the second half of a pair. */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * One client of a system under test, the common shape the workloads drive:
 * one connection (or session) per client, as an application would have.
 */
export interface LockClient {
  /** Resolves once the lock is held (waiting, or retrying, as the system does). */
  acquire(resource: string): Promise<HeldLock>;
  close(): Promise<void>;
}

/** Connect one client to `target`. `name` shows up in the server's status where the system has one. */
export function openLockClient(target: SystemTarget, name: string): Promise<LockClient> {
  switch (target.kind) {
    case 'baton':
      return openBatonClient(target, name);
    case 'raw':
      return openRawEchoClient(target, name);
    case 'redis':
      return openRedisClient(target, name);
    case 'etcd':
      return openEtcdClient(target, name);
    case 'etcd-fifo':
      return openEtcdFifoClient(target, name);
    case 'etcd-txn':
      return openEtcdTxnClient(target, name);
  }
}
