import type { Transport } from '@baton/transport';
import { tcpTransport } from '@baton/transport-tcp';
import { wsTransport } from '@baton/transport-ws';
import { zmqTransport } from '@baton/transport-zmq';

/** The transports lock-server can listen on, by the name `--transport` and `--listen` use. */
export const transports: Record<string, Transport> = {
  zmq: zmqTransport,
  tcp: tcpTransport,
  ws: wsTransport,
};

export const TRANSPORT_NAMES = Object.keys(transports);
