/**
 * Bad input against a real lock-server process, over each transport: the
 * sender gets an error with a stable code (or is disconnected, for an
 * oversized frame), the server logs it, and another client keeps being served.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as connectSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '@baton/transport';
import { connect } from '@baton/client';
import type { BatonClient } from '@baton/client';
import { WebSocket } from 'ws';
import { Dealer } from 'zeromq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transports } from '../src/transports.js';
import type { AppProcess } from './processes.js';
import { serverEvents, startServer } from './processes.js';

/** A raw protocol connection that hands out replies in order. */
class RawConnection {
  private readonly queue: string[] = [];
  private readonly waiters: ((message: string) => void)[] = [];
  readonly closed: Promise<Error | undefined>;

  constructor(readonly connection: Connection) {
    let resolveClosed!: (error: Error | undefined) => void;
    this.closed = new Promise((resolve) => (resolveClosed = resolve));
    connection.setHandlers({
      onMessage: (message) => {
        const waiter = this.waiters.shift();
        if (waiter) waiter(message);
        else this.queue.push(message);
      },
      onClose: (error) => resolveClosed(error),
    });
  }

  next(): Promise<Record<string, unknown>> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(JSON.parse(queued) as Record<string, unknown>);
    return new Promise((resolve) => this.waiters.push((message) => resolve(JSON.parse(message) as Record<string, unknown>)));
  }

  async call(text: string): Promise<Record<string, unknown>> {
    this.connection.send(text);
    return this.next();
  }
}

const TEN_MEGABYTES = 10 * 1024 * 1024;

