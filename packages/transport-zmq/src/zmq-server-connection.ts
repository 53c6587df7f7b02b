import { Inbox } from '@baton/core';
import type { Connection, ConnectionHandlers } from '@baton/core';
import { goodbyeFrame } from './control-frame.js';
import type { ZmqConnectionOwner } from './outgoing-frame.js';
import { nextConnectionId } from './connection-id.js';

type ConnectionState = 'open' | 'closing' | 'closed';

/**
 * The server's side of one peer of the ROUTER, keyed by its routing id.
 *
 * A peer is either *handshaken* (it said HELLO, so it heartbeats, and hears
 * GOODBYE when the server closes it) or *raw* (a plain DEALER speaking Baton
 * without our control protocol: it gets no control frames and is never
 * timed out for silence, since it never promised to heartbeat).
 */
export class ZmqServerConnection implements Connection {
  readonly id: string;
  readonly remoteAddress: string;
  readonly routingId: Buffer;
  readonly #owner: ZmqConnectionOwner;
  readonly #delivery = new Inbox();
  #state: ConnectionState = 'open';
  #handshaken: boolean;
  #lastReceivedAt: number;

  constructor(owner: ZmqConnectionOwner, routingId: Buffer, handshaken: boolean, now: number) {
    this.id = nextConnectionId();
    // ZeroMQ does not expose the peer's TCP address, only its routing id.
    this.remoteAddress = `routing-id:${routingId.toString('hex')}`;
    this.#owner = owner;
    this.routingId = routingId;
    this.#handshaken = handshaken;
    this.#lastReceivedAt = now;
  }

  /** True once the peer said HELLO. */
  get handshaken(): boolean {
    return this.#handshaken;
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** When the last frame from this peer arrived (monotonic milliseconds). */
  get lastReceivedAt(): number {
    return this.#lastReceivedAt;
  }

  /** A raw peer that says HELLO later becomes a handshaken one. */
  markHandshaken(): void {
    this.#handshaken = true;
  }

  noteActivity(now: number): void {
    this.#lastReceivedAt = now;
  }

  send(message: string): void {
    if (this.#state !== 'open') return;
    this.#owner.enqueue({ routingId: this.routingId, connection: this, payload: message });
  }

  close(): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    // Queued behind every message already sent, so those are flushed first.
    this.#owner.enqueue({
      routingId: this.routingId,
      connection: this,
      payload: this.#handshaken ? goodbyeFrame() : undefined,
      afterSend: () => this.#finish(undefined),
    });
  }

  setHandlers(handlers: ConnectionHandlers): void {
    this.#delivery.setHandlers(handlers);
  }

  /**
   * A Baton frame from the peer. Decoded as UTF-8 with replacement characters,
   * so that a foreign client's garbage still reaches the server, which can
   * answer it with an error. Oversized frames are dropped and end the connection.
   */
  receiveFrame(frame: Buffer, maxMessageBytes: number, oversizedReply: string | undefined): void {
    if (frame.length > maxMessageBytes) {
      const error = new Error(
        `a message of ${String(frame.length)} bytes exceeds the limit of ${String(maxMessageBytes)} bytes`,
      );
      this.fail(error, oversizedReply);
      return;
    }
    this.#delivery.pushFromEventLoop(frame.toString('utf8'));
  }

  /** The peer said GOODBYE; a reason makes it an error. */
  closedByPeer(error?: Error): void {
    this.#finish(error);
  }

  /**
   * The transport gives up on this peer (silent too long, oversized frame,
   * unreachable, listener closing). Messages still queued are dropped; a
   * handshaken peer is told why with a GOODBYE.
   *
   * @param lastMessage Sent first, even to a raw peer (the server's oversized reply).
   */
  fail(error: Error, lastMessage?: string): void {
    if (this.#state === 'closed') return;
    if (lastMessage !== undefined) {
      this.#owner.enqueue({ routingId: this.routingId, connection: this, payload: lastMessage, evenIfClosed: true });
    }
    if (this.#handshaken) {
      this.#owner.enqueue({
        routingId: this.routingId,
        connection: this,
        payload: goodbyeFrame(error.message),
        evenIfClosed: true,
      });
    }
    this.#finish(error);
  }

  #finish(error: Error | undefined): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#owner.forget(this);
    this.#delivery.close(error);
  }
}
