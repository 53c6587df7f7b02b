/**
 * @baton/transport-tcp — Baton over TCP, one JSON message per line.
 *
 * @example
 * ```ts
 * import { tcpTransport } from '@baton/transport-tcp';
 * const listener = await tcpTransport.listen({ host: '127.0.0.1', port: 0, onConnection: (c) => { ... } });
 * // from a shell: nc 127.0.0.1 <listener.port>
 * ```
 */
export { createTcpTransport, TcpTransport, tcpTransport, DEFAULT_CONNECT_TIMEOUT_MS } from './tcp-transport.js';
export { TcpListener } from './tcp-listener.js';
export { TcpConnection, DEFAULT_CLOSE_GRACE_MS, type TcpConnectionOptions } from './tcp-connection.js';
export { LineDecoder, type DecodedLines } from './line-decoder.js';
