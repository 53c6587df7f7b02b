import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

/** The only files served, by URL path: nothing else on disk is reachable. */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.js.map': { file: 'app.js.map', type: 'application/json; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/**
 * Everything the page loads comes from this server; the WebSockets go back
 * to it too ('self' covers ws: and wss: on the same host and port).
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const COMMON_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/**
 * Answers one HTTP request with a file of the built page from `directory`,
 * 404 for any other path, 405 for methods other than GET and HEAD, and 503
 * with a hint when the page has not been built.
 */
export async function serveStaticFile(directory: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://dashboard').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    respond(response, 405, 'method not allowed\n', { Allow: 'GET, HEAD' }, request.method);
    return;
  }
  const entry = FILES[path];
  if (entry === undefined) {
    respond(response, 404, 'not found\n', {}, request.method);
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(join(directory, entry.file));
  } catch {
    respond(response, 503, `the dashboard page is not built (no ${entry.file} in ${directory}): run \`pnpm build\`\n`, {}, request.method);
    return;
  }
  response.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': entry.type, 'Content-Length': body.length });
  response.end(request.method === 'HEAD' ? undefined : body);
}

function respond(response: ServerResponse, status: number, text: string, headers: Record<string, string>, method: string | undefined): void {
  const body = Buffer.from(text);
  response.writeHead(status, { ...COMMON_HEADERS, ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
  response.end(method === 'HEAD' ? undefined : body);
}
