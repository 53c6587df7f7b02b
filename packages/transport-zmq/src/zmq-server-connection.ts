import { performance } from 'node:perf_hooks';
import { Inbox, TransportError, TransportErrorCode } from '@baton/transport';
import type { Connection, ConnectionHandlers } from '@baton/transport';
import { goodbyeFrame } from './control-frame.js';
import { decodeFrameText } from './frame-text.js';
import type { ZmqConnectionOwner } from './outgoing-frame.js';
import { nextConnectionId } from './connection-id.js';
import { RequestAnswerGate } from './request-answer-gate.js';

type ConnectionState = 'open' | 'closing' | 'closed';

/**
 * The server's side of one incarnation of a peer of the ROUTER: from its
 * first frame until it disconnects, says GOODBYE, falls silent or is closed.
 * A later frame with the same routing id starts a new Connection, which must
 * resume the session with its secret like any reconnecting client.
 *
 * A peer is *handshaken* (it said HELLO, so it heartbeats and hears GOODBYE
 * when the server closes it) or *plain* (a DEALER speaking Baton without our
 * control protocol: it gets no control frame it did not ask for). A peer that
 * puts an empty delimiter frame before its request is a *REQ* peer: it gets
 * exactly one answer per request, with the delimiter in front, and nothing
 * else (request-answer-gate.ts).
 */
export class ZmqServerConnection implements Connection {
  readonly id: string;
  readonly remoteAddress: string;
  readonly routingId: Buffer;
  readonly #owner: ZmqConnectionOwner;
  readonly #delivery = new Inbox();
  readonly #handshaken: boolean;
  #state: ConnectionState = 'open';
  #lastReceivedAt: number;
  /** Set once the peer used the REQ envelope. */
  #requestReply: RequestAnswerGate | undefined;

  constructor(owner: ZmqConnectionOwner, routingId: Buffer, handshaken: boolean, now: number) {
    this.id = nextConnectionId();
    // ZeroMQ does not expose the peer's TCP address, only its routing id.
    this.remoteAddress = `routing-id:${routingId.toString('hex')}`;
    this.#owner = owner;
    this.routingId = routingId;
    this.#handshaken = handshaken;
    this.#lastReceivedAt = now;
  }

  /** True when the peer said HELLO. */
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

  /**
   * True while a REQ peer waits for the answer to its request. Its socket
   * cannot send anything meanwhile, so its silence is the server's doing and
   * does not count against it.
   */
  get awaitingAnswer(): boolean {
    return this.#requestReply?.awaitingAnswer ?? false;
  }

  noteActivity(now: number): void {
    this.#lastReceivedAt = now;
  }

  send(message: string): void {
    if (this.#state !== 'open') return;
    const gate = this.#requestReply;
    if (gate !== undefined) {
      if (!gate.admitMessage(message)) return;
      this.#answered();
    }
    this.#owner.enqueue({ routingId: this.routingId, connection: this, payload: message, requestEnvelope: gate !== undefined });
  }

  /** A control frame answering one the peer sent (WELCOME to HELLO, PONG to PING). */
  sendControlFrame(frame: Buffer): void {
    if (this.#state !== 'open') return;
    const gate = this.#requestReply;
    if (gate !== undefined) {
      if (!gate.admitControlFrame()) return;
      this.#answered();
    }
    this.#owner.enqueue({ routingId: this.routingId, connection: this, payload: frame, requestEnvelope: gate !== undefined });
  }

  close(): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    // Queued behind every message already sent, so those are flushed first.
    this.#owner.enqueue({
      routingId: this.routingId,
      connection: this,
      payload: this.#handshaken && this.#mayPush() ? goodbyeFrame() : undefined,
      requestEnvelope: this.#requestReply !== undefined,
      afterSend: () => this.#finish(undefined),
    });
  }

  setHandlers(handlers: ConnectionHandlers): void {
    this.#delivery.setHandlers(handlers);
  }

  /**
   * The peer puts the REQ envelope around its requests (it showed it with
   * this frame); from now on every answer carries it and nothing else is sent.
   */
  useRequestEnvelope(): void {
    this.#requestReply ??= new RequestAnswerGate();
  }

  /** A control request from a REQ peer (HELLO, PING) now waits for its answer. */
  controlRequestArrived(): void {
    this.#requestReply?.controlRequestArrived();
  }

  /**
   * A Baton frame from the peer. Frames that are not valid UTF-8 are reported
   * through `onUndecodable` in their place among the messages (the server
   * refuses them and keeps the connection). Oversized frames are dropped and
   * end the connection.
   */
  receiveFrame(frame: Buffer, maxMessageBytes: number, oversizedReply: string | undefined): void {
    if (frame.length > maxMessageBytes) {
      this.#requestReply?.requestArrived(undefined);
      const error = new TransportError(
        TransportErrorCode.MESSAGE_TOO_LARGE,
        `a message of ${String(frame.length)} bytes exceeds the limit of ${String(maxMessageBytes)} bytes`,
      );
      this.fail(error, oversizedReply);
      return;
    }
    const text = decodeFrameText(frame);
    this.#requestReply?.requestArrived(text);
    if (text === undefined) {
      this.#delivery.pushUndecodable(`a frame of ${String(frame.length)} bytes is not valid UTF-8`);
      return;
    }
    this.#delivery.pushFromEventLoop(text);
  }

  /** The peer said GOODBYE; a reason makes it an error. */
  closedByPeer(error?: TransportError): void {
    this.#finish(error);
  }

  /**
   * The peer is gone (libzmq reported its disconnect, or a new peer took its
   * routing id): nothing queued can reach it, and nothing is said, since
   * anything sent to the routing id now would reach the new peer.
   */
  departed(error: TransportError): void {
    this.#finish(error);
  }

  /**
   * The transport gives up on this peer (silent too long, oversized frame,
   * unreachable, listener closing). Messages still queued are dropped; a
   * handshaken peer is told why with a GOODBYE.
   *
   * @param lastMessage Sent first, even to a plain peer (the server's oversized reply).
   */
  fail(error: TransportError, lastMessage?: string): void {
    if (this.#state === 'closed') return;
    const requestEnvelope = this.#requestReply !== undefined;
    if (lastMessage !== undefined && (this.#requestReply?.admitMessage(lastMessage) ?? true)) {
      this.#owner.enqueue({ routingId: this.routingId, connection: this, payload: lastMessage, evenIfClosed: true, requestEnvelope });
    }
    if (this.#handshaken && this.#mayPush()) {
      this.#owner.enqueue({
        routingId: this.routingId,
        connection: this,
        payload: goodbyeFrame(error.message),
        evenIfClosed: true,
        requestEnvelope,
      });
    }
    this.#finish(error);
  }

  /** A REQ peer could not send while it waited for this answer: its silence starts now. */
  #answered(): void {
    this.#lastReceivedAt = performance.now();
  }

  /** A REQ peer may be sent a control frame only as the answer it waits for. */
  #mayPush(): boolean {
    return this.#requestReply?.admitControlFrame() ?? true;
  }

  #finish(error: TransportError | undefined): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#owner.forget(this);
    this.#delivery.close(error);
  }
}
