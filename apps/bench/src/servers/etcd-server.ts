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
