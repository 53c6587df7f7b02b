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

/**
 * How long an HTTP connection to the ws port may take to finish its request
 * headers (the WebSocket handshake, or a dashboard page request). Node's own
 * default is 60 s, checked every 30 s: half-finished handshakes held sockets
 * for 60-90 s. A client on loopback or a LAN finishes in milliseconds.
 */
export const WS_HANDSHAKE_TIMEOUT_MS = 5_000;

/** How often Node checks for connections past WS_HANDSHAKE_TIMEOUT_MS (its default is 30 s). */
export const HANDSHAKE_CHECK_INTERVAL_MS = 1_000;
