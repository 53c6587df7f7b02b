import { reportHandlerError } from './report-handler-error.js';
import type { ConnectionHandlers } from './transport.js';
import type { TransportError } from './transport-error.js';

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
 * It lives in `@baton/transport`, beside the contract it implements, so that
 * every transport uses this one class (pure logic: no I/O, no timers, no clock).
 */
/** Queued in place of a frame whose bytes were not UTF-8, so that it reaches `onUndecodable` in its place among the messages. */
class UndecodableFrame {
  constructor(readonly detail: string) {}
}

export class Inbox {
  #handlers: ConnectionHandlers | undefined;
  #messages: Array<string | UndecodableFrame> = [];
  /** Set once the connection is gone; `error` is the reason when it was not clean. */
  #closing: { error: TransportError | undefined } | undefined;
  #closeReported = false;
  /** After a local close, messages still arriving are no longer wanted. */
  #discarding = false;
  #drainScheduled = false;
  /** Set while a handler runs (from either path), so a message arriving meanwhile queues behind it. */
  #delivering = false;

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

  /**
   * Records a frame whose bytes are not valid UTF-8: it is delivered through
   * `onUndecodable(detail)` in its place among the messages (dropped when the
   * handlers have no `onUndecodable`). Call it from the event loop, as
   * {@link Inbox.pushFromEventLoop}.
   */
  pushUndecodable(detail: string): void {
    if (this.#closing !== undefined || this.#discarding) {
      return;
    }
    this.#messages.push(new UndecodableFrame(detail));
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
   * Delivers one received message at once when nothing is queued ahead of it,
   * and queues it like {@link Inbox.push} otherwise.
   *
   * Only for callers that run straight from the event loop (a socket's data
   * callback), never from user code: there a handler cannot end up running
   * inside the peer's `send`, which is what the microtask of `push` guards
   * against, so the microtask and its closure can be saved. That matters on
   * the hot path: every lock request and every reply passes through here.
   */
  pushFromEventLoop(message: string): void {
    if (this.#closing !== undefined || this.#discarding) {
      return;
    }
    const handlers = this.#handlers;
    if (handlers === undefined || this.#drainScheduled || this.#delivering || this.#messages.length > 0) {
      this.push(message);
      return;
    }
    this.#delivering = true;
    try {
      handlers.onMessage(message);
    } catch (error) {
      // Report it as push's microtask would, and return normally so the
      // caller goes on with the messages behind this one.
      reportHandlerError(error);
    } finally {
      this.#delivering = false;
    }
  }

  /**
   * Records that the connection is gone. Messages already queued are still
   * delivered first; only the first call counts, so the reason of whichever
   * side noticed first wins and onClose can never fire twice.
   */
  close(error?: TransportError): void {
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
    if (this.#messages.length === 0 && (this.#closing === undefined || this.#closeReported)) {
      // Nothing to deliver: no microtask, so pushFromEventLoop stays on its fast path.
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
    this.#delivering = true;
    try {
      this.#deliverQueued(handlers);
    } finally {
      this.#delivering = false;
    }
    if (this.#closing !== undefined && !this.#closeReported) {
      this.#closeReported = true;
      handlers.onClose(this.#closing.error);
    }
  }

  #deliverQueued(handlers: ConnectionHandlers): void {
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
          if (typeof message === 'string') handlers.onMessage(message);
          else handlers.onUndecodable?.(message.detail);
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
  }
}
