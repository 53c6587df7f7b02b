import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Connection, Listener } from '@baton/transport';
import { AsyncQueue, UNDECODABLE_PREFIX, collect } from '@baton/transport-compliance';
import { WebSocket, WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CloseCode,
  createWebSocketListener,
  dialWebSocket,
  utf8ByteLength,
  wsTransport,
  type WebSocketListenOptions,
} from '../src/index.js';

const listeners: Listener[] = [];
const connections: Connection[] = [];
const rawSockets: WebSocket[] = [];
const httpServers: Server[] = [];
const foreignServers: WebSocketServer[] = [];

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.close();
  for (const socket of rawSockets.splice(0)) socket.terminate();
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
  await Promise.all(foreignServers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  await Promise.all(
    httpServers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

async function listen(extra: Partial<WebSocketListenOptions> = {}) {
  const accepted = new AsyncQueue<Connection>('accepted connections');
  const listener = await createWebSocketListener({
    host: '127.0.0.1',
    port: 0,
    ...extra,
    onConnection: (connection) => {
      connections.push(connection);
      accepted.push(connection);
    },
  });
  listeners.push(listener);
  return { listener, accepted };
}

/** A plain `ws` client, as any WebSocket library in another language would be, with its events queued. */
async function rawClient(url: string, options: { autoPong?: boolean } = {}) {
  const socket = new WebSocket(url, options);
  rawSockets.push(socket);
  const messages = new AsyncQueue<string>('raw client messages');
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => {
      messages.end();
      resolve({ code, reason: reason.toString() });
    });
  });
  socket.on('message', (data: Buffer) => messages.push(data.toString('utf8')));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { socket, messages, closed };
}

describe('ws transport: plain WebSocket clients', () => {
  it('carries messages to and from a raw ws client', async () => {
    const { listener, accepted } = await listen();
    const client = await rawClient(listener.url);
    client.socket.send('{"op":"hello","id":1}');
    const server = collect(await accepted.next());
    expect(await server.next()).toBe('{"op":"hello","id":1}');
    expect(server.connection.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    server.connection.send('{"op":"welcome","id":1}');
    expect(await client.messages.next()).toBe('{"op":"welcome","id":1}');
  });

  it('delivers a binary message decoded as UTF-8, and reports text or binary messages that are not UTF-8 through onUndecodable (no 1007 close)', async () => {
    const { listener, accepted } = await listen();
    const client = await rawClient(listener.url);
    client.socket.send(Buffer.from('{"binary":"é"}'));
    client.socket.send(Buffer.from([0x7b, 0xff, 0x7d]));
    client.socket.send(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), { binary: false });
    client.socket.send('"after"');
    const server = collect(await accepted.next());
    expect(await server.take(4)).toEqual([
      '{"binary":"é"}',
      `${UNDECODABLE_PREFIX}a message of 3 bytes is not valid UTF-8`,
      `${UNDECODABLE_PREFIX}a message of 5 bytes is not valid UTF-8`,
      '"after"',
    ]);
    server.connection.send('"still open"');
    expect(await client.messages.next()).toBe('"still open"');
    expect(server.closeCount).toBe(0);
  });

  it('sends oversizedReply, then closes with 1009, and drops the oversized message', async () => {
    const { listener, accepted } = await listen({ maxMessageBytes: 32, oversizedReply: '"too large"' });
    const client = await rawClient(listener.url);
    client.socket.send('"fine"');
    const server = collect(await accepted.next());
    expect(await server.next()).toBe('"fine"');

    client.socket.send(`"${'x'.repeat(64)}"`);
    expect(await client.messages.next()).toBe('"too large"');
    expect((await client.closed).code).toBe(CloseCode.messageTooBig);
    expect((await server.closed)?.message).toMatch(/exceeds the limit of 32 bytes/);
    expect(server.received).toEqual(['"fine"']);
  });

  it('closes with 1009 and no reply when a message is too big to even read', async () => {
    const { listener, accepted } = await listen({ maxMessageBytes: 32, oversizedReply: '"too large"' });
    const client = await rawClient(listener.url);
    client.socket.send('"fine"');
    const server = collect(await accepted.next());
    expect(await server.next()).toBe('"fine"');

    client.socket.send('x'.repeat(10_000));
    expect((await client.closed).code).toBe(CloseCode.messageTooBig);
    expect(await server.closed).toBeInstanceOf(Error);
    expect(client.messages.size).toBe(0);
  });

  it('closes with 1001 when the listener closes, a clean close on both ends', async () => {
    const { listener, accepted } = await listen();
    const raw = await rawClient(listener.url);
    const dialed = collect(await wsTransport.dial({ host: '127.0.0.1', port: listener.port }));
    const servers = [collect(await accepted.next()), collect(await accepted.next())];
    await listener.close();
    expect((await raw.closed).code).toBe(CloseCode.goingAway);
    expect(await dialed.closed).toBeUndefined();
    for (const server of servers) expect(await server.closed).toBeUndefined();
  });

  it('reports a close with an application code as an error on the dialing side', async () => {
    // A server that is not ours, closing with a code of its own.
    const foreign = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    foreignServers.push(foreign);
    await new Promise((resolve) => foreign.once('listening', resolve));
    foreign.on('connection', (socket) => socket.once('message', () => socket.close(4000, 'kicked')));
    const { port } = foreign.address() as AddressInfo;

    const client = collect(await wsTransport.dial({ host: '127.0.0.1', port }));
    connections.push(client.connection);
    client.connection.send('"hi"');
    expect((await client.closed)?.message).toMatch(/code 4000: kicked/);
  });
});

