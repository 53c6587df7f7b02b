#!/usr/bin/env node
/**
 * lock-server: the Baton coordinator.
 *
 *   lock-server [--transport zmq|tcp|ws] [--host H] [--port 5555] [--listen URL]... [--durability fsync|memory] [--data-dir DIR] [--quiet] [--no-dashboard] [--allow-origin ORIGIN]...
 *
 * Binds 127.0.0.1 unless --host or --listen names another interface (`*` =
 * every interface). Prints `Lock Server started on tcp://127.0.0.1:5555` (one line per listener; a ws
 * listener is followed by `Dashboard at http://…/` unless --no-dashboard) and
 * then one log line per queue, grant and release event unless --quiet.
 * Web pages of other origins may open the ws endpoints only when listed with
 * --allow-origin (docs/security.md).
 *
 * State: with `--durability fsync` (the default) every state change is in a
 * write-ahead log in --data-dir before any reply it causes is sent, and a
 * restart (after a crash or a stop) recovers every session, lock and queue.
 * With `memory` only the token mark and the longest lease are kept
 * (<data-dir>/state.json), and a restart grants nothing for that longest
 * lease unless --unsafe-grant-at-once-after-restart; --no-state-file keeps
 * nothing at all (implies memory).
 */
import { Command, Option } from 'commander';
import { DEFAULT_LEASE_MS, MAX_LEASE_MS, MIN_LEASE_MS } from '@baton/core';
import type { DashboardEndpoint } from '@baton/dashboard-server';
import { listenWithDashboard } from '@baton/dashboard-server';
import { join } from 'node:path';
import { Coordinator, FileTokenStore, MemoryTokenStore, openDurableCoordinator } from '@baton/server';
import type { DurableCoordinator, TokenStore } from '@baton/server';
import type { ListenAddress } from './listen-address.js';
import { describeListener, normaliseHost, parseListenUrl, parsePort } from './listen-address.js';
import { createLogger } from './logger.js';
import { TRANSPORT_NAMES, transports } from './transports.js';

interface ServerCommandOptions {
  transport: string;
  host: string;
  port: string;
  listen: string[];
  quiet: boolean;
  durability: 'fsync' | 'memory';
  dataDir: string;
  stateFile: boolean;
  unsafeGrantAtOnceAfterRestart: boolean;
  adminToken?: string;
  leaseMs?: string;
  logFormat: 'pretty' | 'json';
  /** undefined: on wherever there is a ws listener. */
  dashboard?: boolean;
  allowOrigin: string[];
}

