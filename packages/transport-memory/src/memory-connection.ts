import { connectionIds, Inbox, TransportError, TransportErrorCode } from '@baton/transport';
import type { Connection, ConnectionHandlers } from '@baton/transport';

/** How one end of a memory connection treats what it receives. */
export interface MemoryEndOptions {
  /** For {@link Connection.remoteAddress}. */
  remoteAddress: string;
  /** Messages larger than this (UTF-8 bytes) close this end with an error. */
  maxMessageBytes: number;
  /** Sent back to the peer just before closing for an oversized message (listening side only). */
  oversizedReply?: string | undefined;
  /** Told once when this end is gone, so a listener can forget it. */
  onGone?: (() => void) | undefined;
}

const nextConnectionId = connectionIds('memory');

/**
 * One end of an in-process connection. Two of them, made by
 * {@link MemoryConnection.pair}, hand messages straight to each other's
 * {@link Inbox}: no copying, no serialisation, but the same observable
 * behaviour as a socket — asynchronous, ordered delivery, a size limit
 * enforced by the receiver, and a close that both ends hear about once.
 */
export class MemoryConnection implements Connection {
  readonly id: string;
  readonly remoteAddress: string;
  readonly #inbox = new Inbox();
  readonly #maxMessageBytes: number;
  readonly #oversizedReply: string | undefined;
  readonly #onGone: (() => void) | undefined;
  #peer: MemoryConnection | undefined;
  /** False once either end closed: from then on sends are dropped. */
  #open = true;

  private constructor(options: MemoryEndOptions) {
    this.id = nextConnectionId();
    this.remoteAddress = options.remoteAddress;
    this.#maxMessageBytes = options.maxMessageBytes;
    this.#oversizedReply = options.oversizedReply;
    this.#onGone = options.onGone;
  }

  /** Makes two connected ends: what one sends, the other receives. */
  static pair(dialing: MemoryEndOptions, accepting: MemoryEndOptions): [MemoryConnection, MemoryConnection] {
    const dialingEnd = new MemoryConnection(dialing);
    const acceptingEnd = new MemoryConnection(accepting);
    dialingEnd.#peer = acceptingEnd;
    acceptingEnd.#peer = dialingEnd;
    return [dialingEnd, acceptingEnd];
  }

  /**
   * Hands the message to the peer. Empty messages are dropped, as a line-based
   * transport would drop an empty line. A message over the peer's limit makes
   * the peer reply (if it has an `oversizedReply`) and close, as a socket
   * server would on an oversized frame.
   */
  send(message: string): void {
    const peer = this.#peer;
    if (!this.#open || peer === undefined || message.length === 0) {
      return;
    }
    if (Buffer.byteLength(message, 'utf8') > peer.#maxMessageBytes) {
      peer.#refuseOversized();
      return;
    }
    peer.#inbox.push(message);
  }

  close(): void {
    if (!this.#open) {
      return;
    }
    this.#inbox.discardMessages();
    this.#shutDown(undefined);
  }

  setHandlers(handlers: ConnectionHandlers): void {
    this.#inbox.setHandlers(handlers);
  }

  /** This end received a message over its limit. */
  #refuseOversized(): void {
    const peer = this.#peer;
    if (!this.#open || peer === undefined) {
      return;
    }
    if (this.#oversizedReply !== undefined && this.#oversizedReply.length > 0) {
      peer.#inbox.push(this.#oversizedReply);
    }
    // Messages that arrived before the oversized one were valid and are still
    // delivered (dropping, say, a release would be worse than the extra work).
    this.#shutDown(new TransportError(TransportErrorCode.MESSAGE_TOO_LARGE, `message larger than ${this.#maxMessageBytes} bytes; connection closed`));
  }

  /**
   * Closes both ends at once. Each inbox still delivers what it already holds
   * before reporting the close, which is what "flush, then close" means here.
   * Only the end that closed carries an error; the peer sees a clean close,
   * as a socket peer sees a plain end of stream.
   */
  #shutDown(localError: TransportError | undefined): void {
    this.#open = false;
    this.#inbox.close(localError);
    this.#onGone?.();
    const peer = this.#peer;
    if (peer !== undefined && peer.#open) {
      peer.#open = false;
      peer.#inbox.close();
      peer.#onGone?.();
    }
  }
}
