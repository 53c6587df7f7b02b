import { isUtf8 } from 'node:buffer';
import { MAX_UNSENT_BYTES_BEFORE_PAUSE, MAX_UNSENT_BYTES_PER_CONNECTION } from '@baton/core';
import { formatHostAndPort, Inbox, TransportError, TransportErrorCode } from '@baton/transport';
import type { IncomingMessage } from 'node:http';
import type { Connection, ConnectionHandlers } from '@baton/transport';
import type { RawData, WebSocket } from 'ws';
import { CloseCode, closeError, errorOfWebSocket } from './close-codes.js';
import { nextConnectionId } from './connection-id.js';

type ServerState = 'open' | 'closing' | 'closed';

export interface WsServerConnectionOptions {
  readonly maxMessageBytes: number;
  readonly oversizedReply: string | undefined;
  /** Stop reading while this many bytes wait to be sent. Default MAX_UNSENT_BYTES_BEFORE_PAUSE. */
  readonly maxUnsentBytesBeforePause?: number | undefined;
  /** Close the connection once this many bytes wait to be sent. Default MAX_UNSENT_BYTES_PER_CONNECTION. */
  readonly maxUnsentBytes?: number | undefined;
}

/**
 * The server's side of one accepted WebSocket (from the `ws` package): one
 * Baton message per WebSocket message, liveness by ping/pong.
 *
 * Backpressure as on tcp: once `maxUnsentBytesBeforePause` bytes of
 * messages wait to be sent (`bufferedAmount`) the connection stops reading
 * the peer until the socket has drained; past `maxUnsentBytes` it is
 * terminated (a close frame would only queue behind the rest). A peer that
 * stays paused without draining is also one that answers no ping, so the
 * liveness check terminates it.
 */
export class WsServerConnection implements Connection {
  readonly id: string = nextConnectionId();
  readonly remoteAddress: string;
  /** Settles when the socket is closed, whoever closed it. */
  readonly closed: Promise<void>;
  readonly #socket: WebSocket;
  readonly #options: WsServerConnectionOptions;
  readonly #delivery = new Inbox();
  #state: ServerState = 'open';
  /** Why this side ended the connection, when it was not a plain close(). */
  #error: TransportError | undefined;
  /** Whether the peer showed signs of life since the last ping. */
  #alive = true;
  readonly #maxUnsentBytesBeforePause: number;
  readonly #maxUnsentBytes: number;
  #readingPaused = false;
  /**
   * Messages ws had already read when reading stopped: handled once it
   * resumes. At most what ws buffered from the socket (one read, about
   * 64 KiB of requests), since the socket itself is paused.
   */
  #held: Buffer[] = [];

  constructor(socket: WebSocket, request: IncomingMessage, options: WsServerConnectionOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#maxUnsentBytesBeforePause = options.maxUnsentBytesBeforePause ?? MAX_UNSENT_BYTES_BEFORE_PAUSE;
    this.#maxUnsentBytes = options.maxUnsentBytes ?? MAX_UNSENT_BYTES_PER_CONNECTION;
    // The TCP socket under the WebSocket: its 'drain' resumes reading.
    request.socket.on('drain', () => this.#resumeReading());
    const { remoteAddress, remotePort } = request.socket;
    this.remoteAddress = formatHostAndPort(remoteAddress, remoteAddress === undefined ? undefined : (remotePort ?? 0));
    socket.on('message', (data, isBinary) => this.#receive(data, isBinary));
    socket.on('pong', () => {
      this.#alive = true;
    });
    // Without an 'error' listener ws would turn protocol errors into uncaught exceptions.
    socket.on('error', (error) => {
      this.#error ??= errorOfWebSocket(error);
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.#finish(this.#error ?? closeError(code, reason.toString('utf8')));
        resolve();
      });
    });
  }

