import type { Listener, Transport } from '@baton/transport';
import { dialWebSocket } from './dial-websocket.js';
import type { WebSocketFactory, WebSocketLike } from './websocket-like.js';
import type { WsClientConnection } from './ws-client-connection.js';
import type { WsDialOptions } from './ws-options.js';

export interface BrowserWsTransportOptions {
  /** Opens the socket. Default: the global `WebSocket` (every browser; Node.js 22+). */
  createWebSocket?: WebSocketFactory;
  /** Dial `wss://` and answer to `wss://` URLs: for pages served over https. Default false. */
  secure?: boolean;
}

type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * The WebSocket transport for the dialing side only, with no Node.js
 * dependency: what `@baton/client` is given in a browser.
 *
 * @example
 * ```ts
 * import { connect } from '@baton/client';
 * import { browserWsTransport } from '@baton/transport-ws/browser';
 * const client = await connect(`ws://${location.host}`, { transport: browserWsTransport, client: 'a-page' });
 * ```
 */
export class BrowserWsTransport implements Transport {
  readonly scheme: string;
  readonly #createWebSocket: WebSocketFactory;
  readonly #secure: boolean;

  constructor(options: BrowserWsTransportOptions = {}) {
    this.#secure = options.secure ?? false;
    this.scheme = this.#secure ? 'wss' : 'ws';
    this.#createWebSocket = options.createWebSocket ?? globalWebSocket;
  }

  /** A browser cannot accept connections. */
  listen(): Promise<Listener> {
    return Promise.reject(new Error('the browser WebSocket transport can only dial; listen with @baton/transport-ws in Node.js'));
  }

  dial(options: WsDialOptions): Promise<WsClientConnection> {
    return dialWebSocket(this.#createWebSocket, { secure: this.#secure, ...options });
  }
}

function globalWebSocket(url: string): WebSocketLike {
  const constructor = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (constructor === undefined) {
    throw new Error('this runtime has no global WebSocket; pass createWebSocket to BrowserWsTransport');
  }
  return new constructor(url);
}

/** A WebSocket transport for browsers (dial only), through the global WebSocket unless given `createWebSocket`. */
export function createBrowserWsTransport(options: BrowserWsTransportOptions = {}): BrowserWsTransport {
  return new BrowserWsTransport(options);
}

/** `ws://` through the global WebSocket. */
export const browserWsTransport: BrowserWsTransport = createBrowserWsTransport();
