import { isIP } from 'node:net';

/**
 * The host a connection comes from, for the per-host connection limit
 * (MAX_CONNECTIONS_PER_ADDRESS): the host part of `Connection.remoteAddress`
 * (`host:port`, `[v6]:port`), with an IPv4-mapped IPv6 address counted as its
 * IPv4 address so a dual-stack listener counts one peer once. Undefined when
 * the address names no IP host — zmq's ROUTER knows only a routing id
 * (`routing-id:…`), the memory transport a name — since counting those
 * would lump unrelated peers together.
 */
export function peerHost(remoteAddress: string): string | undefined {
  const match = /^\[([^\]]+)\]:[0-9]+$/.exec(remoteAddress) ?? /^([^:]+):[0-9]+$/.exec(remoteAddress);
  const host = match?.[1];
  if (host === undefined || isIP(host) === 0) return undefined;
  const mapped = /^::ffff:([0-9.]+)$/i.exec(host);
  return mapped && isIP(mapped[1]!) === 4 ? mapped[1] : host.toLowerCase();
}
