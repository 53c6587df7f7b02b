/**
 * zmq: a DEALER (plain, or handshaken with the control frames of
 * docs/protocol.md 2.1) or a REQ socket against the server's ROUTER. Each
 * frame is sent as one single-part message. zeromq.js allows one pending
 * send per socket, so sends go through a queue that keeps their order.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Dealer, Request } from 'zeromq';
import type { Frame } from '../frame.js';
import type { RawConnection, RawHandlers } from './raw-connection.js';
import { HOST } from './raw-connection.js';

/** A DEALER: frames are pipelined, replies and pushes arrive whenever the server sends them. */
export function openZmqDealer(port: number, handlers: RawHandlers): RawConnection {
  const socket = new Dealer({ linger: 0, sendHighWaterMark: 10_000, receiveHighWaterMark: 0 });
  socket.connect(`tcp://${HOST}:${port}`);
  let closed = false;
  const queue: Buffer[] = [];
  let sending = false;
  const drain = async () => {
    sending = true;
    try {
      let sent = 0;
      while (queue.length > 0 && !closed) {
        await socket.send(queue.shift()!);
        if (++sent % 32 === 0) await nextTurn();
      }
    } catch (error) {
      if (!closed) handlers.onClose(`zmq send failed: ${(error as Error).message}`);
    } finally {
      sending = false;
    }
  };
  void (async () => {
    let received = 0;
    try {
      for await (const frames of socket) {
        if (closed) return;
        // zeromq.js hands queued messages over in promise callbacks: without a turn of the event loop now and
        // then, 200 sockets can starve every timer (pacing, deadlines) for seconds.
        if (++received % 32 === 0) await nextTurn();
        if (frames.length !== 1) {
          // The server's ROUTER sends one frame per message to a DEALER (2.1); anything else is not a Baton message.
          handlers.onMessage(Buffer.concat([Buffer.from('multipart:'), ...frames]), true);
          continue;
        }
        handlers.onMessage(frames[0]!, false);
      }
    } catch {
      // closed
    }
  })();
  return {
    send(frame: Frame) {
      if (closed) return;
      queue.push(frame.bytes);
      if (!sending) void drain();
    },
    close() {
      closed = true;
      queue.length = 0;
      socket.close();
    },
  };
}

/** A REQ socket: strictly one request, then its one answer (2.1, "REQ clients"). */
export class ZmqRequester {
  readonly #socket: Request;
  #closed = false;

  constructor(port: number, answerTimeoutMs: number) {
    this.#socket = new Request({ linger: 0, receiveTimeout: answerTimeoutMs });
    this.#socket.connect(`tcp://${HOST}:${port}`);
  }

  /** Sends a frame and waits for its answer; undefined when none came in time. */
  async request(frame: Frame): Promise<Buffer[] | undefined> {
    if (this.#closed) return undefined;
    await this.#socket.send(frame.bytes);
    try {
      return await this.#socket.receive();
    } catch (error) {
      if ((error as { code?: string }).code === 'EAGAIN') return undefined;
      throw error;
    }
  }

  close(): void {
    this.#closed = true;
    this.#socket.close();
  }
}
