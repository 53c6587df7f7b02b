import { memoryTransport } from '@baton/transport-memory';
import { describeLockCompliance, describeTransportCompliance } from '../src/index.js';

// The memory transport's compliance run lives here rather than in
// @baton/transport-memory: this package depends on the memory transport (for
// the lock scenarios), so the reverse dependency would make a cycle.
const target = { name: 'memory', transport: memoryTransport, repliesBeforeOversizeClose: true };
describeTransportCompliance(target);
describeLockCompliance(target);
