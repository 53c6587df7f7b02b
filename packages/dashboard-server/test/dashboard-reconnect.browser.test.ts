/**
 * The page outlives its server: when the lock server restarts on the same
 * port, the open page says it is offline, reconnects by itself, and shows the
 * new server's state from a fresh snapshot (nothing left over from the old).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectPageErrors, describeInChromium, launchChromium } from '@baton/browser-testing';
import { connect, type BatonClient } from '@baton/client';
import { buildDashboardPage } from '@baton/dashboard/build';
import { Coordinator } from '@baton/server';
import { wsTransport } from '@baton/transport-ws';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listenWithDashboard, type DashboardEndpoint } from '../src/index.js';

describeInChromium('the dashboard page across a server restart', () => {
  let assets: string;
  let browser: Browser;
  let coordinator: Coordinator | undefined;
  let endpoint: DashboardEndpoint | undefined;
  const clients: BatonClient[] = [];

  async function startServer(port: number): Promise<DashboardEndpoint> {
    coordinator = new Coordinator();
    endpoint = await listenWithDashboard(coordinator, { host: '127.0.0.1', port, adminEnabled: false, assetsDirectory: assets });
    return endpoint;
  }

  async function stopServer(): Promise<void> {
    await endpoint?.close();
    await coordinator?.close();
    endpoint = undefined;
    coordinator = undefined;
  }

  async function holdLock(port: number, name: string, resource: string): Promise<void> {
    const client = await connect(`ws://127.0.0.1:${port}`, { transport: wsTransport, client: name, reconnect: false });
    clients.push(client);
    await client.acquire(resource);
  }

  beforeAll(async () => {
    assets = mkdtempSync(join(tmpdir(), 'baton-dashboard-reconnect-'));
    await buildDashboardPage({ outdir: assets });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(clients.map((client) => client.close()));
    await stopServer();
    if (assets) rmSync(assets, { recursive: true, force: true });
  });

  it('goes offline when the server stops, reconnects when it is back, and shows only the new state', async () => {
    const first = await startServer(0);
    const port = first.port;
    await holdLock(port, 'before-restart', 'old-resource');

    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    const errors = collectPageErrors(page);
    await page.goto(first.dashboardUrl!);
    await page.locator('#connection[data-state="live"]').waitFor();
    await page.locator('tr[data-resource="old-resource"] [data-role="holder"][data-client="before-restart"]').waitFor();

    await stopServer();
    await page.locator('#connection[data-state="offline"]').waitFor();

    await startServer(port);
    await holdLock(port, 'after-restart', 'new-resource');
    await page.locator('#connection[data-state="live"]').waitFor();
    await page.locator('tr[data-resource="new-resource"] [data-role="holder"][data-client="after-restart"]').waitFor();
    // The old server's lock is gone with it: the fresh snapshot replaced everything.
    expect(await page.locator('tr[data-resource="old-resource"]').count()).toBe(0);
    // Only the page's own failed reconnect attempts may have been logged; no script error.
    expect(errors.filter((error) => !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(error))).toEqual([]);
    await page.close();
  });
});
