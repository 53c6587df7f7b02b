/**
 * `host:port` for logs, with an IPv6 literal in brackets so the port stays
 * unambiguous (`[::1]:5555`). Read it when the socket is created: node
 * forgets the peer's address once the socket is destroyed.
 */
export function formatSocketAddress(address: string | undefined, port: number | undefined): string {
  if (address === undefined || port === undefined) {
    return 'unknown';
  }
  return `${formatHost(address)}:${port}`;
}

/** A host as it appears in a URL authority: IPv6 literals in brackets. */
export function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
