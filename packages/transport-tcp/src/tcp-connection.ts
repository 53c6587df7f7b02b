import { Inbox } from '@baton/core';
import type { Socket } from 'node:net';
import type { Connection, ConnectionHandlers } from '@baton/core';
import { LineDecoder } from './line-decoder.js';
import { formatSocketAddress } from './socket-address.js';

/** How a {@link TcpConnection} treats what it receives. */
export interface TcpConnectionOptions {
  /** Lines longer than this (UTF-8 bytes, terminator excluded) close the connection. */
  maxMessageBytes: number;
  /** Sent (plus `\n`) just before closing for an oversized line; the server passes an error message. */
  oversizedReply?: string | undefined;
  /**
   * How long to wait, after ending our side, for the peer to end its side
   * before destroying the socket. Ending gracefully (instead of destroying at
   * once) is what lets a final reply reach the peer: closing a socket with
   * unread input makes the kernel send a reset, which can discard that reply.
   */
  closeGraceMs?: number | undefined;
}

/** Default for {@link TcpConnectionOptions.closeGraceMs}. */
export const DEFAULT_CLOSE_GRACE_MS = 2000;

let connectionCount = 0;

/**
 * One Baton connection over a TCP socket: one message per line.
 *
 * Outgoing messages are JSON texts, which never contain a raw line feed; the
 * transport relies on that and writes each message followed by `\n` without
 * checking or escaping anything. A message with a raw `\n` is a caller bug and
 * would arrive as two (invalid) messages.
 *
 * Writes are batched: replies sent while a received chunk's messages are
 * handled go out in one `socket.write` when the chunk is done, and other
 * writes made together go out in one `socket.write` from a microtask, so a
 * burst of replies costs one syscall, while `noDelay` keeps a lone reply from
 * waiting for Nagle's algorithm.
 *
 * Backpressure is not applied: when the socket's buffer is full (`write`
 * returns false) messages keep queueing in memory. The server bounds what it
 * sends per session, so this is acceptable for now; a slow reader only costs
 * memory, never correctness.
 */
export class TcpConnection implements Connection {
  readonly id: string;
  readonly remoteAddress: string;
  readonly #socket: Socket;
  readonly #decoder: LineDecoder;
  readonly #inbox = new Inbox();
  readonly #maxMessageBytes: number;
  readonly #oversizedReply: string | undefined;
  readonly #closeGraceMs: number;
  #outgoing: string[] = [];
  #flushScheduled = false;
  /** True while #receive hands messages to the handlers: sends wait for its single write. */
  #receiving = false;
  /** Once set, sends are dropped and input is ignored: the connection is on its way out. */
  #closing = false;
  /** Why the connection failed, if it did; reported with onClose. */
  #error: Error | undefined;
  #graceTimer: NodeJS.Timeout | undefined;

  /** Wraps a connected socket. Data is not read until this constructor attaches its listener. */
  constructor(socket: Socket, options: TcpConnectionOptions) {
    connectionCount += 1;
    this.id = `tcp-${connectionCount}`;
    this.remoteAddress = formatSocketAddress(socket.remoteAddress, socket.remotePort);
    this.#socket = socket;
    this.#maxMessageBytes = options.maxMessageBytes;
    this.#decoder = new LineDecoder(options.maxMessageBytes);
    this.#oversizedReply = options.oversizedReply;
    this.#closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;

    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#receive(chunk);
    });
    socket.on('end', () => {
      // The peer is done; with allowHalfOpen off node ends our side too, so
      // anything still queued could no longer be written.
      this.#closing = true;
      this.#dropOutgoing();
    });
    socket.on('error', (error) => {
      this.#error ??= error;
    });
    socket.on('close', () => {
      this.#closing = true;
      this.#dropOutgoing();
      clearTimeout(this.#graceTimer);
      this.#inbox.close(this.#error);
    });
  }

  /** Queues `message` (a JSON text: no raw line feed) for the next write. Empty messages are dropped. */
  send(message: string): void {
    if (this.#closing || message.length === 0) {
      return;
    }
    this.#outgoing.push(message);
    if (this.#receiving) {
      // #receive writes everything once its messages are handled.
      return;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => {
        this.#flushScheduled = false;
        this.#flush();
      });
    }
  }

  close(): void {
    if (this.#closing) {
      return;
    }
    this.#inbox.discardMessages();
    this.#end('');
  }

  setHandlers(handlers: ConnectionHandlers): void {
    this.#inbox.setHandlers(handlers);
  }

  /** Bound once: the decoder calls it for every line. */
  readonly #deliverLine = (line: string): void => {
    this.#inbox.pushFromEventLoop(line);
  };

  readonly #deliverUndecodable = (byteLength: number): void => {
    this.#inbox.pushUndecodable(`a line of ${String(byteLength)} bytes is not valid UTF-8`);
  };

  #receive(chunk: Buffer): void {
    if (this.#closing) {
      return;
    }
    // Handlers run right here (see Inbox.pushFromEventLoop); what they send
    // in reply goes out in one write at the end, without waiting for a
    // microtask.
    let oversized: boolean;
    this.#receiving = true;
    try {
      oversized = this.#decoder.pushEach(chunk, this.#deliverLine, this.#deliverUndecodable);
    } finally {
      this.#receiving = false;
    }
    if (this.#outgoing.length > 0 && !this.#closing) {
      this.#flush();
    }
    if (oversized) {
      this.#error ??= new Error(`message larger than ${this.#maxMessageBytes} bytes; connection closed`);
      // Lines before the oversized one were valid and are still delivered.
      const reply = this.#oversizedReply;
      this.#end(reply === undefined || reply.length === 0 ? '' : `${reply}\n`);
    }
  }

  /** Writes what is queued plus `finalText`, ends our side and gives the peer a grace period to end its own. */
  #end(finalText: string): void {
    this.#closing = true;
    const text = this.#takeOutgoing() + finalText;
    if (!this.#socket.writable) {
      this.#socket.destroy();
      return;
    }
    if (text.length > 0) {
      this.#socket.end(text);
    } else {
      this.#socket.end();
    }
    this.#graceTimer = setTimeout(() => {
      this.#socket.destroy();
    }, this.#closeGraceMs);
    this.#graceTimer.unref();
  }

  #flush(): void {
    const text = this.#takeOutgoing();
    if (text.length > 0 && this.#socket.writable) {
      this.#socket.write(text);
    }
  }

  /** The queued messages as one string of lines, emptying the queue. */
  #takeOutgoing(): string {

    const outgoing = this.#outgoing;
    if (outgoing.length === 0) {
      return '';
    }
    // One message is the usual case (a reply to one request): skip the join.
    const text = outgoing.length === 1 ? `${outgoing[0]}\n` : `${outgoing.join('\n')}\n`;
    this.#outgoing = [];
    return text;
  }

  #dropOutgoing(): void {

    this.#outgoing = [];
  }
}
