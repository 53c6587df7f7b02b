import { isUtf8 } from 'node:buffer';
import { Inbox } from '@baton/core';
import type { IncomingMessage } from 'node:http';
import type { Connection, ConnectionHandlers } from '@baton/core';
import type { RawData, WebSocket } from 'ws';
import { CloseCode, closeError } from './close-codes.js';
import { nextConnectionId } from './connection-id.js';
import { hostAndPort } from './websocket-url.js';

type ServerState = 'open' | 'closing' | 'closed';

export interface WsServerConnectionOptions {
  readonly maxMessageBytes: number;
  readonly oversizedReply: string | undefined;
}

/**
 * The server's side of one accepted WebSocket (from the `ws` package): one
 * Baton message per WebSocket message, liveness by ping/pong.
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
  #error: Error | undefined;
  /** Whether the peer showed signs of life since the last ping. */
  #alive = true;

  constructor(socket: WebSocket, request: IncomingMessage, options: WsServerConnectionOptions) {
    this.#socket = socket;
    this.#options = options;
    const { remoteAddress, remotePort } = request.socket;
    this.remoteAddress = remoteAddress === undefined ? 'unknown' : hostAndPort(remoteAddress, remotePort ?? 0);
    socket.on('message', (data, isBinary) => this.#receive(data, isBinary));
    socket.on('pong', () => {
      this.#alive = true;
    });
    // Without an 'error' listener ws would turn protocol errors into uncaught exceptions.
    socket.on('error', (error) => {
      this.#error ??= error;
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
      this.#error ??= new Error(`the peer did not answer a ping within ${String(intervalMs)} ms`);
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
    const { maxMessageBytes, oversizedReply } = this.#options;
    if (bytes.length > maxMessageBytes) {
      this.#error = new Error(
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

  #finish(error: Error | undefined): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#delivery.close(error);
  }
}
