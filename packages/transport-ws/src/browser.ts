/**
 * The dialing side of the WebSocket transport without any Node.js
 * dependency, for browser bundles: a Transport for `@baton/client`
 * ({@link browserWsTransport}), or a bare connection:
 *
 * ```ts
 * import { connect } from '@baton/client';
 * import { browserWsTransport, dialWebSocket } from '@baton/transport-ws/browser';
 * const client = await connect(`ws://${location.host}`, { transport: browserWsTransport });
 * const connection = await dialWebSocket((url) => new WebSocket(url), { host: location.hostname, port: 7070 });
 * ```
 */
export { BrowserWsTransport, browserWsTransport, createBrowserWsTransport, type BrowserWsTransportOptions } from './browser-ws-transport.js';
export * from './defaults.js';
export { CloseCode, closeError } from './close-codes.js';
export { dialWebSocket } from './dial-websocket.js';
export { utf8ByteLength } from './utf8-byte-length.js';
export { WebSocketReadyState, type WebSocketFactory, type WebSocketLike } from './websocket-like.js';
export { webSocketUrl } from './websocket-url.js';
export { WsClientConnection } from './ws-client-connection.js';
export type { WsDialOptions } from './ws-options.js';
