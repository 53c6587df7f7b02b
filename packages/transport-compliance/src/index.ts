/**
 * @baton/transport-compliance — the suite every Baton transport passes, and
 * the helpers it is built from, for transport tests of their own.
 *
 * @example
 * ```ts
 * // test/compliance.test.ts of a transport package
 * import { describeTransportCompliance } from '@baton/transport-compliance';
 * describeTransportCompliance({ name: 'tcp', transport: tcpTransport, repliesBeforeOversizeClose: true });
 * ```
 */
export type { ComplianceTarget } from './compliance-target.js';
export { describeTransportCompliance } from './describe-transport-compliance.js';
export { describeLockCompliance } from './describe-lock-compliance.js';
export { describeBackpressureCompliance, type BackpressureTarget, type PausedPeer } from './describe-backpressure-compliance.js';
export { AsyncQueue } from './async-queue.js';
export { collect, UNDECODABLE_PREFIX, type CollectedConnection } from './collect.js';
export { LinkProxy } from './link-proxy.js';
export { messageOfBytes } from './message-of-bytes.js';
export {
  TransportHarness,
  type ConnectedPair,
  type HarnessListenOptions,
  type OpenListener,
} from './transport-harness.js';
