import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connect } from '@baton/client';
import { tcpTransport } from '@baton/transport-tcp';
import { wsTransport } from '@baton/transport-ws';
import { zmqTransport } from '@baton/transport-zmq';
import { afterEach, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const tsxLoader = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** Start lock-server and collect the startup lines (one per listener). */
function startServer(args: string[], cwd: string, listeners: number) {
  const child = spawn(process.execPath, ['--conditions=@baton/source', '--import', tsxLoader, join(root, 'apps/server/src/main.ts'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = new Promise<string[]>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const startup = lines.filter((entry) => entry.startsWith('Lock Server started on '));
      if (startup.length === listeners) resolve(startup);
    });
    void exited.then((code) => reject(new Error(`lock-server exited with ${code}: ${lines.join('\n')}`)));
  });
  return { child, lines, started, exited };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('lock-server', () => {
  it('serves zmq, tcp and ws from one coordinator: clients on different transports contend for the same lock', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'baton-listen-'));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    const server = startServer(['--listen', 'zmq://127.0.0.1:0', '--listen', 'tcp://127.0.0.1:0', '--listen', 'ws://127.0.0.1:0', '--no-state-file'], directory, 3);
    cleanups.push(async () => {
      server.child.kill('SIGKILL');
      await server.exited;
    });
    const startup = await server.started;
    expect(startup[0]).toMatch(/^Lock Server started on tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(startup[1]).toMatch(/^Lock Server started on tcp:\/\/127\.0\.0\.1:\d+ \(transport: tcp\)$/);
    expect(startup[2]).toMatch(/^Lock Server started on ws:\/\/127\.0\.0\.1:\d+ \(transport: ws\)$/);
    const ports = startup.map((line) => Number(/:(\d+)/.exec(line.slice(22))![1]));
    const transports = [zmqTransport, tcpTransport, wsTransport];
    const zmqClient = await connect(`zmq://127.0.0.1:${ports[0]}`, { transport: transports, client: 'over-zmq' });
    const tcpClient = await connect(`tcp://127.0.0.1:${ports[1]}`, { transport: transports, client: 'over-tcp' });
    const wsClient = await connect(`ws://127.0.0.1:${ports[2]}`, { transport: transports, client: 'over-ws' });
    cleanups.push(() => Promise.all([zmqClient.close(), tcpClient.close(), wsClient.close()]).then(() => {}));

    const first = await zmqClient.acquire('file_A');
    expect(await tcpClient.tryAcquire('file_A')).toBeUndefined();
    let queued!: () => void;
    const tcpQueued = new Promise<void>((resolve) => (queued = resolve));
    const tcpWaits = tcpClient.acquire('file_A', { onQueued: () => queued() });
    await tcpQueued;
    let wsPosition = 0;
    let wsQueued!: () => void;
    const wsIsQueued = new Promise<void>((resolve) => (wsQueued = resolve));
    const wsWaits = wsClient.acquire('file_A', { onQueued: (position) => ((wsPosition = position), wsQueued()) });
    await wsIsQueued;
    expect(wsPosition).toBe(2);
    await first.release();
    const second = await tcpWaits;
    expect(BigInt(second.token)).toBeGreaterThan(BigInt(first.token));
    await second.release();
    const third = await wsWaits;
    expect(BigInt(third.token)).toBeGreaterThan(BigInt(second.token));
    await third.release();
  });

  it('persists the token high-water mark: after a restart the next token is greater', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'baton-state-'));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    const tokens: bigint[] = [];
    for (let run = 0; run < 2; run++) {
      const server = startServer(['--transport', 'tcp', '--host', '127.0.0.1', '--port', '0', '--durability', 'memory', '--data-dir', directory], directory, 1);
      const [line] = await server.started;
      const port = Number(/:(\d+) /.exec(line!)![1]);
      // A short lease: the restarted server (no log) grants nothing until the longest lease it granted has passed.
      const client = await connect(`tcp://127.0.0.1:${port}`, { transport: tcpTransport, leaseMs: 1_000 });
      const lock = await client.acquire('file_A');
      tokens.push(BigInt(lock.token));
      await lock.release();
      await client.close();
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
    expect(tokens[1]! > tokens[0]!).toBe(true);
    expect(JSON.parse(readFileSync(join(directory, 'state.json'), 'utf8'))).toMatchObject({ tokensReservedThrough: expect.stringMatching(/^\d+$/) as unknown, longestLeaseMs: 1_000 });
  });

  it('exits with a clear message when the port is taken', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'baton-busy-'));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    const first = startServer(['--transport', 'tcp', '--host', '127.0.0.1', '--port', '0', '--no-state-file'], directory, 1);
    cleanups.push(async () => {
      first.child.kill('SIGKILL');
      await first.exited;
    });
    const [line] = await first.started;
    const port = /:(\d+) /.exec(line!)![1]!;
    const second = spawn(process.execPath, ['--conditions=@baton/source', '--import', tsxLoader, join(root, 'apps/server/src/main.ts'), '--transport', 'tcp', '--host', '127.0.0.1', '--port', port, '--no-state-file'], { cwd: directory });
    let stderr = '';
    second.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => second.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/lock-server: .*EADDRINUSE/);
  });
});
