import { performance } from 'node:perf_hooks';
import { lockServerEntry } from '../paths.js';
import { freePort } from './free-port.js';
import { ManagedProcess } from './managed-process.js';

/** The election lease of the bench's group, seconds: a failover takes about this long (etcd's shortest lease is about 2 s at its default timings). */
export const GROUP_ELECTION_LEASE_SECONDS = 2;

export interface BatonGroupOptions {
  cwd: string;
  /** Client URLs of the etcd cluster. */
  etcd: readonly string[];
  members?: number;
  /** Key prefix of the group in etcd. */
  prefix?: string;
  electionLeaseSeconds?: number;
  cpuProfileDirectory?: string;
}

interface Member {
  url: string;
  port: number;
  process: ManagedProcess;
}

/**
 * Baton as a group: N lock-server processes in group mode (`--etcd …
 * --listen tcp://127.0.0.1:P --advertise tcp://127.0.0.1:P`) on one etcd
 * cluster. One is elected and serves; the others answer NOT_LEADER. The
 * leader is the process that printed `Leading the group as <url>` last
 * (and has not exited or said it was deposed since).
 */
export class BatonGroup {
  private readonly members: Member[];
  private leaderIndex: number | undefined;
  private waiters: { exclude: number | undefined; resolve: (index: number) => void }[] = [];

  private constructor(private readonly options: BatonGroupOptions, ports: number[]) {
    this.members = ports.map((port) => ({ port, url: `tcp://127.0.0.1:${port}`, process: undefined as unknown as ManagedProcess }));
  }

  static async start(options: BatonGroupOptions): Promise<BatonGroup> {
    const ports: number[] = [];
    for (let index = 0; index < (options.members ?? 3); index++) ports.push(await freePort());
    const group = new BatonGroup(options, ports);
    try {
      await Promise.all(ports.map((_port, index) => group.spawn(index)));
      await group.leader(30_000);
    } catch (error) {
      await group.stop();
      throw error;
    }
    return group;
  }

  /** Every member process's pid. */
  get pids(): number[] {
    return this.members.flatMap((member) => (member.process.pid === undefined ? [] : [member.process.pid]));
  }

  get urls(): string[] {
    return this.members.map((member) => member.url);
  }

  /** The leader's index and url once there is one (waits up to `timeoutMs`). */
  async leader(timeoutMs = 30_000, exclude?: number): Promise<{ index: number; url: string }> {
    const index = await this.nextLeader(timeoutMs, exclude);
    return { index, url: this.members[index]!.url };
  }

  /**
   * SIGKILL the leader; resolves with when the kill was sent and the index
   * of the killed member (already exited). Start it again with {@link restart}.
   */
  async killLeader(): Promise<{ killedAt: number; index: number }> {
    const { index } = await this.leader();
    const member = this.members[index]!;
    const killedAt = performance.now();
    member.process.killNow();
    await member.process.exited;
    return { killedAt, index };
  }

  /** Start member `index` again on its port (it joins as a follower). */
  restart(index: number): Promise<void> {
    return this.spawn(index);
  }

  /** The leader other than `exclude`, as soon as one says it leads. */
  nextLeader(timeoutMs: number, exclude?: number): Promise<number> {
    if (this.leaderIndex !== undefined && this.leaderIndex !== exclude) return Promise.resolve(this.leaderIndex);
    return new Promise((resolve, reject) => {
      const waiter = {
        exclude,
        resolve: (index: number) => {
          clearTimeout(timer);
          resolve(index);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((item) => item !== waiter);
        const tails = this.members.map((member) => `${member.url}:\n${member.process.tail(10)}`).join('\n');
        reject(new Error(`no lock-server of the group said it leads within ${timeoutMs} ms:\n${tails}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((member) => member.process?.stop(5_000)));
  }

  private async spawn(index: number): Promise<void> {
    const member = this.members[index]!;
    const entry = lockServerEntry();
    const flags = [...entry.nodeFlags];
    if (this.options.cpuProfileDirectory) flags.push('--cpu-prof', '--cpu-prof-dir', this.options.cpuProfileDirectory);
    const child = new ManagedProcess(`lock-server (group member ${index})`, process.execPath, [
      ...flags,
      entry.file,
      '--etcd', this.options.etcd.join(','),
      '--listen', member.url,
      '--advertise', member.url,
      '--etcd-prefix', this.options.prefix ?? 'bench/baton-group/',
      '--election-lease-s', String(this.options.electionLeaseSeconds ?? GROUP_ELECTION_LEASE_SECONDS),
      '--quiet',
    ], { cwd: this.options.cwd });
    member.process = child;
    child.onLine((line) => {
      if (line.startsWith('Leading the group as ')) this.elected(index);
      // A deposed leader logs it (an error line, shown with --quiet too) and follows again.
      else if (this.leaderIndex === index && /deposed/i.test(line)) this.leaderIndex = undefined;
    });
    void child.exited.then(() => {
      if (this.leaderIndex === index && member.process === child) this.leaderIndex = undefined;
    });
    await child.stopUnless(() => child.waitForLine(new RegExp(`^Lock Server started on tcp://127\\.0\\.0\\.1:${member.port} \\(transport: tcp\\)$`)));
  }

  private elected(index: number): void {
    this.leaderIndex = index;
    for (const waiter of this.waiters.filter((item) => item.exclude !== index)) waiter.resolve(index);
    this.waiters = this.waiters.filter((item) => item.exclude === index);
  }
}
