import { describeLockCompliance, describeTransportCompliance } from '@baton/transport-compliance';
import { wsTransport } from '../src/index.js';

const target = { name: 'ws', transport: wsTransport, repliesBeforeOversizeClose: true };
describeTransportCompliance(target);
describeLockCompliance(target);
