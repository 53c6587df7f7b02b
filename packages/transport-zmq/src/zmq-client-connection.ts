import { performance } from 'node:perf_hooks';
import { MAX_MESSAGE_BYTES } from '@baton/core';
import {
  asTransportError,
  formatHostAndPort,
  Inbox,
  reportHandlerError,
  TransportError,
  TransportErrorCode,
  type Connection,
  type ConnectionHandlers,
} from '@baton/transport';
import { Dealer } from 'zeromq';
import {
  ControlFrameType,
  HELLO_FRAME,
  PING_FRAME,
  PONG_FRAME,
  controlFrameType,
  goodbyeFrame,
  goodbyeReason,
  isControlFrame,
} from './control-frame.js';
import { nextConnectionId } from './connection-id.js';
import {
  CLOSE_LINGER_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DISCONNECT_GRACE_MS,
  OVERSIZED_FRAME_READ_FACTOR,
} from './defaults.js';
import { OrderedSender } from './ordered-sender.js';
import { isIpv6Host, tcpEndpoint } from './zmq-endpoint.js';
import type { ZmqDialOptions } from './zmq-options.js';

type ClientState = 'handshaking' | 'open' | 'closing' | 'closed';

interface ClientFrame {
  readonly payload: string | Buffer;
  /** Send even after the connection is reported closed (the GOODBYE that explains why). */
  readonly evenIfClosed?: boolean;
  readonly afterSend?: () => void;
}

interface PendingDial {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * A DEALER socket connected to one Baton server, speaking the control
 * protocol of control-frame.ts: HELLO until WELCOME, PING when idle, GOODBYE
 * on close.
 *
 * ZeroMQ reconnects silently and never reports a dead peer, so liveness is
 * ours: the connection fails when the server stops answering heartbeats,
 * when it says GOODBYE, or when the TCP link drops (a reconnect could have
 * lost messages, which a Connection must not do silently).
 */
export class ZmqClientConnection implements Connection {
  readonly id: string = nextConnectionId();
  readonly remoteAddress: string;
  readonly #dealer: Dealer;
  readonly #endpoint: string;
  readonly #maxMessageBytes: number;
  readonly #heartbeatIntervalMs: number;
  readonly #heartbeatTimeoutMs: number;
  readonly #delivery = new Inbox();
  readonly #sender = new OrderedSender<ClientFrame>((frame) => this.#transmit(frame));
  #state: ClientState = 'handshaking';
  #pendingDial: PendingDial | undefined;
  #lastSentAt = performance.now();
  #lastReceivedAt = performance.now();
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #disconnectTimer: NodeJS.Timeout | undefined;

