import { join } from 'node:path';
import { commandVersion } from './command-version.js';
import { freePort } from './free-port.js';
import { ManagedProcess } from './managed-process.js';

/** `etcd --version` → "3.4.23", or undefined when it is not installed. */
export function etcdVersion(): Promise<string | undefined> {
  return commandVersion('etcd', ['--version'], /etcd Version: (\S+)/);
}

/**
 * A single-member etcd on 127.0.0.1 with its data in the temp dir. It runs
 * with its defaults, so every write is fsynced: that is etcd as deployed.
 */
export class EtcdServer {
  private constructor(
    readonly process: ManagedProcess,
    readonly endpoint: string,
  ) {}

  static async start(temporaryDirectory: string): Promise<EtcdServer> {
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const client = `http://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const child = new ManagedProcess('etcd', 'etcd', [
      '--name', 'bench',
      '--data-dir', join(temporaryDirectory, 'etcd'),
      '--listen-client-urls', client,
      '--advertise-client-urls', client,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `bench=${peer}`,
      '--initial-cluster-state', 'new',
      '--logger', 'zap',
      '--log-outputs', 'stderr',
    ], { cwd: temporaryDirectory });
    return child.stopUnless(async () => {
      await child.waitForLine(/ready to serve client requests|serving client traffic/);
      return new EtcdServer(child, client);
    });
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}

/**
 * A 3-member etcd cluster on 127.0.0.1 (one process per member, data in the
 * temp dir), with etcd's defaults as the single member has them (every write
 * fsynced; heartbeat 100 ms, election timeout 1 s): what the replicated
 * systems run on. Its members are managed processes, so they are stopped
 * with every other server however the run ends.
 */
export class EtcdCluster {
  private constructor(
    readonly members: readonly ManagedProcess[],
    readonly endpoints: string[],
  ) {}

  /** Every member's pid (for CPU time and pinning). */
  get pids(): number[] {
    return this.members.flatMap((member) => (member.pid === undefined ? [] : [member.pid]));
  }

  static async start(temporaryDirectory: string, size = 3): Promise<EtcdCluster> {
    const ports: { client: number; peer: number }[] = [];
    for (let index = 0; index < size; index++) ports.push({ client: await freePort(), peer: await freePort() });
    const names = ports.map((_port, index) => `bench-${index}`);
    const initialCluster = ports.map((port, index) => `${names[index]}=http://127.0.0.1:${port.peer}`).join(',');
    const endpoints = ports.map((port) => `http://127.0.0.1:${port.client}`);
    const members = ports.map((port, index) => {
      const peer = `http://127.0.0.1:${port.peer}`;
      return new ManagedProcess(`etcd ${names[index]}`, 'etcd', [
        '--name', names[index]!,
        '--data-dir', join(temporaryDirectory, 'etcd-cluster', names[index]!),
        '--listen-client-urls', endpoints[index]!,
        '--advertise-client-urls', endpoints[index]!,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', `baton-bench-${process.pid}`,
        '--logger', 'zap',
        '--log-outputs', 'stderr',
      ], { cwd: temporaryDirectory });
    });
    try {
      // A member says it serves clients once the cluster has a leader.
      await Promise.all(members.map((member) => member.waitForLine(/ready to serve client requests|serving client traffic/)));
    } catch (error) {
      await Promise.all(members.map((member) => member.stop()));
      throw error;
    }
    return new EtcdCluster(members, endpoints);
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((member) => member.stop()));
  }
}
