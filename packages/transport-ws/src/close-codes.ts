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
 * when it was a deliberate, clean close.
 */
export function closeError(code: number, reason: string): Error | undefined {
  if (code === CloseCode.normal || code === CloseCode.goingAway || code === CloseCode.noStatus) return undefined;
  if (code === CloseCode.abnormal) return new Error('the connection was lost without a close handshake (1006)');
  if (code === CloseCode.messageTooBig) return new Error(`the peer closed the connection: message too big (1009)${reason === '' ? '' : `: ${reason}`}`);
  return new Error(`the peer closed the connection with code ${String(code)}${reason === '' ? '' : `: ${reason}`}`);
}
