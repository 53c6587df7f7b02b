/**
 * Backpressure on tcp: a peer that sends requests without reading the
 * replies stops being read (its requests wait in the kernel), and one that
 * reads nothing while the server keeps pushing is closed past the limit.
 */
import type { Connection, Listener } from '@baton/core';
import { AsyncQueue } from '@baton/transport-compliance';
import { afterEach, describe, expect, it } from 'vitest';
import type { TcpConnection} from '../src/index.js';
import { tcpTransport } from '../src/index.js';
import { connectRaw, type RawClient } from './raw-client.js';

const PAUSE_AT = 64 * 1024;
const CLOSE_AT = 1024 * 1024;
/** One reply per request: 30,000 of them are 30 MB, far past every buffer and limit here. */
const REPLY = `"${'r'.repeat(1_000)}"`;
const REQUESTS = 30_000;

const listeners: Listener[] = [];
const clients: RawClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
});

async function listen(onConnection: (connection: Connection) => void): Promise<Listener> {
  const listener = await tcpTransport.listen({ host: '127.0.0.1', port: 0, maxUnsentBytesBeforePause: PAUSE_AT, maxUnsentBytes: CLOSE_AT, onConnection });
  listeners.push(listener);
  return listener;
}

describe('tcp backpressure', () => {
  it('stops reading a peer that does not read its replies, and answers every request once it reads', async () => {
    let received = 0;
    let largestUnsent = 0;
    const paused = new AsyncQueue<number>('paused');
    const closed = new AsyncQueue<Error | undefined>('closed');
    let reportedPause = false;
    const listener = await listen((connection) => {
      const tcp = connection as TcpConnection;
      connection.setHandlers({
        onMessage: () => {
          received++;
          connection.send(REPLY);
          largestUnsent = Math.max(largestUnsent, tcp.unsentBytes);
          queueMicrotask(() => {
            if (tcp.readingPaused && !reportedPause) {
              reportedPause = true;
              paused.push(received);
            }
          });
        },
        onClose: (error) => closed.push(error),
      });
    });
    const client = await connectRaw(listener.port);
    clients.push(client);
    client.socket.pause();
    const requests = Array.from({ length: REQUESTS }, (_, index) => `{"op":"status","id":${String(index)}}\n`).join('');
    client.socket.write(requests);

    const receivedWhenPaused = await paused.next();
    expect(receivedWhenPaused).toBeLessThan(REQUESTS);
    // Reading stopped while at most one reply past the pause threshold was waiting in the server.
    expect(largestUnsent).toBeLessThan(PAUSE_AT + REPLY.length + 2);

    // The peer reads now: every request is read and answered, in order, and nothing was closed.
    client.socket.resume();
    for (let index = 0; index < REQUESTS; index++) expect(await client.lines.next()).toBe(REPLY);
    expect(received).toBe(REQUESTS);
    expect(closed.size).toBe(0);
  });

  it('closes a peer that reads nothing once its unsent messages pass the limit', async () => {
    const accepted = new AsyncQueue<{ connection: TcpConnection; closed: Promise<Error | undefined> }>('accepted');
    const listener = await listen((connection) => {
      const closed = new Promise<Error | undefined>((resolve) => connection.setHandlers({ onMessage: () => {}, onClose: resolve }));
      accepted.push({ connection: connection as TcpConnection, closed });
    });
    const client = await connectRaw(listener.port);
    clients.push(client);
    client.socket.pause();
    const { connection, closed } = await accepted.next();
    // The server pushes without being asked (grants, losses): 30 MB the peer never reads.
    let pushed = 0;
    const push = (): void => {
      for (let index = 0; index < 1_000; index++) connection.send(REPLY);
      pushed += 1_000;
      if (pushed < REQUESTS) setImmediate(push);
    };
    push();
    const error = await closed;
    expect(error?.message).toMatch(/not reading: \d+ bytes unsent \(limit 1048576\)/);
  });
});
