/**
 * lock-server's safe defaults, as a real process: it binds loopback unless a
 * host is given, refuses an empty admin token (from the flag or the
 * environment) with exit code 2, and writes hostile client names escaped in
 * both log formats, so they cannot forge a line or reach the terminal raw.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as connectSocket, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { repositoryRoot } from './app-process.js';

const tsxLoader = pathToFileURL(join(repositoryRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Server {
  child: ChildProcess;
  lines: string[];
  errors: string[];
  exited: Promise<number | null>;
  waitForLine(pattern: RegExp): Promise<string>;
}

function startServer(args: string[], env: NodeJS.ProcessEnv = process.env): Server {
  const directory = mkdtempSync(join(tmpdir(), 'baton-defaults-'));
  const child = spawn(process.execPath, ['--conditions=@baton/source', '--import', tsxLoader, join(repositoryRoot, 'apps/server/src/main.ts'), '--no-state-file', ...args], { cwd: directory, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const errors: string[] = [];
  const watchers: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const watcher of [...watchers]) if (watcher.pattern.test(line)) watchers.splice(watchers.indexOf(watcher), 1)[0]!.resolve(line);
  });
  createInterface({ input: child.stderr }).on('line', (line) => errors.push(line));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(directory, { recursive: true, force: true });
  });
  return {
    child,
    lines,
    errors,
    exited,
    waitForLine(pattern) {
      const existing = lines.find((line) => pattern.test(line));
      if (existing !== undefined) return Promise.resolve(existing);
      return Promise.race([
        new Promise<string>((resolve) => watchers.push({ pattern, resolve })),
        exited.then((code) => Promise.reject(new Error(`lock-server exited (${code}) before ${pattern}: ${lines.join('\n')} ${errors.join('\n')}`))),
      ]);
    },
  };
}

async function startedPort(server: Server): Promise<number> {
  const line = await server.waitForLine(/^Lock Server started on /);
  return Number(/:(\d+) /.exec(line)![1]);
}

describe('lock-server defaults', () => {
  it('binds 127.0.0.1 when no host is given', async () => {
    const server = startServer(['--transport', 'tcp', '--port', '0']);
    expect(await server.waitForLine(/^Lock Server started on /)).toMatch(/^Lock Server started on tcp:\/\/127\.0\.0\.1:\d+ \(transport: tcp\)$/);
  });

  it.each([
    ['--admin-token ""', ['--admin-token', ''], process.env, /--admin-token is empty/],
    ['BATON_ADMIN_TOKEN=', [], { ...process.env, BATON_ADMIN_TOKEN: '' }, /BATON_ADMIN_TOKEN is set but empty/],
  ])('refuses to start with an empty admin token (%s): exit code 2 and a clear message', async (_name, args, env, message) => {
    const server = startServer(['--transport', 'tcp', '--port', '0', ...args], env);
    expect(await server.exited).toBe(2);
    expect(server.errors.join('\n')).toMatch(message);
    expect(server.lines.some((line) => line.startsWith('Lock Server started'))).toBe(false);
  });
});

describe('lock-server log lines', () => {
  const forged = 'x\n{"level":30,"msg":"forged"}';
  // ESC is escaped by any JSON writer; the C1 CSI (U+009B) is not, so it checks the JSON format too.
  const coloured = '\u001b[31mred\u009b0m';

  async function helloFrom(port: number, client: string): Promise<Socket> {
    const socket = connectSocket({ host: '127.0.0.1', port });
    cleanups.push(() => void socket.destroy());
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(`${JSON.stringify({ op: 'hello', id: 1, client })}\n`);
    return socket;
  }

  it.each([['pretty'], ['json']])('escape hostile client names (--log-format %s): one line per event, no raw escape', async (format) => {
    const server = startServer(['--transport', 'tcp', '--port', '0', '--log-format', format]);
    const port = await startedPort(server);
    await helloFrom(port, forged);
    await helloFrom(port, coloured);
    await server.waitForLine(/opened for .*red/);
    await server.waitForLine(/opened for x\\+n/);
    const logLines = server.lines.filter((line) => !line.startsWith('Lock Server started'));
    expect(logLines.some((line) => line.includes('\u001b') || line.includes('\u009b'))).toBe(false);
    if (format === 'json') {
      for (const line of logLines) expect(() => JSON.parse(line) as unknown).not.toThrow();
      expect(logLines.filter((line) => (JSON.parse(line) as { msg?: string }).msg === 'forged')).toEqual([]);
    } else {
      expect(logLines.filter((line) => line.startsWith('{'))).toEqual([]);
    }
  });
});
