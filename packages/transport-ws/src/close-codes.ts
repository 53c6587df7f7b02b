import { TransportError, TransportErrorCode } from '@baton/transport';

/** The WebSocket close codes (RFC 6455 section 7.4.1) this transport sends or interprets. */
export const CloseCode = {
  /** Either side closed on purpose. */
  normal: 1000,
  /** The server is shutting down (its listener closed). */
  goingAway: 1001,
  /** A close frame without a code; treated as a normal close. */
  noStatus: 1005,
  /** No close frame at all: the TCP connection just ended. */
  abnormal: 1006,
  /** A message exceeded the size limit. */
  messageTooBig: 1009,
} as const;

/**
 * The error to report for a close received from the peer, or `undefined`
 * when it was a deliberate, clean close: 1006 (no close frame) is
 * `PEER_GONE`, 1009 `MESSAGE_TOO_LARGE` (what this side sent was too
 * large for the peer), any other code `CLOSED_WITH_ERROR`.
 */
export function closeError(code: number, reason: string): TransportError | undefined {
  if (code === CloseCode.normal || code === CloseCode.goingAway || code === CloseCode.noStatus) return undefined;
  if (code === CloseCode.abnormal) return new TransportError(TransportErrorCode.PEER_GONE, 'the connection was lost without a close handshake (1006)');
  const because = reason === '' ? '' : `: ${reason}`;
  if (code === CloseCode.messageTooBig) return new TransportError(TransportErrorCode.MESSAGE_TOO_LARGE, `the peer closed the connection: message too big (1009)${because}`);
  return new TransportError(TransportErrorCode.CLOSED_WITH_ERROR, `the peer closed the connection with code ${String(code)}${because}`);
}

/**
 * An 'error' event of a `ws` WebSocket: a frame over its payload cap is
 * `MESSAGE_TOO_LARGE`, a failed socket under it `PEER_GONE`, anything else
 * (a frame that breaks RFC 6455) `PROTOCOL_ERROR`.
 */
export function errorOfWebSocket(error: Error): TransportError {
  const code = (error as { code?: unknown }).code;
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return new TransportError(TransportErrorCode.MESSAGE_TOO_LARGE, error.message, { cause: error });
  if (typeof code === 'string' && code.startsWith('WS_ERR_')) return new TransportError(TransportErrorCode.PROTOCOL_ERROR, error.message, { cause: error });
  return new TransportError(TransportErrorCode.PEER_GONE, error.message, { cause: error });
}
