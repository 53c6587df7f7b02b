#!/usr/bin/env node
/**
 * Bundles the example for browsers into dist/ (example.js + index.html).
 * `platform: 'browser'` makes esbuild refuse any Node.js built-in on the
 * path, so a successful build is itself the proof that the SDK's browser
 * path has nothing Node-only.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Build into `outdir` (default dist/). Resolves to esbuild's metafile (every input file). */
export async function buildExample({ outdir = join(packageDirectory, 'dist') } = {}) {
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: [join(packageDirectory, 'src', 'example.ts')],
    outfile: join(outdir, 'example.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome120', 'firefox120', 'safari17'],
    conditions: ['@baton/source'],
    metafile: true,
    logLevel: 'warning',
  });
  copyFileSync(join(packageDirectory, 'src', 'index.html'), join(outdir, 'index.html'));
  return result.metafile;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildExample();
  console.log(`browser example built into ${join(packageDirectory, 'dist')}`);
}
