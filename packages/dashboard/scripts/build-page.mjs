#!/usr/bin/env node
/**
 * Builds the dashboard page into dist/www/: app.js (one ES module bundling
 * the page, @baton/core and the browser WebSocket transport, from their
 * TypeScript sources), app.css and index.html. Nothing is fetched at run
 * time; the server serves these three files.
 *
 * `node scripts/build-page.mjs [outdir]`; also importable: buildDashboardPage({ outdir }).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Build the page into `outdir` (default dist/www of this package). Resolves to the directory. */
export async function buildDashboardPage({ outdir = join(packageDirectory, 'dist', 'www'), minify = true } = {}) {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: [join(packageDirectory, 'src', 'page', 'main.ts')],
    outfile: join(outdir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox120', 'safari17'],
    // Workspace packages from their sources: no build of theirs is needed first.
    conditions: ['@baton/source'],
    minify,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'app.css']) copyFileSync(join(packageDirectory, 'src', 'page', file), join(outdir, file));
  return outdir;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = await buildDashboardPage(process.argv[2] === undefined ? {} : { outdir: resolve(process.argv[2]) });
  console.log(`dashboard page built into ${outdir}`);
}
