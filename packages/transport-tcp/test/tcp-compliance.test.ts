import { describeLockCompliance, describeTransportCompliance } from '@baton/transport-compliance';
import { tcpTransport } from '../src/index.js';

const target = { name: 'tcp', transport: tcpTransport, repliesBeforeOversizeClose: true, overTcp: true };
describeTransportCompliance(target);
describeLockCompliance(target);
