import { describeLockCompliance, describeTransportCompliance } from '@baton/transport-compliance';
import { createWsTransport, wsTransport } from '../src/index.js';

const target = {
  name: 'ws',
  transport: wsTransport,
  repliesBeforeOversizeClose: true,
  overTcp: true,
  handshake: true,
  // The server pings; a browser cannot, so only the listening end notices a frozen link.
  heartbeat: { side: 'listening' as const, transport: createWsTransport({ pingIntervalMs: 150 }) },
};
describeTransportCompliance(target);
describeLockCompliance(target);
