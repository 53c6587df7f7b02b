/**
 * @baton/transport-ws — Baton over WebSocket: `ws` on the server, and either
 * `ws` (Node.js) or the browser's WebSocket (`@baton/transport-ws/browser`)
 * on the dialing side.
 *
 * @example
 * ```ts
 * import { wsTransport } from '@baton/transport-ws';
 * const listener = await wsTransport.listen({ host: '127.0.0.1', port: 0, onConnection: (connection) => {} });
 * const connection = await wsTransport.dial({ host: '127.0.0.1', port: listener.port });
 * ```
 */
export * from './browser.js';
export { WsServerConnection, type WsServerConnectionOptions } from './ws-server-connection.js';
export { WebSocketListener, createWebSocketListener, type WebSocketListenOptions } from './websocket-listener.js';
export { createWsTransport, WsTransport, wsTransport, type WsTransportOptions } from './ws-transport.js';
export { FORBIDDEN_ORIGIN_RESPONSE, isOriginAllowed } from './origin-policy.js';
export { createHandshakeBoundedServer } from './http-server.js';