const program = new Command()
  .name('lock-server')
  .description('Baton lock server: grants locks on named resources in FIFO order')
  .addOption(new Option('--transport <name>', 'transport to listen on').choices(TRANSPORT_NAMES).default('zmq'))
  .option('--host <host>', 'interface to bind (* = every interface; default: loopback only)', '127.0.0.1')
  .option('--port <port>', 'port to bind (0 picks a free one)', '5555')
  .option('--listen <url>', 'listen on TRANSPORT://HOST:PORT instead; repeat to serve several transports from one coordinator', (value: string, previous: string[]) => [...previous, value], [] as string[])
  .option('--quiet', 'log only warnings and errors', false)
  .addOption(new Option('--durability <mode>', 'fsync: every state change is logged durably before its reply, and a restart keeps every lock; memory: a restart forgets them').choices(['fsync', 'memory']).default('fsync'))
  .option('--data-dir <dir>', 'where the log and snapshots (fsync), or the token mark and longest lease (memory), are kept', 'baton-data')
  .option('--no-state-file', 'keep nothing on disk at all: implies --durability memory; tokens restart at 1 and a restart grants at once')
  .option('--unsafe-grant-at-once-after-restart', 'memory durability: grant at once after a restart instead of waiting out the longest lease the process before granted (a client of it may still believe it holds a lock)', false)
  .option('--admin-token <token>', 'token required by force-release (default: $BATON_ADMIN_TOKEN; none = force-release refused)')
  .option('--lease-ms <ms>', `lease for sessions that ask for none (${MIN_LEASE_MS}-${MAX_LEASE_MS})`, String(DEFAULT_LEASE_MS))
  .addOption(new Option('--log-format <format>', 'log lines for people or for machines').choices(['pretty', 'json']).default('pretty'))
  .option('--dashboard', 'serve the live dashboard page on every ws listener\'s port (the default when there is a ws listener)')
  .option('--no-dashboard', 'do not serve the dashboard')
  .option('--allow-origin <origin>', 'let web pages of this origin (https://app.example:8443, or * for any) open the ws endpoints; repeatable (default: only the server\'s own pages)', (value: string, previous: string[]) => [...previous, value], [] as string[])
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const options = program.opts<ServerCommandOptions>();
  const addresses: ListenAddress[] =
    options.listen.length > 0
      ? options.listen.map(parseListenUrl)
      : [{ transport: options.transport, host: normaliseHost(options.host), port: parsePort(options.port) }];
  const leaseMs = Number(options.leaseMs);
  if (!Number.isInteger(leaseMs) || leaseMs < MIN_LEASE_MS || leaseMs > MAX_LEASE_MS) {
    throw new Error(`--lease-ms must be an integer from ${MIN_LEASE_MS} to ${MAX_LEASE_MS}`);
  }
  const hasWebSocket = addresses.some((address) => address.transport === 'ws');
  if (options.dashboard === true && !hasWebSocket) {
    throw new Error('--dashboard is served on a ws listener: add --transport ws or --listen ws://HOST:PORT');
  }
  const dashboard = options.dashboard ?? hasWebSocket;
  const adminToken = options.adminToken ?? process.env.BATON_ADMIN_TOKEN;
  if (adminToken === '') throw new UsageError(`${options.adminToken === undefined ? 'BATON_ADMIN_TOKEN is set but empty' : '--admin-token is empty'}: an empty admin token would let anyone force-release; give a real token, or none to refuse force-release`);
  const logger = createLogger(options.logFormat, options.quiet);
  const durability = options.stateFile ? options.durability : 'memory';
  if (!options.stateFile && program.getOptionValueSource('durability') === 'cli' && options.durability === 'fsync') {
    throw new UsageError('--no-state-file keeps nothing on disk: it cannot go with --durability fsync');
  }
  let durable: DurableCoordinator | undefined;
  let coordinator: Coordinator;
  if (durability === 'fsync') {
    durable = await openDurableCoordinator(options.dataDir, {
      adminToken,
      defaultLeaseMs: leaseMs,
      logger,
      onFailure: (error) => {
        // Nothing more can be made durable, so nothing more may be acknowledged.
        logger.error({ event: 'log-failed', error: error.message }, `the write-ahead log in ${options.dataDir} failed (${error.message}); stopping`);
        process.exit(1);
      },
    });
    coordinator = durable.coordinator;
    const { sessions, records, fromSnapshot, durationMs } = durable.recovered;
    logger.info(
      { event: 'recovered', sessions, records, fromSnapshot, durationMs: Math.round(durationMs), dataDir: options.dataDir },
      `recovered ${sessions} session(s) from ${options.dataDir} (${fromSnapshot ? 'a snapshot and ' : ''}${records} record(s)) in ${Math.round(durationMs)} ms`,
    );
  } else {
    const tokenStore: TokenStore = options.stateFile ? new FileTokenStore(join(options.dataDir, 'state.json')) : new MemoryTokenStore();
    const longestLeaseMs = tokenStore.loadLongestLease?.() ?? 0;
    coordinator = new Coordinator({
      tokenStore,
      adminToken,
      defaultLeaseMs: leaseMs,
      logger,
      grantsHeldForMs: options.unsafeGrantAtOnceAfterRestart ? 0 : longestLeaseMs,
    });
  }
  const dashboards: DashboardEndpoint[] = [];
  for (const address of addresses) {
    if (address.transport === 'ws') {
      // Also without the dashboard: its HTTP server is the one that checks Origins and bounds handshakes.
      const endpoint = await listenWithDashboard(coordinator, { host: address.host, port: address.port, dashboard, adminEnabled: adminToken !== undefined, logger, allowedOrigins: options.allowOrigin });
      dashboards.push(endpoint);
      process.stdout.write(`Lock Server started on ${describeListener(address.transport, address.host, endpoint.port)}\n`);
      if (!dashboard) continue;
      const access = adminToken === undefined ? 'read-only: start with --admin-token to allow force-release' : 'force-release with the admin token';
      process.stdout.write(`Dashboard at ${endpoint.dashboardUrl} (${access})\n`);
      continue;
    }
    const listener = await coordinator.listen(transports[address.transport]!, address.host, address.port);
    process.stdout.write(`Lock Server started on ${describeListener(address.transport, address.host, listener.port)}\n`);
  }
  const stop = (signal: string) => {
    logger.info({ event: 'stopping', signal }, durable ? `received ${signal}; stopping (sessions are kept in the log)` : `received ${signal}; telling every client SHUTTING_DOWN, then stopping`);
    coordinator
      .shutdown()
      .then(() => coordinator.close())
      .then(() => Promise.all(dashboards.map((endpoint) => endpoint.close())))
      .then(() => durable?.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** A command line lock-server refuses to run with (exit code 2, the usual code for a bad command line; other failures exit 1). */
class UsageError extends Error {}

main().catch((error: unknown) => {
  process.stderr.write(`lock-server: ${(error as Error).message}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