describe.each(['tcp', 'zmq', 'ws'] as const)('bad input over %s', (transport) => {
  let dataDirectory: string;
  let server: AppProcess & { port: number };
  let good: BatonClient;

  beforeAll(async () => {
    dataDirectory = mkdtempSync(join(tmpdir(), `baton-bad-${transport}-`));
    server = await startServer(transport, dataDirectory, ['--no-state-file']);
    good = await connect(`${transport}://127.0.0.1:${server.port}`, { transport: Object.values(transports), client: 'good' });
  });

  afterAll(async () => {
    await good.close();
    server.kill('SIGKILL');
    await server.exited;
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  async function stillServesOthers(): Promise<void> {
    const lock = await good.acquire('shared_resource', { waitMs: 5_000 });
    await lock.release();
  }

  async function rawConnection(): Promise<RawConnection> {
    return new RawConnection(await transports[transport]!.dial({ host: '127.0.0.1', port: server.port }));
  }

  it('answers each malformed request with its stable error code and keeps serving everyone', async () => {
    const raw = await rawConnection();
    expect(await raw.call(JSON.stringify({ op: 'hello', id: 0, client: 'bad' }))).toMatchObject({ op: 'welcome' });
    const cases: [string, Record<string, unknown>][] = [
      ['{"op": "acquire", ', { code: 'BAD_JSON' }],
      ['"just a string"', { code: 'BAD_MESSAGE' }],
      [JSON.stringify({ op: 'teleport', id: 1 }), { code: 'UNKNOWN_OP', id: 1 }],
      [JSON.stringify({ op: 'acquire', id: 2 }), { code: 'MISSING_FIELD', id: 2 }],
      [JSON.stringify({ op: 'acquire', id: 3, resource: 'file_A', waitMs: 'soon' }), { code: 'BAD_FIELD', id: 3 }],
      [JSON.stringify({ op: 'acquire', id: 4, resource: 'é'.repeat(257) }), { code: 'BAD_RESOURCE_NAME', id: 4 }],
      [JSON.stringify({ op: 'acquire', id: 5, resource: 'a\u0000b' }), { code: 'BAD_RESOURCE_NAME', id: 5 }],
      [JSON.stringify({ op: 'release', id: 6, resource: 'file_A', token: '12345' }), { code: 'NOT_HELD', id: 6 }],
    ];
    for (const [text, expected] of cases) {
      expect(await raw.call(text)).toMatchObject({ op: 'error', ...expected });
      await stillServesOthers();
    }
    // The server logged every one of them.
    await server.waitForLine(/"code":"NOT_HELD"/);
    const logged = serverEvents(server)
      .filter((event) => event.event === 'bad-message' || event.event === 'rejected')
      .map((event) => event.code);
    for (const [, expected] of cases) expect(logged).toContain(expected.code);
    raw.connection.close();
  });

  it('disconnects the sender of a 10 MB message and keeps serving everyone', async () => {
    if (transport === 'tcp') {
      const socket = connectSocket(server.port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString()));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.on('error', () => {});
      socket.write(`{"op":"hello","pad":"${'x'.repeat(TEN_MEGABYTES)}"}\n`);
      await closed;
      expect(JSON.parse(received.split('\n')[0]!)).toMatchObject({ op: 'error', code: 'MESSAGE_TOO_LARGE' });
    } else if (transport === 'ws') {
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/`);
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const closeCode = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      socket.on('error', () => {});
      socket.send('x'.repeat(TEN_MEGABYTES));
      expect(await closeCode).toBe(1009);
    } else {
      const raw = await rawConnection();
      raw.connection.send(`{"op":"hello","pad":"${'x'.repeat(TEN_MEGABYTES)}"}`);
      expect(await raw.closed).toBeInstanceOf(Error);
    }
    await stillServesOthers();
  });

  it('answers bytes that are not UTF-8 with BAD_JSON (no id) and keeps the connection', async () => {
    // "\xff" in quotes would read as the valid string "\uFFFD" if decoded loosely.
    const invalid = Buffer.from([0x22, 0xff, 0x22]);
    const hello = JSON.stringify({ op: 'hello', id: 1, client: 'utf8-check' });
    let replies: Record<string, unknown>[];
    if (transport === 'tcp') {
      const socket = connectSocket(server.port, '127.0.0.1');
      socket.on('error', () => {});
      let received = '';
      const lines = new Promise<string[]>((resolve) => {
        socket.on('data', (chunk) => {
          received += chunk.toString();
          const complete = received.split('\n').filter((line) => line.length > 0);
          if (complete.length >= 2) resolve(complete);
        });
      });
      socket.write(Buffer.concat([invalid, Buffer.from(`\n${hello}\n`)]));
      replies = (await lines).map((line) => JSON.parse(line) as Record<string, unknown>);
      socket.destroy();
    } else if (transport === 'ws') {
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/`);
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const received: Record<string, unknown>[] = [];
      const two = new Promise<void>((resolve) =>
        socket.on('message', (data) => {
          received.push(JSON.parse((data as Buffer).toString()) as Record<string, unknown>);
          if (received.length === 2) resolve();
        }),
      );
      socket.send(invalid, { binary: false });
      socket.send(hello);
      await two;
      replies = received;
      socket.close();
    } else {
      const dealer = new Dealer({ linger: 0 });
      dealer.connect(`tcp://127.0.0.1:${server.port}`);
      await dealer.send(invalid);
      await dealer.send(hello);
      replies = [];
      for (let index = 0; index < 2; index++) replies.push(JSON.parse((await dealer.receive())[0]!.toString()) as Record<string, unknown>);
      dealer.close();
    }
    expect(replies[0]).toMatchObject({ op: 'error', code: 'BAD_JSON' });
    expect(replies[0]).not.toHaveProperty('id');
    expect(replies[1]).toMatchObject({ op: 'welcome', id: 1 });
    await stillServesOthers();
  });

  it.runIf(transport === 'zmq')('answers binary garbage from a plain ZeroMQ DEALER with BAD_JSON', async () => {
    const dealer = new Dealer({ linger: 0 });
    dealer.connect(`tcp://127.0.0.1:${server.port}`);
    await dealer.send(Buffer.from([0xff, 0xfe, 0x80, 0x01, 0x02, 0x7b]));
    const [reply] = await dealer.receive();
    expect(JSON.parse(reply!.toString())).toMatchObject({ op: 'error', code: 'BAD_JSON' });
    // The same plain socket can speak the protocol afterwards.
    await dealer.send(JSON.stringify({ op: 'hello', id: 1, client: 'plain-dealer' }));
    const [welcome] = await dealer.receive();
    expect(JSON.parse(welcome!.toString())).toMatchObject({ op: 'welcome', id: 1 });
    dealer.close();
    await stillServesOthers();
  });
});
