/**
 * @baton/transport-zmq — Baton over ZeroMQ (ROUTER server, DEALER clients),
 * with a small control protocol for handshake, heartbeats and goodbye.
 *
 * @example
 * ```ts
 * import { zmqTransport } from '@baton/transport-zmq';
 * const listener = await zmqTransport.listen({ host: '127.0.0.1', port: 0, onConnection: (connection) => {} });
 * const connection = await zmqTransport.dial({ host: '127.0.0.1', port: listener.port });
 * ```
 */
export * from './defaults.js';
export {
  CONTROL_FRAME_MARKER,
  CONTROL_PROTOCOL_VERSION,
  ControlFrameType,
  type ControlFrameTypeValue,
  HELLO_FRAME,
  WELCOME_FRAME,
  PING_FRAME,
  PONG_FRAME,
  goodbyeFrame,
  goodbyeReason,
  isControlFrame,
} from './control-frame.js';
export type { ZmqDialOptions, ZmqHeartbeatOptions, ZmqListenOptions } from './zmq-options.js';
export { ZmqClientConnection } from './zmq-client-connection.js';
export { ZmqServerConnection } from './zmq-server-connection.js';
export { ZmqListener } from './zmq-listener.js';
export { createZmqTransport, ZmqTransport, zmqTransport } from './zmq-transport.js';
