import type { Transport } from '@baton/transport';
import { tcpTransport } from '@baton/transport-tcp';
import { wsTransport } from '@baton/transport-ws';
import { zmqTransport } from '@baton/transport-zmq';

/** The transports lock-client can speak, by the name `--transport` uses. */
export const transports: Record<string, Transport> = {
  zmq: zmqTransport,
  tcp: tcpTransport,
  ws: wsTransport,
};

export const TRANSPORT_NAMES = Object.keys(transports);