  private constructor(options: ZmqDialOptions) {
    this.#endpoint = tcpEndpoint(options.host, options.port);
    this.remoteAddress = formatHostAndPort(options.host, options.port);
    this.#maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.#heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    this.#dealer = new Dealer({
      linger: CLOSE_LINGER_MS,
      // No limit: a send never waits, so close() and heartbeats are never stuck behind
      // a full pipe; a server that stops reading is caught by the heartbeat instead.
      sendHighWaterMark: 0,
      maxMessageSize: this.#maxMessageBytes * OVERSIZED_FRAME_READ_FACTOR,
      ipv6: isIpv6Host(options.host),
    });
  }

  /**
   * Connects and says HELLO. Resolves on the server's WELCOME; rejects when
   * none comes within `connectTimeoutMs` (ZeroMQ's connect itself never fails,
   * it just keeps retrying) or when the server answers GOODBYE.
   */
  static dial(options: ZmqDialOptions): Promise<ZmqClientConnection> {
    const connection = new ZmqClientConnection(options);
    return connection.#handshake(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  }

  send(message: string): void {
    if (this.#state !== 'open') return;
    this.#sender.push({ payload: message });
  }

  close(): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.#stopTimers();
    // Queued behind every message already sent, so those are flushed first.
    this.#sender.push({ payload: goodbyeFrame(), afterSend: () => this.#finish(undefined) });
  }

  setHandlers(handlers: ConnectionHandlers): void {
    this.#delivery.setHandlers(handlers);
  }

  #handshake(timeoutMs: number): Promise<ZmqClientConnection> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#abortDial(new TransportError(TransportErrorCode.CONNECT_TIMEOUT, `no Baton server answered on ${this.#endpoint} within ${String(timeoutMs)} ms`));
      }, timeoutMs);
      this.#pendingDial = { resolve: () => resolve(this), reject, timer };
      try {
        this.#dealer.events.on('disconnect', () => this.#onDisconnect());
        void this.#receiveLoop();
        this.#dealer.connect(this.#endpoint);
      } catch (error) {
        this.#abortDial(asTransportError(error, TransportErrorCode.CONNECT_REFUSED));
        return;
      }
      // Queued in the DEALER until the TCP connection is up, however late that is.
      this.#sender.push({ payload: HELLO_FRAME });
    });
  }

  #abortDial(error: TransportError): void {
    const pending = this.#pendingDial;
    if (pending === undefined) return;
    this.#pendingDial = undefined;
    clearTimeout(pending.timer);
    this.#state = 'closed';
    this.#sender.clear();
    // Nothing queued here is worth keeping the process alive for.
    this.#dealer.linger = 0;
    void this.#sender.whenIdle().then(() => this.#dealer.close());
    pending.reject(error);
  }

  #welcomed(): void {
    const pending = this.#pendingDial;
    if (pending === undefined) return;
    this.#pendingDial = undefined;
    clearTimeout(pending.timer);
    this.#state = 'open';
    this.#lastReceivedAt = performance.now();
    this.#heartbeatTimer = setInterval(() => this.#heartbeat(), this.#heartbeatIntervalMs);
    pending.resolve();
  }

  async #receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.#dealer) {
        for (const frame of frames) {
          try {
            this.#handleFrame(frame);
          } catch (error) {
            reportHandlerError(error);
          }
        }
      }
    } catch (error) {
      this.#serverLost(new TransportError(TransportErrorCode.LOCAL_FAILURE, 'the ZeroMQ socket failed', { cause: error }));
    }
  }

  #handleFrame(frame: Buffer): void {
    if (this.#state === 'closed' || frame.length === 0) return;
    this.#lastReceivedAt = performance.now();
    if (!isControlFrame(frame)) {
      if (frame.length > this.#maxMessageBytes) {
        const reason = `a message of ${String(frame.length)} bytes exceeds the limit of ${String(this.#maxMessageBytes)} bytes`;
        this.#finish(new TransportError(TransportErrorCode.MESSAGE_TOO_LARGE, reason), goodbyeFrame(reason));
        return;
      }
      // Anything before WELCOME is buffered by the delivery like everything before setHandlers.
      this.#delivery.pushFromEventLoop(frame.toString('utf8'));
      return;
    }
    switch (controlFrameType(frame)) {
      case ControlFrameType.welcome:
        this.#welcomed();
        break;
      case ControlFrameType.ping:
        this.#sender.push({ payload: PONG_FRAME });
        break;
      case ControlFrameType.goodbye: {
        const reason = goodbyeReason(frame);
        if (this.#state === 'handshaking') {
          this.#abortDial(new TransportError(TransportErrorCode.CONNECT_REFUSED, `the server refused the connection: ${reason ?? 'no reason given'}`));
        } else {
          this.#finish(reason === undefined ? undefined : new TransportError(TransportErrorCode.CLOSED_WITH_ERROR, `the server closed the connection: ${reason}`));
        }
        break;
      }
      default:
        // PONG only proves liveness; unknown types are ignored so the control protocol can grow.
        break;
    }
  }

  #heartbeat(): void {
    const now = performance.now();
    if (now - this.#lastReceivedAt > this.#heartbeatTimeoutMs) {
      this.#serverLost(new TransportError(TransportErrorCode.HEARTBEAT_TIMEOUT, `the server did not answer for ${String(this.#heartbeatTimeoutMs)} ms`));
      return;
    }
    const idleAfter = this.#heartbeatIntervalMs / 2;
    // Also when only receiving is idle: the PONG is what tells us the server is still there.
    if (now - this.#lastSentAt >= idleAfter || now - this.#lastReceivedAt >= idleAfter) {
      this.#sender.push({ payload: PING_FRAME });
    }
  }

  #onDisconnect(): void {
    if (this.#state === 'handshaking' || this.#state === 'closed' || this.#disconnectTimer !== undefined) return;
    // A GOODBYE sent just before the server closed may still be on its way; let it win.
    this.#disconnectTimer = setTimeout(() => {
      this.#disconnectTimer = undefined;
      this.#serverLost(new TransportError(TransportErrorCode.PEER_GONE, 'the connection to the server was lost'));
    }, DISCONNECT_GRACE_MS);
  }

  /** The server is unreachable: nothing queued can arrive, so do not linger on it. */
  #serverLost(error: TransportError): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'handshaking') {
      this.#abortDial(error);
      return;
    }
    this.#dealer.linger = 0;
    this.#finish(error);
  }

  async #transmit(frame: ClientFrame): Promise<void> {
    if (this.#state === 'closed' && frame.evenIfClosed !== true) return;
    try {
      await this.#dealer.send(frame.payload);
      this.#lastSentAt = performance.now();
    } catch (error) {
      this.#serverLost(new TransportError(TransportErrorCode.PEER_GONE, 'sending to the server failed', { cause: error }));
      return;
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
   * Reports the close and releases the socket once the send loop is idle.
   * @param farewell A last frame for the server (the GOODBYE explaining an error).
   */
  #finish(error: TransportError | undefined, farewell?: Buffer): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#stopTimers();
    this.#sender.clear();
    if (farewell !== undefined) this.#sender.push({ payload: farewell, evenIfClosed: true });
    void this.#sender.whenIdle().then(() => this.#dealer.close());
    this.#delivery.close(error);
  }

  #stopTimers(): void {
    clearInterval(this.#heartbeatTimer);
    clearTimeout(this.#disconnectTimer);
    this.#heartbeatTimer = undefined;
    this.#disconnectTimer = undefined;
  }
}
