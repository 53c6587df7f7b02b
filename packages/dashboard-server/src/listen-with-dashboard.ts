import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Transport } from '@baton/transport';
import { DASHBOARD_FEED_PATH, dashboardAssetsUrl } from '@baton/dashboard';
import type { Coordinator, CoordinatorLogger } from '@baton/server';
import { silentLogger } from '@baton/server';
import {
  FORBIDDEN_ORIGIN_RESPONSE,
  createHandshakeBoundedServer,
  createWebSocketListener,
  isOriginAllowed,
  type WebSocketListener,
  webSocketUrl,
  wsTransport,
} from '@baton/transport-ws';
import { DashboardFeed, type DashboardFeedOptions } from './dashboard-feed.js';
import { serveStaticFile } from './static-files.js';

export interface ListenWithDashboardOptions {
  /** Interface to bind (`0.0.0.0` for all). */
  host: string;
  /** Port to bind; 0 picks a free one. */
  port: number;
  /** Serve the page and its feed. Default true; false leaves only the Baton endpoint (GET answers 404). */
  dashboard?: boolean;
  /** Whether the coordinator has an admin token (the page then offers force-release). Default false. */
  adminEnabled?: boolean;
  /** Where the built page is. Default `@baton/dashboard`'s dist/www. */
  assetsDirectory?: string;
  /** Tuning of the feed (flush interval, pacing, ...). */
  feed?: Omit<DashboardFeedOptions, 'adminEnabled' | 'logger'>;
  logger?: CoordinatorLogger;
  /** Web page origins besides the server's own that may open the lock endpoint and the feed (`*`: any); see isOriginAllowed. */
  allowedOrigins?: readonly string[];
}

/** One port serving Baton over WebSocket (`/`), the dashboard page (`GET /`) and its feed (`/dashboard/feed`). */
export interface DashboardEndpoint {
  readonly port: number;
  /** The Baton endpoint, e.g. `ws://127.0.0.1:8080/`. */
  readonly url: string;
  /** The page, e.g. `http://127.0.0.1:8080/`, when the dashboard is on. */
  readonly dashboardUrl: string | undefined;
  /** The Baton WebSocket listener (the coordinator closes it too). */
  readonly listener: WebSocketListener;
  /** The feed, when the dashboard is on. */
  readonly feed: DashboardFeed | undefined;
  /** Stop the feed, the Baton listener and the HTTP server. */
  close(): Promise<void>;
}

/**
 * Listen for Baton clients over WebSocket on `host:port` and, on the same
 * port, serve the dashboard: `GET /` (and its assets) over HTTP, the feed as
 * a WebSocket on {@link DASHBOARD_FEED_PATH}. The Baton endpoint stays on `/`,
 * exactly as `coordinator.listen(wsTransport, ...)` would serve it; the
 * coordinator owns that listener like any other.
 *
 * @example
 * ```ts
 * const coordinator = new Coordinator({ adminToken: 's3cret' });
 * const endpoint = await listenWithDashboard(coordinator, { host: '127.0.0.1', port: 8080, adminEnabled: true });
 * console.log(`dashboard at ${endpoint.dashboardUrl}`);
 * ```
 */
export async function listenWithDashboard(coordinator: Coordinator, options: ListenWithDashboardOptions): Promise<DashboardEndpoint> {
  const dashboard = options.dashboard ?? true;
  const logger = options.logger ?? silentLogger;
  const assetsDirectory = options.assetsDirectory ?? fileURLToPath(dashboardAssetsUrl);
  const http = createHandshakeBoundedServer((request, response) => {
    if (!dashboard) {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('this lock server runs without its dashboard (--no-dashboard)\n');
      return;
    }
    serveStaticFile(assetsDirectory, request, response).catch((error: unknown) => {
      logger.error({ event: 'dashboard-http-error', error: (error as Error).message }, `dashboard request failed: ${(error as Error).message}`);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await listenHttp(http, options.host, options.port);
  const port = (http.address() as AddressInfo).port;

  let listener: WebSocketListener | undefined;
  // The coordinator computes the message limits and oversize reply and keeps
  // the listener; this transport only makes it one that the router feeds.
  const routed: Transport = {
    scheme: 'ws',
    listen: async (listenOptions) => {
      listener = await createWebSocketListener({ ...listenOptions, port, noServer: true, allowedOrigins: options.allowedOrigins });
      return listener;
    },
    dial: (dialOptions) => wsTransport.dial(dialOptions),
  };
  try {
    await coordinator.listen(routed, options.host, port);
  } catch (error) {
    await closeHttp(http);
    throw error;
  }
  const batonListener = listener!;
  const feed = dashboard ? new DashboardFeed(coordinator, { ...options.feed, adminEnabled: options.adminEnabled ?? false, logger }) : undefined;

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const path = new URL(request.url ?? '/', 'http://dashboard').pathname;
    if (path === '/') batonListener.handleUpgrade(request, socket, head);
    else if (feed !== undefined && path === DASHBOARD_FEED_PATH) {
      // Only the page this server serves, an allowed origin, or a non-browser client (no Origin) may read the feed.
      if (isOriginAllowed(request, options.allowedOrigins)) feed.handleUpgrade(request, socket, head);
      else socket.end(FORBIDDEN_ORIGIN_RESPONSE);
    } else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  let closing: Promise<void> | undefined;
  return {
    port,
    url: batonListener.url,
    dashboardUrl: dashboard ? `http://${webSocketUrl(options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host, port).slice('ws://'.length)}` : undefined,
    listener: batonListener,
    feed,
    close() {
      closing ??= (async () => {
        await feed?.close();
        await batonListener.close();
        await closeHttp(http);
      })();
      return closing;
    },
  };
}

function listenHttp(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
