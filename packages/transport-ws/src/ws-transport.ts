import type { Transport } from '@baton/core';
import { MAX_MESSAGE_BYTES } from '@baton/core';
import { WebSocket } from 'ws';
import { OVERSIZED_MESSAGE_READ_FACTOR } from './defaults.js';
import { dialWebSocket } from './dial-websocket.js';
import { createWebSocketListener, type WebSocketListener, type WebSocketListenOptions } from './websocket-listener.js';
import type { WsClientConnection } from './ws-client-connection.js';
import type { WsDialOptions } from './ws-options.js';

/**
 * Baton over WebSocket in Node.js: `ws` on both ends, one Baton message per
 * text message. Browsers dial with {@link dialWebSocket} and their global
 * WebSocket instead (see the `./browser` entry).
 */
export class WsTransport implements Transport {
  readonly scheme = 'ws';
  readonly #allowedOrigins: readonly string[] | undefined;

  /**
   * @param options.allowedOrigins web page origins every listener of this
   * transport lets in besides same-origin pages (see isOriginAllowed), for
   * embedders whose pages are served from another port:
   * `coordinator.listen(new WsTransport({ allowedOrigins: ['http://127.0.0.1:3000'] }), …)`.
   */
  constructor(options: { allowedOrigins?: readonly string[] } = {}) {
    this.#allowedOrigins = options.allowedOrigins;
  }

  listen(options: WebSocketListenOptions): Promise<WebSocketListener> {
    return createWebSocketListener({ allowedOrigins: this.#allowedOrigins, ...options });
  }

  dial(options: WsDialOptions): Promise<WsClientConnection> {
    const maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    // Same generous payload cap as the server: the exact limit is checked per message by the connection.
    return dialWebSocket(
      (url) => new WebSocket(url, { maxPayload: maxMessageBytes * OVERSIZED_MESSAGE_READ_FACTOR }),
      options,
    );
  }
}

/** The WebSocket transport for Node.js. */
export const wsTransport: WsTransport = new WsTransport();
