import { MAX_MESSAGE_BYTES } from '@baton/core';
import type { DialOptions, Listener, ListenOptions } from '@baton/transport';
import { TransportError, TransportErrorCode } from '@baton/transport';
import { MemoryConnection } from './memory-connection.js';

/**
 * A bound memory "port". It makes both ends of every connection dialled to
 * it and keeps the accepting ends, so that {@link MemoryListener.close} can
 * close them, as the Listener contract asks.
 */
export class MemoryListener implements Listener {
  readonly url: string;
  readonly port: number;
  readonly #options: ListenOptions;
  readonly #accepted = new Set<MemoryConnection>();
  readonly #release: () => void;
  #closed = false;

  /** @param release frees the port in the registry; called once, on close. */
  constructor(url: string, port: number, options: ListenOptions, release: () => void) {
    this.url = url;
    this.port = port;
    this.#options = options;
    this.#release = release;
  }

  /**
   * Connects a new dialer: tells `onConnection` about the accepting end and
   * returns the dialing end. Each end enforces its own side's size limit.
   */
  accept(dialOptions: DialOptions): MemoryConnection {
    if (this.#closed) {
      throw new TransportError(TransportErrorCode.CONNECT_REFUSED, `connect ECONNREFUSED ${this.url}`);
    }
    const [dialing, accepting] = MemoryConnection.pair(
      {
        remoteAddress: new URL(this.url).host,
        maxMessageBytes: dialOptions.maxMessageBytes ?? MAX_MESSAGE_BYTES,
      },
      {
        remoteAddress: `memory-client:${this.port}`,
        maxMessageBytes: this.#options.maxMessageBytes ?? MAX_MESSAGE_BYTES,
        oversizedReply: this.#options.oversizedReply,
        onGone: () => {
          this.#accepted.delete(accepting);
        },
      },
    );
    this.#accepted.add(accepting);
    this.#options.onConnection(accepting);
    return dialing;
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#release();
      for (const connection of [...this.#accepted]) {
        connection.close();
      }
      this.#accepted.clear();
    }
    return Promise.resolve();
  }
}
