import type { ConnectionHandlers } from './transport.js';

/**
 * What a connection has received but not yet handed to its handlers.
 *
 * The transport contract lets the accepting side install its handlers some
 * time after the connection exists, and promises that nothing that arrives in
 * between is lost — not a message, and not the close. The inbox holds both
 * until {@link Inbox.setHandlers} and then delivers them in arrival order,
 * the close always last and at most once.
 *
 * Delivery is always asynchronous (one microtask drains everything queued), so
 * a handler never runs inside the peer's `send` call and ordering never
 * depends on who calls whom.
 *
 * It lives in the core, beside the contract it implements, so that every
 * transport uses this one class (pure logic: no I/O, no timers, no clock).
 */
export class Inbox {
  #handlers: ConnectionHandlers | undefined;
  #messages: string[] = [];
  /** Set once the connection is gone; `error` is the reason when it was not clean. */
  #closing: { error: Error | undefined } | undefined;
  #closeReported = false;
  /** After a local close, messages still arriving are no longer wanted. */
  #discarding = false;
  #drainScheduled = false;

  /** True once the close was recorded: later messages are dropped. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Installs the handlers (once) and delivers what is already waiting. */
  setHandlers(handlers: ConnectionHandlers): void {
    if (this.#handlers !== undefined) {
      throw new Error('setHandlers may only be called once per connection');
    }
    this.#handlers = handlers;
    this.#scheduleDrain();
  }

  /** Queues one received message. Ignored once the connection is closing. */
  push(message: string): void {
    if (this.#closing !== undefined || this.#discarding) {
      return;
    }
    this.#messages.push(message);
    this.#scheduleDrain();
  }

  /**
   * Records that the connection is gone. Messages already queued are still
   * delivered first; only the first call counts, so the reason of whichever
   * side noticed first wins and onClose can never fire twice.
   */
  close(error?: Error): void {
    if (this.#closing !== undefined) {
      return;
    }
    this.#closing = { error };
    this.#scheduleDrain();
  }

  /** Drops queued and future messages: the local side closed and wants no more. */
  discardMessages(): void {
    this.#discarding = true;
    this.#messages = [];
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled || this.#handlers === undefined) {
      return;
    }
    this.#drainScheduled = true;
    queueMicrotask(() => {
      this.#drainScheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    const handlers = this.#handlers;
    if (handlers === undefined) {
      return;
    }
    // Take the whole queue at once (no O(n) shift per message); messages that
    // arrive while handlers run land in a fresh queue and go round again.
    while (this.#messages.length > 0 && !this.#discarding) {
      const batch = this.#messages;
      this.#messages = [];
      let delivered = 0;
      try {
        for (const message of batch) {
          if (this.#discarding) {
            break;
          }
          delivered += 1;
          handlers.onMessage(message);
        }
      } catch (error) {
        // A throwing handler must not strand the messages behind it.
        if (!this.#discarding) {
          this.#messages = batch.slice(delivered).concat(this.#messages);
        }
        this.#scheduleDrain();
        throw error;
      }
    }
    if (this.#closing !== undefined && !this.#closeReported) {
      this.#closeReported = true;
      handlers.onClose(this.#closing.error);
    }
  }
}
