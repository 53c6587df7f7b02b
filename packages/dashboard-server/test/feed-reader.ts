import type { FeedMessage } from '@baton/dashboard';
import { DashboardModel, DASHBOARD_FEED_PATH } from '@baton/dashboard';
import { WebSocket } from 'ws';

/** Gives up waiting (to report what it saw) after this long; the tests never sleep. */
const WAIT_LIMIT_MS = 15_000;

/**
 * A page's view of the feed without a browser: every message parsed into a
 * DashboardModel, and waits that resolve on the first message after which a
 * condition holds.
 */
export class FeedReader {
  readonly model = new DashboardModel();
  readonly messages: FeedMessage[] = [];
  /** UTF-8 size of each message, in order. */
  readonly sizes: number[] = [];
  readonly closed: Promise<void>;
  private readonly waits: { check: () => boolean; resolve: () => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.sizes.push(data.length);
      const message = JSON.parse(data.toString('utf8')) as FeedMessage;
      this.messages.push(message);
      this.model.apply(message, Date.now());
      for (const wait of [...this.waits]) {
        if (wait.check()) {
          this.waits.splice(this.waits.indexOf(wait), 1);
          wait.resolve();
        }
      }
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(port: number, path = DASHBOARD_FEED_PATH, origin?: string): Promise<FeedReader> {
    const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, origin === undefined ? {} : { origin });
    const reader = new FeedReader(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return reader;
  }

  /** Resolves once `condition` holds (now or after a later message). */
  until(condition: (model: DashboardModel) => boolean, what: string): Promise<void> {
    if (condition(this.model)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waits.splice(this.waits.indexOf(wait), 1);
        reject(new Error(`the feed never showed ${what}; last messages: ${JSON.stringify(this.messages.slice(-3)).slice(0, 2_000)}`));
      }, WAIT_LIMIT_MS);
      const wait = {
        check: () => condition(this.model),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waits.push(wait);
    });
  }

  close(): Promise<void> {
    this.socket.terminate();
    return this.closed;
  }
}

/** Holder client names and queue client names of one resource, as the feed last said. */
export function lineUp(model: DashboardModel, resource: string): { holders: string[]; queue: string[] } {
  const entry = model.get(resource);
  return { holders: entry?.holders.map((holder) => holder.client) ?? [], queue: entry?.waiters.map((waiter) => waiter.client) ?? [] };
}
