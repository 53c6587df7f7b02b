/**
 * How far a client that never reads can grow the server (issue 10,
 * docs/protocol.md 3.3): a real lock-server, 100 held locks so that every
 * `status` reply is a large page, and one attacker per transport (tcp, ws)
 * that sends 30,000 `status` requests and never reads a reply. Before
 * backpressure this took the server from 93 MiB to 2.2 GiB.
 *
 * Prints the server's RSS before the attack, its peak (VmHWM) after it, and
 * whether an honest client was still served meanwhile. A probe, not a test:
 * it polls the RSS until it stops growing.
 *
 *   pnpm --filter @baton/bench build && node apps/bench/dist/probes/non-reading-client.js
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as connectSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { connect } from '@baton/client';
import { tcpTransport } from '@baton/transport-tcp';
import { wsTransport } from '@baton/transport-ws';
import { WebSocket } from 'ws';
import { BatonServer, readVmRss } from '../servers/baton-server.js';

const REQUESTS = 30_000;
const HELD_LOCKS = 100;
const MiB = 1024 * 1024;

function readVmHwm(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(join('/proc', String(pid), 'status'), 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/** Polls until the RSS has not grown for two seconds (the attack has stalled or been absorbed). */
async function settled(pid: number): Promise<void> {
  let last = readVmRss(pid);
  let stableSince = Date.now();
  while (Date.now() - stableSince < 2_000) {
    await delay(250);
    const now = readVmRss(pid);
    if (now > last + MiB) stableSince = Date.now();
    last = Math.max(last, now);
  }
}

const directory = mkdtempSync(join(tmpdir(), 'baton-non-reading-'));
const server = await BatonServer.start({ cwd: directory });
try {
  const pid = server.process.pid!;
  const tcpPort = Number(new URL(server.urls.tcp).port);
  const wsUrl = server.urls.ws;
  const holder = await connect(server.urls.tcp, { transport: [tcpTransport], client: 'holder-with-a-longer-name' });
  for (let index = 0; index < HELD_LOCKS; index++) await holder.acquire(`resource-${String(index).padStart(3, '0')}-${'x'.repeat(100)}`);
  await settled(pid);
  const before = readVmRss(pid);

  const requests = Array.from({ length: REQUESTS }, (_, index) => `{"op":"status","id":${String(index)}}`);
  const tcp = connectSocket(tcpPort, '127.0.0.1');
  tcp.on('error', () => {});
  await new Promise((resolve) => tcp.once('connect', resolve));
  tcp.pause();
  tcp.write(`${requests.join('\n')}\n`);
  const ws = new WebSocket(wsUrl);
  ws.on('error', () => {});
  await new Promise((resolve) => ws.once('open', resolve));
  ws.pause();
  for (const request of requests) ws.send(request);

  await settled(pid);
  const probe = await connect(server.urls.ws, { transport: [wsTransport], client: 'probe' });
  const started = performance.now();
  const lock = await probe.acquire('probe-resource', { waitMs: 5_000 });
  await lock.release();
  const probeMs = performance.now() - started;
  const peak = readVmHwm(pid);
  console.log(
    JSON.stringify({
      requestsPerAttacker: REQUESTS,
      attackers: ['tcp', 'ws'],
      rssBeforeMiB: +(before / MiB).toFixed(1),
      rssAfterMiB: +(readVmRss(pid) / MiB).toFixed(1),
      peakRssMiB: +(peak / MiB).toFixed(1),
      growthMiB: +((peak - before) / MiB).toFixed(1),
      honestClientAcquireReleaseMs: +probeMs.toFixed(1),
    }),
  );
  tcp.destroy();
  ws.terminate();
  await probe.close();
  await holder.close();
} finally {
  await server.stop();
  rmSync(directory, { recursive: true, force: true });
}
