/**
 * The built dashboard page in real Chromium against an in-process server:
 * 10,005 busy resources, five more than a page is sent (FEED_MAX_RESOURCES),
 * so the page holds the 10,000 busiest and counts all; filtering, sorting,
 * the row limit, live pushes, and the admin token's effect on what the page
 * offers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactsDirectory, collectPageErrors, describeInChromium, launchChromium } from '@baton/browser-testing';
import { connect, type BatonClient, type Lock } from '@baton/client';
import { buildDashboardPage } from '@baton/dashboard/build';
import { Coordinator } from '@baton/server';
import { wsTransport } from '@baton/transport-ws';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listenWithDashboard, type DashboardEndpoint } from '../src/index.js';

const RESOURCES = 10_000;

describeInChromium('the dashboard page in Chromium, with 10,000 resources', () => {
  let assets: string;
  let coordinator: Coordinator;
  let endpoint: DashboardEndpoint;
  let browser: Browser;
  const clients: BatonClient[] = [];

  async function client(name: string): Promise<BatonClient> {
    const connected = await connect(`ws://127.0.0.1:${endpoint.port}`, { transport: wsTransport, client: name });
    clients.push(connected);
    return connected;
  }

  /** Queue `who` behind the holder of `resource`; resolves once the server has queued it. */
  async function queue(who: BatonClient, resource: string): Promise<{ granted: Promise<Lock> }> {
    let queued!: () => void;
    const isQueued = new Promise<void>((resolve) => (queued = resolve));
    const granted = who.acquire(resource, { onQueued: () => queued() });
    granted.catch(() => {});
    await isQueued;
    return { granted };
  }

  async function openPage(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(20_000);
    const errors = collectPageErrors(page);
    await page.goto(endpoint.dashboardUrl!);
    await page.locator('body[data-synced="true"]').waitFor();
    return { page, errors };
  }

  beforeAll(async () => {
    assets = mkdtempSync(join(tmpdir(), 'baton-dashboard-page-'));
    await buildDashboardPage({ outdir: assets });
    coordinator = new Coordinator({ adminToken: 'secret' });
    // Re-ranked often, so a new resource shows within the test's patience (the default is FEED_RERANK_INTERVAL_MS).
    endpoint = await listenWithDashboard(coordinator, { host: '127.0.0.1', port: 0, adminEnabled: true, assetsDirectory: assets, feed: { rerankIntervalMs: 250 } });
    const holder = await client('bulk-holder');
    await Promise.all(Array.from({ length: RESOURCES }, (_, index) => holder.acquire(`resource-${String(index).padStart(5, '0')}`)));
    // queue-1 .. queue-5 have 1 .. 5 waiters, in a known order.
    const waiters = await Promise.all([1, 2, 3, 4, 5].map((index) => client(`waiter-${index}`)));
    for (let length = 1; length <= 5; length++) {
      await holder.acquire(`queue-${length}`);
      for (let position = 0; position < length; position++) await queue(waiters[position]!, `queue-${length}`);
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(clients.map((connected) => connected.close()));
    await endpoint?.close();
    await coordinator?.close();
    if (assets) rmSync(assets, { recursive: true, force: true });
  });

  it('renders only the top 200 rows, longest queue first, each queue in order', async () => {
    const { page, errors } = await openPage();
    expect(await page.locator('#rows tr').count()).toBe(200);
    await page.locator('#count', { hasText: 'showing the top 200 of 10,005 resources (the page is sent the 10,000 busiest)' }).waitFor();
    expect(await page.locator('#stat-resources').textContent()).toBe('10,005');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#rows tr')?.dataset.resource === 'queue-5');
    const firstRows = await page.locator('#rows tr').evaluateAll((rows) => rows.slice(0, 6).map((row) => (row as HTMLElement).dataset.resource));
    expect(firstRows).toEqual(['queue-5', 'queue-4', 'queue-3', 'queue-2', 'queue-1', 'resource-00000']);
    const queue = page.locator('tr[data-resource="queue-5"] [data-role="waiter"]');
    expect(await queue.evaluateAll((chips) => chips.map((chip) => `${(chip as HTMLElement).dataset.position}:${(chip as HTMLElement).dataset.client}`))).toEqual([
      '1:waiter-1',
      '2:waiter-2',
      '3:waiter-3',
      '4:waiter-4',
      '5:waiter-5',
    ]);
    expect(await page.locator('tr[data-resource="queue-5"] [data-role="holder"]').getAttribute('data-client')).toBe('bulk-holder');
    await page.screenshot({ path: join(artifactsDirectory('dashboard'), 'ten-thousand-resources.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('filters by name and sorts by name, from the whole 10,000', async () => {
    const { page, errors } = await openPage();
    await page.fill('#filter', 'resource-0998');
    await page.locator('#count', { hasText: '10 of 10,005 resources match (among the 10,000 busiest)' }).waitFor();
    expect(await page.locator('#rows tr').count()).toBe(10);
    await page.fill('#filter', 'no-such-thing');
    await page.locator('#empty', { hasText: 'No resource in use matches' }).waitFor();
    await page.fill('#filter', '');
    await page.selectOption('#sort', 'name');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#rows tr')?.dataset.resource === 'queue-1');
    expect(await page.locator('#rows tr').count()).toBe(200);
    expect(new URL(page.url()).searchParams.get('sort')).toBe('name');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows new locks as they happen (pushed, not polled)', async () => {
    const { page, errors } = await openPage();
    await page.fill('#filter', 'late-');
    await page.locator('#empty').waitFor();
    const late = await client('late-comer');
    const lock = await late.acquire('late-arrival');
    await page.locator('tr[data-resource="late-arrival"] [data-role="holder"][data-client="late-comer"]').waitFor();
    await lock.release();
    await page.locator('tr[data-resource="late-arrival"]').waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('is read-only until an admin token is given; a refused token is forgotten', async () => {
    const { page, errors } = await openPage();
    await page.locator('[data-admin="read-only"]').waitFor();
    expect(await page.locator('button.force').count()).toBe(0);
    await page.fill('#admin-token', 'not-the-token');
    await page.click('#admin-unlock');
    await page.locator('[data-admin="enabled"]').waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('tr[data-resource="queue-1"] button.force').click();
    await page.locator('#toast[data-kind="error"]', { hasText: 'the admin token was refused' }).waitFor();
    await page.locator('[data-admin="read-only"]').waitFor();
    expect(await page.locator('button.force').count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.getItem('baton-admin-token'))).toBeNull();
    // Nothing changed on the server.
    expect(coordinator.inspect('queue-1')[0]?.holders[0]?.client).toBe('bulk-holder');
    expect(errors).toEqual([]);
    await page.close();
  });
});
