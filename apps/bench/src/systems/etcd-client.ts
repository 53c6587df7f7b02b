import { Etcd3 } from 'etcd3';
import type { HeldLock, LockClient } from './lock-client.js';
import type { EtcdTarget } from './system-target.js';

/** Lease of each lock, seconds (the etcd3 client's default is 30). */
export const ETCD_LOCK_TTL_SECONDS = 10;

/**
 * etcd through the `etcd3` client's lock: grant a lease, then put the key
 * under it if it does not exist (one transaction); release revokes the
 * lease. The client's lock does not wait: acquire fails when the key exists,
 * so the benchmark uses etcd only where nobody contends (W1, W2).
 */
export async function openEtcdClient(target: EtcdTarget, _name: string): Promise<LockClient> {
  const client = new Etcd3({ hosts: target.endpoints });
  // Open the channel now, so the first measured acquire does not pay for it.
  await client.get('bench-warmup').string();
  return {
    async acquire(resource: string): Promise<HeldLock> {
      const lock = client.lock(`lock/${resource}`).ttl(ETCD_LOCK_TTL_SECONDS);
      await lock.acquire();
      return {
        async release(): Promise<void> {
          await lock.release();
        },
      };
    },
    close(): Promise<void> {
      client.close();
      return Promise.resolve();
    },
  };
}
