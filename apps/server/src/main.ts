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
 *
 * In a group (`--etcd URL,URL,… --advertise tcp://this-host:5556`), the
 * process stands in the group's election on etcd: a follower answers every
 * request with NOT_LEADER and the leader's address; elected, it recovers the
 * group's log from etcd and serves, every state change committed in etcd
 * before its reply (docs/operations.md; group-server.ts).
 */
import { Command, Option } from 'commander';
import { DEFAULT_LEASE_MS, MAX_LEASE_MS, MIN_LEASE_MS } from '@baton/core';
import type { DashboardEndpoint } from '@baton/dashboard-server';
import { listenWithDashboard } from '@baton/dashboard-server';
import { join } from 'node:path';
import { Coordinator, FileTokenStore, MemoryTokenStore, openDurableCoordinator } from '@baton/server';
import type { CoordinatorLogger, DurableCoordinator, JournaledCoordinatorOptions, TokenStore } from '@baton/server';
import { DEFAULT_ELECTION_LEASE_TTL_SECONDS } from '@baton/etcd-group';
import { GroupServer } from './group-server.js';
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
  etcd?: string;
  advertise?: string;
  etcdPrefix: string;
  electionLeaseS: string;
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
  .option('--etcd <urls>', 'run in a group on this etcd cluster (comma-separated client URLs, e.g. http://10.0.0.1:2379,http://10.0.0.2:2379): one elected coordinator serves, the others redirect to it; the log is kept in etcd')
  .option('--advertise <url>', 'in a group: the address clients reach this process at, e.g. tcp://10.0.0.3:5556 (default: the --listen address, when it names a host and port)')
  .option('--etcd-prefix <prefix>', 'in a group: the key prefix of the group in etcd (one per group)', 'baton/group/')
  .option('--election-lease-s <seconds>', 'in a group: the leader\'s etcd lease, whole seconds; a failover takes about this long', String(DEFAULT_ELECTION_LEASE_TTL_SECONDS))
  .addHelpText('after', `
Examples:
  lock-server                                   zmq on tcp://127.0.0.1:5555, log in ./baton-data
  lock-server --transport tcp --port 5556 --durability memory
  lock-server --listen tcp://0.0.0.0:5556 --listen ws://0.0.0.0:8080
  lock-server --etcd http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.3:2379 \\
              --listen tcp://0.0.0.0:5556 --advertise tcp://10.0.0.4:5556   one member of a group`)
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
  if (options.etcd !== undefined) {
    await serveInGroup(options, addresses, { adminToken, defaultLeaseMs: leaseMs, logger });
    return;
  }
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

/** `--etcd`: one member of a group; see group-server.ts. */
async function serveInGroup(options: ServerCommandOptions, addresses: ListenAddress[], coordinatorOptions: JournaledCoordinatorOptions & { logger: CoordinatorLogger }): Promise<void> {
  for (const name of ['durability', 'dataDir', 'stateFile', 'unsafeGrantAtOnceAfterRestart', 'dashboard'] as const) {
    if (program.getOptionValueSource(name) === 'cli') throw new UsageError(`--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)} does not apply with --etcd: a group keeps its log in etcd`);
  }
  if (addresses.some((address) => address.transport === 'ws')) throw new UsageError('a group member listens on tcp or zmq; ws (and the dashboard) is not served in a group yet');
  const etcd = options.etcd!.split(',').map((url) => url.trim()).filter((url) => url !== '');
  if (etcd.length === 0) throw new UsageError('--etcd needs at least one etcd client URL, e.g. http://127.0.0.1:2379');
  for (const url of etcd) {
    if (!/^https?:\/\/[^/\s]+$/.test(url)) throw new UsageError(`--etcd ${url}: expected an etcd client URL like http://10.0.0.1:2379`);
  }
  const electionLeaseSeconds = Number(options.electionLeaseS);
  if (!Number.isInteger(electionLeaseSeconds) || electionLeaseSeconds < 1 || electionLeaseSeconds > MAX_ELECTION_LEASE_SECONDS) {
    throw new UsageError(`--election-lease-s must be a whole number of seconds from 1 to ${MAX_ELECTION_LEASE_SECONDS}`);
  }
  if (!options.etcdPrefix.endsWith('/')) throw new UsageError(`--etcd-prefix ${options.etcdPrefix} must end with "/"`);
  const first = addresses[0]!;
  const advertise = options.advertise ?? (first.host !== '0.0.0.0' && first.host !== '::' && first.port !== 0 ? `${first.transport}://${first.host.includes(':') ? `[${first.host}]` : first.host}:${first.port}` : undefined);
  if (advertise === undefined) throw new UsageError('--advertise is required when the listen address is every interface or port 0: give the address clients reach this process at, e.g. --advertise tcp://10.0.0.4:5556');
  if (!/^[a-z]+:\/\/\S+:[0-9]{1,5}$/.test(advertise)) throw new UsageError(`--advertise ${advertise}: expected TRANSPORT://HOST:PORT, e.g. tcp://10.0.0.4:5556`);
  const group = new GroupServer({
    etcd,
    prefix: options.etcdPrefix,
    advertise,
    electionLeaseSeconds,
    addresses,
    coordinatorOptions,
    logger: coordinatorOptions.logger,
    print: (line) => process.stdout.write(`${line}\n`),
  });
  await group.start();
  const stop = (signal: string) => {
    coordinatorOptions.logger.info({ event: 'stopping', signal }, `received ${signal}; resigning from the group (the next member takes over at once), then stopping`);
    group.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** The longest election lease --election-lease-s takes: a failover waits about this long. */
const MAX_ELECTION_LEASE_SECONDS = 60;

/** A command line lock-server refuses to run with (exit code 2, the usual code for a bad command line; other failures exit 1). */
class UsageError extends Error {}

main().catch((error: unknown) => {
  process.stderr.write(`lock-server: ${(error as Error).message}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
