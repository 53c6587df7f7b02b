import type { TransportError } from './transport-error.js';

/**
 * The contract between the coordinator (and the SDK) and a transport.
 *
 * A transport only moves whole messages: each message is one non-empty
 * string (a JSON text, which never contains a raw line feed). Framing,
 * size limits and liveness are the transport's business; what the messages
 * mean is not. Every transport passes `@baton/transport-compliance`.
 *
 * The end of a connection (`onClose(error)`) and a failed dial carry a
 * {@link TransportError} whose code is stable across transports.
 */

/** Callbacks a connection delivers to. Set them once with {@link Connection.setHandlers}. */
export interface ConnectionHandlers {
  /** One whole message, in the order the peer sent them. */
  onMessage(message: string): void;
  /**
   * A frame arrived whose bytes are not valid UTF-8 (docs/protocol.md 2: it
   * is refused as BAD_JSON and the connection stays open). `detail` says
   * where, for the error message. A transport that cannot tell (it is given
   * strings) never calls it. Optional so that simple embedders may ignore it.
   */
  onUndecodable?(detail: string): void;
  /**
   * Called exactly once when the connection is gone, whichever side closed it.
   * `error` says why when it was not a clean close (peer vanished, oversized
   * frame, ...), with a stable `code`.
   */
  onClose(error?: TransportError): void;
}

/** One duplex message channel between a client and the server. */
export interface Connection {
  /** Unique within the process, e.g. `tcp-17`. */
  readonly id: string;
  /** The peer, for logs, e.g. `127.0.0.1:53122`. */
  readonly remoteAddress: string;
  /**
   * Queue one message for sending. Never blocks; messages are delivered in order.
   * Sending on a closed connection is silently dropped (the close is reported through onClose).
   */
  send(message: string): void;
  /** Flush what was queued, then close. onClose follows. Idempotent. */
  close(): void;
  /**
   * Install the callbacks. Messages that arrive before this call are buffered
   * and delivered right after it, so nothing is lost between accept and setup.
   */
  setHandlers(handlers: ConnectionHandlers): void;
}

export interface ListenOptions {
  /** Interface to bind, e.g. `127.0.0.1` or `0.0.0.0`. */
  host: string;
  /** Port to bind; 0 picks a free one (read it back from {@link Listener.port}). */
  port: number;
  /** Frames larger than this close the connection. Default MAX_MESSAGE_BYTES (65,536, from `@baton/core`). */
  maxMessageBytes?: number;
  /**
   * Sent to a peer just before its connection is closed for an oversized frame,
   * where the transport can still send (tcp, ws). The server passes an error message.
   */
  oversizedReply?: string;
  /**
   * Stop reading a connection while this many bytes of its outgoing messages
   * wait to be sent (tcp, ws: the transports that can count them). Default
   * MAX_UNSENT_BYTES_BEFORE_PAUSE.
   */
  maxUnsentBytesBeforePause?: number;
  /** Close a connection once this many bytes wait to be sent (tcp, ws). Default MAX_UNSENT_BYTES_PER_CONNECTION. */
  maxUnsentBytes?: number;
  /** Called for every accepted connection. */
  onConnection(connection: Connection): void;
}

export interface Listener {
  /** The bound address as a URL, e.g. `tcp://127.0.0.1:5555`. */
  readonly url: string;
  /** The bound port (useful after listening on port 0). */
  readonly port: number;
  /** Stop accepting and close every connection it accepted. */
  close(): Promise<void>;
}

export interface DialOptions {
  host: string;
  port: number;
  /** Give up when no connection is established within this time. */
  connectTimeoutMs?: number;
  maxMessageBytes?: number;
}

/** A way to carry Baton messages: tcp, zmq, ws, memory. */
export interface Transport {
  /** URL scheme this transport answers to, e.g. `tcp`. */
  readonly scheme: string;
  listen(options: ListenOptions): Promise<Listener>;
  /**
   * Resolves once the connection is established; rejects with a
   * {@link TransportError} (`CONNECT_TIMEOUT`, `CONNECT_REFUSED`) when it
   * cannot be.
   */
  dial(options: DialOptions): Promise<Connection>;
}
