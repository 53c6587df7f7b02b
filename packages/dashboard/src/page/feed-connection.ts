import type { FeedMessage } from '../feed-protocol.js';

export type FeedState = 'connecting' | 'live' | 'offline';

const FIRST_RETRY_MS = 250;
const LAST_RETRY_MS = 5_000;

/**
 * The page's end of the feed: a WebSocket that is reopened (with backoff)
 * whenever it drops; each new connection starts with a fresh snapshot, so
 * nothing needs replaying. Pushed, never polled.
 */
export class FeedConnection {
  readonly #url: string;
  readonly #onMessage: (message: FeedMessage) => void;
  readonly #onState: (state: FeedState) => void;
  #socket: WebSocket | undefined;
  #retryMs = FIRST_RETRY_MS;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(url: string, onMessage: (message: FeedMessage) => void, onState: (state: FeedState) => void) {
    this.#url = url;
    this.#onMessage = onMessage;
    this.#onState = onState;
  }

  start(): void {
    this.#stopped = false;
    this.#open();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#socket?.close();
  }

  #open(): void {
    this.#onState('connecting');
    const socket = new WebSocket(this.#url);
    this.#socket = socket;
    socket.addEventListener('open', () => {
      this.#retryMs = FIRST_RETRY_MS;
      this.#onState('live');
    });
    socket.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (typeof event.data !== 'string') return;
      let message: FeedMessage;
      try {
        message = JSON.parse(event.data) as FeedMessage;
      } catch {
        return;
      }
      this.#onMessage(message);
    });
    socket.addEventListener('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#onState('offline');
      if (this.#stopped) return;
      this.#retryTimer = setTimeout(() => this.#open(), this.#retryMs);
      this.#retryMs = Math.min(LAST_RETRY_MS, this.#retryMs * 2);
    });
  }
}

/** `ws://host:port/dashboard/feed` for a page at `http://host:port/` (`wss:` under https). */
export function feedUrl(location: { protocol: string; host: string }, path: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}
