import { formatHostAndPort } from '@baton/transport';
import { DEFAULT_PATH } from './defaults.js';

/** `ws://host:port/path` (`wss://` when `secure`). */
export function webSocketUrl(host: string, port: number, path: string = DEFAULT_PATH, secure = false): string {
  return `${secure ? 'wss' : 'ws'}://${formatHostAndPort(host, port)}${path.startsWith('/') ? path : `/${path}`}`;
}
