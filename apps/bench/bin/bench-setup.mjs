#!/usr/bin/env node
/**
 * `pnpm bench:setup`: install the peers `pnpm bench` compares Baton with,
 * Debian's redis-server (Redis 7) and etcd-server (etcd 3.4), when they are
 * absent. Runs apt-get (as root, or through sudo when there is one).
 * Packages only: the benchmark starts its own servers on free ports with
 * data in a temp dir, so nothing needs to be configured or left running.
 */
import { execFileSync, spawnSync } from 'node:child_process';

const PEERS = [
  { binary: 'redis-server', package: 'redis-server', version: ['--version'] },
  { binary: 'etcd', package: 'etcd-server', version: ['--version'] },
];

function found(binary) {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

const missing = PEERS.filter((peer) => !found(peer.binary));
if (missing.length === 0) {
  for (const peer of PEERS) {
    const text = execFileSync(peer.binary, peer.version, { encoding: 'utf8' }).split('\n')[0];
    console.log(`bench:setup: ${peer.binary} is installed (${text.trim()})`);
  }
  process.exit(0);
}

if (process.platform !== 'linux' || !found('apt-get')) {
  console.error(`bench:setup: ${missing.map((peer) => peer.binary).join(' and ')} missing, and there is no apt-get here.`);
  console.error('Install Redis 7 and etcd 3.4 yourself (on PATH as redis-server and etcd); `pnpm bench` skips what it cannot find.');
  process.exit(1);
}

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const prefix = root ? [] : found('sudo') ? ['sudo'] : undefined;
if (!prefix) {
  console.error(`bench:setup: installing ${missing.map((peer) => peer.package).join(' ')} needs root (and there is no sudo).`);
  process.exit(1);
}

function run(args) {
  console.log(`bench:setup: ${[...prefix, ...args].join(' ')}`);
  const [command, ...rest] = [...prefix, ...args];
  const result = spawnSync(command, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) {
    console.error(`bench:setup: ${args[0]} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

run(['apt-get', 'update']);
run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing.map((peer) => peer.package)]);
for (const peer of missing) {
  if (!found(peer.binary)) {
    console.error(`bench:setup: ${peer.binary} is still missing after installing ${peer.package}`);
    process.exit(1);
  }
}
console.log(`bench:setup: installed ${missing.map((peer) => peer.package).join(' and ')}`);
