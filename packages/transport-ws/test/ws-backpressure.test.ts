/**
 * Backpressure on ws: a peer that sends requests without reading the
 * replies stops being read, and one that reads nothing while the server
 * keeps pushing is terminated past the limit.
 */
import type { Connection, Listener } from '@baton/core';
import { AsyncQueue } from '@baton/transport-compliance';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { wsTransport, type WsServerConnection } from '../src/index.js';

const PAUSE_AT = 64 * 1024;
const CLOSE_AT = 1024 * 1024;
const REPLY = `"${'r'.repeat(1_000)}"`;
const REQUESTS = 30_000;

const listeners: Listener[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
});

async function listen(onConnection: (connection: Connection) => void): Promise<Listener> {
  const listener = await wsTransport.listen({ host: '127.0.0.1', port: 0, maxUnsentBytesBeforePause: PAUSE_AT, maxUnsentBytes: CLOSE_AT, onConnection });
  listeners.push(listener);
  return listener;
}

async function open(url: string): Promise<{ socket: WebSocket; messages: AsyncQueue<string> }> {
  const socket = new WebSocket(url);
  sockets.push(socket);
  const messages = new AsyncQueue<string>('ws messages');
  socket.on('message', (data) => messages.push((data as Buffer).toString()));
  socket.on('error', () => {});
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return { socket, messages };
}

describe('ws backpressure', () => {
  it('stops reading a peer that does not read its replies, and answers every request once it reads', async () => {
    let received = 0;
    let largestUnsent = 0;
    let reportedPause = false;
    const paused = new AsyncQueue<number>('paused');
    const closed = new AsyncQueue<Error | undefined>('closed');
    const listener = await listen((connection) => {
      const ws = connection as WsServerConnection;
      connection.setHandlers({
        onMessage: () => {
          received++;
          connection.send(REPLY);
          largestUnsent = Math.max(largestUnsent, ws.unsentBytes);
          queueMicrotask(() => {
            if (ws.readingPaused && !reportedPause) {
              reportedPause = true;
              paused.push(received);
            }
          });
        },
        onClose: (error) => closed.push(error),
      });
    });
    const { socket, messages } = await open(listener.url);
    socket.pause();
    for (let index = 0; index < REQUESTS; index++) socket.send(`{"op":"status","id":${String(index)}}`);

    const receivedWhenPaused = await paused.next();
    expect(receivedWhenPaused).toBeLessThan(REQUESTS);
    // Every reply sent while reading went on found less than the threshold waiting, so at most one reply more waited.
    expect(largestUnsent).toBeLessThan(PAUSE_AT + REPLY.length + 16);

    socket.resume();
    for (let index = 0; index < REQUESTS; index++) expect(await messages.next()).toBe(REPLY);
    expect(received).toBe(REQUESTS);
    expect(closed.size).toBe(0);
  });

  it('terminates a peer that reads nothing once its unsent messages pass the limit', async () => {
    const accepted = new AsyncQueue<{ connection: Connection; closed: Promise<Error | undefined> }>('accepted');
    const listener = await listen((connection) => {
      const closed = new Promise<Error | undefined>((resolve) => connection.setHandlers({ onMessage: () => {}, onClose: resolve }));
      accepted.push({ connection, closed });
    });
    const { socket } = await open(listener.url);
    socket.pause();
    const { connection, closed } = await accepted.next();
    let pushed = 0;
    const push = (): void => {
      for (let index = 0; index < 1_000; index++) connection.send(REPLY);
      pushed += 1_000;
      if (pushed < REQUESTS) setImmediate(push);
    };
    push();
    expect((await closed)?.message).toMatch(/not reading: \d+ bytes unsent \(limit 1048576\)/);
  });
});
