#!/usr/bin/env node
/**
 * Makes a fresh clone runnable with nothing but Node and npm: installs the
 * pinned pnpm (through npx, no global install needed) and the workspace's
 * dependencies when they are missing or older than the lockfile. Every
 * top-level command (`npm run demo`, `npm test`, `.ci/run`) calls it first.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const marker = join(root, 'node_modules', '.modules.yaml');
const lockfile = join(root, 'pnpm-lock.yaml');

/**
 * `--for-tests`: the browser tests need Debian's chromium and the
 * high-availability tests Debian's etcd-server. As root with apt, install
 * what is missing (scripts/install-test-servers.sh); otherwise say how, and
 * those tests skip loudly (they fail in CI).
 */
function ensureTestServers() {
  const missing = [];
  if (!existsSync('/usr/bin/chromium')) missing.push('chromium');
  if (spawnSync('sh', ['-c', 'command -v etcd'], { stdio: 'ignore' }).status !== 0) missing.push('etcd');
  if (missing.length === 0) return;
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.log(`setup: ${missing.join(' and ')} missing; their tests will skip. Install with: sudo bash scripts/install-test-servers.sh`);
    return;
  }
  console.log(`setup: installing ${missing.join(' and ')} for the tests ...`);
  execFileSync('bash', [join(root, 'scripts', 'install-test-servers.sh')], { cwd: root, stdio: 'inherit' });
}

const upToDate = existsSync(marker) && statSync(marker).mtimeMs >= statSync(lockfile).mtimeMs;
if (!upToDate) {
  console.log(`setup: installing dependencies with ${packageManager} ...`);
  const environment = { ...process.env, CI: 'true', TURBO_TELEMETRY_DISABLED: '1' };
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  execFileSync(npx, ['-y', packageManager, 'install', '--frozen-lockfile'], { cwd: root, stdio: 'inherit', env: environment });
}

if (process.argv.includes('--for-tests')) ensureTestServers();
