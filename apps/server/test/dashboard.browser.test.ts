/**
 * lock-server's dashboard end to end: a real lock-server process, real
 * lock-client processes contending over ws, and the page in real Chromium.
 * The page must show the queue forming, the holder changing when the lock is
 * released, and a force-release made from the page moving the lock to the
 * next waiter. Screenshots go to test-artifacts/dashboard/ (git-ignored);
 * with BATON_UPDATE_DOCS_SCREENSHOT=1 the README's docs/dashboard.png too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactsDirectory, collectPageErrors, describeInChromium, launchChromium } from '@baton/browser-testing';
import { connect, type BatonClient, type Lock } from '@baton/client';
import { buildDashboardPage } from '@baton/dashboard/build';
import { wsTransport } from '@baton/transport-ws';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AppProcess, repositoryRoot } from './app-process.js';

const ADMIN_TOKEN = 'dashboard-test-admin-token';

describeInChromium('lock-server --transport ws serves a live dashboard', () => {
  let directory: string;
  let server: AppProcess;
  let port: number;
  let dashboardUrl: string;
  let browser: Browser;
  const processes: AppProcess[] = [];
  const clients: BatonClient[] = [];

  function lockClient(name: string, args: string[]): AppProcess {
    const started = new AppProcess(name, 'apps/client/src/main.ts', ['--transport', 'ws', '--server', `127.0.0.1:${port}`, '--data-dir', directory, '--client', name, ...args], directory);
    processes.push(started);
    return started;
  }

  async function sdkClient(name: string): Promise<BatonClient> {
    const client = await connect(`ws://127.0.0.1:${port}`, { transport: wsTransport, client: name });
    clients.push(client);
    return client;
  }

  /** The page's holders and queue of one resource, as client names. */
  async function lineUp(page: Page, resource: string): Promise<{ holders: (string | null)[]; queue: (string | null)[] }> {
    const row = page.locator(`tr[data-resource="${resource}"]`);
    const names = (role: string) => row.locator(`[data-role="${role}"]`).evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-client')));
    return { holders: await names('holder'), queue: await names('waiter') };
  }

  /** Wait until the row of `resource` shows exactly these holders and this queue. */
  async function waitForLineUp(page: Page, resource: string, holders: string[], queue: string[]): Promise<void> {
    const selector = (role: string, names: string[]) => names.map((name, index) => `[data-role="${role}"][data-client="${name}"]${role === 'waiter' ? `[data-position="${index + 1}"]` : ''}`);
    await page.waitForFunction(
      ({ resource, holderSelectors, waiterSelectors, holders: holderCount, queue: queueCount }) => {
        const row = document.querySelector(`tr[data-resource="${resource}"]`);
        if (!row) return holderCount === 0 && queueCount === 0;
        return (
          row.querySelectorAll('[data-role="holder"]').length === holderCount &&
          row.querySelectorAll('[data-role="waiter"]').length === queueCount &&
          [...holderSelectors, ...waiterSelectors].every((one) => row.querySelector(one) !== null)
        );
      },
      { resource, holderSelectors: selector('holder', holders), waiterSelectors: selector('waiter', queue), holders: holders.length, queue: queue.length },
    );
  }

  beforeAll(async () => {
    // lock-server reads the page from @baton/dashboard's dist/www: build it (esbuild, well under a second).
    await buildDashboardPage();
    directory = mkdtempSync(join(tmpdir(), 'baton-dashboard-e2e-'));
    server = new AppProcess('lock-server', 'apps/server/src/main.ts', ['--transport', 'ws', '--host', '127.0.0.1', '--port', '0', '--admin-token', ADMIN_TOKEN, '--no-state-file', '--log-format', 'json'], directory);
    const started = await server.waitForLine(/^Lock Server started on /);
    port = Number(/:(\d+) /.exec(started)![1]);
    dashboardUrl = /^Dashboard at (\S+)/.exec(await server.waitForLine(/^Dashboard at /))![1]!;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(clients.map((client) => client.close().catch(() => {})));
    await Promise.all(processes.map((started) => started.stop()));
    await server?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('shows the queue forming, the holder changing on release, and a force-release from the page moving the lock on', async () => {
    expect(dashboardUrl).toBe(`http://127.0.0.1:${port}/`);
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.setDefaultTimeout(30_000);
    const errors = collectPageErrors(page);
    await page.goto(dashboardUrl);
    await page.locator('body[data-synced="true"]').waitFor();
    await page.locator('#connection[data-state="live"]').waitFor();
    await page.locator('#empty', { hasText: 'No lock is held or awaited' }).waitFor();

    // Some traffic for the grants-per-second chart: lock-client's counter.
    const counter = lockClient('counter', ['increment', 'counter', '--iterations', '300']);
    await counter.waitForLine(/^sum is 300$/);
    await page.locator('#stat-grants', { hasText: /^300$/ }).waitFor();
    expect(Number(await page.locator('#chart').getAttribute('data-peak'))).toBeGreaterThan(0);

    // A holder that the test releases when it chooses.
    const first = await sdkClient('first-holder');
    const firstLock: Lock = await first.acquire('file_A');
    await waitForLineUp(page, 'file_A', ['first-holder'], []);

    // lock-client processes contend for file_A: the queue forms, in arrival order.
    const one = lockClient('client-1', ['file_A', 'WRITE', 'from client-1', '60']);
    await waitForLineUp(page, 'file_A', ['first-holder'], ['client-1']);
    const two = lockClient('client-2', ['file_A', 'WRITE', 'from client-2', '60']);
    await waitForLineUp(page, 'file_A', ['first-holder'], ['client-1', 'client-2']);
    const three = lockClient('client-3', ['file_A', 'READ', '', '60']);
    await waitForLineUp(page, 'file_A', ['first-holder'], ['client-1', 'client-2', 'client-3']);
    await page.locator('tr[data-resource="file_A"] [data-role="waiting"]', { hasText: /^3$/ }).waitFor();
    expect(await page.locator('tr[data-resource="file_A"] [data-role="waiter"][data-client="client-3"] .mode').textContent()).toBe('shared');

    // Readers sharing another resource, and a writer waiting behind them, for the picture.
    const [readerA, readerB, writer] = await Promise.all([sdkClient('report-reader-1'), sdkClient('report-reader-2'), sdkClient('report-writer')]);
    await readerA.acquire('report.csv', { mode: 'shared' });
    await readerB.acquire('report.csv', { mode: 'shared' });
    writer.acquire('report.csv').catch(() => {});
    await waitForLineUp(page, 'report.csv', ['report-reader-1', 'report-reader-2'], ['report-writer']);
    await page.screenshot({ path: join(artifactsDirectory('dashboard'), '1-queue-formed.png') });
    if (process.env.BATON_UPDATE_DOCS_SCREENSHOT === '1') {
      const table = (await page.locator('table.resources').boundingBox())!;
      await page.screenshot({ path: join(repositoryRoot, 'docs', 'dashboard.png'), clip: { x: 0, y: 0, width: 1280, height: Math.ceil(table.y + table.height + 24) } });
    }

    // The holder releases: client-1 is granted, the page shows it holding.
    await firstLock.release();
    await one.waitForLine(/^LOCKED file_A$/);
    await waitForLineUp(page, 'file_A', ['client-1'], ['client-2', 'client-3']);
    const tokenOne = await page.locator('tr[data-resource="file_A"] [data-role="holder"]').getAttribute('data-token');
    expect(BigInt(tokenOne!)).toBeGreaterThan(BigInt(firstLock.token));
    await page.screenshot({ path: join(artifactsDirectory('dashboard'), '2-holder-changed.png') });

    // Read-only so far; with the admin token the page offers force-release.
    await page.locator('[data-admin="read-only"]').waitFor();
    expect(await page.locator('button.force').count()).toBe(0);
    await page.fill('#admin-token', ADMIN_TOKEN);
    await page.click('#admin-unlock');
    await page.locator('[data-admin="enabled"]').waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator(`tr[data-resource="file_A"] button.force[data-token="${tokenOne}"]`).click();
    await page.locator('#toast', { hasText: `Force-released file_A (token ${tokenOne})` }).waitFor();

    // The lock moves to the next waiter; client-1 was told it lost it.
    await two.waitForLine(/^LOCKED file_A$/);
    await waitForLineUp(page, 'file_A', ['client-2'], ['client-3']);
    await page.screenshot({ path: join(artifactsDirectory('dashboard'), '3-after-force-release.png') });
    await one.exited;
    const lost = server.events().find((event) => event.event === 'lost' && event.client === 'client-1');
    expect(lost).toMatchObject({ resource: 'file_A', token: tokenOne, reason: 'revoked' });
    expect(three.lines).not.toContain('LOCKED file_A');

    // The admin token survives a reload of the tab (sessionStorage).
    await page.reload();
    await page.locator('[data-admin="enabled"]').waitFor();
    await waitForLineUp(page, 'file_A', ['client-2'], ['client-3']);
    expect(await lineUp(page, 'report.csv')).toEqual({ holders: ['report-reader-1', 'report-reader-2'], queue: ['report-writer'] });
    expect(errors).toEqual([]);
    await page.close();
  });
});
