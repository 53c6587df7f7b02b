import { TRANSPORT_NAMES } from './transports.js';

/** One place to listen: a transport name, an interface, a port. */
export interface ListenAddress {
  transport: string;
  host: string;
  port: number;
}

/**
 * Parse `--listen zmq://0.0.0.0:5555`. The host `*` means every interface,
 * as in the seed's `tcp://*:5555`.
 */
export function parseListenUrl(url: string): ListenAddress {
  const match = /^([a-z]+):\/\/(\*|\[[^\]]+\]|[^:/]+):([0-9]{1,5})\/?$/.exec(url);
  if (!match) throw new Error(`--listen ${url}: expected TRANSPORT://HOST:PORT, e.g. tcp://0.0.0.0:5556`);
  const transport = match[1]!;
  if (!TRANSPORT_NAMES.includes(transport)) throw new Error(`--listen ${url}: unknown transport ${transport} (use ${TRANSPORT_NAMES.join(', ')})`);
  return { transport, host: normaliseHost(match[2]!), port: parsePort(match[3]!) };
}

export function normaliseHost(host: string): string {
  if (host === '*') return '0.0.0.0';
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^[0-9]+$/.test(text) || port > 65_535) throw new Error(`port ${text} must be a number from 0 to 65535`);
  return port;
}

/** How the startup line names an address: the seed's `tcp://*:5555` for zmq, the transport named for the others. */
export function describeListener(transport: string, host: string, port: number): string {
  const shownHost = host === '0.0.0.0' || host === '::' ? '*' : host;
  if (transport === 'zmq') return `tcp://${shownHost}:${port}`;
  if (transport === 'ws') return `ws://${shownHost}:${port} (transport: ws)`;
  return `tcp://${shownHost}:${port} (transport: ${transport})`;
}
