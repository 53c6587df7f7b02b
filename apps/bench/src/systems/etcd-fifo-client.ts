import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import type { IRangeRequest } from 'etcd3';
import { ETCD_LOCK_TTL_SECONDS } from './etcd-client.js';
import type { HeldLock, LockClient } from './lock-client.js';
import type { EtcdFifoTarget, EtcdTxnTarget } from './system-target.js';

/** Where the FIFO recipe keeps its keys: `fifo/<resource>/<lease id in hex>`. */
export const ETCD_FIFO_PREFIX = 'fifo/';

/** The first key after every key that starts with `prefix` (etcd's range end of a prefix). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let index = end.length - 1; index >= 0; index--) {
    if (end[index]! < 0xff) {
      end[index]! += 1;
      return end.subarray(0, index + 1);
    }
  }
  // Every byte 0xff: to the end of the keyspace.
  return Buffer.from([0]);
}

/**
 * etcd's own waiting lock, the revision-ordered FIFO recipe of Go's
 * `clientv3/concurrency.Mutex` (etcd 3.4), on the `etcd3` client:
 *
 * - a session: ONE lease per client, granted when the client opens and kept
 *   alive by the client (what `concurrency.NewSession` does); a client that
 *   dies loses its keys when the lease ends;
 * - acquire: one transaction — if `<prefix><lease>` does not exist, put it
 *   under the lease, else read it; in both branches read the key of the
 *   prefix with the lowest create revision (the owner). If that is ours, the
 *   lock is held. Otherwise, as `waitDeletes`: read the key with the highest
 *   create revision below ours and watch it (from the read's revision on)
 *   until it is deleted, then again, until no key below ours is left. The
 *   last read also reads our own key: if the session's lease ended while
 *   waiting, it is gone and the acquire fails rather than believe it holds
 *   the lock;
 * - release: delete our key (the next waiter's watch fires). A release that
 *   deletes nothing means the lock had been lost (the lease ended) and fails.
 *
 * Each waiter watches only its predecessor, so a release wakes one client,
 * and grants go in the order the requests reached etcd.
 */
export async function openEtcdFifoClient(target: EtcdFifoTarget, _name: string): Promise<LockClient> {
  const client = new Etcd3({ hosts: target.endpoints });
  const lease = client.lease(ETCD_LOCK_TTL_SECONDS);
  let lost: Error | undefined;
  lease.on('lost', (error: Error) => {
    lost = error;
  });
  let leaseId: string;
  try {
    leaseId = await lease.grant();
  } catch (error) {
    client.close();
    throw error;
  }
  const leaseHex = BigInt(leaseId).toString(16);

  const waitForDelete = (key: Buffer, afterRevision: string) =>
    new Promise<void>((resolve, reject) => {
      const watcher = client.watch().key(key).startRevision(String(BigInt(afterRevision) + 1n)).watcher();
      const finish = (error?: Error) => {
        watcher.removeAllListeners();
        // Ignore a failing cancel: the watch has done its work.
        void watcher.cancel().catch(() => undefined);
        if (error) reject(error);
        else resolve();
      };
      watcher.on('delete', () => finish());
      watcher.on('error', (error: Error) => finish(error));
    });

  return {
    async acquire(resource: string): Promise<HeldLock> {
      if (lost) throw new Error(`etcd-fifo: the session's lease was lost: ${lost.message}`);
      const prefix = Buffer.from(`${ETCD_FIFO_PREFIX}${resource}/`);
      const rangeEnd = prefixEnd(prefix);
      const key = Buffer.from(`${ETCD_FIFO_PREFIX}${resource}/${leaseHex}`);
      const owner: IRangeRequest = { key: prefix, range_end: rangeEnd, sort_target: 'Create', sort_order: 'Ascend', limit: 1 };
      const response = await client.kv.txn({
        compare: [{ key, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key, value: Buffer.alloc(0), lease: leaseId } }, { request_range: owner }],
        failure: [{ request_range: { key } }, { request_range: owner }],
      });
      const myRevision = response.succeeded ? response.header.revision : response.responses[0]!.response_range.kvs[0]!.create_revision;
      const first = response.responses[1]!.response_range.kvs[0];
      if (first === undefined || first.create_revision !== myRevision) {
        // Wait until every key created before ours is gone: always the latest one below ours, as waitDeletes does.
        const below = String(BigInt(myRevision) - 1n);
        for (;;) {
          const check = await client.kv.txn({
            compare: [],
            success: [
              { request_range: { key: prefix, range_end: rangeEnd, sort_target: 'Create', sort_order: 'Descend', limit: 1, max_create_revision: below } },
              { request_range: { key, keys_only: true } },
            ],
          });
          if (check.responses[1]!.response_range.kvs.length === 0) throw new Error(`etcd-fifo: ${key.toString()} is gone while waiting (the session's lease ended)`);
          const predecessor = check.responses[0]!.response_range.kvs[0];
          if (predecessor === undefined) break;
          await waitForDelete(predecessor.key, check.header.revision);
        }
      }
      return {
        async release(): Promise<void> {
          const deleted = await client.kv.deleteRange({ key });
          if (deleted.deleted !== '1') throw new Error(`etcd-fifo lock ${key.toString()} was gone before its release (the session's lease ended)`);
        },
      };
    },
    async close(): Promise<void> {
      await lease.revoke().catch(() => undefined);
      client.close();
    },
  };
}

/** Bytes of each probe transaction's value: about one Baton log batch of a record or two. */
export const ETCD_TXN_VALUE_BYTES = 160;

/**
 * The round trip of ONE etcd transaction of the kind Baton's group log
 * commits per batch (packages/etcd-group's EtcdLog): a compare on a fence
 * key's create revision (the election key's, there) and on the new key's
 * absence, and a put of the new key. "acquire" is that transaction; the
 * "release" does nothing, so a W1 pair of this system is one transaction.
 */
export async function openEtcdTxnClient(target: EtcdTxnTarget, name: string): Promise<LockClient> {
  const client = new Etcd3({ hosts: target.endpoints });
  const base = `txn/${name}-${randomBytes(4).toString('hex')}/`;
  const fence = Buffer.from(`${base}fence`);
  let fenceRevision: string;
  try {
    fenceRevision = (await client.kv.put({ key: fence, value: Buffer.from('fence') })).header.revision;
  } catch (error) {
    client.close();
    throw error;
  }
  const value = Buffer.alloc(ETCD_TXN_VALUE_BYTES, 'x');
  const nothing: HeldLock = { release: () => Promise.resolve() };
  let counter = 0;
  return {
    async acquire(_resource: string): Promise<HeldLock> {
      const key = Buffer.from(`${base}${String(counter++).padStart(10, '0')}`);
      const response = await client.kv.txn({
        compare: [
          { key: fence, target: 'Create', result: 'Equal', create_revision: fenceRevision },
          { key, target: 'Create', result: 'Equal', create_revision: 0 },
        ],
        success: [{ request_put: { key, value } }],
      });
      if (!response.succeeded) throw new Error(`etcd-txn: the transaction on ${key.toString()} did not succeed`);
      return nothing;
    },
    close(): Promise<void> {
      client.close();
      return Promise.resolve();
    },
  };
}
