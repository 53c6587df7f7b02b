import { performance } from 'node:perf_hooks';
import { MAX_MESSAGE_BYTES } from '@baton/core';
import { formatHostAndPort, reportHandlerError, TransportError, TransportErrorCode, type Connection, type Listener } from '@baton/transport';
import { Router } from 'zeromq';
import {
  ControlFrameType,
  PONG_FRAME,
  WELCOME_FRAME,
  controlFrameType,
  goodbyeFrame,
  goodbyeReason,
  isControlFrame,
} from './control-frame.js';
import {
  CLOSE_LINGER_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  OVERSIZED_FRAME_READ_FACTOR,
  ROUTER_SEND_HIGH_WATER_MARK,
} from './defaults.js';
import { OrderedSender } from './ordered-sender.js';
import { notifyOnDisconnect } from './router-notify.js';
import type { OutgoingFrame, ZmqConnectionOwner } from './outgoing-frame.js';
import { isIpv6Host, portOfEndpoint, tcpEndpoint } from './zmq-endpoint.js';
import type { ZmqListenOptions } from './zmq-options.js';
import { ZmqServerConnection } from './zmq-server-connection.js';

/** Told to a peer that sends control frames without having said HELLO (or after it was closed). */
const UNKNOWN_CONNECTION_REASON = 'unknown connection: send HELLO first';

/** The REQ envelope's delimiter: the empty frame a REQ socket puts before its request and expects before its reply. */
const EMPTY_FRAME = Buffer.alloc(0);

/**
 * A bound ROUTER socket and every peer it has heard from.
 *
 * ZeroMQ hides connections: the ROUTER only shows a routing id on each
 * frame. So a Connection starts with the first frame of a routing id that
 * has none (HELLO for our clients, any Baton message for plain DEALERs and
 * REQ sockets), and ends on a GOODBYE, a heartbeat timeout (handshaken peers
 * only), an oversized frame, a send that libzmq cannot route, or libzmq's
 * notice that the peer disconnected (router-notify.ts). A later frame of the
 * same routing id starts a new Connection, which speaks for no session until
 * it resumes one with its secret: a routing id is never a credential.
 *
 * Three kinds of peer share the socket, told apart by what they send:
 * - a *handshaken* DEALER (our client) sends HELLO first, heartbeats, and is
 *   closed after `heartbeatTimeoutMs` of silence;
 * - a *plain* DEALER sends Baton JSON frames only. It never promised to
 *   heartbeat, so silence alone does not close it; a dead link does, because
 *   libzmq heartbeats every peer at the ZMTP level (answered by the peer's
 *   libzmq, not its code) and reports the disconnect;
 * - a *REQ* socket puts an empty delimiter frame before each request: it gets
 *   the delimiter back before exactly one answer per request, and nothing
 *   else (request-answer-gate.ts).
 */
export class ZmqListener implements Listener, ZmqConnectionOwner {
  readonly url: string;
  readonly port: number;
  readonly #router: Router;
  readonly #onConnection: (connection: Connection) => void;
  readonly #maxMessageBytes: number;
  readonly #oversizedReply: string | undefined;
  readonly #heartbeatTimeoutMs: number;
  readonly #connections = new Map<string, ZmqServerConnection>();
  readonly #sender = new OrderedSender<OutgoingFrame>((frame) => this.#transmit(frame));
  readonly #sweepTimer: NodeJS.Timeout;
  readonly #receiving: Promise<void>;
  #closing: Promise<void> | undefined;

  private constructor(router: Router, options: ZmqListenOptions, heartbeatTimeoutMs: number) {
    this.#router = router;
    this.port = portOfEndpoint(router.lastEndpoint);
    this.url = `zmq://${formatHostAndPort(options.host, this.port)}`;
    this.#onConnection = (connection) => options.onConnection(connection);
    this.#maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.#oversizedReply = options.oversizedReply;
    this.#heartbeatTimeoutMs = heartbeatTimeoutMs;
    this.#sweepTimer = setInterval(() => this.#sweep(), Math.max(10, Math.floor(heartbeatTimeoutMs / 4)));
    this.#receiving = this.#receiveLoop();
  }

