/**
 * Translating Baton host/port pairs into ZeroMQ endpoints and back.
 * ZeroMQ spells "any free port" as `*`, not 0, and wants IPv6 in brackets.
 */
import { formatHost } from '@baton/transport';

/** True when the host is an IPv6 literal, which needs brackets and the socket's ipv6 option. */
export function isIpv6Host(host: string): boolean {
  return host.includes(':');
}


/** `tcp://host:port`, with port 0 meaning "pick a free one". */
export function tcpEndpoint(host: string, port: number): string {
  return `tcp://${formatHost(host)}:${port === 0 ? '*' : String(port)}`;
}


/** The port libzmq actually bound, read from `lastEndpoint` (e.g. `tcp://127.0.0.1:40321`). */
export function portOfEndpoint(endpoint: string | null): number {
  const match = endpoint === null ? null : /:(\d+)$/.exec(endpoint);
  if (match === null) throw new Error(`cannot read the bound port from ZeroMQ endpoint ${String(endpoint)}`);
  return Number(match[1]);
}
