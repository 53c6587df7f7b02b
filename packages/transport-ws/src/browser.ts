/**
 * The dialing side of the WebSocket transport without any Node.js
 * dependency, for browser bundles:
 *
 * ```ts
 * import { dialWebSocket } from '@baton/transport-ws/browser';
 * const connection = await dialWebSocket((url) => new WebSocket(url), { host: location.hostname, port: 7070 });
 * ```
 */
export * from './defaults.js';
export { CloseCode, closeError } from './close-codes.js';
export { dialWebSocket } from './dial-websocket.js';
export { utf8ByteLength } from './utf8-byte-length.js';
export { WebSocketReadyState, type WebSocketFactory, type WebSocketLike } from './websocket-like.js';
export { webSocketUrl } from './websocket-url.js';
export { WsClientConnection } from './ws-client-connection.js';
export type { WsDialOptions } from './ws-options.js';
