/**
 * The ws lock endpoint refuses web pages of other sites (docs/security.md):
 * in real Chromium, a page served from another origin on this machine tries
 * to open `ws://127.0.0.1:PORT/` and take a lock, as the attacker
 * page did. It is refused (403, the socket never opens) and nothing is
 * locked; the same page is let in once its origin is allowed with
 * `--allow-origin`, and the server's own dashboard page always is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeInChromium, launchChromium } from '@baton/browser-testing';
import { connect } from '@baton/client';
import { wsTransport } from '@baton/transport-ws';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { AppProcess } from './app-process.js';

/** What the foreign page does: open the lock endpoint, say hello, take a lock with a long lease. */
const attackerScript = `
  window.attempt = (url) => new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.onerror = () => resolve('refused');
    socket.onopen = () => socket.send(JSON.stringify({ op: 'hello', id: 1, leaseMs: 300000 }));
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.op === 'welcome') socket.send(JSON.stringify({ op: 'acquire', id: 2, resource: 'victim' }));
      else resolve(message.op);
    };
  });
`;

describeInChromium('the ws endpoint and web pages of other origins', () => {
  let directory: string;
  let browser: Browser;
  let foreign: Server;
  let foreignOrigin: string;
  const servers: AppProcess[] = [];

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'baton-origin-'));
    foreign = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' }).end(`<!doctype html><title>another site</title><script>${attackerScript}</script>`);
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    foreignOrigin = `http://127.0.0.1:${String((foreign.address() as AddressInfo).port)}`;
    browser = await launchChromium();
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => foreign?.close(resolve));
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  async function startServer(extra: string[]): Promise<number> {
    const server = new AppProcess('lock-server', 'apps/server/src/main.ts', ['--transport', 'ws', '--port', '0', '--no-state-file', '--log-format', 'json', ...extra], directory);
    servers.push(server);
    return Number(/:(\d+) /.exec(await server.waitForLine(/^Lock Server started on /))![1]);
  }

  async function attemptFromForeignPage(port: number): Promise<string> {
    const page = await browser.newPage();
    try {
      await page.goto(`${foreignOrigin}/`);
      return await page.evaluate((url) => (window as unknown as { attempt(url: string): Promise<string> }).attempt(url), `ws://127.0.0.1:${String(port)}/`);
    } finally {
      await page.close();
    }
  }

  async function holders(port: number): Promise<number> {
    const observer = await connect(`ws://127.0.0.1:${String(port)}`, { transport: wsTransport, client: 'observer' });
    try {
      const status = await observer.status('victim');
      return status.resources[0]?.holding ?? 0;
    } finally {
      await observer.close();
    }
  }

  it.each([[[] as string[]], [['--no-dashboard']]])('refuses a page of another origin (flags %j): no socket, no lock', async (extra) => {
    const port = await startServer(extra);
    expect(await attemptFromForeignPage(port)).toBe('refused');
    expect(await holders(port)).toBe(0);
  });

  it('lets the page in once its origin is allowed with --allow-origin', async () => {
    const port = await startServer(['--allow-origin', foreignOrigin]);
    expect(await attemptFromForeignPage(port)).toBe('granted');
  });

  it('lets the server\'s own page open the lock endpoint', async () => {
    const port = await startServer([]);
    const page = await browser.newPage();
    try {
      await page.goto(`http://127.0.0.1:${String(port)}/`);
      // The dashboard's CSP forbids inline scripts; evaluate (run by the browser's debugger) is not bound by it.
      await page.evaluate(attackerScript);
      expect(await page.evaluate((url) => (window as unknown as { attempt(url: string): Promise<string> }).attempt(url), `ws://127.0.0.1:${String(port)}/`)).toBe('granted');
    } finally {
      await page.close();
    }
  });
});
