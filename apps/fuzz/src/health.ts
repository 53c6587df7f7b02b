/**
 * Is the server still well while it is fuzzed? Checked every so many frames
 * and at the end of each transport, by clients that behave:
 *
 * - the process is alive, and its resident memory (VmRSS) stays under a
 *   bound (a leak or an unbounded buffer shows here long before a crash);
 * - the SDK (`@baton/client` over `@baton/transport-tcp`) connects, acquires
 *   a resource of its own, releases it and says goodbye within a deadline;
 * - a raw client on the transport being fuzzed does hello, acquire, release
 *   and goodbye and gets exactly the replies docs/protocol.md gives.
 *
 * Fuzzing goes on meanwhile: a server that serves honest clients only when
 * nobody attacks it is not healthy.
 */
import { performance } from 'node:perf_hooks';
import { connect } from '@baton/client';
import { decodeServerReply } from '@baton/core';
import { tcpTransport } from '@baton/transport-tcp';
import { frameOf } from './frame.js';
import type { TransportName } from './reply-oracle.js';
import type { LockServerProcess } from './server-process.js';
import type { RawConnection } from './transports/raw-connection.js';
import { HOST } from './transports/raw-connection.js';
import { openTcp } from './transports/tcp.js';
import { openWs } from './transports/ws.js';
import { openZmqDealer } from './transports/zmq.js';

/** The RSS bound: the server idles near 80 MiB; fuzzing with a few hundred connections keeps it far below this. */
export const DEFAULT_RSS_LIMIT_BYTES = 512 * 1024 * 1024;

/** How long each honest client may take for its whole exchange. */
export const HEALTH_DEADLINE_MS = 10_000;

export interface HealthResult {
  ok: boolean;
  /** What failed, empty when ok. */
  problems: string[];
  rssBytes: number | undefined;
  /** How long the honest exchanges took, ms. */
  sdkMs: number | undefined;
  rawMs: number | undefined;
}

export async function checkHealth(server: LockServerProcess, transport: TransportName, round: number, rssLimitBytes = DEFAULT_RSS_LIMIT_BYTES): Promise<HealthResult> {
  const problems: string[] = [];
  if (!server.running) {
    const exit = server.exit;
    return { ok: false, problems: [`the server exited (${exit?.code ?? exit?.signal}):\n${server.tail()}`], rssBytes: undefined, sdkMs: undefined, rawMs: undefined };
  }
  const rssBytes = server.rssBytes();
  if (rssBytes !== undefined && rssBytes > rssLimitBytes) problems.push(`server RSS ${mib(rssBytes)} is over the bound of ${mib(rssLimitBytes)}`);
  const resource = `fz-health-${transport}-${round}`;
  const [sdk, raw] = await Promise.all([
    timed(() => sdkExchange(server.endpoints.tcp, `${resource}-sdk`)),
    timed(() => rawExchange(transport, server.endpoints[transport], `${resource}-raw`)),
  ]);
  if (sdk.error) problems.push(`the SDK over tcp: ${sdk.error}`);
  if (raw.error) problems.push(`a raw ${transport} client: ${raw.error}`);
  if (!server.running) problems.push(`the server exited during the check:\n${server.tail()}`);
  return { ok: problems.length === 0, problems, rssBytes, sdkMs: sdk.ms, rawMs: raw.ms };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function timed(work: () => Promise<void>): Promise<{ ms: number | undefined; error: string | undefined }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([work(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_DEADLINE_MS} ms`)), HEALTH_DEADLINE_MS)))]);
    return { ms: performance.now() - started, error: undefined };
  } catch (error) {
    return { ms: undefined, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

async function sdkExchange(port: number, resource: string): Promise<void> {
  const client = await connect(`tcp://${HOST}:${port}`, { transport: tcpTransport, client: 'fuzz-health', reconnect: false, exactlyOnce: false, connectTimeoutMs: HEALTH_DEADLINE_MS });
  try {
    const lock = await client.acquire(resource, { waitMs: 0 });
    if (!/^[1-9][0-9]*$/.test(lock.token)) throw new Error(`granted token ${lock.token}`);
    await lock.release();
  } finally {
    await client.close();
  }
}

/** hello, acquire, release, goodbye with exact checks of each reply. */
async function rawExchange(transport: TransportName, port: number, resource: string): Promise<void> {
  const inbox: Buffer[] = [];
  let waiter: (() => void) | undefined;
  let closed: string | undefined;
  const handlers = {
    onMessage(payload: Buffer) {
      inbox.push(payload);
      waiter?.();
    },
    onClose(detail: string) {
      closed = detail;
      waiter?.();
    },
  };
  const raw: RawConnection = transport === 'tcp' ? await openTcp(port, handlers) : transport === 'ws' ? await openWs(port, handlers) : openZmqDealer(port, handlers);
  const ask = async (request: Record<string, unknown>): Promise<Record<string, unknown>> => {
    raw.send(frameOf(JSON.stringify(request), 'health'));
    while (inbox.length === 0) {
      if (closed !== undefined) throw new Error(`closed (${closed}) before answering ${JSON.stringify(request)}`);
      await new Promise<void>((resolve) => (waiter = resolve));
      waiter = undefined;
    }
    const text = inbox.shift()!.toString('utf8');
    const decoded = decodeServerReply(text);
    if (!decoded.ok) throw new Error(`malformed reply ${text}: ${decoded.message}`);
    return decoded.message as unknown as Record<string, unknown>;
  };
  const expect = (reply: Record<string, unknown>, fields: Record<string, unknown>) => {
    for (const [name, value] of Object.entries(fields)) {
      if (reply[name] !== value) throw new Error(`expected ${name} ${JSON.stringify(value)}, got ${JSON.stringify(reply)}`);
    }
  };
  try {
    expect(await ask({ op: 'hello', id: 1, v: 1, client: 'fuzz-health-raw' }), { op: 'welcome', id: 1, v: 1, resumed: false });
    const granted = await ask({ op: 'acquire', id: 2, resource, waitMs: 0 });
    expect(granted, { op: 'granted', id: 2, resource, mode: 'exclusive' });
    expect(await ask({ op: 'release', id: 3, resource, token: granted.token }), { op: 'released', id: 3, resource, token: granted.token });
    expect(await ask({ op: 'goodbye', id: 4 }), { op: 'bye', id: 4 });
    if (inbox.length > 0) throw new Error(`unexpected message ${inbox[0]!.toString('utf8')}`);
  } finally {
    raw.close();
  }
}
