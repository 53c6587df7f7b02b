import { createServer, type RequestListener, type Server } from 'node:http';
import { HANDSHAKE_CHECK_INTERVAL_MS, WS_HANDSHAKE_TIMEOUT_MS } from './defaults.js';

/**
 * An HTTP server for a ws port: a connection that has not finished its
 * request headers within WS_HANDSHAKE_TIMEOUT_MS is closed, so half-finished
 * handshakes cannot hold file descriptors. Every HTTP server that serves a
 * Baton WebSocket endpoint is made here (the dashboard's too).
 */
export function createHandshakeBoundedServer(onRequest: RequestListener): Server {
  return createServer(
    {
      headersTimeout: WS_HANDSHAKE_TIMEOUT_MS,
      requestTimeout: 2 * WS_HANDSHAKE_TIMEOUT_MS,
      connectionsCheckingInterval: HANDSHAKE_CHECK_INTERVAL_MS,
    },
    onRequest,
  );
}
