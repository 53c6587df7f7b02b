/**
 * Why a connection ended, or a dial failed, as a stable code.
 *
 * Every transport reports the end of a connection through `onClose(error)`
 * and a failed dial through a rejected promise; the message says what
 * happened in that transport's words (a WebSocket close code, a ZeroMQ
 * GOODBYE reason, a socket errno), the code says it in words a program can
 * match on, the same for every transport. The compliance suite
 * (`@baton/transport-compliance`) checks each code on every transport that
 * can produce it. Codes are stable: new ones may be added, none renamed.
 */
export const TransportErrorCode = {
  /** A message over `maxMessageBytes` arrived; the receiving side closed the connection. */
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  /** The link ended without a clean close: reset, lost, or the peer vanished. */
  PEER_GONE: 'PEER_GONE',
  /** The peer answered no heartbeat (zmq PING, WebSocket ping) in time: it is stopped or unreachable. */
  HEARTBEAT_TIMEOUT: 'HEARTBEAT_TIMEOUT',
  /** A dial: nothing completed the connection (and its handshake, where the transport has one) within `connectTimeoutMs`. */
  CONNECT_TIMEOUT: 'CONNECT_TIMEOUT',
  /** A dial: the other side refused (nothing listens, or the server said no). */
  CONNECT_REFUSED: 'CONNECT_REFUSED',
  /** The peer does not read what is sent to it, past the transport's bound; the sending side closed the connection. */
  PEER_NOT_READING: 'PEER_NOT_READING',
  /** The peer closed the connection and said it was an error (a reason, a close code other than normal). */
  CLOSED_WITH_ERROR: 'CLOSED_WITH_ERROR',
  /** The peer broke the transport's framing or control protocol. */
  PROTOCOL_ERROR: 'PROTOCOL_ERROR',
  /** The local listener or socket was closed or failed underneath the connection. */
  LOCAL_FAILURE: 'LOCAL_FAILURE',
} as const;

export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/** An end of a connection or a failed dial, with a {@link TransportErrorCode}. */
export class TransportError extends Error {
  override readonly name = 'TransportError';

  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for a {@link TransportError}, and, given `code`, one with that code. */
export function isTransportError(error: unknown, code?: TransportErrorCode): error is TransportError {
  return error instanceof TransportError && (code === undefined || error.code === code);
}

/**
 * The code of a Node.js socket error (`error.code` of node:net and ws):
 * refusals at dial time, resets and broken pipes later.
 */
export function codeOfSocketError(error: unknown, dialing: boolean): TransportErrorCode {
  const errno = (error as { code?: unknown } | null)?.code;
  if (errno === 'ETIMEDOUT') return dialing ? TransportErrorCode.CONNECT_TIMEOUT : TransportErrorCode.PEER_GONE;
  if (dialing) return TransportErrorCode.CONNECT_REFUSED;
  return TransportErrorCode.PEER_GONE;
}

/** `error` as a TransportError: itself when it is one, else wrapped with `code` (the original kept as `cause`). */
export function asTransportError(error: unknown, code: TransportErrorCode): TransportError {
  if (error instanceof TransportError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TransportError(code, message, { cause: error });
}
