import type { Connection } from '@baton/transport';
import { AsyncQueue } from './async-queue.js';

/**
 * What {@link collect} records in place of a message the transport reported
 * through `onUndecodable` (its bytes were not UTF-8), followed by the detail,
 * so that a test sees it in its place among the messages.
 */
export const UNDECODABLE_PREFIX = '<undecodable> ';

/** A connection whose handlers feed an {@link AsyncQueue}, for tests. */
export interface CollectedConnection {
  readonly connection: Connection;
  /** Messages not yet taken; ends when the connection closes. */
  readonly messages: AsyncQueue<string>;
  /** Every message received so far, taken or not, in order (undecodable ones as UNDECODABLE_PREFIX + detail). */
  readonly received: readonly string[];
  /** Settles with onClose's `error` (undefined for a clean close). Never rejects. */
  readonly closed: Promise<Error | undefined>;
  /** How many times onClose fired: the contract says at most once. */
  readonly closeCount: number;
  /** Shorthand for `messages.next()`: rejects if the connection closes first. */
  next(): Promise<string>;
  /** Shorthand for `messages.take(count)`. */
  take(count: number): Promise<string[]>;
}

/**
 * Installs handlers on `connection` that record everything it delivers, so a
 * test can `await next()` instead of sleeping. Calls `setHandlers`, so use it
 * once per connection, at the moment the test wants delivery to start.
 */
export function collect(connection: Connection): CollectedConnection {
  const messages = new AsyncQueue<string>(`messages of ${connection.id}`);
  const received: string[] = [];
  let closeCount = 0;
  let resolveClosed!: (error: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((resolve) => {
    resolveClosed = resolve;
  });
  connection.setHandlers({
    onMessage(message) {
      received.push(message);
      messages.push(message);
    },
    onUndecodable(detail) {
      received.push(UNDECODABLE_PREFIX + detail);
      messages.push(UNDECODABLE_PREFIX + detail);
    },
    onClose(error) {
      closeCount += 1;
      messages.end(error ?? new Error(`${connection.id} closed`));
      resolveClosed(error);
    },
  });
  return {
    connection,
    messages,
    received,
    closed,
    get closeCount() {
      return closeCount;
    },
    next: () => messages.next(),
    take: (count) => messages.take(count),
  };
}
