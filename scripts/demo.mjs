#!/usr/bin/env node
/**
 * The seed's two behaviours, end to end with real processes:
 *  1. 5 lock-client processes each increment a counter in a shared file 1000
 *     times at once; the final value must be exactly 5000;
 *  2. a writer holds file_A for 5 s and writes; a reader started meanwhile
 *     waits, then reads the new value.
 *
 *   pnpm demo [--transport zmq|tcp|ws] [--clients 5] [--iterations 1000]
 *
 * Exits non-zero when a check fails.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    transport: { type: 'string', default: 'zmq' },
    clients: { type: 'string', default: '5' },
    iterations: { type: 'string', default: '1000' },
    hold: { type: 'string', default: '5' },
  },
});
const transport = values.transport;
const clientCount = Number(values.clients);
const iterations = Number(values.iterations);
const tsxLoader = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const dataDirectory = mkdtempSync(join(tmpdir(), 'baton-demo-'));
const children = new Set();

/** Start a TypeScript entry point of the workspace; lines of its output go to onLine. */
function run(entry, args, onLine) {
  const child = spawn(process.execPath, ['--conditions=@baton/source', '--import', tsxLoader, join(root, entry), ...args], { cwd: dataDirectory, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    children.delete(child);
    resolve(code ?? (signal ? 128 : 1));
  }));
  createInterface({ input: child.stdout }).on('line', (line) => onLine(line, 'out'));
  createInterface({ input: child.stderr }).on('line', (line) => onLine(line, 'err'));
  return { child, exited };
}

function client(name, args, onLine) {
  return run('apps/client/src/main.ts', ['--transport', transport, '--server', `127.0.0.1:${port}`, '--data-dir', dataDirectory, '--client', name, ...args], onLine);
}

function waitFor(predicate) {
  return new Promise((resolve) => {
    const check = () => (predicate() ? resolve() : setTimeout(check, 20));
    check();
  });
}

/** The seed's port 5555 when it is free here, otherwise any free port. */
function choosePort() {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(0));
    probe.listen(5555, () => probe.close(() => resolve(5555)));
  });
}

let port = 0;
let failed = false;
let grantsLogged = 0;
let echoServer = false;
const started = choosePort().then((wanted) => new Promise((resolve) => {
  const server = run('apps/server/src/main.ts', ['--transport', transport, '--port', String(wanted), '--no-state-file'], (line) => {
    const match = /^Lock Server started on .*:(\d+)/.exec(line);
    if (match) {
      port = Number(match[1]);
      console.log(`[server] ${line}`);
      resolve(server);
      return;
    }
    if (line.includes('GRANTED')) grantsLogged += 1;
    if (echoServer) console.log(`[server] ${line}`);
  });
  server.exited.then((code) => {
    if (port === 0) {
      console.error(`the server exited (${code}) before it started`);
      process.exit(1);
    }
  });
}));

async function main() {
  const server = await started;
  console.log(`\n== 1. ${clientCount} clients x ${iterations} increments of one counter file over ${transport} ==`);
  const sums = [];
  const counters = [];
  for (let index = 1; index <= clientCount; index++) {
    counters.push(
      client(`counter-${index}`, ['increment', 'counter', '--iterations', String(iterations)], (line, stream) => {
        if (stream === 'err') console.log(`[counter-${index}] ${line}`);
        const match = /^sum is (\d+)$/.exec(line);
        if (match) {
          sums.push(Number(match[1]));
          console.log(`[counter-${index}] ${line}`);
        }
      }),
    );
  }
  const began = performance.now();
  const codes = await Promise.all(counters.map((counter) => counter.exited));
  const seconds = (performance.now() - began) / 1000;
  const total = Number(readFileSync(join(dataDirectory, 'counter.txt'), 'utf8').trim());
  const expected = clientCount * iterations;
  console.log(`[server] logged ${grantsLogged} grants (${Math.round(expected / seconds)} lock/unlock cycles per second including process start-up)`);
  console.log(`sum is ${total} (expected ${expected})`);
  if (total !== expected || codes.some((code) => code !== 0)) failed = true;

  console.log(`\n== 2. a writer holds file_A for ${values.hold} s; a reader started meanwhile waits, then reads ==`);
  echoServer = true;
  let writerLocked = false;
  let writerUnlockedAt = 0;
  let readerLockedAt = 0;
  let readValue;
  const writer = client('writer', ['file_A', 'WRITE', 'Hello Distributed World', values.hold], (line) => {
    console.log(`[writer] ${line}`);
    if (line === 'LOCKED file_A') writerLocked = true;
    if (line === 'UNLOCKED file_A') writerUnlockedAt = performance.now();
  });
  await waitFor(() => writerLocked);
  const reader = client('reader', ['file_A', 'READ'], (line) => {
    console.log(`[reader] ${line}`);
    if (line === 'LOCKED file_A') readerLockedAt = performance.now();
    const match = /^READ from file_A: (.*)$/.exec(line);
    if (match) readValue = match[1];
  });
  const [writerCode, readerCode] = [await writer.exited, await reader.exited];
  const orderRight = writerUnlockedAt > 0 && readerLockedAt >= writerUnlockedAt;
  console.log(`reader locked after the writer unlocked: ${orderRight}; read ${JSON.stringify(readValue)} (expected "Hello Distributed World")`);
  if (!orderRight || readValue !== 'Hello Distributed World' || writerCode !== 0 || readerCode !== 0) failed = true;

  server.child.kill('SIGTERM');
  await server.exited;
  console.log(failed ? '\nDEMO FAILED' : '\nDEMO OK');
}

/** Never leave a server or client behind: not on Ctrl-C, not when our output pipe closes. */
function abandon(code) {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dataDirectory, { recursive: true, force: true });
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(signal, () => abandon(130));
process.stdout.on('error', () => abandon(1));

main()
  .catch((error) => {
    console.error(error);
    failed = true;
  })
  .finally(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dataDirectory, { recursive: true, force: true });
    process.exitCode = failed ? 1 : 0;
  });