  /** Binds a ROUTER on `tcp://host:port` (port 0 picks a free one). */
  static async open(options: ZmqListenOptions): Promise<ZmqListener> {
    const maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    const router = new Router({
      // Sending to a vanished peer fails (EHOSTUNREACH) instead of vanishing, so its Connection is closed.
      mandatory: true,
      // Never wait on one slow peer: the ROUTER has one send queue for all of them.
      sendTimeout: 0,
      sendHighWaterMark: ROUTER_SEND_HIGH_WATER_MARK,
      linger: CLOSE_LINGER_MS,
      maxMessageSize: maxMessageBytes * OVERSIZED_FRAME_READ_FACTOR,
      ipv6: isIpv6Host(options.host),
      // ZMTP-level heartbeats make libzmq drop dead TCP links of every peer, plain ones included; the disconnect notice then closes their Connection.
      heartbeatInterval: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
      heartbeatTimeout: heartbeatTimeoutMs,
    });
    notifyOnDisconnect(router);
    try {
      await router.bind(tcpEndpoint(options.host, options.port));
    } catch (error) {
      router.linger = 0;
      router.close();
      throw error;
    }
    return new ZmqListener(router, options, heartbeatTimeoutMs);
  }

  /** How many peers have a Connection now (each holds a slot of the server's MAX_CONNECTIONS). */
  get connectionCount(): number {
    return this.#connections.size;
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  enqueue(frame: OutgoingFrame): void {
    this.#sender.push(frame);
  }

  forget(connection: ZmqServerConnection): void {
    const key = connection.routingId.toString('hex');
    if (this.#connections.get(key) === connection) this.#connections.delete(key);
  }

  async #shutdown(): Promise<void> {
    clearInterval(this.#sweepTimer);
    // Each close flushes what was queued for that peer and says GOODBYE to it.
    for (const connection of [...this.#connections.values()]) connection.close();
    await this.#sender.whenIdle();
    this.#router.close();
    await this.#receiving;
    for (const connection of [...this.#connections.values()]) connection.fail(new TransportError(TransportErrorCode.LOCAL_FAILURE, 'the listener was closed'));
  }

  async #receiveLoop(): Promise<void> {
    try {
      for await (const [routingId, ...frames] of this.#router) {
        if (routingId === undefined) continue;
        try {
          this.#handleMessage(routingId, frames);
        } catch (error) {
          reportHandlerError(error);
        }
      }
    } catch (error) {
      // The socket failed underneath us: no connection can work any more.
      if (this.#closing !== undefined) return;
      const failure = new TransportError(TransportErrorCode.LOCAL_FAILURE, 'the ZeroMQ router socket failed', { cause: error });
      for (const connection of [...this.#connections.values()]) connection.fail(failure);
    }
  }

  /** One ZeroMQ message of a peer: its frames after the routing id. */
  #handleMessage(routingId: Buffer, frames: Buffer[]): void {
    if (this.#closing !== undefined) return;
    const first = frames[0];
    if (first === undefined) return;
    if (frames.length === 1 && first.length === 0) {
      // libzmq's disconnect notice (router-notify.ts), or a peer's empty message
      // (ZMQ_PROBE_ROUTER sends one on connect, when the peer has no Connection yet).
      this.#connections.get(routingId.toString('hex'))?.departed(new TransportError(TransportErrorCode.PEER_GONE, 'the peer disconnected'));
      return;
    }
    if (first.length === 0) {
      // The REQ envelope: an empty delimiter, then the request. A request is one frame; more are not read.
      this.#handleFrame(routingId, frames[1]!, true);
      return;
    }
    // A DEALER: every frame is one message. Empty ones carry nothing.
    for (const frame of frames) if (frame.length > 0) this.#handleFrame(routingId, frame, false);
  }

  #handleFrame(routingId: Buffer, frame: Buffer, requestEnvelope: boolean): void {
    if (this.#closing !== undefined) return;
    const now = performance.now();
    const key = routingId.toString('hex');
    let connection = this.#connections.get(key);
    if (isControlFrame(frame)) {
      this.#handleControlFrame(routingId, connection, frame, now, requestEnvelope);
      return;
    }
    const isNew = connection === undefined;
    connection ??= this.#register(key, routingId, false, now);
    if (requestEnvelope) connection.useRequestEnvelope();
    connection.noteActivity(now);
    connection.receiveFrame(frame, this.#maxMessageBytes, this.#oversizedReply);
    if (isNew) this.#onConnection(connection);
  }

  #handleControlFrame(
    routingId: Buffer,
    connection: ZmqServerConnection | undefined,
    frame: Buffer,
    now: number,
    requestEnvelope: boolean,
  ): void {
    const type = controlFrameType(frame);
    if (type === ControlFrameType.hello) {
      if (connection?.handshaken === true) {
        // Our WELCOME was lost or the peer asks again: answer, nothing changes.
        if (requestEnvelope) connection.useRequestEnvelope();
        connection.noteActivity(now);
        connection.controlRequestArrived();
        connection.sendControlFrame(WELCOME_FRAME);
        return;
      }
      // A plain peer that says HELLO starts over as a handshaken one; its session, if any, must be resumed.
      connection?.departed(new TransportError(TransportErrorCode.PEER_GONE, 'the peer said HELLO: a new connection begins'));
      const fresh = this.#register(routingId.toString('hex'), routingId, true, now);
      if (requestEnvelope) fresh.useRequestEnvelope();
      fresh.controlRequestArrived();
      // WELCOME goes first so that it precedes anything onConnection sends.
      fresh.sendControlFrame(WELCOME_FRAME);
      this.#onConnection(fresh);
      return;
    }
    if (type === ControlFrameType.goodbye) {
      const reason = goodbyeReason(frame);
      connection?.closedByPeer(reason === undefined ? undefined : new TransportError(TransportErrorCode.CLOSED_WITH_ERROR, `the peer closed the connection: ${reason}`));
      // A REQ socket waits for an answer even to its GOODBYE.
      if (requestEnvelope) this.enqueue({ routingId, payload: goodbyeFrame(), requestEnvelope });
      return;
    }
    if (connection === undefined || !connection.handshaken) {
      // A client the server has forgotten (timed out, restarted) learns it at its next heartbeat.
      this.enqueue({ routingId, payload: goodbyeFrame(UNKNOWN_CONNECTION_REASON), requestEnvelope });
      connection?.fail(new TransportError(TransportErrorCode.PROTOCOL_ERROR, 'the peer sent a control frame without saying HELLO first'));
      return;
    }
    if (requestEnvelope) connection.useRequestEnvelope();
    connection.noteActivity(now);
    if (type === ControlFrameType.ping) {
      connection.controlRequestArrived();
      connection.sendControlFrame(PONG_FRAME);
    }
    // PONG only proves liveness; unknown control types are ignored so the control protocol can grow.
  }

  #register(key: string, routingId: Buffer, handshaken: boolean, now: number): ZmqServerConnection {
    const connection = new ZmqServerConnection(this, Buffer.from(routingId), handshaken, now);
    this.#connections.set(key, connection);
    return connection;
  }

  async #transmit(frame: OutgoingFrame): Promise<void> {
    const { connection } = frame;
    if (connection?.closed === true && frame.evenIfClosed !== true) return;
    if (frame.payload !== undefined) {
      try {
        await this.#router.send(
          frame.requestEnvelope === true ? [frame.routingId, EMPTY_FRAME, frame.payload] : [frame.routingId, frame.payload],
        );
      } catch (error) {
        connection?.fail(describeSendFailure(error));
        return;
      }
    }
    if (frame.afterSend !== undefined) {
      try {
        frame.afterSend();
      } catch (error) {
        reportHandlerError(error);
      }
    }
  }

  /**
   * Closes handshaken peers that went silent. A REQ peer waiting for its
   * answer is exempt: its socket cannot send until the server answers.
   */
  #sweep(): void {
    const now = performance.now();
    for (const connection of [...this.#connections.values()]) {
      if (!connection.handshaken || connection.awaitingAnswer) continue;
      if (now - connection.lastReceivedAt <= this.#heartbeatTimeoutMs) continue;
      try {
        connection.fail(new TransportError(TransportErrorCode.HEARTBEAT_TIMEOUT, `no heartbeat from the peer for ${String(this.#heartbeatTimeoutMs)} ms`));
      } catch (error) {
        reportHandlerError(error);
      }
    }
  }
}

function describeSendFailure(error: unknown): TransportError {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EHOSTUNREACH') return new TransportError(TransportErrorCode.PEER_GONE, 'the peer is gone (EHOSTUNREACH)', { cause: error });
  if (code === 'EAGAIN') {
    return new TransportError(TransportErrorCode.PEER_NOT_READING, `the peer is not reading: ${String(ROUTER_SEND_HIGH_WATER_MARK)} messages queued`, { cause: error });
  }
  return new TransportError(TransportErrorCode.PEER_GONE, 'sending to the peer failed', { cause: error });
}
