import type { Transport } from '@baton/transport';
import { ZmqClientConnection } from './zmq-client-connection.js';
import { ZmqListener } from './zmq-listener.js';
import type { ZmqDialOptions, ZmqHeartbeatOptions, ZmqListenOptions } from './zmq-options.js';

/**
 * Baton over ZeroMQ: the server binds a ROUTER, every client dials with a
 * DEALER. Not REQ/REP, because a grant is pushed long after its request.
 * Heartbeat settings given here apply to every listen and dial that does not
 * set its own.
 */
export class ZmqTransport implements Transport {
  readonly scheme = 'zmq';
  readonly #defaults: ZmqHeartbeatOptions;

  constructor(defaults: ZmqHeartbeatOptions = {}) {
    this.#defaults = defaults;
  }

  listen(options: ZmqListenOptions): Promise<ZmqListener> {
    return ZmqListener.open({ ...this.#defaults, ...options });
  }

  dial(options: ZmqDialOptions): Promise<ZmqClientConnection> {
    return ZmqClientConnection.dial({ ...this.#defaults, ...options });
  }
}

/** A ZeroMQ transport; heartbeat settings given here apply to every listen and dial that sets none. */
export function createZmqTransport(options: ZmqHeartbeatOptions = {}): ZmqTransport {
  return new ZmqTransport(options);
}

/** The ZeroMQ transport with the default heartbeat settings. */
export const zmqTransport: ZmqTransport = createZmqTransport();
