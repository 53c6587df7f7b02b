import { benchEntry } from '../paths.js';
import type { TransportName } from '../systems/system-target.js';
import { ManagedProcess } from './managed-process.js';

/** The raw echo servers (tcp, zmq, ws) in their own process. */
export class EchoServer {
  private constructor(
    readonly process: ManagedProcess,
    readonly ports: Record<TransportName, number>,
  ) {}

  static async start(cwd: string, cpuProfileDirectory?: string): Promise<EchoServer> {
    const entry = benchEntry('servers/echo-server-main');
    const profile = cpuProfileDirectory ? ['--cpu-prof', '--cpu-prof-dir', cpuProfileDirectory] : [];
    const child = new ManagedProcess('echo-server', process.execPath, [...entry.nodeFlags, ...profile, entry.file], { cwd });
    return child.stopUnless(async () => {
      const ports = {} as Record<TransportName, number>;
      await Promise.all(
        (['tcp', 'zmq', 'ws'] as const).map(async (transport) => {
          const match = await child.waitForLine(new RegExp(`^Echo server started on ${transport}://127\\.0\\.0\\.1:(\\d+) `));
          ports[transport] = Number(match[1]);
        }),
      );
      return new EchoServer(child, ports);
    });
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}
