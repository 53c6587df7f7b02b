import type { Connection, DialOptions, Listener, ListenOptions, Transport } from '@baton/transport';
import { formatHost, TransportError, TransportErrorCode } from '@baton/transport';
import { MemoryListener } from './memory-listener.js';
import { PortRegistry } from './port-registry.js';

/**
 * An in-process transport (scheme `memory`): servers and clients in the same
 * process talk without sockets, yet with socket-like semantics — asynchronous
 * ordered delivery, size limits, close reported on both ends — so tests and
 * embedded setups exercise the same code paths as a network transport.
 *
 * Each instance has its own port table; use the shared {@link memoryTransport}
 * so that every dial in the process finds every listener.
 */
export class MemoryTransport implements Transport {
  readonly scheme = 'memory';
  readonly #ports = new PortRegistry<MemoryListener>();

  listen(options: ListenOptions): Promise<Listener> {
    // A throw inside the executor (port in use, bad port) becomes the rejection.
    return new Promise((resolve) => {
      const listener = this.#ports.bind(
        options.port,
        (port) =>
          new MemoryListener(`${this.scheme}://${formatHost(options.host)}:${port}`, port, options, () => {
            this.#ports.release(port, listener);
          }),
      );
      resolve(listener);
    });
  }

  /**
   * Connects to the listener bound to `options.port`, or rejects with an
   * `CONNECT_REFUSED` error at once when there is none: the answer is known
   * immediately, so `connectTimeoutMs` never comes into play.
   */
  dial(options: DialOptions): Promise<Connection> {
    const listener = this.#ports.lookup(options.port);
    if (listener === undefined) {
      const address = `${this.scheme}://${formatHost(options.host)}:${options.port}`;
      return Promise.reject(new TransportError(TransportErrorCode.CONNECT_REFUSED, `connect ECONNREFUSED ${address}`));
    }
    return new Promise((resolve) => {
      resolve(listener.accept(options));
    });
  }
}

/**
 * A memory transport with a port table of its own: its listeners are found
 * only by its own dials (tests that must not see each other's ports).
 */
export function createMemoryTransport(): MemoryTransport {
  return new MemoryTransport();
}

/** The process-wide memory transport. */
export const memoryTransport: MemoryTransport = createMemoryTransport();
