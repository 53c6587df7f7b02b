import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * Which web pages may open a WebSocket to this server (docs/security.md).
 *
 * A browser lets any page open a WebSocket to any address, 127.0.0.1
 * included, and sends the page's origin in the `Origin` header: it is the
 * only thing that tells a page of another site (which must not take locks
 * here) from the server's own dashboard. So an upgrade is accepted when:
 *
 * - it has no `Origin`: not a browser (Node, Python, Go clients send none);
 * - its `Origin` is listed in `allowedOrigins` (as `scheme://host[:port]`,
 *   or `null` for pages opened from a file), or the list holds `*`;
 * - it is same-origin — `Origin`'s host and port equal the `Host` header —
 *   and that host is a loopback name or an IP address. A DNS name that is
 *   not `localhost` is not trusted by itself: with DNS rebinding a foreign
 *   page can make `evil.example:PORT` resolve to 127.0.0.1, and then both
 *   headers name evil.example. Such a name must be listed.
 */
export function isOriginAllowed(request: IncomingMessage, allowedOrigins: readonly string[] = []): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  // Exact text first: an opaque origin (`null`: a file: page, a sandboxed frame) can only be allowed so.
  if (allowedOrigins.includes('*') || allowedOrigins.includes(origin)) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (allowedOrigins.some((allowed) => sameOrigin(allowed, parsed))) return true;
  if (parsed.host !== request.headers.host) return false;
  return isTrustedHostName(parsed.hostname);
}

const FORBIDDEN_BODY = 'this Origin may not open a WebSocket here (lock-server --allow-origin)\n';

/** The answer to a refused upgrade: 403, and the connection closed. */
export const FORBIDDEN_ORIGIN_RESPONSE = `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${String(Buffer.byteLength(FORBIDDEN_BODY))}\r\n\r\n${FORBIDDEN_BODY}`;

function sameOrigin(allowed: string, origin: URL): boolean {
  try {
    return new URL(allowed).origin === origin.origin;
  } catch {
    return false;
  }
}

function isTrustedHostName(hostname: string): boolean {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return bare === 'localhost' || bare.endsWith('.localhost') || isIP(bare) !== 0;
}
