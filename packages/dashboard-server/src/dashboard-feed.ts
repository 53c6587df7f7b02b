/**
 * The dashboard feed's server side: follows a {@link Coordinator} through
 * `subscribe()` and pushes what pages need (see `feed-protocol.ts` in
 * `@baton/dashboard` for the messages).
 *
 * Theory of operation. Events only say *which* resources changed; what a
 * resource looks like is always read back from the coordinator
 * (`inspect(name)`) when a batch is sent, so the page gets whole, correct
 * resources and the feed never re-implements queue rules. Changed names
 * collect in a set until the next flush: at most one every
 * `flushIntervalMs`, and slower while batches are large (pacing to
 * `maxBytesPerSecond`), so a resource that changes 1,000 times between two
 * flushes is sent once. A page whose socket has more than `maxBufferedBytes`
 * unsent is skipped, and gets a fresh snapshot once it has caught up.
 *
 * Pages are sent at most `maxResources` resources (FEED_MAX_RESOURCES): the
 * feed keeps the set it shows. While every busy resource fits, a resource
 * joins it when it becomes busy. Past that, the set is re-ranked — the
 * coordinator's sliced order of every busy resource, as for a `status` — at
 * most every FEED_RERANK_INTERVAL_MS and never in more than a tenth of the
 * time, and pages are told which resources came in and which left. Events
 * on resources outside the set are not sent, so a million busy resources
 * cost a page ten thousand rows, not a million. With no page connected the
 * feed tracks nothing.
 *
 * The waiting requests of a session are not named by its `session-ended`
 * effect, so the feed keeps, per session, the resources it waits on.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { Coordinator, CoordinatorEvent, CoordinatorLogger } from '@baton/server';
import { silentLogger } from '@baton/server';
import type { FeedHelloMessage, FeedResource, FeedStats } from '@baton/dashboard';
import {
  FEED_FLUSH_INTERVAL_MS,
  FEED_MAX_HOLDERS,
  FEED_MAX_MESSAGE_BYTES,
  FEED_MAX_RESOURCES,
  FEED_MAX_WAITERS,
  FEED_RERANK_INTERVAL_MS,
  FEED_VERSION,
  GRANT_HISTORY_SECONDS,
} from '@baton/dashboard';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeBatch, feedResource } from './feed-encoding.js';
import { GrantHistory } from './grant-history.js';

export interface DashboardFeedOptions {
  /** Whether the server has an admin token: the page offers force-release only then. */
  adminEnabled: boolean;
  /** Shortest time between two batches. Default FEED_FLUSH_INTERVAL_MS. */
  flushIntervalMs?: number;
  /** Batches are spaced so that each page is sent at most about this much per second. Default 2 MiB. */
  maxBytesPerSecond?: number;
  /** A page with more than this unsent is skipped until it catches up, then resynchronised. Default 4 MiB. */
  maxBufferedBytes?: number;
  /** Largest feed message. Default FEED_MAX_MESSAGE_BYTES. */
  maxMessageBytes?: number;
  /** Most resources a page is sent (the busiest). Default FEED_MAX_RESOURCES. */
  maxResources?: number;
  /** Shortest time between two re-rankings while more resources are busy than are sent. Default FEED_RERANK_INTERVAL_MS. */
  rerankIntervalMs?: number;
  /** How often pages are pinged; one that does not answer by the next ping is dropped. Default 15 s. */
  pingIntervalMs?: number;
  /** The coordinator's monotonic clock, if it was given its own. Default `performance.now()`, like the coordinator's. */
  clock?: () => number;
  /** Wall clock, epoch ms. Default `Date.now()`. */
  wallClock?: () => number;
  logger?: CoordinatorLogger;
}

interface FeedClient {
  readonly socket: WebSocket;
  /** Skipped batches; needs a fresh snapshot once its buffer drains. */
  stale: boolean;
  alive: boolean;
}

/** Above this many changed resources in one batch, one inspect() of everything is cheaper than one per name. */
const INSPECT_ALL_THRESHOLD = 2_000;

