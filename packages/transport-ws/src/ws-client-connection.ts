import { Inbox, TransportError, TransportErrorCode } from '@baton/transport';
import type { Connection, ConnectionHandlers } from '@baton/transport';
import { CloseCode, closeError } from './close-codes.js';
import { nextConnectionId } from './connection-id.js';
import { utf8ByteLength } from './utf8-byte-length.js';
import type { WebSocketLike } from './websocket-like.js';

type ClientState = 'open' | 'closing' | 'closed';

/**
 * The dialing side of a WebSocket connection, over any {@link WebSocketLike}
 * (the browser's WebSocket or `ws`'s client). It imports nothing from `ws`,
 * so a browser bundle can use it.
 */
export class WsClientConnection implements Connection {
  readonly id: string = nextConnectionId();
  readonly remoteAddress: string;
  readonly #socket: WebSocketLike;
  readonly #maxMessageBytes: number;
  readonly #delivery = new Inbox();
  #state: ClientState = 'open';
  /** Why this side ended the connection, when it was not a plain close(). */
  #error: TransportError | undefined;

  /** @param socket An open socket; listeners are attached at once, so no message is missed. */
  constructor(socket: WebSocketLike, remoteAddress: string, maxMessageBytes: number) {
    this.#socket = socket;
    this.remoteAddress = remoteAddress;
    this.#maxMessageBytes = maxMessageBytes;
    socket.addEventListener('message', (event) => this.#receive(event.data));
    socket.addEventListener('error', (event) => {
      this.#error ??= toError(event.error, event.message);
    });
    socket.addEventListener('close', (event) => this.#finish(this.#error ?? closeError(event.code, event.reason)));
  }

  send(message: string): void {
    if (this.#state !== 'open') return;
    this.#socket.send(message);
  }

  close(): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    // The WebSocket sends what is buffered before the close frame; onClose follows the peer's answer.
    this.#socket.close(CloseCode.normal);
  }

  setHandlers(handlers: ConnectionHandlers): void {
    this.#delivery.setHandlers(handlers);
  }

  #receive(data: unknown): void {
    if (this.#error !== undefined) return;
    const text = decode(data);
    if (text === undefined) return;
    const bytes = utf8ByteLength(text);
    if (bytes > this.#maxMessageBytes) {
      this.#error = new TransportError(
        TransportErrorCode.MESSAGE_TOO_LARGE,
        `a message of ${String(bytes)} bytes exceeds the limit of ${String(this.#maxMessageBytes)} bytes`,
      );
      this.#state = 'closing';
      closeAsTooBig(this.#socket);
      return;
    }
    this.#delivery.pushFromEventLoop(text);
  }

  #finish(error: TransportError | undefined): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#delivery.close(error);
  }
}

/** Text messages arrive as strings; binary ones (never sent by a Baton server) are decoded leniently. */
function decode(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(data));
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return undefined;
}

/** 1009 is reserved for the browser itself, which throws on it; fall back to a plain close there. */
function closeAsTooBig(socket: WebSocketLike): void {
  try {
    socket.close(CloseCode.messageTooBig, 'message too big');
  } catch {
    socket.close(CloseCode.normal, 'message too big');
  }
}

/** A socket error event: the link failed under the connection (a reset, a broken pipe). */
function toError(error: unknown, message: string | undefined): TransportError {
  const text = error instanceof Error ? error.message : (message ?? 'WebSocket error');
  return new TransportError(TransportErrorCode.PEER_GONE, text, { cause: error });
}
