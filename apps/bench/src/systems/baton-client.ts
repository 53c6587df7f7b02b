import { connect } from '@baton/client';
import type { ClientEvent } from '@baton/client';
import { tcpTransport } from '@baton/transport-tcp';
import { wsTransport } from '@baton/transport-ws';
import { zmqTransport } from '@baton/transport-zmq';
import type { HeldLock, LockClient } from './lock-client.js';
import type { BatonTarget } from './system-target.js';

const TRANSPORTS = [tcpTransport, zmqTransport, wsTransport];

/**
 * BATON_BENCH_EXACTLY_ONCE=0 runs the Baton clients with plain sessions
 * (`exactlyOnce: false`), to measure what the exactly-once bookkeeping
 * (docs/protocol.md 3.1) costs: run W1/W2 once each way and compare the
 * ratios to the raw baselines measured in the same run.
 */
const EXACTLY_ONCE = process.env.BATON_BENCH_EXACTLY_ONCE !== '0';

/** Events that mean the benchmark's numbers cannot be trusted: counted and reported as errors. */
export const TROUBLE_EVENTS: ReadonlySet<ClientEvent['type']> = new Set(['disconnected', 'session-lost', 'lock-lost', 'server-error']);

/** Options for {@link openBatonClient} beyond the target. */
export interface BatonClientOptions {
  /** Called for every SDK event that signals trouble (a dropped connection, a lost lock, …). */
  onTrouble?: (event: ClientEvent) => void;
}

/** A Baton client through the real SDK: acquire waits in the server's FIFO queue. */
export async function openBatonClient(target: BatonTarget, name: string, options: BatonClientOptions = {}): Promise<LockClient> {
  const client = await connect(target.url, {
    transport: TRANSPORTS,
    client: name,
    reconnect: false,
    exactlyOnce: EXACTLY_ONCE,
    onEvent: (event) => {
      if (TROUBLE_EVENTS.has(event.type)) options.onTrouble?.(event);
    },
  });
  return {
    async acquire(resource: string): Promise<HeldLock> {
      return client.acquire(resource);
    },
    close: () => client.close(),
  };
}
