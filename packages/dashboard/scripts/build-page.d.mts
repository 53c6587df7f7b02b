/** Build the dashboard page (app.js, app.css, index.html) into `outdir` (default dist/www of @baton/dashboard). Resolves to the directory. */
export function buildDashboardPage(options?: { outdir?: string; minify?: boolean }): Promise<string>;
