import type { Connection, DialOptions, Listener, ListenOptions, Transport } from '@baton/core';
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
   * `ECONNREFUSED` error at once when there is none: the answer is known
   * immediately, so `connectTimeoutMs` never comes into play.
   */
  dial(options: DialOptions): Promise<Connection> {
    const listener = this.#ports.lookup(options.port);
    if (listener === undefined) {
      const address = `${this.scheme}://${formatHost(options.host)}:${options.port}`;
      return Promise.reject(Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' }));
    }
    return new Promise((resolve) => {
      resolve(listener.accept(options));
    });
  }
}

/** Puts an IPv6 literal in brackets so `host:port` stays unambiguous. */
function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The process-wide memory transport. */
export const memoryTransport = new MemoryTransport();
