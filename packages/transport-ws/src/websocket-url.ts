import { DEFAULT_PATH } from './defaults.js';

/** `host:port` with IPv6 literals in brackets, as URLs and logs want them. */
export function hostAndPort(host: string, port: number): string {
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${bracketed}:${String(port)}`;
}

/** `ws://host:port/path` (`wss://` when `secure`). */
export function webSocketUrl(host: string, port: number, path: string = DEFAULT_PATH, secure = false): string {
  return `${secure ? 'wss' : 'ws'}://${hostAndPort(host, port)}${path.startsWith('/') ? path : `/${path}`}`;
}
