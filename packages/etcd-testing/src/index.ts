/**
 * @baton/etcd-testing — the high-availability tests run against a real etcd
 * cluster: Debian's `etcd-server` package (etcd 3.4, installed by
 * `scripts/install-test-servers.sh`), started here as N members on free
 * loopback ports with their data in a temp dir, and stopped at the end
 * however the test ends. Members can be killed (SIGKILL), paused (SIGSTOP /
 * SIGCONT) and started again on their data, which is how the tests take
 * etcd's quorum away and give it back.
 *
 * In CI (`CI` set) a missing etcd fails the tests; elsewhere they are skipped
 * with a loud message saying how to install it.
 *
 * @example
 * ```ts
 * import { describeWithEtcd, startEtcdCluster } from '@baton/etcd-testing';
 * describeWithEtcd('the group', () => {
 *   it('elects one leader', async () => {
 *     await using cluster = await startEtcdCluster({ members: 3 });
 *     // cluster.endpoints: ['http://127.0.0.1:41234', ...]
 *   });
 * });
 * ```
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';

/** The etcd binary. Override with BATON_ETCD. */
export const ETCD_PATH = process.env.BATON_ETCD ?? 'etcd';

/** How long a member may take to say it serves clients (a cluster waits for its quorum first). */
export const MEMBER_READY_TIMEOUT_MS = 30_000;

/** Pause between two `/health` asks of a member that is not healthy yet, ms. */
export const HEALTH_RETRY_DELAY_MS = 100;

/** Lines of a member's output kept for an error message. */
const OUTPUT_LINES_KEPT = 40;

export function etcdAvailable(): boolean {
  return spawnSync(ETCD_PATH, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * `describe` for tests that need etcd. Without it: in CI, one failing test
 * that says how to install it; elsewhere the tests are skipped and a warning
 * is printed, so a green local run never hides that they did not run.
 */
export function describeWithEtcd(name: string, body: () => void): void {
  if (etcdAvailable()) {
    describe(name, body);
    return;
  }
  const howTo = `${ETCD_PATH} is missing: run \`bash scripts/install-test-servers.sh\` (Debian's etcd-server package)`;
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') {
    describe(name, () => {
      it('needs etcd', () => {
        throw new Error(`CI must run the etcd tests, but ${howTo}`);
      });
    });
    return;
  }
  process.stderr.write(`\n${'!'.repeat(78)}\n!! SKIPPING etcd tests "${name}": ${howTo}\n${'!'.repeat(78)}\n\n`);
  describe.skip(name, body);
}

/** A port that was free a moment ago on 127.0.0.1 (etcd takes no port 0; a race shows as a failed start). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface EtcdClusterOptions {
  /** Members of the cluster (default 3, the smallest that survives the loss of one). */
  members?: number;
  /** etcd's `--heartbeat-interval`, ms (default 100, etcd's own). */
  heartbeatIntervalMs?: number;
  /** etcd's `--election-timeout`, ms (default 1,000, etcd's own). */
  electionTimeoutMs?: number;
}

/** Every member started in this process and not seen to exit: killed when the process exits. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** One etcd process of a cluster. */
export class EtcdMember {
  /** The member's client URL, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output: string[] = [];
  /** Whether the running process has said it serves clients. */
  private serving = false;

  constructor(
    readonly name: string,
    private readonly arguments_: readonly string[],
    clientPort: number,
  ) {
    this.endpoint = `http://127.0.0.1:${clientPort}`;
  }

