/**
 * @baton/client — the Baton SDK. Pass the transport(s) you want; the URL's
 * scheme picks one.
 *
 * @example
 * ```ts
 * import { connect } from '@baton/client';
 * import { tcpTransport } from '@baton/transport-tcp';
 * const client = await connect('tcp://127.0.0.1:5555', { transport: tcpTransport, client: 'worker-1' });
 * await client.withLock('file_A', async (signal, lock) => {
 *   // work on file_A; pass lock.token to the resource; stop if signal aborts
 * });
 * await client.close();
 * ```
 */
export * from './client.js';
export * from './client-session.js';
export * from './errors.js';
export * from './fencing-token.js';
export * from './lock.js';
export * from './server-url.js';
