/**
 * The tunable numbers of the WebSocket transport, named so that the options,
 * docs/protocol.md and the tests point at one place.
 */

/**
 * How often the server pings each client. A client that has not answered the
 * previous ping (nor sent anything) by the next one is terminated, so a dead
 * peer is noticed within two intervals even when TCP never reports it.
 */
export const DEFAULT_PING_INTERVAL_MS = 15_000;

/** How long `dial` waits for the WebSocket handshake before it gives up. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** The HTTP path the server upgrades on when none is given. */
export const DEFAULT_PATH = '/';

/**
 * Messages up to this many times `maxMessageBytes` are read whole so that the
 * peer can be sent `oversizedReply` before the 1009 close; `ws` itself cuts
 * anything bigger (its `maxPayload`) to bound memory, with a 1009 close but
 * no reply, because it closes before the application sees the message.
 */
export const OVERSIZED_MESSAGE_READ_FACTOR = 4;

/**
 * How long `Listener.close()` waits for a client to answer the close
 * handshake before it terminates the TCP connection; `ws` alone would wait 30 s.
 */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 5_000;
