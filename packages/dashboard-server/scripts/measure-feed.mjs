// Measures the dashboard feed at scale: N busy resources (default 1,000,000) in an in-process server, then one page connects;
// prints how long until it is synced, what it received, and the server's event-loop delay meanwhile.
// Run after a build: node --max-old-space-size=8000 packages/dashboard-server/scripts/measure-feed.mjs [N]
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { connect } from '@baton/client';
import { Coordinator } from '@baton/server';
import { wsTransport } from '@baton/transport-ws';
import { DashboardModel, DASHBOARD_FEED_PATH } from '@baton/dashboard';
import { WebSocket } from 'ws';
import { listenWithDashboard } from '../dist/index.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const N = Number(process.argv[2] ?? 1_000_000);
const assets = mkdtempSync(join(tmpdir(), 'measure-'));
for (const f of ['index.html', 'app.js', 'app.css']) writeFileSync(join(assets, f), '');
const coordinator = new Coordinator({});
const endpoint = await listenWithDashboard(coordinator, { host: '127.0.0.1', port: 0, assetsDirectory: assets });
const perSession = 90_000;
const clients = [];
let t = performance.now();
for (let base = 0; base < N; base += perSession) {
  const c = await connect(`ws://127.0.0.1:${endpoint.port}`, { transport: wsTransport, client: `bulk-${base}`, leaseMs: 300_000 });
  clients.push(c);
  const count = Math.min(perSession, N - base);
  for (let i = 0; i < count; i += 5_000) await Promise.all(Array.from({ length: Math.min(5_000, count - i) }, (_, k) => c.acquire(`r-${base + i + k}`)));
}
console.log(`${N} locks in ${((performance.now() - t) / 1000).toFixed(1)} s; busy ${coordinator.stats().resources}`);
const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();
const rssBefore = process.memoryUsage().rss;
t = performance.now();
const model = new DashboardModel();
const socket = new WebSocket(`ws://127.0.0.1:${endpoint.port}${DASHBOARD_FEED_PATH}`);
let bytes = 0; let ranked;
await new Promise((resolve) => {
  socket.on('message', (data) => {
    bytes += data.length;
    const message = JSON.parse(data.toString());
    if (ranked === undefined && message.type === 'update' && message.removed.length > 1000) { ranked = performance.now() - t; console.log(`ranked set arrived after ${ranked.toFixed(0)} ms (${message.removed.length} left)`); }
    model.apply(message, Date.now());
    if (model.synced && model.size >= Math.min(N, 10_000) && model.stats?.resources === N) resolve();
  });
});
const synced = performance.now() - t;
// A second ranking too, then stop.
await new Promise((resolve) => setTimeout(resolve, 12_000));
histogram.disable();
console.log(`page synced with ${model.size} resources in ${synced.toFixed(0)} ms; ${(bytes / 1024).toFixed(0)} KiB received; loop delay max ${(histogram.max / 1e6).toFixed(1)} ms, p99 ${(histogram.percentile(99) / 1e6).toFixed(1)} ms; RSS +${((process.memoryUsage().rss - rssBefore) / 2 ** 20).toFixed(0)} MiB`);
socket.terminate();
await Promise.all(clients.map((c) => c.close()));
await endpoint.close();
await coordinator.close();
process.exit(0);
