/**
 * @baton/dashboard-server — serves the Baton dashboard (`@baton/dashboard`)
 * on the port of a WebSocket endpoint: the page over HTTP, and a feed that
 * pushes every resource's holders and queue as they change.
 *
 * @example
 * ```ts
 * import { Coordinator } from '@baton/server';
 * import { listenWithDashboard } from '@baton/dashboard-server';
 * const coordinator = new Coordinator({ adminToken: process.env.BATON_ADMIN_TOKEN });
 * const endpoint = await listenWithDashboard(coordinator, { host: '127.0.0.1', port: 8080, adminEnabled: true });
 * // Baton clients: ws://127.0.0.1:8080/   the page: http://127.0.0.1:8080/
 * // ... later
 * await endpoint.close();
 * await coordinator.close();
 * ```
 */
export { DashboardFeed, type DashboardFeedOptions } from './dashboard-feed.js';
export { encodeBatch, feedResource, type FeedBatch } from './feed-encoding.js';
export { GrantHistory } from './grant-history.js';
export { listenWithDashboard, type DashboardEndpoint, type ListenWithDashboardOptions } from './listen-with-dashboard.js';
export { CONTENT_SECURITY_POLICY, serveStaticFile } from './static-files.js';
