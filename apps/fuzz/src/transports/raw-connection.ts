/**
 * A fuzzed connection's socket, with nothing of Baton in it: it writes the
 * fuzzer's bytes as they are (no SDK, no transport package, which would
 * refuse to send broken frames) and hands every message the server sends,
 * as bytes, to the oracle. One implementation per transport.
 */
import type { Frame } from '../frame.js';

export interface RawHandlers {
  /** One message from the server: a tcp line (without its `\n`), a ws message, a zmq frame. */
  onMessage(payload: Buffer, binary: boolean): void;
  /** The server's side ended the connection; `wsCode` is the close code on ws. */
  onClose(detail: string, wsCode?: number): void;
}

export interface RawConnection {
  /** Writes one frame (tcp adds the line feed). */
  send(frame: Frame): void;
  /** Closes our side at once; no handler is called after it. */
  close(): void;
}

/** Where the server listens, per transport. */
export interface Endpoints {
  tcp: number;
  ws: number;
  zmq: number;
}

export const HOST = '127.0.0.1';

/** How long opening a socket may take before the fuzzer gives up (a server that stops accepting is unhealthy). */
export const OPEN_TIMEOUT_MS = 10_000;