describe('ws transport: keepalive', () => {
  it('terminates a client that stops answering pings and keeps one that answers', async () => {
    const { listener, accepted } = await listen({ pingIntervalMs: 50 });
    const live = collect(await wsTransport.dial({ host: '127.0.0.1', port: listener.port }));
    connections.push(live.connection);
    const liveServer = collect(await accepted.next());

    const deaf = await rawClient(listener.url, { autoPong: false });
    const deafServer = collect(await accepted.next());
    expect((await deafServer.closed)?.message).toMatch(/did not answer a ping/);
    expect((await deaf.closed).code).toBe(1006);

    expect(liveServer.closeCount).toBe(0);
    live.connection.send('"still here"');
    expect(await liveServer.next()).toBe('"still here"');
  });
});

describe('ws transport: sharing an HTTP server', () => {
  it('serves WebSockets on a path of an existing HTTP server and leaves the server to its owner', async () => {
    const http = createServer((_request, response) => response.end('dashboard'));
    httpServers.push(http);
    const { listener, accepted } = await listen({ server: http, path: '/baton' });
    const { port } = http.address() as AddressInfo;
    expect(listener.port).toBe(port);
    expect(listener.url).toBe(`ws://127.0.0.1:${String(port)}/baton`);

    const response = await fetch(`http://127.0.0.1:${String(port)}/`);
    expect(await response.text()).toBe('dashboard');

    const client = collect(await wsTransport.dial({ host: '127.0.0.1', port, path: '/baton' }));
    connections.push(client.connection);
    client.connection.send('"over the shared port"');
    const server = collect(await accepted.next());
    expect(await server.next()).toBe('"over the shared port"');

    await listener.close();
    await client.closed;
    expect(http.listening).toBe(true);
    expect(await (await fetch(`http://127.0.0.1:${String(port)}/`)).text()).toBe('dashboard');
  });
});

describe('ws transport: dial', () => {
  it('dials through any WebSocket factory, the seam a browser uses', async () => {
    const { listener, accepted } = await listen();
    const opened: string[] = [];
    const client = collect(
      await dialWebSocket(
        (url) => {
          opened.push(url);
          return new WebSocket(url);
        },
        { host: '127.0.0.1', port: listener.port },
      ),
    );
    connections.push(client.connection);
    expect(opened).toEqual([`ws://127.0.0.1:${String(listener.port)}/`]);
    client.connection.send('"from a factory"');
    expect(await collect(await accepted.next()).next()).toBe('"from a factory"');
  });

  it('rejects when the port answers HTTP but does not upgrade', async () => {
    const http = createServer((_request, response) => {
      response.statusCode = 404;
      response.end();
    });
    httpServers.push(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    await expect(wsTransport.dial({ host: '127.0.0.1', port })).rejects.toThrow(/could not open a WebSocket/);
  });
});

describe('utf8ByteLength', () => {
  it('counts like Buffer.byteLength, surrogate pairs and lone surrogates included', () => {
    for (const text of ['', 'abc', 'é', '€', '😀', '漢字', 'a😀b€é', '\uD800', '\uDC00x', '\uD83D']) {
      expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
    }
  });
});
