import type { Connection, Listener, ListenOptions, Transport } from '@baton/transport';
import { AsyncQueue } from './async-queue.js';

/** Listen options a test may choose; host and port come from the harness. */
export interface HarnessListenOptions {
  maxMessageBytes?: number;
  oversizedReply?: string;
  /** Called for each accepted connection before it is queued in `accepted` (e.g. to echo). */
  onConnection?: (connection: Connection) => void;
}

/** A listener and the connections it accepted, in order. */
export interface OpenListener {
  listener: Listener;
  accepted: AsyncQueue<Connection>;
}

/** Both ends of one connection, plus the listener that accepted it. */
export interface ConnectedPair {
  listener: Listener;
  /** The dialing end. */
  client: Connection;
  /** The accepting end; its handlers are not set yet. */
  server: Connection;
}

/**
 * Opens listeners and connections for a test and remembers them, so that
 * {@link TransportHarness.closeAll} (in `afterEach`) leaves nothing open even
 * when an assertion failed half way. Every listener is on port 0.
 */
export class TransportHarness {
  readonly transport: Transport;
  readonly host: string;
  readonly #listeners: Listener[] = [];
  readonly #connections: Connection[] = [];
  readonly #acceptedQueues: AsyncQueue<Connection>[] = [];

  constructor(transport: Transport, host = '127.0.0.1') {
    this.transport = transport;
    this.host = host;
  }

  /** Listens on a free port. Accepted connections are queued without handlers. */
  async listen(options: HarnessListenOptions = {}): Promise<OpenListener> {
    const accepted = new AsyncQueue<Connection>('accepted connections');
    const listenOptions: ListenOptions = {
      host: this.host,
      port: 0,
      onConnection: (connection) => {
        this.#connections.push(connection);
        options.onConnection?.(connection);
        accepted.push(connection);
      },
    };
    if (options.maxMessageBytes !== undefined) {
      listenOptions.maxMessageBytes = options.maxMessageBytes;
    }
    if (options.oversizedReply !== undefined) {
      listenOptions.oversizedReply = options.oversizedReply;
    }
    const listener = await this.transport.listen(listenOptions);
    this.#listeners.push(listener);
    this.#acceptedQueues.push(accepted);
    return { listener, accepted };
  }

  /** Dials `port` on the harness host. */
  async dial(port: number, options: { maxMessageBytes?: number; connectTimeoutMs?: number } = {}): Promise<Connection> {
    const connection = await this.transport.dial({ host: this.host, port, ...options });
    this.#connections.push(connection);
    return connection;
  }

  /**
   * A fresh listener and one connection to it. `maxMessageBytes` applies to
   * both ends; `oversizedReply` to the listening end.
   */
  async connect(options: { maxMessageBytes?: number; oversizedReply?: string } = {}): Promise<ConnectedPair> {
    const { listener, accepted } = await this.listen(options);
    const dialOptions = options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes };
    const client = await this.dial(listener.port, dialOptions);
    const server = await accepted.next();
    return { listener, client, server };
  }

  /** Closes every connection and listener this harness opened. Errors of a second close are ignored. */
  async closeAll(): Promise<void> {
    for (const connection of this.#connections.splice(0)) {
      connection.close();
    }
    for (const accepted of this.#acceptedQueues.splice(0)) {
      accepted.end();
    }
    await Promise.all(this.#listeners.splice(0).map((listener) => listener.close().catch(() => undefined)));
  }
}
