import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Connection, Listener, Transport } from '@baton/transport';
import { AsyncQueue, collect, describeLockCompliance } from '@baton/transport-compliance';
import { WebSocket, WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { BrowserWsTransport, createWebSocketListener, webSocketUrl, wsTransport } from '../src/index.js';

const listeners: Listener[] = [];
const connections: Connection[] = [];
const httpServers: Server[] = [];
const extraServers: WebSocketServer[] = [];

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.close();
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
  await Promise.all(extraServers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  for (const server of httpServers) server.closeAllConnections();
  await Promise.all(httpServers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function startHttp(): Promise<{ http: Server; port: number }> {
  const http = createServer((request, response) => response.end(`page ${request.url ?? ''}`));
  httpServers.push(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { http, port: (http.address() as AddressInfo).port };
}

describe('ws transport: noServer, for several endpoints on one port', () => {
  it('serves Baton and another WebSocket endpoint and pages on one port, routed by the caller', async () => {
    const { http, port } = await startHttp();
    const accepted = new AsyncQueue<Connection>('accepted');
    const listener = await createWebSocketListener({
      host: '127.0.0.1',
      port,
      noServer: true,
      onConnection: (connection) => {
        connections.push(connection);
        accepted.push(connection);
      },
    });
    listeners.push(listener);
    expect(listener.port).toBe(port);
    expect(listener.url).toBe(`ws://127.0.0.1:${String(port)}/`);
    const other = new WebSocketServer({ noServer: true });
    extraServers.push(other);
    other.on('connection', (socket) => socket.send('from the other endpoint'));
    http.on('upgrade', (request, socket, head) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      if (path === '/') listener.handleUpgrade(request, socket, head);
      else if (path === '/other') other.handleUpgrade(request, socket, head, (webSocket) => other.emit('connection', webSocket, request));
      else socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    });

    expect(await (await fetch(`http://127.0.0.1:${String(port)}/index.html`)).text()).toBe('page /index.html');

    const baton = collect(await wsTransport.dial({ host: '127.0.0.1', port }));
    connections.push(baton.connection);
    baton.connection.send('"to baton"');
    const server = collect(await accepted.next());
    expect(await server.next()).toBe('"to baton"');

    const raw = new WebSocket(`ws://127.0.0.1:${String(port)}/other`);
    const first = await new Promise<string>((resolve, reject) => {
      raw.once('message', (data: Buffer) => resolve(data.toString()));
      raw.once('error', reject);
    });
    raw.close();
    expect(first).toBe('from the other endpoint');

    await expect(wsTransport.dial({ host: '127.0.0.1', port, path: '/nowhere' })).rejects.toThrow(/could not open/);

    await listener.close();
    expect(await baton.closed).toBeUndefined();
    expect(http.listening).toBe(true);
  });

  it('refuses upgrades handed to it once it is closing', async () => {
    const { http, port } = await startHttp();
    const listener = await createWebSocketListener({ host: '127.0.0.1', port, noServer: true, onConnection: () => {} });
    http.on('upgrade', (request, socket, head) => listener.handleUpgrade(request, socket, head));
    await listener.close();
    await expect(wsTransport.dial({ host: '127.0.0.1', port })).rejects.toThrow(/could not open/);
  });
});

describe('ws transport: the browser transport', () => {
  it('builds ws:// and wss:// URLs', () => {
    expect(webSocketUrl('example.org', 443, '/', true)).toBe('wss://example.org:443/');
    expect(webSocketUrl('::1', 80)).toBe('ws://[::1]:80/');
    expect(new BrowserWsTransport().scheme).toBe('ws');
    expect(new BrowserWsTransport({ secure: true }).scheme).toBe('wss');
  });

  it('cannot listen, and says so', async () => {
    await expect(new BrowserWsTransport().listen()).rejects.toThrow(/can only dial/);
  });

  it('says clearly when the runtime has no global WebSocket', async () => {
    const hadWebSocket = 'WebSocket' in globalThis;
    if (hadWebSocket) return; // Node.js 22+ has one; nothing to check there.
    await expect(new BrowserWsTransport().dial({ host: '127.0.0.1', port: 1 })).rejects.toThrow(/no global WebSocket/);
  });
});

// The lock scenarios with the browser transport on the dialing side (the
// browser's WebSocket stood in for by ws's WHATWG-style client).
const browserDialing: Transport = {
  scheme: 'ws',
  listen: (options) => wsTransport.listen(options),
  dial: (options) => new BrowserWsTransport({ createWebSocket: (url) => new WebSocket(url) }).dial(options),
};
describeLockCompliance({ name: 'ws (browser transport dialing)', transport: browserDialing, repliesBeforeOversizeClose: true });