  send(message: string): void {
    if (this.#state !== 'open') return;
    this.#socket.send(message);
    const unsent = this.#socket.bufferedAmount;
    if (unsent > this.#maxUnsentBytes) {
      this.#error ??= new TransportError(TransportErrorCode.PEER_NOT_READING, `the peer is not reading: ${String(unsent)} bytes unsent (limit ${String(this.#maxUnsentBytes)}); connection closed`);
      this.#socket.terminate();
      return;
    }
    if (unsent >= this.#maxUnsentBytesBeforePause && !this.#readingPaused) {
      this.#readingPaused = true;
      this.#socket.pause();
    }
  }

  /** Bytes of messages waiting to be sent (ws's bufferedAmount: the socket's buffer and what ws has not written yet). */
  get unsentBytes(): number {
    return this.#socket.bufferedAmount;
  }

  /** True while reading is stopped because the peer does not read its messages (backpressure). */
  get readingPaused(): boolean {
    return this.#readingPaused;
  }

  #resumeReading(): void {
    if (!this.#readingPaused || this.#state === 'closed') return;
    this.#readingPaused = false;
    while (this.#held.length > 0 && !this.#readingPaused && this.#state === 'open') {
      this.#handle(this.#held.shift()!);
    }
    if (!this.#readingPaused) this.#socket.resume();
  }

  close(): void {
    this.#closeWith(CloseCode.normal);
  }

  setHandlers(handlers: ConnectionHandlers): void {
    this.#delivery.setHandlers(handlers);
  }

  /**
   * Called by the listener every ping interval: a peer that has shown no
   * sign of life since the previous call is terminated, any other is pinged.
   */
  checkAlive(intervalMs: number): void {
    if (this.#state === 'closed') return;
    if (!this.#alive) {
      this.#error ??= new TransportError(TransportErrorCode.HEARTBEAT_TIMEOUT, `the peer did not answer a ping within ${String(intervalMs)} ms`);
      this.#socket.terminate();
      return;
    }
    this.#alive = false;
    this.#socket.ping();
  }

  /** The listener is shutting down: close with 1001, and terminate a peer that never answers. */
  shutDown(handshakeTimeoutMs: number): Promise<void> {
    this.#closeWith(CloseCode.goingAway, 'server shutting down');
    const timer = setTimeout(() => this.#socket.terminate(), handshakeTimeoutMs);
    return this.closed.finally(() => clearTimeout(timer));
  }

  #closeWith(code: number, reason?: string): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    // ws sends everything queued before the close frame; onClose follows on 'close'.
    this.#socket.close(code, reason);
  }

  #receive(data: RawData, _isBinary: boolean): void {
    this.#alive = true;
    if (this.#error !== undefined) return;
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (this.#readingPaused) {
      this.#held.push(bytes);
      return;
    }
    this.#handle(bytes);
  }

  #handle(bytes: Buffer): void {
    if (this.#error !== undefined) return;
    const { maxMessageBytes, oversizedReply } = this.#options;
    if (bytes.length > maxMessageBytes) {
      this.#error = new TransportError(
        TransportErrorCode.MESSAGE_TOO_LARGE,
        `a message of ${String(bytes.length)} bytes exceeds the limit of ${String(maxMessageBytes)} bytes`,
      );
      if (oversizedReply !== undefined && this.#state === 'open') this.#socket.send(oversizedReply);
      this.#closeWith(CloseCode.messageTooBig, 'message too big');
      return;
    }
    // Text and binary messages alike are read as UTF-8, strictly: bytes that are not UTF-8 are
    // refused as BAD_JSON with the connection kept (docs/protocol.md 2), never read with U+FFFD.
    // (The listener turns off ws's own check, which would close the connection with 1007.)
    if (isUtf8(bytes)) this.#delivery.pushFromEventLoop(bytes.toString('utf8'));
    else this.#delivery.pushUndecodable(`a message of ${String(bytes.length)} bytes is not valid UTF-8`);
  }

  #finish(error: TransportError | undefined): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#delivery.close(error);
  }
}
