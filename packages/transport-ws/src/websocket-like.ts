/**
 * The part of the WHATWG WebSocket that the dialing side uses. Both the
 * browser's global `WebSocket` and the `ws` package's client satisfy it, so
 * the dial logic runs unchanged in both; only the factory differs.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'error', listener: (event: { readonly message?: string; readonly error?: unknown }) => void): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { readonly code: number; readonly reason: string }) => void): void;
}

/** Opens a WebSocket to `url`: `(url) => new WebSocket(url)` in a browser. */
export type WebSocketFactory = (url: string) => WebSocketLike;

/** The numeric `readyState` values, which the interface does not carry as constants in every runtime. */
export const WebSocketReadyState = { connecting: 0, open: 1, closing: 2, closed: 3 } as const;
