import type { ConnectionHandlers } from '@baton/core';

/**
 * Hands received messages and the final close to a connection's handlers.
 *
 * The contract lets a server set handlers some time after accepting a
 * connection, so until then everything is buffered; and onClose must come
 * exactly once, after every message, whoever closed the connection first.
 */
export class InboundDelivery {
  #handlers: ConnectionHandlers | undefined;
  #buffered: string[] = [];
  #closed = false;
  #closeError: Error | undefined;
  #closeReported = false;
  #flushing = false;

  /** True once the connection is gone: later messages are dropped. */
  get closed(): boolean {
    return this.#closed;
  }

  deliver(message: string): void {
    if (this.#closed) return;
    if (this.#handlers === undefined || this.#flushing) {
      this.#buffered.push(message);
      return;
    }
    this.#handlers.onMessage(message);
  }

  /** Records the close; reported now, or right after the buffered messages once handlers exist. */
  close(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    if (this.#handlers !== undefined && !this.#flushing) this.#reportClose();
  }

  setHandlers(handlers: ConnectionHandlers): void {
    if (this.#handlers !== undefined) throw new Error('setHandlers may be called only once per connection');
    this.#handlers = handlers;
    this.#flushing = true;
    try {
      // Messages that arrive while a handler runs are appended here, which keeps them in order.
      for (let index = 0; index < this.#buffered.length; index++) {
        handlers.onMessage(this.#buffered[index]!);
      }
    } finally {
      this.#buffered = [];
      this.#flushing = false;
    }
    if (this.#closed) this.#reportClose();
  }

  #reportClose(): void {
    if (this.#closeReported) return;
    this.#closeReported = true;
    this.#handlers!.onClose(this.#closeError);
  }
}
