/** A server address as the SDK takes it: `tcp://127.0.0.1:5555`, `zmq://host:5555`, `ws://host:8080`. */
export interface ServerAddress {
  scheme: string;
  host: string;
  port: number;
}

/** Parse a server URL. Throws a TypeError that says what is wrong. */
export function parseServerUrl(url: string): ServerAddress {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]+\]|[^:/]+):([0-9]{1,5})\/?$/i.exec(url);
  if (!match) throw new TypeError(`server URL ${JSON.stringify(url)} must look like tcp://host:port`);
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) throw new TypeError(`port ${port} in ${url} is out of range`);
  const host = match[2]!.startsWith('[') ? match[2]!.slice(1, -1) : match[2]!;
  return { scheme: match[1]!.toLowerCase(), host, port };
}
