import { describeLockCompliance, describeTransportCompliance } from '@baton/transport-compliance';
import { createZmqTransport, zmqTransport } from '../src/index.js';

const target = {
  name: 'zmq',
  transport: zmqTransport,
  repliesBeforeOversizeClose: true,
  // A ZeroMQ connect never fails by itself: a dial to nothing waits for its WELCOME until connectTimeoutMs.
  nothingListening: 'CONNECT_TIMEOUT' as const,
  overTcp: true,
  handshake: true,
  // The dialing end's own heartbeats notice; the server's libzmq may drop the link first (PEER_GONE there).
  heartbeat: { side: 'dialing' as const, transport: createZmqTransport({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 300 }) },
};
describeTransportCompliance(target);
describeLockCompliance(target);
