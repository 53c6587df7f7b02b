import type { ZmqServerConnection } from './zmq-server-connection.js';

/** One entry of the ROUTER's send queue. */
export interface OutgoingFrame {
  /** The peer the frame is routed to. */
  readonly routingId: Buffer;
  /** The connection the frame belongs to; absent for replies to peers the server does not know. */
  readonly connection?: ZmqServerConnection;
  /** The frame, or `undefined` for a pure marker that only runs `afterSend` in queue order. */
  readonly payload: string | Buffer | undefined;
  /** Send the REQ envelope (an empty delimiter frame) before the payload: the peer is a REQ socket. */
  readonly requestEnvelope?: boolean;
  /**
   * Send even though the connection is already closed: the last words
   * (oversized reply, GOODBYE with a reason) are queued after the close.
   * Everything else queued for a closed connection is dropped.
   */
  readonly evenIfClosed?: boolean;
  /** Runs once every frame queued before it (and this one) has been handed to libzmq. */
  readonly afterSend?: () => void;
}

/** What a server connection needs from its listener. */
export interface ZmqConnectionOwner {
  enqueue(frame: OutgoingFrame): void;
  /** The connection is gone: stop routing frames of this routing id to it. */
  forget(connection: ZmqServerConnection): void;
}
