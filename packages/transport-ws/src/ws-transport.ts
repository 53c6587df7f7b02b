import type { Transport } from '@baton/transport';
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
  readonly #pingIntervalMs: number | undefined;

  /**
   * @param options.allowedOrigins web page origins every listener of this
   * transport lets in besides same-origin pages (see isOriginAllowed), for
   * embedders whose pages are served from another port:
   * `coordinator.listen(createWsTransport({ allowedOrigins: ['http://127.0.0.1:3000'] }), …)`.
   * @param options.pingIntervalMs how often every listener of this
   * transport pings its peers, unless a listen sets its own (see
   * WebSocketListenOptions.pingIntervalMs).
   */
  constructor(options: WsTransportOptions = {}) {
    this.#allowedOrigins = options.allowedOrigins;
    this.#pingIntervalMs = options.pingIntervalMs;
  }

  listen(options: WebSocketListenOptions): Promise<WebSocketListener> {
    return createWebSocketListener({ allowedOrigins: this.#allowedOrigins, pingIntervalMs: this.#pingIntervalMs, ...options });
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

/** Settings of a {@link WsTransport} that apply to every listener it opens. */
export interface WsTransportOptions {
  /** Web page origins let in besides same-origin pages (see isOriginAllowed). */
  allowedOrigins?: readonly string[];
  /** How often peers are pinged (a peer that misses a ping is closed with HEARTBEAT_TIMEOUT). */
  pingIntervalMs?: number;
}

/** A WebSocket transport for Node.js. */
export function createWsTransport(options: WsTransportOptions = {}): WsTransport {
  return new WsTransport(options);
}

/** The WebSocket transport for Node.js. */
export const wsTransport: WsTransport = createWsTransport();