  /** Whether the process runs (a paused member runs). */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** The process id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Starts the process (again, on the same data dir after a kill). Resolves
   * once it is running; {@link ready} waits until it serves clients.
   */
  start(): void {
    if (this.child !== undefined) throw new Error(`etcd member ${this.name} already runs`);
    const child = spawn(ETCD_PATH, this.arguments_, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.output = [];
    this.serving = false;
    running.add(child);
    const keep = (line: string): void => {
      if (isReadyLine(line)) this.serving = true;
      this.output.push(line);
      if (this.output.length > OUTPUT_LINES_KEPT) this.output.shift();
      this.onLine?.(line);
    };
    createInterface({ input: child.stdout }).on('line', keep);
    createInterface({ input: child.stderr }).on('line', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        running.delete(child);
        if (this.child === child) this.child = undefined;
        this.onExit?.();
        resolve();
      });
      child.once('error', () => undefined);
    });
  }

  private onLine: ((line: string) => void) | undefined;
  private onExit: (() => void) | undefined;

  /** Resolves when the member says it serves client requests (etcd prints that once it has a leader). */
  ready(timeoutMs = MEMBER_READY_TIMEOUT_MS): Promise<void> {
    if (this.serving) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`etcd member ${this.name} did not become ready in ${timeoutMs} ms`)), timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.onLine = undefined;
        this.onExit = undefined;
      };
      const fail = (error: Error): void => {
        done();
        reject(new Error(`${error.message}:\n${this.output.join('\n')}`));
      };
      this.onLine = (line) => {
        if (isReadyLine(line)) {
          done();
          resolve();
        }
      };
      this.onExit = () => fail(new Error(`etcd member ${this.name} exited before it was ready`));
    });
  }

  /**
   * Resolves once the member's `/health` says true (it answers a
   * linearizable read: this member is part of a quorum and caught up). A
   * member just resumed or restarted can say false for a moment.
   */
  async healthy(timeoutMs = MEMBER_READY_TIMEOUT_MS): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const health = await fetch(`${this.endpoint}/health`).then(
        async (response) => ((await response.json()) as { health?: string }).health === 'true',
        () => false,
      );
      if (health) return;
      if (performance.now() > deadline) throw new Error(`etcd member ${this.name} was not healthy within ${timeoutMs} ms:\n${this.recentOutput()}`);
      // etcd's /health answers false at once while it has no leader: a short pause between asks, not a wait for time.
      await new Promise((resolve) => setTimeout(resolve, HEALTH_RETRY_DELAY_MS));
    }
  }

  /** Sends `signal` (SIGKILL: a crash; SIGSTOP/SIGCONT: a pause) and, for one that ends it, waits for the exit. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill(signal);
    if (signal !== 'SIGSTOP' && signal !== 'SIGCONT') await this.exited;
  }

  /** SIGKILL, as a crash. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** The last lines it printed, for a failure message. */
  recentOutput(): string {
    return this.output.join('\n');
  }
}

/** etcd 3.4 logs this (zap) once its server is ready, that is, once the cluster has a leader. */
function isReadyLine(line: string): boolean {
  return line.includes('serving client traffic') || line.includes('ready to serve client requests');
}

/** A running etcd cluster on loopback. Stop it with {@link stop} (or `await using`). */
export class EtcdCluster {
  private constructor(
    readonly members: readonly EtcdMember[],
    private readonly directory: string,
  ) {}

  /** Every member's client URL, in member order. */
  get endpoints(): string[] {
    return this.members.map((member) => member.endpoint);
  }

  static async start(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const count = options.members ?? 3;
    if (!Number.isInteger(count) || count < 1) throw new RangeError('an etcd cluster needs at least one member');
    const directory = mkdtempSync(join(tmpdir(), 'baton-etcd-'));
    const ports: { client: number; peer: number }[] = [];
    for (let index = 0; index < count; index += 1) ports.push({ client: await freePort(), peer: await freePort() });
    const names = ports.map((_, index) => `member-${index}`);
    const initialCluster = ports.map((port, index) => `${names[index]}=http://127.0.0.1:${port.peer}`).join(',');
    const members = ports.map((port, index) => {
      const client = `http://127.0.0.1:${port.client}`;
      const peer = `http://127.0.0.1:${port.peer}`;
      return new EtcdMember(
        names[index]!,
        [
          '--name', names[index]!,
          '--data-dir', join(directory, names[index]!),
          '--listen-client-urls', client,
          '--advertise-client-urls', client,
          '--listen-peer-urls', peer,
          '--initial-advertise-peer-urls', peer,
          '--initial-cluster', initialCluster,
          '--initial-cluster-state', 'new',
          '--initial-cluster-token', `baton-test-${process.pid}`,
          '--heartbeat-interval', String(options.heartbeatIntervalMs ?? 100),
          '--election-timeout', String(options.electionTimeoutMs ?? 1_000),
          '--logger', 'zap',
          '--log-outputs', 'stderr',
        ],
        port.client,
      );
    });
    const cluster = new EtcdCluster(members, directory);
    try {
      for (const member of members) member.start();
      await Promise.all(members.map((member) => member.ready()));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Kills every member and removes the data. Safe to call twice. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map(async (member) => {
      await member.signal('SIGCONT');
      await member.kill();
    }));
    rmSync(this.directory, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** Starts an etcd cluster of `members` members (default 3) on free loopback ports. */
export function startEtcdCluster(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  return EtcdCluster.start(options);
}

/** What {@link useEtcdCluster} gives a describe block. */
export interface EtcdClusterFixture {
  /** The cluster (started before the block's first test). */
  cluster(): EtcdCluster;
  /** Run `cleanup` after the current test, however it ends (the last registered first). */
  afterThisTest(cleanup: () => Promise<void> | void): void;
}

/**
 * Inside a `describe`: one cluster for its tests, started before the first
 * and stopped after the last, and per-test cleanups run after each test.
 */
export function useEtcdCluster(options: EtcdClusterOptions = {}): EtcdClusterFixture {
  let cluster: EtcdCluster | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    cluster = await startEtcdCluster(options);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return {
    cluster: () => {
      if (cluster === undefined) throw new Error('the etcd cluster is not started yet (use it inside a test or a later hook)');
      return cluster;
    },
    afterThisTest: (cleanup) => cleanups.push(cleanup),
  };
}
