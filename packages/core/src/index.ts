/**
 * @baton/core — the Baton lock state machine. No I/O, no timers, no clock:
 * feed it inputs with the current time, act on the effects it returns.
 *
 * @example
 * ```ts
 * import { LockMachine } from '@baton/core';
 * const machine = new LockMachine();
 * machine.handle({ type: 'open-session', session: 'a' }, 0);
 * const effects = machine.handle({ type: 'acquire', session: 'a', request: 1, resource: 'file_A' }, 0);
 * // effects: [
 * //   { type: 'reserve-tokens', through: '1000' },
 * //   { type: 'granted', session: 'a', request: 1, resource: 'file_A', mode: 'exclusive', token: '1', waitedMs: 0 },
 * // ]
 * ```
 */
export * from './limits.js';
export * from './errors.js';
export * from './inputs.js';
export * from './effects.js';
export * from './resource-name.js';
export * from './lock-machine.js';
export * from './machine-snapshot.js';
export * from './protocol.js';
export * from './server-message-decoder.js';
export * from './min-heap.js';
export * from './first-in-order.js';
