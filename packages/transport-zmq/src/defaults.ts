/**
 * The tunable numbers of the ZeroMQ transport, named so that docs/protocol.md,
 * the options and the tests all point at one place.
 */

/**
 * How often an idle client sends a PING. Idle means it has neither sent nor
 * received anything for half this interval, so a busy connection never pays
 * for heartbeats.
 */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * How long a side waits without receiving anything before it declares the
 * peer dead. Three intervals, so one or two lost or late heartbeats do not
 * close a healthy connection.
 */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 3_000;

/** How long `dial` waits for the server's WELCOME before it gives up. ZeroMQ's own connect never fails. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/**
 * How long a closed socket keeps trying to deliver what was queued (the last
 * messages and the GOODBYE). Bounded because libzmq's default (-1) would keep
 * the process from exiting while a vanished peer never takes them.
 */
export const CLOSE_LINGER_MS = 1_000;

/**
 * How many messages the server lets pile up for one peer that does not read.
 * Past this the peer is closed rather than letting one slow client either
 * block every other client (the ROUTER has one send queue) or eat all memory.
 */
export const ROUTER_SEND_HIGH_WATER_MARK = 100_000;

/**
 * Frames up to this many times `maxMessageBytes` are read whole, so that the
 * transport can drop them, tell the peer why and report the close. Anything
 * bigger is cut by libzmq itself (ZMQ_MAXMSGSIZE) to bound memory; libzmq then
 * drops the peer silently and the close is noticed by heartbeat or on send.
 */
export const OVERSIZED_FRAME_READ_FACTOR = 4;

/**
 * After the client's socket reports a TCP disconnect, how long it waits for a
 * GOODBYE that may still be in flight before reporting the server as lost.
 * The GOODBYE and the disconnect notice travel on different sockets, so
 * their order is not guaranteed.
 */
export const DISCONNECT_GRACE_MS = 100;
