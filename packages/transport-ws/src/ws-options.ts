import type { DialOptions } from '@baton/transport';

export interface WsDialOptions extends DialOptions {
  /** HTTP path of the WebSocket endpoint. Default `/`. */
  path?: string;
  /** Dial `wss://` (TLS) instead of `ws://`: a page served over https must. Default false. */
  secure?: boolean;
}
