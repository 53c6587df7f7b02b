/**
 * Stable error codes. They appear on the wire (`{"op":"error","code":...}`),
 * in the SDK's typed errors and in docs/protocol.md. Never rename one: clients
 * in other languages match on them.
 */
export const ErrorCode = {
  /** The message is not valid JSON (or not valid UTF-8). */
  BAD_JSON: 'BAD_JSON',
  /** The message is JSON but not an object. */
  BAD_MESSAGE: 'BAD_MESSAGE',
  /** `op` names no operation this server knows. */
  UNKNOWN_OP: 'UNKNOWN_OP',
  /** A required field is absent. */
  MISSING_FIELD: 'MISSING_FIELD',
  /** A field has the wrong type or is out of range. */
  BAD_FIELD: 'BAD_FIELD',
  /** The resource name breaks the naming rule (see docs/protocol.md). */
  BAD_RESOURCE_NAME: 'BAD_RESOURCE_NAME',
  /** The frame was larger than MAX_MESSAGE_BYTES; the connection is closed. */
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  /** Release of a lock this session does not hold (never held, already released, or lost). */
  NOT_HELD: 'NOT_HELD',
  /** Release naming a token that belongs to another session's lock. */
  FOREIGN_TOKEN: 'FOREIGN_TOKEN',
  /** The resource's queue already holds MAX_QUEUE_LENGTH waiters. */
  QUEUE_FULL: 'QUEUE_FULL',
  /** The session already has MAX_REQUESTS_PER_SESSION requests. */
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  /** An acquire reused the id of a request of this session that is still waiting. */
  DUPLICATE_REQUEST: 'DUPLICATE_REQUEST',
  /** Cancel of a request that is not waiting (granted, ended, or never made). */
  UNKNOWN_REQUEST: 'UNKNOWN_REQUEST',
  /** Resume of a session that does not exist (expired, closed, or never opened) or with the wrong secret. */
  UNKNOWN_SESSION: 'UNKNOWN_SESSION',
  /** A request other than `hello` or `status` on a connection that has no session yet: send `hello` first. */
  NO_SESSION: 'NO_SESSION',
  /** In an exactly-once session, a request whose `seq` is more than one past the last applied (docs/protocol.md 3.1). */
  BAD_SEQUENCE: 'BAD_SEQUENCE',
  /** `hello` sent on a connection that already has a session. */
  SESSION_EXISTS: 'SESSION_EXISTS',
  /** The session ended (lease expired or closed); open a new one. */
  SESSION_ENDED: 'SESSION_ENDED',
  /** The client speaks a protocol version this server does not. */
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  /** An admin operation without the right admin token. */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** The server is at MAX_CONNECTIONS. */
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  /** The server is shutting down: pushed to every connection (docs/protocol.md 3.2). */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** `hello` for a new session while the server already keeps MAX_SESSIONS sessions; resuming one still works. */
  TOO_MANY_SESSIONS: 'TOO_MANY_SESSIONS',
  /**
   * This coordinator is a follower in a group (docs/protocol.md 3.4): it serves
   * no request. The error's `leader` names the leader's address when one is elected.
   */
  NOT_LEADER: 'NOT_LEADER',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Thrown when the embedding program misuses the core (a bug in the caller),
 * as opposed to a peer sending bad input, which becomes a `rejected` effect.
 */
export class CoreMisuseError extends Error {
  override readonly name = 'CoreMisuseError';
}
