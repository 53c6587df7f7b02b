import type { Connection, Listener, Transport } from '@baton/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { AsyncQueue } from './async-queue.js';

/** A raw client of the transport that can stop reading (its socket paused) and start again. */
export interface PausedPeer {
  /** Sends each text as one message, without waiting for anything. */
  send(messages: readonly string[]): void;
  /** Starts reading: every message received from now on goes to `messages`. */
  resume(): void;
  readonly messages: AsyncQueue<string>;
  destroy(): void;
}

/** A transport whose connections stop reading a peer that does not read (tcp, ws). */
export interface BackpressureTarget {
  name: string;
  transport: Transport;
  /** Connects a raw client to `port` on 127.0.0.1 that does not read until `resume()`. */
  openPausedPeer(port: number): Promise<PausedPeer>;
}

/** What a connection of such a transport reports about its send queue. */
interface BackpressuredConnection extends Connection {
  readonly unsentBytes: number;
  readonly readingPaused: boolean;
}

const PAUSE_AT = 64 * 1024;
const CLOSE_AT = 1024 * 1024;
/** One reply per request: 30,000 of them are 30 MB, far past every buffer and limit here. */
const REPLY = `"${'r'.repeat(1_000)}"`;
const REQUESTS = 30_000;
/** Room for one message's framing (a line feed, a WebSocket header) in the bound below. */
const FRAMING_BYTES = 16;

/**
 * Backpressure (docs/protocol.md 3.3), the same for every transport that
 * has it: a peer that sends requests without reading the replies stops being
 * read once `maxUnsentBytesBeforePause` bytes wait, and is served in full and
 * in order once it reads; a peer that reads nothing while the server keeps
 * pushing is closed past `maxUnsentBytes`.
 */
export function describeBackpressureCompliance(target: BackpressureTarget): void {
  describe(`${target.name} backpressure`, () => {
    const listeners: Listener[] = [];
    const peers: PausedPeer[] = [];

    afterEach(async () => {
      for (const peer of peers.splice(0)) peer.destroy();
      await Promise.all(listeners.splice(0).map((listener) => listener.close()));
    });

    async function listen(onConnection: (connection: BackpressuredConnection) => void): Promise<Listener> {
      const listener = await target.transport.listen({
        host: '127.0.0.1',
        port: 0,
        maxUnsentBytesBeforePause: PAUSE_AT,
        maxUnsentBytes: CLOSE_AT,
        onConnection: (connection) => onConnection(connection as BackpressuredConnection),
      });
      listeners.push(listener);
      return listener;
    }

    async function pausedPeer(port: number): Promise<PausedPeer> {
      const peer = await target.openPausedPeer(port);
      peers.push(peer);
      return peer;
    }

    it('stops reading a peer that does not read its replies, and answers every request once it reads', async () => {
      let received = 0;
      let largestUnsent = 0;
      let reportedPause = false;
      const paused = new AsyncQueue<number>('paused');
      const closed = new AsyncQueue<Error | undefined>('closed');
      const listener = await listen((connection) => {
        connection.setHandlers({
          onMessage: () => {
            received++;
            connection.send(REPLY);
            largestUnsent = Math.max(largestUnsent, connection.unsentBytes);
            queueMicrotask(() => {
              if (connection.readingPaused && !reportedPause) {
                reportedPause = true;
                paused.push(received);
              }
            });
          },
          onClose: (error) => closed.push(error),
        });
      });
      const peer = await pausedPeer(listener.port);
      peer.send(Array.from({ length: REQUESTS }, (_, index) => `{"op":"status","id":${String(index)}}`));

      expect(await paused.next()).toBeLessThan(REQUESTS);
      // Every reply was sent while less than the threshold waited, so at most one reply more ever waited.
      expect(largestUnsent).toBeLessThan(PAUSE_AT + REPLY.length + FRAMING_BYTES);

      peer.resume();
      for (let index = 0; index < REQUESTS; index++) expect(await peer.messages.next()).toBe(REPLY);
      expect(received).toBe(REQUESTS);
      expect(closed.size).toBe(0);
    });

    it('closes a peer that reads nothing once its unsent messages pass the limit', async () => {
      const accepted = new AsyncQueue<{ connection: Connection; closed: Promise<Error | undefined> }>('accepted');
      const listener = await listen((connection) => {
        const closed = new Promise<Error | undefined>((resolve) => connection.setHandlers({ onMessage: () => {}, onClose: resolve }));
        accepted.push({ connection, closed });
      });
      await pausedPeer(listener.port);
      const { connection, closed } = await accepted.next();
      // The server pushes without being asked (grants, losses): 30 MB the peer never reads.
      let pushed = 0;
      const push = (): void => {
        for (let index = 0; index < 1_000; index++) connection.send(REPLY);
        pushed += 1_000;
        if (pushed < REQUESTS) setImmediate(push);
      };
      push();
      expect((await closed)?.message).toMatch(/not reading: \d+ bytes unsent \(limit 1048576\)/);
      expect(CLOSE_AT).toBe(1048576);
    });
  });
}
