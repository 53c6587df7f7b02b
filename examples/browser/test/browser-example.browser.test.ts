import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectPageErrors, describeInChromium, launchChromium, artifactsDirectory } from '@baton/browser-testing';
import { connect, type BatonClient } from '@baton/client';
import { Coordinator } from '@baton/server';
import { WsTransport, wsTransport } from '@baton/transport-ws';
import type { Metafile } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExample } from '../scripts/build.mjs';

let outdir: string;
let metafile: Metafile;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'baton-browser-example-'));
  metafile = await buildExample({ outdir });
});

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('the SDK on the browser path', () => {
  it('bundles for the browser with no Node.js built-in and no ws package', () => {
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.some((input) => input.includes('packages/client/src/client.ts'))).toBe(true);
    expect(inputs.some((input) => input.includes('packages/transport-ws/src/browser-ws-transport.ts'))).toBe(true);
    expect(inputs.filter((input) => input.startsWith('node:') || /node_modules\/(ws|\.pnpm\/ws@)/.test(input))).toEqual([]);
    const bundle = readFileSync(join(outdir, 'example.js'), 'utf8');
    expect(bundle).not.toMatch(/\brequire\(|from\s*["']node:|["']node:[a-z_]+["']/);
  });
});

describeInChromium('the browser example page in Chromium', () => {
  let coordinator: Coordinator;
  let batonPort: number;
  let http: Server;
  let pageBase: string;
  let browser: Browser;
  const clients: BatonClient[] = [];

  beforeAll(async () => {
    http = createServer((request, response) => {
      const file = new URL(request.url ?? '/', 'http://x').pathname === '/example.js' ? 'example.js' : 'index.html';
      response.writeHead(200, { 'Content-Type': file.endsWith('.js') ? 'text/javascript' : 'text/html' });
      response.end(readFileSync(join(outdir, file)));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const pageOrigin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    pageBase = `${pageOrigin}/index.html`;
    // The page comes from another port, so another origin: the lock endpoint lets it in only when told to.
    coordinator = new Coordinator({ adminToken: 'secret' });
    batonPort = (await coordinator.listen(new WsTransport({ allowedOrigins: [pageOrigin] }), '127.0.0.1', 0)).port;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(clients.map((client) => client.close()));
    await coordinator?.close();
    http?.closeAllConnections();
    await new Promise((resolve) => http?.close(resolve));
  });

  async function openExample(client: string, resource: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    const errors = collectPageErrors(page);
    await page.goto(`${pageBase}?server=ws://127.0.0.1:${batonPort}&client=${client}&resource=${resource}`);
    return { page, errors };
  }

  async function state(page: Page, wanted: string): Promise<void> {
    await page.locator('#state', { hasText: new RegExp(`^${wanted}$`) }).waitFor();
  }

  it('takes a lock (LOCKED, with its fencing token) and releases it', async () => {
    const { page, errors } = await openExample('page-one', 'file_A');
    await page.click('#acquire');
    await state(page, 'LOCKED file_A');
    const holder = coordinator.inspect('file_A')[0]!.holders[0]!;
    expect(holder.client).toBe('page-one');
    expect(await page.locator('#token').getAttribute('data-token')).toBe(holder.token);
    await page.screenshot({ path: join(artifactsDirectory('browser-example'), 'locked.png') });
    await page.click('#release');
    await state(page, 'UNLOCKED file_A');
    expect(coordinator.inspect('file_A')).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('waits in the queue behind another client and is granted when it releases', async () => {
    const other = await connect(`ws://127.0.0.1:${batonPort}`, { transport: wsTransport, client: 'node-holder' });
    clients.push(other);
    const held = await other.acquire('file_B');
    const { page, errors } = await openExample('page-two', 'file_B');
    await page.click('#acquire');
    await state(page, 'WAITING \\(position 1\\)');
    expect(coordinator.inspect('file_B')[0]!.waiters.map((waiter) => waiter.client)).toEqual(['page-two']);
    await held.release();
    await state(page, 'LOCKED file_B');
    expect(BigInt((await page.locator('#token').getAttribute('data-token'))!)).toBeGreaterThan(BigInt(held.token));
    await page.click('#release');
    await state(page, 'UNLOCKED file_B');
    expect(errors).toEqual([]);
    await page.close();
  });

  it("aborts the lock's signal when an administrator takes the lock away", async () => {
    const { page, errors } = await openExample('page-three', 'file_C');
    await page.click('#acquire');
    await state(page, 'LOCKED file_C');
    const admin = await connect(`ws://127.0.0.1:${batonPort}`, { transport: wsTransport, client: 'admin' });
    clients.push(admin);
    await admin.forceRelease('file_C', 'secret');
    await state(page, 'LOST file_C');
    expect(await page.locator('#log').textContent()).toMatch(/LOST file_C: .*revoked/);
    expect(errors).toEqual([]);
    await page.close();
  });
});
