import { performance } from 'node:perf_hooks';
import { MAX_MESSAGE_BYTES, reportHandlerError, type Connection, type Listener } from '@baton/core';
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
import type { OutgoingFrame, ZmqConnectionOwner } from './outgoing-frame.js';
import { hostAndPort, isIpv6Host, portOfEndpoint, tcpEndpoint } from './zmq-endpoint.js';
import type { ZmqListenOptions } from './zmq-options.js';
import { ZmqServerConnection } from './zmq-server-connection.js';

/** Told to a peer that sends control frames without having said HELLO (or after it was closed). */
const UNKNOWN_CONNECTION_REASON = 'unknown connection: send HELLO first';

/**
 * A bound ROUTER socket and every peer it has heard from.
 *
 * ZeroMQ hides connections: the ROUTER only shows a routing id on each
 * frame. So a Connection starts with the first frame of a new routing id
 * (HELLO for our clients, any Baton message for raw DEALERs), and ends on a
 * GOODBYE, a heartbeat timeout, an oversized frame, or a send that libzmq
 * cannot route (the peer vanished).
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
  /** Routing ids of handshaken peers the server said GOODBYE to, with when, so their late frames are refused rather than taken for new raw peers. */
  readonly #departed = new Map<string, number>();
  readonly #sender = new OrderedSender<OutgoingFrame>((frame) => this.#transmit(frame));
  readonly #sweepTimer: NodeJS.Timeout;
  readonly #receiving: Promise<void>;
  #closing: Promise<void> | undefined;

  private constructor(router: Router, options: ZmqListenOptions, heartbeatTimeoutMs: number) {
    this.#router = router;
    this.port = portOfEndpoint(router.lastEndpoint);
    this.url = `zmq://${hostAndPort(options.host, this.port)}`;
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
      // ZMTP-level heartbeats make libzmq drop dead TCP links of raw peers, which send to them then reports.
      heartbeatInterval: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
      heartbeatTimeout: heartbeatTimeoutMs,
    });
    try {
      await router.bind(tcpEndpoint(options.host, options.port));
    } catch (error) {
      router.linger = 0;
      router.close();
      throw error;
    }
    return new ZmqListener(router, options, heartbeatTimeoutMs);
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
    if (connection.handshaken) this.#departed.set(key, performance.now());
  }

  async #shutdown(): Promise<void> {
    clearInterval(this.#sweepTimer);
    // Each close flushes what was queued for that peer and says GOODBYE to it.
    for (const connection of [...this.#connections.values()]) connection.close();
    await this.#sender.whenIdle();
    this.#router.close();
    await this.#receiving;
    for (const connection of [...this.#connections.values()]) connection.fail(new Error('the listener was closed'));
  }

  async #receiveLoop(): Promise<void> {
    try {
      for await (const [routingId, ...frames] of this.#router) {
        if (routingId === undefined) continue;
        for (const frame of frames) {
          try {
            this.#handleFrame(routingId, frame);
          } catch (error) {
            reportHandlerError(error);
          }
        }
      }
    } catch (error) {
      // The socket failed underneath us: no connection can work any more.
      if (this.#closing !== undefined) return;
      const failure = new Error('the ZeroMQ router socket failed', { cause: error });
      for (const connection of [...this.#connections.values()]) connection.fail(failure);
    }
  }

  #handleFrame(routingId: Buffer, frame: Buffer): void {
    // Empty frames carry nothing (ZMQ_PROBE_ROUTER sends one on connect).
    if (this.#closing !== undefined || frame.length === 0) return;
    const now = performance.now();
    const key = routingId.toString('hex');
    const connection = this.#connections.get(key);
    if (isControlFrame(frame)) {
      this.#handleControlFrame(key, routingId, connection, frame, now);
      return;
    }
    if (connection === undefined) {
      if (this.#departed.has(key)) {
        this.enqueue({ routingId, payload: goodbyeFrame(UNKNOWN_CONNECTION_REASON) });
        return;
      }
      this.#accept(key, routingId, false, now).receiveFrame(frame, this.#maxMessageBytes, this.#oversizedReply);
      return;
    }
    connection.noteActivity(now);
    connection.receiveFrame(frame, this.#maxMessageBytes, this.#oversizedReply);
  }

  #handleControlFrame(
    key: string,
    routingId: Buffer,
    connection: ZmqServerConnection | undefined,
    frame: Buffer,
    now: number,
  ): void {
    const type = controlFrameType(frame);
    if (type === ControlFrameType.hello) {
      if (connection === undefined) {
        this.#departed.delete(key);
        // WELCOME goes first so that it precedes anything onConnection sends.
        this.enqueue({ routingId, payload: WELCOME_FRAME });
        this.#accept(key, routingId, true, now);
      } else {
        connection.markHandshaken();
        connection.noteActivity(now);
        this.enqueue({ routingId, connection, payload: WELCOME_FRAME });
      }
      return;
    }
    if (type === ControlFrameType.goodbye) {
      const reason = goodbyeReason(frame);
      connection?.closedByPeer(reason === undefined ? undefined : new Error(`the peer closed the connection: ${reason}`));
      return;
    }
    if (connection === undefined || !connection.handshaken) {
      // A client the server has forgotten (timed out, restarted) learns it at its next heartbeat.
      this.enqueue({ routingId, payload: goodbyeFrame(UNKNOWN_CONNECTION_REASON) });
      connection?.fail(new Error('the peer sent a control frame without saying HELLO first'));
      return;
    }
    connection.noteActivity(now);
    if (type === ControlFrameType.ping) this.enqueue({ routingId, connection, payload: PONG_FRAME });
    // PONG only proves liveness; unknown control types are ignored so the control protocol can grow.
  }

  #accept(key: string, routingId: Buffer, handshaken: boolean, now: number): ZmqServerConnection {
    const connection = new ZmqServerConnection(this, Buffer.from(routingId), handshaken, now);
    this.#connections.set(key, connection);
    this.#onConnection(connection);
    return connection;
  }

  async #transmit(frame: OutgoingFrame): Promise<void> {
    const { connection } = frame;
    if (connection?.closed === true && frame.evenIfClosed !== true) return;
    if (frame.payload !== undefined) {
      try {
        await this.#router.send([frame.routingId, frame.payload]);
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

  /** Closes handshaken peers that went silent, and forgets old departures. */
  #sweep(): void {
    const now = performance.now();
    for (const connection of [...this.#connections.values()]) {
      if (connection.handshaken && now - connection.lastReceivedAt > this.#heartbeatTimeoutMs) {
        try {
          connection.fail(new Error(`no heartbeat from the peer for ${String(this.#heartbeatTimeoutMs)} ms`));
        } catch (error) {
          reportHandlerError(error);
        }
      }
    }
    for (const [key, departedAt] of this.#departed) {
      if (now - departedAt > 2 * this.#heartbeatTimeoutMs) this.#departed.delete(key);
    }
  }
}

function describeSendFailure(error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EHOSTUNREACH') return new Error('the peer is gone (EHOSTUNREACH)', { cause: error });
  if (code === 'EAGAIN') {
    return new Error(`the peer is not reading: ${String(ROUTER_SEND_HIGH_WATER_MARK)} messages queued`, { cause: error });
  }
  return new Error('sending to the peer failed', { cause: error });
}
