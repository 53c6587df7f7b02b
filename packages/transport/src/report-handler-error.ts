/**
 * Rethrows an exception from application code (a handler) outside the
 * transport's own receive and send loops (and outside the Inbox's delivery). Swallowing it would hide bugs, and
 * letting it escape would silently stop the loop for every other connection;
 * rethrowing it on its own makes it an ordinary uncaught exception, as it
 * would be from any Node.js event listener.
 */
export function reportHandlerError(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
