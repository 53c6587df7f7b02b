/**
 * @baton/fenced-file — a file that refuses writes with stale fencing tokens,
 * the resource-side check that makes Baton's fencing tokens useful.
 *
 * @example
 * ```ts
 * import { FencedFile } from '@baton/fenced-file';
 * const file = new FencedFile('/data/file_A.txt');
 * await client.withLock('file_A', async (signal, lock) => {
 *   // throws StaleTokenError if a newer holder already wrote; the check refuses a lock whose lease ran out
  file.write('Hello Distributed World', lock.token, { check: () => lock.assertHeld() });
 * });
 * ```
 */
export * from './fenced-file-store.js';
export { withFileMutex, MUTEX_RETRY_MS, MUTEX_TIMEOUT_MS } from './file-mutex.js';
