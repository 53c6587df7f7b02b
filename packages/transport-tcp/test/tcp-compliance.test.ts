import { describeTransportCompliance } from '@baton/transport-compliance';
import { tcpTransport } from '../src/index.js';

describeTransportCompliance({ name: 'tcp', transport: tcpTransport, repliesBeforeOversizeClose: true });
