/**
 * The numbers and names of docs/protocol.md the oracle holds the server to,
 * in one place. The error codes are copied from the spec's table (section 6)
 * rather than taken from `ErrorCode`, so that a code the server invents is
 * caught even if it was added to the core's list; a unit test
 * (test/spec.test.ts) checks this copy against the table in the document.
 * The limits are the core's constants, which the spec names.
 */
import {
  DEFAULT_LEASE_MS,
  MAX_ADMIN_TOKEN_LENGTH,
  MAX_BAD_MESSAGES_PER_SECOND,
  MAX_CLIENT_NAME_LENGTH,
  MAX_LEASE_MS,
  MAX_LOCK_DELAY_MS,
  MAX_MESSAGE_BYTES,
  MAX_REQUEST_ID_LENGTH,
  MAX_RESOURCE_NAME_LENGTH,
  MAX_SECRET_LENGTH,
  MAX_SESSION_ID_LENGTH,
  MAX_STATUS_REPLY_BYTES,
  MAX_STATUS_RESOURCES,
  MAX_STATUS_SESSIONS,
  MAX_PENDING_STATUS_PER_CONNECTION,
  MAX_UNACKNOWLEDGED_MESSAGES,
  MAX_WAIT_MS,
  MIN_LEASE_MS,
  PRE_SESSION_IDLE_MS,
  STATUS_INLINE_RESOURCES,
} from '@baton/core';

/** Every code of docs/protocol.md section 6, in the table's order. */
export const SPEC_ERROR_CODES = [
  'BAD_JSON',
  'BAD_MESSAGE',
  'UNKNOWN_OP',
  'MISSING_FIELD',
  'BAD_FIELD',
  'BAD_RESOURCE_NAME',
  'MESSAGE_TOO_LARGE',
  'NOT_HELD',
  'FOREIGN_TOKEN',
  'QUEUE_FULL',
  'TOO_MANY_REQUESTS',
  'DUPLICATE_REQUEST',
  'UNKNOWN_REQUEST',
  'NO_SESSION',
  'SESSION_EXISTS',
  'UNKNOWN_SESSION',
  'BAD_SEQUENCE',
  'SESSION_ENDED',
  'UNSUPPORTED_VERSION',
  'UNAUTHORIZED',
  'TOO_MANY_CONNECTIONS',
  'SHUTTING_DOWN',
  'TOO_MANY_SESSIONS',
  'NOT_LEADER',
] as const;

export type SpecErrorCode = (typeof SPEC_ERROR_CODES)[number];

const CODES: ReadonlySet<string> = new Set(SPEC_ERROR_CODES);

export function isSpecErrorCode(code: unknown): code is SpecErrorCode {
  return typeof code === 'string' && CODES.has(code);
}

/** The requests of docs/protocol.md sections 3-5. */
export const REQUEST_OPS = ['hello', 'acquire', 'release', 'cancel', 'keepalive', 'goodbye', 'status', 'force-release'] as const;
export type RequestOp = (typeof REQUEST_OPS)[number];

const OPS: ReadonlySet<string> = new Set(REQUEST_OPS);

export function isRequestOp(op: string): op is RequestOp {
  return OPS.has(op);
}

/** Requests that carry `seq` in an exactly-once session (3.1: all but hello and status). */
export function isSequenced(op: string | undefined): boolean {
  return op !== 'hello' && op !== 'status';
}

/** Requests that need no session (3: status and force-release). */
export function needsSession(op: RequestOp): boolean {
  return op !== 'status' && op !== 'force-release' && op !== 'hello';
}

/** The limits the oracle checks, by their spec names. */
export const LIMITS = {
  MAX_MESSAGE_BYTES,
  MAX_REQUEST_ID_LENGTH,
  MAX_RESOURCE_NAME_LENGTH,
  MAX_CLIENT_NAME_LENGTH,
  MAX_SESSION_ID_LENGTH,
  MAX_SECRET_LENGTH,
  MAX_ADMIN_TOKEN_LENGTH,
  MIN_LEASE_MS,
  MAX_LEASE_MS,
  DEFAULT_LEASE_MS,
  MAX_WAIT_MS,
  MAX_LOCK_DELAY_MS,
  MAX_BAD_MESSAGES_PER_SECOND,
  PRE_SESSION_IDLE_MS,
  MAX_STATUS_REPLY_BYTES,
  MAX_STATUS_RESOURCES,
  MAX_STATUS_SESSIONS,
  MAX_UNACKNOWLEDGED_MESSAGES,
  STATUS_INLINE_RESOURCES,
  MAX_PENDING_STATUS_PER_CONNECTION,
  /** docs/protocol.md 2.1: a handshaken zmq peer is closed after this long without a frame. */
  HEARTBEAT_TIMEOUT_MS: 3_000,
  /** docs/protocol.md 3.3: the window MAX_BAD_MESSAGES_PER_SECOND counts in. */
  BAD_MESSAGE_WINDOW_MS: 1_000,
} as const;

/** The zmq control frames of docs/protocol.md 2.1. */
export const CONTROL = {
  HELLO: Buffer.from([0x00, 0x01, 0x01]),
  WELCOME: Buffer.from([0x00, 0x02, 0x01]),
  PING: Buffer.from([0x00, 0x03]),
  PONG: Buffer.from([0x00, 0x04]),
  GOODBYE: Buffer.from([0x00, 0x05]),
} as const;

/** A fencing token as docs/protocol.md 4 gives it: the decimal string of an unsigned 64-bit integer (never 0: tokens start at 1). */
export function isFencingToken(value: unknown): value is string {
  return typeof value === 'string' && /^[1-9][0-9]{0,19}$/.test(value) && BigInt(value) <= 0xffff_ffff_ffff_ffffn;
}

/**
 * The order of fields in the server's messages as docs/protocol.md shows them
 * (section 1: "the server writes its messages in the order this page shows
 * them (welcome included)"), from the examples of sections 3, 3.1, 4, 5 and 6.
 * Fields no example shows (status's nextOffset) are not placed.
 */
export const SPEC_FIELD_ORDER: Record<string, readonly string[]> = {
  welcome: ['op', 'id', 'v', 'session', 'secret', 'leaseMs', 'resumed', 'exactlyOnce', 'applied', 'sn'],
  queued: ['op', 'id', 'resource', 'mode', 'position', 'sn'],
  granted: ['op', 'id', 'resource', 'mode', 'token', 'waitedMs', 'sn'],
  released: ['op', 'id', 'resource', 'token', 'sn'],
  timeout: ['op', 'id', 'resource', 'sn'],
  cancelled: ['op', 'id', 'target', 'resource', 'sn'],
  lost: ['op', 'resource', 'token', 'reason', 'sn'],
  alive: ['op', 'id', 'leaseMs', 'sn'],
  bye: ['op', 'id'],
  status: ['op', 'id', 'totalResources', 'offset', 'totalSessions', 'resources', 'sessions'],
  'force-released': ['op', 'id', 'resource', 'tokens', 'sn'],
  error: ['op', 'id', 'code', 'message', 'sn'],
};

/** Undefined when the keys of a server message come in the spec's order, else the keys as written. */
export function fieldOrderProblem(op: string, keys: readonly string[]): string | undefined {
  const order = SPEC_FIELD_ORDER[op];
  if (!order) return undefined;
  let last = -1;
  for (const name of keys) {
    const place = order.indexOf(name);
    if (place === -1) continue;
    if (place < last) return `fields written ${keys.join(',')}; the spec shows ${order.join(',')}`;
    last = place;
  }
  return undefined;
}
