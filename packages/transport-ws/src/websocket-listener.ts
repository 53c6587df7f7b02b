import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { MAX_MESSAGE_BYTES } from '@baton/core';
import { type Connection, type Listener, type ListenOptions } from '@baton/transport';
import { WebSocketServer } from 'ws';
import {
  CLOSE_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_PATH,
  DEFAULT_PING_INTERVAL_MS,
  OVERSIZED_MESSAGE_READ_FACTOR,
} from './defaults.js';
import { createHandshakeBoundedServer } from './http-server.js';
import { FORBIDDEN_ORIGIN_RESPONSE, isOriginAllowed } from './origin-policy.js';
import { webSocketUrl } from './websocket-url.js';
import { WsServerConnection } from './ws-server-connection.js';

export interface WebSocketListenOptions extends ListenOptions {
  /**
   * Serve WebSockets on this existing HTTP server, so that a dashboard can be
   * served on the same port. It is started on `host`/`port` if it is not
   * listening yet, and it is never closed by {@link WebSocketListener.close}:
   * it belongs to the caller.
   */
  server?: HttpServer;
  /** HTTP path to upgrade on. Default `/`. Ignored with `noServer`, where the caller routes. */
  path?: string;
  /**
   * Bind nothing and attach to no server: the caller owns the HTTP server and
   * hands each upgrade request meant for Baton to
   * {@link WebSocketListener.handleUpgrade}. This is how several WebSocket
   * endpoints (Baton, a dashboard feed) and plain pages share one port: a
   * `ws` server given `server` answers 400 to upgrades on every other path,
   * so only one of them could attach. `port` is then only reported back.
   */
  noServer?: boolean;
  /** How often to ping each client; see DEFAULT_PING_INTERVAL_MS. */
  pingIntervalMs?: number;
  /**
   * Web page origins (`https://app.example:8443`) that may open a WebSocket
   * besides the server's own; `*` allows every one. Default none: see
   * {@link isOriginAllowed}. Upgrades from other origins get 403.
   */
  allowedOrigins?: readonly string[];
}

/** A WebSocket server (the `ws` package) accepting Baton connections. */
export class WebSocketListener implements Listener {
  readonly url: string;
  readonly port: number;
  readonly #server: WebSocketServer;
  readonly #connections = new Set<WsServerConnection>();
  readonly #pingTimer: NodeJS.Timeout;
  readonly #allowedOrigins: readonly string[];
  /** The HTTP server this listener created (and so closes), if it did. */
  readonly #ownHttpServer: HttpServer | undefined;
  #closing: Promise<void> | undefined;

  /** Use {@link createWebSocketListener}. */
  constructor(server: WebSocketServer, options: WebSocketListenOptions, port: number, ownHttpServer?: HttpServer) {
    this.#server = server;
    this.#allowedOrigins = options.allowedOrigins ?? [];
    this.#ownHttpServer = ownHttpServer;
    this.port = port;
    this.url = webSocketUrl(options.host, port, options.path);
    const connectionOptions = {
      maxMessageBytes: options.maxMessageBytes ?? MAX_MESSAGE_BYTES,
      oversizedReply: options.oversizedReply,
      maxUnsentBytesBeforePause: options.maxUnsentBytesBeforePause,
      maxUnsentBytes: options.maxUnsentBytes,
    };
    server.on('connection', (socket, request) => {
      if (this.#closing !== undefined) {
        socket.terminate();
        return;
      }
      const connection = new WsServerConnection(socket, request, connectionOptions);
      this.#connections.add(connection);
      void connection.closed.then(() => this.#connections.delete(connection));
      options.onConnection(connection satisfies Connection);
    });
    const pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    this.#pingTimer = setInterval(() => {
      for (const connection of this.#connections) connection.checkAlive(pingIntervalMs);
    }, pingIntervalMs);
  }

  /**
   * Take over one HTTP upgrade request (for a listener created with
   * `noServer`): completes the WebSocket handshake and serves the connection
   * like any other. Refused with 503 once the listener is closing.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#closing !== undefined) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (!isOriginAllowed(request, this.#allowedOrigins)) {
      socket.end(FORBIDDEN_ORIGIN_RESPONSE);
      return;
    }
    this.#server.handleUpgrade(request, socket, head, (webSocket) => this.#server.emit('connection', webSocket, request));
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    clearInterval(this.#pingTimer);
    const closing = [...this.#connections].map((connection) => connection.shutDown(CLOSE_HANDSHAKE_TIMEOUT_MS));
    // Stops accepting; closes the HTTP server only if ws created it.
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await Promise.all(closing);
    await serverClosed;
    const own = this.#ownHttpServer;
    if (own !== undefined) {
      await new Promise<void>((resolve) => {
        own.close(() => resolve());
        own.closeAllConnections();
      });
    }
  }
}

/**
 * Starts accepting Baton connections over WebSocket: on a new HTTP server
 * bound to `host`/`port`, on `options.server` when given (for sharing the
 * port with pages), or on upgrades the caller routes to it (`noServer`).
 */
export async function createWebSocketListener(options: WebSocketListenOptions): Promise<WebSocketListener> {
  const maxPayload = (options.maxMessageBytes ?? MAX_MESSAGE_BYTES) * OVERSIZED_MESSAGE_READ_FACTOR;
  const path = options.path ?? DEFAULT_PATH;
  if (options.noServer === true) {
    const server = new WebSocketServer({ noServer: true, maxPayload, skipUTF8Validation: true });
    return new WebSocketListener(server, options, options.port);
  }
  const verifyClient = (info: { req: IncomingMessage }, callback: (result: boolean, code?: number, message?: string) => void): void => {
    callback(isOriginAllowed(info.req, options.allowedOrigins), 403, 'Forbidden: this Origin may not open a WebSocket here');
  };
  if (options.server !== undefined) {
    const httpServer = options.server;
    if (!httpServer.listening) await listenHttp(httpServer, options.host, options.port);
    const server = new WebSocketServer({ server: httpServer, path, maxPayload, skipUTF8Validation: true, verifyClient });
    // Errors of a caller's HTTP server are the caller's; ws re-emits them here, so keep them from crashing the process.
    server.on('error', () => {});
    return new WebSocketListener(server, options, (httpServer.address() as AddressInfo).port);
  }
  // An HTTP server of our own (rather than ws's) so that handshakes are bounded in time.
  const httpServer = createHandshakeBoundedServer((_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket' }).end('this port speaks Baton over WebSocket\n');
  });
  await listenHttp(httpServer, options.host, options.port);
  httpServer.on('error', () => {});
  const server = new WebSocketServer({ server: httpServer, path, maxPayload, skipUTF8Validation: true, verifyClient });
  server.on('error', () => {});
  return new WebSocketListener(server, options, (httpServer.address() as AddressInfo).port, httpServer);
}

function listenHttp(server: HttpServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
