/**
 * The ws listener's door: which Origins may upgrade (origin-policy.ts), and
 * how long a half-finished handshake may hold a socket.
 */
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Listener } from '@baton/transport';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { isOriginAllowed, WS_HANDSHAKE_TIMEOUT_MS, WsTransport, wsTransport } from '../src/index.js';

const listeners: Listener[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
});

function request(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

type OriginCase = [headers: Record<string, string>, allowed: string[], expected: boolean, why: string];

describe('isOriginAllowed', () => {
  it.each<OriginCase>([
    [{ host: '127.0.0.1:8080' }, [], true, 'no Origin: not a browser'],
    [{ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' }, [], true, 'same origin on an IP address'],
    [{ host: 'localhost:8080', origin: 'http://localhost:8080' }, [], true, 'same origin on localhost'],
    [{ host: '[::1]:8080', origin: 'http://[::1]:8080' }, [], true, 'same origin on ::1'],
    [{ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:9090' }, [], false, 'another port is another origin'],
    [{ host: '127.0.0.1:8080', origin: 'https://evil.example' }, [], false, 'another site'],
    [{ host: 'evil.example:8080', origin: 'http://evil.example:8080' }, [], false, 'same origin on a DNS name: DNS rebinding'],
    [{ host: 'evil.example:8080', origin: 'http://evil.example:8080' }, ['http://evil.example:8080'], true, 'a listed DNS name'],
    [{ host: '127.0.0.1:8080', origin: 'https://app.example' }, ['https://app.example:443'], true, 'listed, default port spelled out'],
    [{ host: '127.0.0.1:8080', origin: 'https://app.example' }, ['http://app.example'], false, 'another scheme is another origin'],
    [{ host: '127.0.0.1:8080', origin: 'https://anything' }, ['*'], true, 'everything allowed'],
    [{ host: '127.0.0.1:8080', origin: 'null' }, [], false, 'an opaque origin (file:, sandboxed frame)'],
    [{ host: '127.0.0.1:8080', origin: 'null' }, ['null'], true, 'an opaque origin, listed'],
  ])('%j with %j: %s (%s)', (headers, allowed, expected) => {
    expect(isOriginAllowed(request(headers), allowed)).toBe(expected);
  });
});

describe('ws listener', () => {
  it('answers an upgrade from a foreign Origin with 403 and serves one without Origin', async () => {
    const listener = await wsTransport.listen({ host: '127.0.0.1', port: 0, onConnection: (connection) => connection.setHandlers({ onMessage: () => {}, onClose: () => {} }) });
    listeners.push(listener);
    const refused = new WebSocket(listener.url, { origin: 'https://evil.example' });
    refused.on('error', () => {});
    const status = await new Promise<number | undefined>((resolve) => refused.once('unexpected-response', (_request, response) => resolve(response.statusCode)).once('open', () => resolve(undefined)));
    refused.terminate();
    expect(status).toBe(403);
    const plain = new WebSocket(listener.url);
    await new Promise((resolve, reject) => plain.once('open', resolve).once('error', reject));
    plain.terminate();
  });

  it('lets in the origins a WsTransport was made with', async () => {
    const listener = await new WsTransport({ allowedOrigins: ['https://app.example'] }).listen({ host: '127.0.0.1', port: 0, onConnection: (connection) => connection.setHandlers({ onMessage: () => {}, onClose: () => {} }) });
    listeners.push(listener);
    const allowed = new WebSocket(listener.url, { origin: 'https://app.example' });
    await new Promise((resolve, reject) => allowed.once('open', resolve).once('error', reject));
    allowed.terminate();
  });

  it.each([
    ['sends nothing', ''],
    ['stops half way through its request headers', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'],
  ])(`closes a connection that %s within WS_HANDSHAKE_TIMEOUT_MS (${String(WS_HANDSHAKE_TIMEOUT_MS)} ms) and a check interval`, async (_what, partial) => {
    const listener = await wsTransport.listen({ host: '127.0.0.1', port: 0, onConnection: () => {} });
    listeners.push(listener);
    const socket = connect(listener.port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('data', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    if (partial.length > 0) socket.write(partial);
    const started = performance.now();
    await new Promise((resolve) => socket.once('close', resolve));
    // Node checks every HANDSHAKE_CHECK_INTERVAL_MS; its own default would have been 60 s, checked every 30 s.
    expect(performance.now() - started).toBeLessThan(WS_HANDSHAKE_TIMEOUT_MS + 5_000);
  }, 20_000);
});
