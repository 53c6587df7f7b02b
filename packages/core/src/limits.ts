/**
 * Every limit Baton enforces, as a named number. docs/protocol.md lists the
 * same values; change both together.
 */

/** Largest message (one JSON text, UTF-8 bytes) a transport accepts. Larger frames close the connection. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * Longest resource name, in UTF-8 bytes: bytes, not characters, so that a
 * client in any language counts the same. Room for the names users already
 * have (`locks:tenant-7:invoice/2026-11`); not tied to file-name limits,
 * because lock-client maps each name to a bounded file name itself
 * (apps/client/src/resource-file.ts).
 */
export const MAX_RESOURCE_NAME_LENGTH = 512;

/** Longest client name, in UTF-8 bytes (free text shown in logs, status replies and the dashboard). */
export const MAX_CLIENT_NAME_LENGTH = 64;

/** Longest string request id, in UTF-8 bytes; numeric ids must be safe integers. */
export const MAX_REQUEST_ID_LENGTH = 64;

/** Most requests that may wait in one resource's queue; more are refused with QUEUE_FULL. */
export const MAX_QUEUE_LENGTH = 10_000;

/** Most requests (held or waiting) one session may have at once; more are refused with TOO_MANY_REQUESTS. */
export const MAX_REQUESTS_PER_SESSION = 100_000;

/** Lease given to a session that does not ask for one. */
export const DEFAULT_LEASE_MS = 10_000;

/** Shortest lease a session may ask for. */
export const MIN_LEASE_MS = 1_000;

/** Longest lease a session may ask for. */
export const MAX_LEASE_MS = 5 * 60_000;

/** Longest `waitMs` an acquire may ask for; leave `waitMs` out to wait without limit. */
export const MAX_WAIT_MS = 24 * 60 * 60_000;

/** Longest lock-delay an acquire may ask for. */
export const MAX_LOCK_DELAY_MS = 60_000;

/** How many fencing tokens the coordinator reserves per persisted high-water mark. */
export const TOKEN_RESERVATION_BLOCK = 1_000n;

/** Most simultaneous connections one server accepts (all transports together). */
export const MAX_CONNECTIONS = 20_000;

/** Most messages buffered for a session whose connection dropped, waiting for it to resume. */
export const MAX_DETACHED_OUTBOX = 10_000;

/**
 * Most messages the server keeps for an exactly-once session until the client
 * acknowledges them (docs/protocol.md 3.1); past it the session is ended.
 */
export const MAX_UNACKNOWLEDGED_MESSAGES = 10_000;

/** A client of an exactly-once session acknowledges at least once per this many messages received. */
export const ACK_INTERVAL_MESSAGES = 1_000;

/** How long a stopping server waits for its connections to flush the SHUTTING_DOWN notice before it closes them. */
export const SHUTDOWN_DRAIN_MS = 2_000;

/** Most resources one `status` reply lists (one page; ask for the next with `offset`). */
export const MAX_STATUS_RESOURCES = 100;

/** Most holders listed per resource in a `status` reply; `holding` gives the full count. */
export const MAX_STATUS_HOLDERS = 100;

/** Most waiters listed per resource in a `status` reply for every resource (the queue's head); `waiting` gives the full count. */
export const MAX_STATUS_WAITERS = 20;

/** Most waiters listed in a `status` reply that names one resource. */
export const MAX_STATUS_WAITERS_ONE_RESOURCE = 300;

/** Most sessions one `status` reply lists; `totalSessions` says how many there are. */
export const MAX_STATUS_SESSIONS = 100;

/** A `status` reply stops adding resources before its JSON text passes this size, so it always fits in one message. */
export const MAX_STATUS_REPLY_BYTES = 60_000;

/**
 * A `status` of every resource with more busy resources than this is
 * computed in slices (STATUS_WORK_PER_SLICE at a time, other connections
 * served in between) instead of in one piece: ordering a million resources
 * takes about a second. Below it, the reply is computed at once.
 */
export const STATUS_INLINE_RESOURCES = 10_000;

/** Units of work (a resource read, compared or moved) per slice of a sliced `status`: a few milliseconds. */
export const STATUS_WORK_PER_SLICE = 50_000;

/**
 * Most sliced `status` requests one connection may have waiting for their
 * reply; more get TOO_MANY_REQUESTS. Requests that arrive while a build runs
 * share the next one, so this bounds the queue, not the work.
 */
export const MAX_PENDING_STATUS_PER_CONNECTION = 8;

/** Protocol version spoken by this release. */
export const PROTOCOL_VERSION = 1;

