/**
 * The dashboard feed: what the server pushes to a dashboard page over the
 * WebSocket at {@link DASHBOARD_FEED_PATH}. It is one-way (the server
 * ignores anything the page sends) and read-only: taking a lock away is done
 * with the Baton protocol's `force-release` on the ordinary endpoint.
 *
 * On connect the server sends `hello`, then the whole state as one or more
 * `snapshot` messages (the first has `part: 0` and replaces everything the
 * page knew, the last has `last: true`), then `update` messages with the
 * resources that changed, batched (at most one batch every
 * {@link FEED_FLUSH_INTERVAL_MS}, less often when batches are large). Every
 * message is one JSON text of at most {@link FEED_MAX_MESSAGE_BYTES} bytes, so
 * 10,000 busy resources arrive as many small messages rather than one huge
 * one. A page that falls behind is skipped and then sent a fresh snapshot.
 *
 * Times are Unix epoch milliseconds by the server's clock; every message
 * carries `serverTime` so a page can correct for its own clock's offset.
 */

/** The HTTP path of the feed's WebSocket, on the same port as the Baton ws endpoint (which stays on `/`). */
export const DASHBOARD_FEED_PATH = '/dashboard/feed';

/** Version of this feed, in `hello`. */
export const FEED_VERSION = 1;

/** No feed message is longer than this (UTF-8 bytes). */
export const FEED_MAX_MESSAGE_BYTES = 65_536;

/** Per resource, at most this many waiters (from the head of the queue) and holders are sent; `waiting` and `holding` count all. */
export const FEED_MAX_WAITERS = 100;
export const FEED_MAX_HOLDERS = 100;

/**
 * A page is sent at most this many resources: all of them while no more are
 * busy, else the busiest (the order of a `status`). `stats.resources` still
 * counts every busy resource, so a page can say how many it does not show.
 */
export const FEED_MAX_RESOURCES = 10_000;

/**
 * While more resources are busy than a page is sent, the feed re-ranks them
 * (a sliced ordering of every busy resource, about a second of work at a
 * million) at most this often, and never more often than ten times as long
 * as the last ranking took, so it costs at most a tenth of the server's time.
 */
export const FEED_RERANK_INTERVAL_MS = 10_000;

/** How many seconds of grants-per-second history the server keeps and sends. */
export const GRANT_HISTORY_SECONDS = 60;

/** Shortest time between two update batches. */
export const FEED_FLUSH_INTERVAL_MS = 100;

export type FeedLockMode = 'shared' | 'exclusive';

export interface FeedHolder {
  session: string;
  client: string;
  mode: FeedLockMode;
  /** Fencing token, a decimal string. */
  token: string;
  /** When it was granted. */
  grantedAt: number;
}

export interface FeedWaiter {
  session: string;
  client: string;
  mode: FeedLockMode;
  /** When it joined the queue. */
  since: number;
  /** When the wait times out, if it has a waitMs. */
  deadline?: number;
}

/** One resource with holders, waiters, or a lock-delay in force. */
export interface FeedResource {
  name: string;
  /** At most FEED_MAX_HOLDERS. */
  holders: FeedHolder[];
  /** All holders. */
  holding: number;
  /** The head of the queue, in order: at most FEED_MAX_WAITERS. */
  waiters: FeedWaiter[];
  /** All waiters. */
  waiting: number;
  /** Set while a lock-delay keeps the resource from being granted. */
  blockedUntil?: number;
}

export interface FeedStats {
  sessions: number;
  /** Resources with holders or waiters. */
  resources: number;
  holders: number;
  waiters: number;
  /** Baton connections, all transports together. */
  connections: number;
  lastToken: string | undefined;
  /** Grants since the feed started. */
  grantsTotal: number;
}

/** Grants per second: `[unixSecond, count]`. */
export type GrantBucket = [second: number, count: number];

export interface FeedHelloMessage {
  type: 'hello';
  v: number;
  serverTime: number;
  /** Whether the server was started with an admin token (so force-release can work at all). */
  adminEnabled: boolean;
  maxWaiters: number;
  maxHolders: number;
  historySeconds: number;
  /** Most resources this page is sent (FEED_MAX_RESOURCES): past it, the busiest; `stats.resources` counts all. */
  maxResources: number;
}

export interface FeedSnapshotMessage {
  type: 'snapshot';
  serverTime: number;
  /** 0 for the first message of a snapshot: forget everything known before. */
  part: number;
  /** True on the snapshot's last message; `stats` and `grants` come with it. */
  last: boolean;
  resources: FeedResource[];
  stats?: FeedStats;
  /** The whole history on the last part. */
  grants?: GrantBucket[];
}

export interface FeedUpdateMessage {
  type: 'update';
  serverTime: number;
  /** Resources that changed, as they are now. */
  resources: FeedResource[];
  /** Resources that have neither holders nor waiters any more. */
  removed: string[];
  /** Only on the last message of a batch. */
  stats?: FeedStats;
  /** Buckets that changed since the previous batch (their full counts); only on the last message of a batch. */
  grants?: GrantBucket[];
}

export type FeedMessage = FeedHelloMessage | FeedSnapshotMessage | FeedUpdateMessage;
