import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { HeldLock, LockClient } from './lock-client.js';
import type { RedisTarget } from './system-target.js';

/** Compare-and-delete: only the holder's token removes the key (the standard single-instance release). */
export const RELEASE_SCRIPT = `if redis.call("get", KEYS[1]) == ARGV[1] then
  return redis.call("del", KEYS[1])
else
  return 0
end`;

type LockingRedis = Redis & { releaseLock(key: string, token: string): Promise<number> };

/**
 * node-redlock's wait between attempts: `retryDelay` plus a uniform jitter of
 * ± `retryJitter`, never negative.
 */
export function retryDelay(delayMs: number, jitterMs: number, random: () => number = Math.random): number {
  return Math.max(0, delayMs + Math.floor((random() * 2 - 1) * jitterMs));
}

/**
 * The standard single-instance Redis lock: `SET key token NX PX ttl`; when
 * the key exists, wait {@link retryDelay} and try again (without a retry
 * limit, unlike node-redlock's default of 10, so no acquire ever fails here).
 */
export async function openRedisClient(target: RedisTarget, name: string): Promise<LockClient> {
  const redis = new Redis({
    host: target.host,
    port: target.port,
    lazyConnect: true,
    connectionName: name,
    enableAutoPipelining: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  }) as LockingRedis;
  redis.defineCommand('releaseLock', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
  await redis.connect();
  const prefix = `${name}-${randomBytes(4).toString('hex')}-`;
  let counter = 0;
  return {
    async acquire(resource: string): Promise<HeldLock> {
      const key = `lock:${resource}`;
      const token = prefix + String(counter++);
      for (;;) {
        const reply = await redis.set(key, token, 'PX', target.ttlMs, 'NX');
        if (reply === 'OK') break;
        await sleep(retryDelay(target.retryDelayMs, target.retryJitterMs));
      }
      return {
        async release(): Promise<void> {
          const removed = await redis.releaseLock(key, token);
          if (removed !== 1) throw new Error(`redis lock ${key} (${token}) had expired or was taken before its release`);
        },
      };
    },
    async close(): Promise<void> {
      await redis.quit();
    },
  };
}