export class DashboardFeed {
  readonly #coordinator: Coordinator;
  readonly #options: Required<Omit<DashboardFeedOptions, 'logger'>> & { logger: CoordinatorLogger };
  readonly #server = new WebSocketServer({ noServer: true, maxPayload: 4_096 });
  readonly #clients = new Set<FeedClient>();
  readonly #grants = new GrantHistory();
  /** session -> resource -> how many of its requests wait there. */
  readonly #waiting = new Map<string, Map<string, number>>();
  readonly #unsubscribe: () => void;
  readonly #pingTimer: NodeJS.Timeout;
  /** The resources pages are sent: at most maxResources, every busy one while they fit. */
  #shown = new Set<string>();
  /** Shown resources that a re-ranking left out: the next batch tells pages they are gone. */
  #unshown = new Set<string>();
  /** Some busy resource is not in #shown: a re-ranking is due. */
  #overflow = false;
  #rankTimer: NodeJS.Timeout | undefined;
  #ranking = false;
  #lastRankEnd = -Infinity;
  #lastRankCost = 0;
  #dirty = new Set<string>();
  #statsChanged = false;
  #timer: NodeJS.Timeout | undefined;
  #lastFlush = -Infinity;
  #pause = 0;
  #closed = false;

  constructor(coordinator: Coordinator, options: DashboardFeedOptions) {
    this.#coordinator = coordinator;
    this.#options = {
      adminEnabled: options.adminEnabled,
      flushIntervalMs: options.flushIntervalMs ?? FEED_FLUSH_INTERVAL_MS,
      maxBytesPerSecond: options.maxBytesPerSecond ?? 2 * 1024 * 1024,
      maxBufferedBytes: options.maxBufferedBytes ?? 4 * 1024 * 1024,
      maxMessageBytes: options.maxMessageBytes ?? FEED_MAX_MESSAGE_BYTES,
      maxResources: options.maxResources ?? FEED_MAX_RESOURCES,
      rerankIntervalMs: options.rerankIntervalMs ?? FEED_RERANK_INTERVAL_MS,
      pingIntervalMs: options.pingIntervalMs ?? 15_000,
      clock: options.clock ?? (() => performance.now()),
      wallClock: options.wallClock ?? (() => Date.now()),
      logger: options.logger ?? silentLogger,
    };
    this.#unsubscribe = coordinator.subscribe((event) => this.#observe(event));
    this.#pingTimer = setInterval(() => this.#ping(), this.#options.pingIntervalMs);
    this.#pingTimer.unref();
  }

  /** Pages connected now. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Take over an HTTP upgrade request for the feed's path. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#closed) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.#server.handleUpgrade(request, socket, head, (webSocket) => this.#accept(webSocket));
  }

  /** Stop following the coordinator and close every page's feed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    clearTimeout(this.#timer);
    clearTimeout(this.#rankTimer);
    clearInterval(this.#pingTimer);
    const closing = [...this.#clients].map(
      (client) =>
        new Promise<void>((resolve) => {
          client.socket.once('close', () => resolve());
          client.socket.terminate();
        }),
    );
    this.#clients.clear();
    await Promise.all(closing);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- pages ----

  #accept(socket: WebSocket): void {
    const client: FeedClient = { socket, stale: false, alive: true };
    this.#clients.add(client);
    socket.on('pong', () => (client.alive = true));
    socket.on('message', () => (client.alive = true));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#clients.delete(client);
      if (this.#clients.size === 0) this.#stopTracking();
    });
    const hello: FeedHelloMessage = {
      type: 'hello',
      v: FEED_VERSION,
      serverTime: this.#options.wallClock(),
      adminEnabled: this.#options.adminEnabled,
      maxWaiters: FEED_MAX_WAITERS,
      maxHolders: FEED_MAX_HOLDERS,
      historySeconds: GRANT_HISTORY_SECONDS,
      maxResources: this.#options.maxResources,
    };
    socket.send(JSON.stringify(hello));
    if (this.#clients.size === 1) this.#startTracking();
    this.#sendSnapshot(client);
  }

  /** The first page connected: choose what to show, at once while everything fits, else by a ranking. */
  #startTracking(): void {
    this.#shown.clear();
    this.#unshown.clear();
    this.#dirty.clear();
    if (this.#coordinator.stats().resources <= this.#options.maxResources) {
      for (const snapshot of this.#coordinator.inspect()) this.#shown.add(snapshot.resource);
      this.#overflow = false;
    } else {
      // Something to show at once, any of them; the ranking that starts now brings the busiest.
      for (const load of this.#coordinator.resourceLoads()) {
        if (this.#shown.size === this.#options.maxResources) break;
        this.#shown.add(load.resource);
      }
      this.#overflow = true;
      this.#scheduleRank();
    }
  }

  /** The last page left. */
  #stopTracking(): void {
    this.#shown.clear();
    this.#unshown.clear();
    this.#dirty.clear();
    this.#overflow = false;
    clearTimeout(this.#rankTimer);
    this.#rankTimer = undefined;
  }

  #sendSnapshot(client: FeedClient): void {
    const wallNow = this.#options.wallClock();
    const { resources, removed } = this.#read(this.#shown, wallNow, false);
    // Gone since they changed last: the next batch tells the other pages, and forgets them.
    if (removed.length > 0) {
      for (const name of removed) this.#dirty.add(name);
      this.#schedule();
    }
    const messages = encodeBatch({ type: 'snapshot', serverTime: wallNow, resources, stats: this.#stats(), grants: this.#grants.all(wallNow) }, this.#options.maxMessageBytes);
    for (const message of messages) client.socket.send(message);
    client.stale = false;
  }

  #ping(): void {
    for (const client of this.#clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  // ---- following the coordinator ----

  #observe(event: CoordinatorEvent): void {
    const effect = event.effect;
    switch (effect.type) {
      case 'queued':
        this.#addWaiting(effect.session, effect.resource, 1);
        this.#touch(effect.resource);
        break;
      case 'granted':
        this.#grants.count(event.at);
        this.#addWaiting(effect.session, effect.resource, -1);
        this.#touch(effect.resource);
        break;
      case 'timeout':
      case 'cancelled':
        this.#addWaiting(effect.session, effect.resource, -1);
        this.#touch(effect.resource);
        break;
      case 'released':
      case 'lost':
      case 'force-released':
        this.#touch(effect.resource);
        break;
      case 'session-ended': {
        for (const freed of effect.released) this.#touch(freed.resource);
        for (const resource of this.#waiting.get(effect.session)?.keys() ?? []) this.#touch(resource);
        this.#waiting.delete(effect.session);
        break;
      }
      case 'session-opened':
        break;
      default:
        // renewed, rejected: nothing a page shows changed.
        return;
    }
    this.#statsChanged = true;
    if (this.#clients.size === 0) return;
    this.#schedule();
    if (this.#overflow) this.#scheduleRank();
  }

  /** A resource changed: pages get it in the next batch if it is shown, or if there is room to show it. */
  #touch(resource: string): void {
    if (this.#clients.size === 0) return;
    if (this.#shown.has(resource)) {
      this.#dirty.add(resource);
    } else if (this.#shown.size < this.#options.maxResources) {
      this.#shown.add(resource);
      this.#unshown.delete(resource);
      this.#dirty.add(resource);
    } else {
      this.#overflow = true;
    }
  }

  #scheduleRank(): void {
    if (this.#rankTimer !== undefined || this.#ranking || this.#closed || this.#clients.size === 0) return;
    const interval = Math.max(this.#options.rerankIntervalMs, this.#lastRankCost * 10);
    const wait = Math.max(0, this.#lastRankEnd + interval - performance.now());
    this.#rankTimer = setTimeout(() => void this.#rank(), wait);
    this.#rankTimer.unref();
  }

  /** Show the busiest resources now: the ones that come in are sent whole, the ones that leave as removed. */
  async #rank(): Promise<void> {
    this.#rankTimer = undefined;
    this.#ranking = true;
    const started = performance.now();
    let names: string[];
    try {
      names = await this.#coordinator.busiestResources(this.#options.maxResources);
    } finally {
      this.#ranking = false;
      this.#lastRankEnd = performance.now();
      this.#lastRankCost = this.#lastRankEnd - started;
    }
    if (this.#closed || this.#clients.size === 0) return;
    const next = new Set(names);
    for (const name of this.#shown) if (!next.has(name)) this.#unshown.add(name);
    for (const name of next) {
      this.#unshown.delete(name);
      if (!this.#shown.has(name)) this.#dirty.add(name);
    }
    this.#shown = next;
    this.#overflow = this.#coordinator.stats().resources > next.size;
    this.#statsChanged = true;
    this.#schedule();
    if (this.#overflow) this.#scheduleRank();
  }

  #addWaiting(session: string, resource: string, delta: 1 | -1): void {
    let resources = this.#waiting.get(session);
    if (!resources) {
      if (delta < 0) return;
      resources = new Map();
      this.#waiting.set(session, resources);
    }
    const count = (resources.get(resource) ?? 0) + delta;
    if (count > 0) resources.set(resource, count);
    else resources.delete(resource);
    if (resources.size === 0) this.#waiting.delete(session);
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    const wait = Math.max(0, this.#lastFlush + Math.max(this.#options.flushIntervalMs, this.#pause) - performance.now());
    this.#timer = setTimeout(() => this.#flush(), wait);
  }

  #flush(): void {
    this.#timer = undefined;
    this.#lastFlush = performance.now();
    const dirty = this.#dirty;
    this.#dirty = new Set();
    const unshown = this.#unshown;
    this.#unshown = new Set();
    let sentBytes = 0;
    if (dirty.size > 0 || unshown.size > 0 || this.#statsChanged || this.#grants.hasChanges) {
      this.#statsChanged = false;
      const wallNow = this.#options.wallClock();
      const { resources, removed } = this.#read(dirty, wallNow);
      for (const name of unshown) removed.push(name);
      const messages = encodeBatch({ type: 'update', serverTime: wallNow, resources, removed, stats: this.#stats(), grants: this.#grants.takeChanged() }, this.#options.maxMessageBytes);
      const bytes = messages.reduce((sum, message) => sum + message.length, 0);
      for (const client of this.#clients) {
        if (client.stale) continue;
        if (client.socket.bufferedAmount > this.#options.maxBufferedBytes) {
          client.stale = true;
          this.#options.logger.warn({ event: 'dashboard-behind', buffered: client.socket.bufferedAmount }, 'a dashboard page is falling behind; it will be sent a fresh snapshot when it catches up');
          continue;
        }
        for (const message of messages) client.socket.send(message);
        sentBytes = Math.max(sentBytes, bytes);
      }
    }
    let waitingForStale = false;
    for (const client of this.#clients) {
      if (!client.stale) continue;
      if (client.socket.bufferedAmount <= this.#options.maxBufferedBytes / 4) this.#sendSnapshot(client);
      else waitingForStale = true;
    }
    // Big batches space out the next ones: at most maxBytesPerSecond per page.
    this.#pause = (sentBytes / this.#options.maxBytesPerSecond) * 1000;
    if (this.#dirty.size > 0 || waitingForStale) this.#schedule();
  }

  /**
   * What the shown resources among `names` look like now; the ones that are
   * gone are `removed`, and leave the shown set (making room for others).
   */
  #read(names: Set<string>, wallNow: number, forget = true): { resources: FeedResource[]; removed: string[] } {
    const resources: FeedResource[] = [];
    const removed: string[] = [];
    for (const name of names) if (!this.#shown.has(name)) names.delete(name);
    // inspect() of everything only while everything is few (it copies every busy resource).
    if (names.size > INSPECT_ALL_THRESHOLD && this.#coordinator.stats().resources <= 4 * names.size) {
      const all = new Map(this.#coordinator.inspect().map((snapshot) => [snapshot.resource, snapshot]));
      for (const name of names) {
        const snapshot = all.get(name);
        if (snapshot) resources.push(feedResource(snapshot, wallNow, this.#options.clock));
        else removed.push(name);
      }
    } else {
      for (const name of names) {
        const snapshot = this.#coordinator.inspect(name)[0];
        if (snapshot) resources.push(feedResource(snapshot, wallNow, this.#options.clock));
        else removed.push(name);
      }
    }
    if (forget) {
      for (const name of removed) this.#shown.delete(name);
      if (removed.length > 0 && this.#overflow) this.#scheduleRank();
    }
    return { resources, removed };
  }

  #stats(): FeedStats {
    const stats = this.#coordinator.stats();
    return {
      sessions: stats.sessions,
      resources: stats.resources,
      holders: stats.holders,
      waiters: stats.waiters,
      connections: stats.connections,
      lastToken: stats.lastToken,
      grantsTotal: this.#grants.total,
    };
  }
}
