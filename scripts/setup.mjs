#!/usr/bin/env node
/**
 * Makes a fresh clone runnable with nothing but Node and npm: installs the
 * pinned pnpm (through npx, no global install needed) and the workspace's
 * dependencies when they are missing or older than the lockfile. Every
 * top-level command (`npm run demo`, `npm test`, `.ci/run`) calls it first.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const marker = join(root, 'node_modules', '.modules.yaml');
const lockfile = join(root, 'pnpm-lock.yaml');

/**
 * `--for-tests`: the browser tests need Debian's chromium. As root with apt,
 * install it (scripts/install-chromium.sh does nothing when it is there);
 * otherwise say how, and those tests skip loudly (they fail in CI).
 */
function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return;
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.log('setup: /usr/bin/chromium is missing; the browser tests will skip. Install it with: sudo bash scripts/install-chromium.sh');
    return;
  }
  console.log('setup: installing chromium for the browser tests ...');
  execFileSync('bash', [join(root, 'scripts', 'install-chromium.sh')], { cwd: root, stdio: 'inherit' });
}

const upToDate = existsSync(marker) && statSync(marker).mtimeMs >= statSync(lockfile).mtimeMs;
if (!upToDate) {
  console.log(`setup: installing dependencies with ${packageManager} ...`);
  const environment = { ...process.env, CI: 'true', TURBO_TELEMETRY_DISABLED: '1' };
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  execFileSync(npx, ['-y', packageManager, 'install', '--frozen-lockfile'], { cwd: root, stdio: 'inherit', env: environment });
}

if (process.argv.includes('--for-tests')) ensureChromium();