/**
 * Longest session id a `hello` may resume with, in UTF-8 bytes, and so the
 * longest a `welcome` may give (the server's own ids are far shorter).
 */
export const MAX_SESSION_ID_LENGTH = 128;

/** Longest session secret a `hello` may resume with, in UTF-8 bytes, and so the longest a `welcome` may give. */
export const MAX_SECRET_LENGTH = 256;

/** Longest `adminToken` a `force-release` may carry, in UTF-8 bytes: longer ones are refused before any comparison. */
export const MAX_ADMIN_TOKEN_LENGTH = 256;

/**
 * Most units of expiry work (leases ended, locks taken back, waits timed out,
 * grants they allow: one unit per deadline taken and per effect it causes) one
 * call of the lock machine does before it applies its input. The rest stays
 * due, `nextDeadline()` says so, and the coordinator comes back at once on a
 * zero-delay timer, so a mass expiry (1.3 M locks stalled the event loop for
 * 22 s) runs in slices with the sockets served in between. 1,000 units are
 * about a millisecond of work on the coordinator. One deadline is never split:
 * a session's end with all its locks is one step (at most
 * MAX_REQUESTS_PER_SESSION locks).
 */
export const MAX_EXPIRIES_PER_TICK = 1_000;

/**
 * Most sessions one server keeps at once, attached or detached (a detached
 * session lives until its lease ends). A new `hello` beyond it is refused with
 * TOO_MANY_SESSIONS; resuming an existing session still works. Room for
 * MAX_CONNECTIONS attached sessions and as many again detached.
 */
export const MAX_SESSIONS = 40_000;

/**
 * Most simultaneous connections from one peer host (the host part of
 * `Connection.remoteAddress`; transports that report no IP address, such as
 * zmq's routing ids, are not counted per host). Beyond it the connection is
 * refused like one beyond MAX_CONNECTIONS. Half of MAX_CONNECTIONS: one host
 * cannot take every slot, and the benchmark's 10,000 sessions from one host
 * still fit.
 */
export const MAX_CONNECTIONS_PER_ADDRESS = 10_000;

/**
 * How long a connection may stay open without a session (from its accept, or
 * from the end of its session) before the server closes it. Long enough for
 * a slow handshake and a `status` request or two; short enough that idle
 * sockets cannot pile up to MAX_CONNECTIONS.
 */
export const PRE_SESSION_IDLE_MS = 10_000;

/**
 * Most bad messages (unreadable, invalid, or a request before `hello`) one
 * connection may send per second; past it the server answers once more and
 * closes the connection. A correct client sends none; a broken one finds out
 * from the first error.
 */
export const MAX_BAD_MESSAGES_PER_SECOND = 100;

/**
 * Most log lines per second about peers' errors (bad messages, refused
 * requests and connections), all connections together. Past it the server
 * writes one summary line per second instead ("suppressed N bad-message
 * lines"), so a flood of bad input cannot fill the disk.
 */
export const PEER_ERROR_LOG_LINES_PER_SECOND = 20;

/**
 * Most `LOST` log lines per second (a lock taken back from a session whose
 * lease ended), at `warn`. Past it one summary line per second says how many
 * were not written ("suppressed N LOST lines"); the session's own
 * `session-ended` line still counts the locks it released. Written
 * synchronously, one line per lock made the expiry of 100,000 locks stall
 * the event loop for 300 ms.
 */
export const LOCK_LOSS_LOG_LINES_PER_SECOND = 100;

/**
 * Bytes of replies a stream connection (tcp, ws) may have waiting to be sent
 * before the server stops reading that connection's requests. A client that
 * sends requests without reading the replies thus stalls itself instead of
 * growing the server (30,000 unread `status` replies took it from 93 MiB to
 * 2.2 GiB). Reading resumes once the socket has drained what was queued.
 * 1 MiB is hundreds of ordinary replies in flight, far more than a reading
 * client ever has queued.
 */
export const MAX_UNSENT_BYTES_BEFORE_PAUSE = 1024 * 1024;

/**
 * Bytes of messages a stream connection (tcp, ws) may have waiting to be sent
 * at all; past it the connection is closed (its session is kept until its
 * lease ends, as after any dropped connection). Reading has stopped long
 * before (MAX_UNSENT_BYTES_BEFORE_PAUSE), so only what the server pushes by
 * itself (grants, losses) and the replies to requests already read can get
 * here: a client that reads nothing at all. With MAX_CONNECTIONS connections
 * this bounds the server's send buffers at 8 MiB each.
 */
export const MAX_UNSENT_BYTES_PER_CONNECTION = 8 * 1024 * 1024;
