/** A host as it appears in a URL authority: IPv6 literals in brackets. */
export function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * `host:port` for URLs and logs, with an IPv6 literal in brackets so the port
 * stays unambiguous (`[::1]:5555`); `unknown` when either is missing (node
 * forgets a socket's peer once it is destroyed, so read it early).
 */
export function formatHostAndPort(host: string | undefined, port: number | undefined): string {
  if (host === undefined || port === undefined) return 'unknown';
  return `${formatHost(host)}:${String(port)}`;
}
