import { MAX_MESSAGE_BYTES } from '@baton/core';
import { formatHostAndPort, TransportError, TransportErrorCode } from '@baton/transport';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './defaults.js';
import { webSocketUrl } from './websocket-url.js';
import type { WebSocketFactory } from './websocket-like.js';
import { WsClientConnection } from './ws-client-connection.js';
import type { WsDialOptions } from './ws-options.js';

/**
 * Opens a WebSocket with `createWebSocket` and resolves once it is open.
 * Rejects with `CONNECT_REFUSED` when the handshake fails (nothing
 * listens, or the server refuses the upgrade) and `CONNECT_TIMEOUT` when it
 * does not finish within `connectTimeoutMs`. It takes the factory instead of importing `ws`, so
 * the same code dials from a browser (`(url) => new WebSocket(url)`).
 */
export function dialWebSocket(createWebSocket: WebSocketFactory, options: WsDialOptions): Promise<WsClientConnection> {
  const url = webSocketUrl(options.host, options.port, options.path, options.secure);
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  return new Promise((resolve, reject) => {
    let settled = false;
    let failure: Error | undefined;
    const socket = createWebSocket(url);
    const fail = (error: TransportError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };
    const timer = setTimeout(() => {
      fail(new TransportError(TransportErrorCode.CONNECT_TIMEOUT, `no WebSocket server answered at ${url} within ${String(timeoutMs)} ms`));
      socket.close();
    }, timeoutMs);
    socket.addEventListener('error', (event) => {
      failure ??= event.error instanceof Error ? event.error : new Error(event.message ?? `WebSocket error on ${url}`);
    });
    socket.addEventListener('close', (event) => {
      const reason = failure === undefined ? `closed with code ${String(event.code)}` : failure.message;
      fail(new TransportError(TransportErrorCode.CONNECT_REFUSED, `could not open a WebSocket to ${url}: ${reason}`, { cause: failure }));
    });
    socket.addEventListener('open', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(new WsClientConnection(socket, formatHostAndPort(options.host, options.port), maxMessageBytes));
    });
  });
}
