import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root (apps/bench/src or apps/bench/dist is two levels below). */
export const repositoryRoot = join(here, '..', '..', '..');

/** True when running the TypeScript sources (through tsx), false when running the build in dist/. */
export const fromSource = extname(fileURLToPath(import.meta.url)) === '.ts';

const tsxLoader = pathToFileURL(join(repositoryRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/**
 * Node flags to run a TypeScript entry of this repository in one process
 * (tsx as a loader, not the tsx CLI, so signals reach the program itself).
 * Workspace packages resolve to their sources through the `@baton/source`
 * condition. tsx only costs at startup: once loaded, the code runs as plain JS.
 */
export function typescriptNodeFlags(): string[] {
  return ['--conditions=@baton/source', '--import', tsxLoader];
}

/** An entry of this package (`servers/echo-server-main`), as .ts from source or .js from dist. */
export function benchEntry(relativeWithoutExtension: string): { file: string; nodeFlags: string[] } {
  const file = join(here, `${relativeWithoutExtension}${fromSource ? '.ts' : '.js'}`);
  return { file, nodeFlags: fromSource ? typescriptNodeFlags() : [] };
}

/**
 * lock-server as the benchmark itself runs: its build (apps/server/dist)
 * when the benchmark runs from its build, as `pnpm bench` does after
 * building; its sources through tsx otherwise (a development run). The
 * build is what users run, and the one to measure: tsx compiles with
 * esbuild's keepNames, which wraps every closure the code creates.
 */
export function lockServerEntry(): { file: string; nodeFlags: string[] } {
  const built = join(repositoryRoot, 'apps', 'server', 'dist', 'main.js');
  if (!fromSource && existsSync(built)) return { file: built, nodeFlags: [] };
  return { file: join(repositoryRoot, 'apps', 'server', 'src', 'main.ts'), nodeFlags: typescriptNodeFlags() };
}
