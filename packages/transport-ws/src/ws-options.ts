import type { DialOptions } from '@baton/core';

export interface WsDialOptions extends DialOptions {
  /** HTTP path of the WebSocket endpoint. Default `/`. */
  path?: string;
}
