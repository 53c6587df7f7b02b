/**
 * @baton/transport-memory — Baton without sockets: a server and its clients
 * in one process, with the same delivery and close semantics as the network
 * transports. Meant for tests and for embedding the coordinator.
 *
 * @example
 * ```ts
 * import { memoryTransport } from '@baton/transport-memory';
 * const listener = await memoryTransport.listen({ host: '127.0.0.1', port: 0, onConnection: (c) => { ... } });
 * const connection = await memoryTransport.dial({ host: '127.0.0.1', port: listener.port });
 * ```
 */
export { createMemoryTransport, MemoryTransport, memoryTransport } from './memory-transport.js';
export { MemoryListener } from './memory-listener.js';
export { MemoryConnection, type MemoryEndOptions } from './memory-connection.js';
export { PortRegistry } from './port-registry.js';
