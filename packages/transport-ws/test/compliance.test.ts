import { describeTransportCompliance } from '@baton/transport-compliance';
import { wsTransport } from '../src/index.js';

describeTransportCompliance({ name: 'ws', transport: wsTransport, repliesBeforeOversizeClose: true });
