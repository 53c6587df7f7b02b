/**
 * @baton/transport — what every Baton transport implements and shares: the
 * contract between the coordinator (or the SDK) and a transport
 * (`Transport`, `Listener`, `Connection`), the {@link Inbox} through which a
 * connection delivers, {@link TransportError} with its stable codes, and small
 * helpers the transports would otherwise each write again. No I/O of its own
 * and no dependencies; `@baton/transport-compliance` checks a transport
 * against it.
 *
 * Every transport package has the same factory shape:
 * `createTcpTransport(options?)`, `createWsTransport(options?)`,
 * `createZmqTransport(options?)`, `createMemoryTransport(options?)`, each
 * returning a {@link Transport}, and a default instance (`tcpTransport`, …).
 */
export * from './transport.js';
export * from './transport-error.js';
export * from './inbox.js';
export * from './report-handler-error.js';
export * from './host-and-port.js';
export * from './connection-ids.js';
