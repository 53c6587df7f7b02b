/**
 * @baton/dashboard — the live dashboard page of a Baton lock server, and the
 * feed protocol between the page and the server (`feed-protocol.ts`). The
 * page is built (esbuild, by `pnpm build`) into static files under
 * {@link dashboardAssetsUrl}; `@baton/dashboard-server` serves them and the
 * feed, and `lock-server` ships both.
 *
 * @example
 * ```ts
 * import { fileURLToPath } from 'node:url';
 * import { dashboardAssetsUrl, DASHBOARD_FEED_PATH } from '@baton/dashboard';
 * const directory = fileURLToPath(dashboardAssetsUrl); // .../packages/dashboard/dist/www/
 * ```
 */
export * from './feed-protocol.js';
/** The page's model of the feed: pure, no DOM, so other tools (and tests) can read a feed with it. */
export { countText, DashboardModel, formatDuration, type ResourceView, type SortOrder, type View, type ViewOptions } from './page/model.js';

/**
 * Where the built page lives: `dist/www/` of this package (index.html,
 * app.js, app.css). The same relative path works from `src/` and `dist/`.
 */
export const dashboardAssetsUrl: URL = new URL('../dist/www/', import.meta.url);

/** The files of the built page, for servers that want to check they are all there. */
export const DASHBOARD_ASSET_FILES: readonly string[] = ['index.html', 'app.js', 'app.css'];
