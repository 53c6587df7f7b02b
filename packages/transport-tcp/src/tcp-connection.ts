import { MAX_UNSENT_BYTES_BEFORE_PAUSE, MAX_UNSENT_BYTES_PER_CONNECTION } from '@baton/core';
import { asTransportError, codeOfSocketError, connectionIds, formatHostAndPort, Inbox, TransportError, TransportErrorCode } from '@baton/transport';
import type { Socket } from 'node:net';
import type { Connection, ConnectionHandlers } from '@baton/transport';
import { LineDecoder } from './line-decoder.js';

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
  /** Stop reading while this many bytes wait to be sent. Default MAX_UNSENT_BYTES_BEFORE_PAUSE. */
  maxUnsentBytesBeforePause?: number | undefined;
  /** Close the connection once this many bytes wait to be sent. Default MAX_UNSENT_BYTES_PER_CONNECTION. */
  maxUnsentBytes?: number | undefined;
}

/** While a chunk's messages are handled, replies are written out whenever this many characters have queued, so that the unsent count stays exact. */
const WRITE_BATCH_CHARACTERS = 64 * 1024;

/** Default for {@link TcpConnectionOptions.closeGraceMs}. */
export const DEFAULT_CLOSE_GRACE_MS = 2000;

const nextConnectionId = connectionIds('tcp');

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
 * Backpressure: a peer that does not read its replies makes them pile up
 * in the socket's send buffer. Once `maxUnsentBytesBeforePause` bytes wait
 * there, the connection stops reading: the rest of the chunk at hand is kept
 * and the socket is paused, so the peer's further requests wait in the
 * kernel (and then in the peer) instead of growing the server. Reading
 * resumes when the buffer has drained. What is still sent meanwhile (grants
 * and losses the server pushes by itself) is bounded by `maxUnsentBytes`:
 * past it the connection is closed.
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
  readonly #maxUnsentBytesBeforePause: number;
  readonly #maxUnsentBytes: number;
  #outgoing: string[] = [];
  /** Characters in #outgoing, line feeds included. */
  #outgoingCharacters = 0;
  #flushScheduled = false;
  /** Set while reading is stopped for backpressure; holds the unread rest of the chunk it stopped in. */
  #unread: Buffer | undefined;
  /** True while #receive hands messages to the handlers: sends wait for its single write. */
  #receiving = false;
  /** Once set, sends are dropped and input is ignored: the connection is on its way out. */
  #closing = false;
  /** Why the connection failed, if it did; reported with onClose. */
  #error: TransportError | undefined;
  #graceTimer: NodeJS.Timeout | undefined;

  /** Wraps a connected socket. Data is not read until this constructor attaches its listener. */
  constructor(socket: Socket, options: TcpConnectionOptions) {
    this.id = nextConnectionId();
    this.remoteAddress = formatHostAndPort(socket.remoteAddress, socket.remotePort);
    this.#socket = socket;
    this.#maxMessageBytes = options.maxMessageBytes;
    this.#decoder = new LineDecoder(options.maxMessageBytes);
    this.#oversizedReply = options.oversizedReply;
    this.#closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    this.#maxUnsentBytesBeforePause = options.maxUnsentBytesBeforePause ?? MAX_UNSENT_BYTES_BEFORE_PAUSE;
    this.#maxUnsentBytes = options.maxUnsentBytes ?? MAX_UNSENT_BYTES_PER_CONNECTION;

    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#receive(chunk);
    });
    socket.on('drain', () => {
      this.#resumeReading();
    });
    socket.on('end', () => {
      // The peer is done; with allowHalfOpen off node ends our side too, so
      // anything still queued could no longer be written.
      this.#closing = true;
      this.#dropOutgoing();
    });
    socket.on('error', (error) => {
      this.#error ??= asTransportError(error, codeOfSocketError(error, false));
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
    this.#outgoingCharacters += message.length + 1;
    if (this.#receiving) {
      // #receive writes everything once its messages are handled (in batches, so the unsent count stays exact).
      if (this.#outgoingCharacters >= WRITE_BATCH_CHARACTERS) this.#flush();
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
    if (this.#closing) return;
    this.#inbox.pushFromEventLoop(line);
  };

  readonly #deliverUndecodable = (byteLength: number): void => {
    this.#inbox.pushUndecodable(`a line of ${String(byteLength)} bytes is not valid UTF-8`);
  };

  /** Bytes waiting to be sent: in the socket's buffer, plus the replies not yet written (counted in characters). */
  get unsentBytes(): number {
    return this.#socket.writableLength + this.#outgoingCharacters;
  }

  /** True while reading is stopped because the peer does not read its replies (backpressure). */
  get readingPaused(): boolean {
    return this.#unread !== undefined;
  }

  readonly #shouldPause = (): boolean => this.unsentBytes >= this.#maxUnsentBytesBeforePause;

  #receive(chunk: Buffer): void {
    if (this.#closing) {
      return;
    }
    if (this.#unread !== undefined) {
      // Data that was already on its way when reading stopped: keep it behind the rest.
      this.#unread = Buffer.concat([this.#unread, chunk]);
      return;
    }
    // Handlers run right here (see Inbox.pushFromEventLoop); what they send
    // in reply goes out in one write at the end, without waiting for a
    // microtask.
    let consumed: number;
    this.#receiving = true;
    try {
      consumed = this.#decoder.pushUntil(chunk, this.#deliverLine, this.#deliverUndecodable, this.#shouldPause);
    } finally {
      this.#receiving = false;
    }
    if (this.#outgoing.length > 0 && !this.#closing) {
      this.#flush();
    }
    if (this.#closing) {
      return;
    }
    if (this.#decoder.oversized) {
      this.#error ??= new TransportError(TransportErrorCode.MESSAGE_TOO_LARGE, `message larger than ${this.#maxMessageBytes} bytes; connection closed`);
      // Lines before the oversized one were valid and are still delivered.
      const reply = this.#oversizedReply;
      this.#end(reply === undefined || reply.length === 0 ? '' : `${reply}\n`);
      return;
    }
    if (consumed < chunk.length || this.#shouldPause()) {
      this.#pauseReading(chunk.subarray(consumed));
    }
  }

  /** Stops reading until the send buffer drains; `rest` is what is left of the current chunk. */
  #pauseReading(rest: Buffer): void {
    // Copied: a short rest must not pin the whole chunk.
    this.#unread = Buffer.from(rest);
    this.#socket.pause();
    // 'drain' comes only after a write that filled the buffer; if it has emptied already, resume now.
    if (this.#socket.writableLength === 0) queueMicrotask(() => this.#resumeReading());
  }

  #resumeReading(): void {
    const rest = this.#unread;
    if (rest === undefined || this.#closing) {
      return;
    }
    this.#unread = undefined;
    if (rest.length > 0) {
      this.#receive(rest);
    }
    if (this.#unread === undefined && !this.#closing) {
      this.#socket.resume();
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
      if (this.#socket.writableLength > this.#maxUnsentBytes) {
        this.#failUnread();
      }
    }
  }

  /** The peer reads nothing: drop what waits, close, and say why. */
  #failUnread(): void {
    this.#error ??= new TransportError(
      TransportErrorCode.PEER_NOT_READING,
      `the peer is not reading: ${String(this.#socket.writableLength)} bytes unsent (limit ${String(this.#maxUnsentBytes)}); connection closed`,
    );
    this.#closing = true;
    this.#dropOutgoing();
    this.#socket.destroy();
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
    this.#outgoingCharacters = 0;
    return text;
  }

  #dropOutgoing(): void {
    this.#outgoing = [];
    this.#outgoingCharacters = 0;
  }
}
