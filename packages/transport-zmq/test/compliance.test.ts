import { describeLockCompliance, describeTransportCompliance } from '@baton/transport-compliance';
import { zmqTransport } from '../src/index.js';

const target = { name: 'zmq', transport: zmqTransport, repliesBeforeOversizeClose: true };
describeTransportCompliance(target);
describeLockCompliance(target);
