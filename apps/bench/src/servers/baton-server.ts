import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchEntry, lockServerEntry } from '../paths.js';
import type { TransportName } from '../systems/system-target.js';
import { ManagedProcess } from './managed-process.js';

/** Memory of the server process at one moment. */
export interface MemorySample {
  /** Resident set size from /proc/<pid>/status, bytes. */
  vmRssBytes: number;
  /** After a full GC (W4 servers only): V8's heap in use and the RSS then. */
  heapUsedBytes?: number;
  collectedRssBytes?: number;
}

export interface BatonServerOptions {
  /** Working directory (nothing is written there: --no-state-file, or the data dir below). */
  cwd: string;
  /**
   * Durable mode: `--durability fsync --data-dir <dataDirectory>` (every
   * state change in the write-ahead log before its reply) instead of
   * `--no-state-file` (memory only).
   */
  dataDirectory?: string;
  /** Only these listeners (default all three: tcp, zmq, ws). */
  transports?: readonly TransportName[];
  /** `--quiet` (the default) hides info lines, the `recovered` one too. */
  quiet?: boolean;
  /** `--log-format json`: machine-readable log lines. */
  jsonLog?: boolean;
  /** Write a V8 CPU profile of the server into this directory when it stops. */
  cpuProfileDirectory?: string;
  /** Load the memory probe (forced GC + memoryUsage over IPC), for W4. */
  memoryProbe?: boolean;
}

/** A real lock-server process serving tcp, zmq and ws at once on 127.0.0.1. */
export class BatonServer {
  private constructor(
    readonly process: ManagedProcess,
    readonly urls: Record<TransportName, string>,
  ) {}

  static async start(options: BatonServerOptions): Promise<BatonServer> {
    const entry = lockServerEntry();
    const flags = [...entry.nodeFlags];
    // Node names each profile CPU.<date>.<pid>.<thread>.<n>.cpuprofile (thread 0 is the main one;
    // tsx's loader runs on another): the run log says which pid was the server.
    if (options.cpuProfileDirectory) flags.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfileDirectory);
    if (options.memoryProbe) flags.push('--expose-gc', '--import', pathToFileURL(benchEntry('servers/memory-probe').file).href);
    const transports = options.transports ?? ['tcp', 'zmq', 'ws'];
    const args = [
      ...flags,
      entry.file,
      ...transports.flatMap((transport) => ['--listen', `${transport}://127.0.0.1:0`]),
      ...(options.quiet === false ? [] : ['--quiet']),
      ...(options.jsonLog ? ['--log-format', 'json'] : []),
      ...(options.dataDirectory === undefined ? ['--no-state-file'] : ['--durability', 'fsync', '--data-dir', options.dataDirectory]),
      ...optionalServerFlags(entry.file),
    ];
    const child = new ManagedProcess(options.dataDirectory === undefined ? 'lock-server' : 'lock-server (durable)', process.execPath, args, {
      cwd: options.cwd,
      stdio: options.memoryProbe ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    const patterns: Record<TransportName, RegExp> = {
      zmq: /^Lock Server started on tcp:\/\/127\.0\.0\.1:(\d+)$/,
      tcp: /^Lock Server started on tcp:\/\/127\.0\.0\.1:(\d+) \(transport: tcp\)$/,
      ws: /^Lock Server started on ws:\/\/127\.0\.0\.1:(\d+) \(transport: ws\)$/,
    };
    return child.stopUnless(async () => {
      // A durable server reads its whole log before it listens: give a large one time.
      const matches = await Promise.all(transports.map((transport) => child.waitForLine(patterns[transport], 300_000)));
      const urls: Record<TransportName, string> = { tcp: '', zmq: '', ws: '' };
      transports.forEach((transport, index) => (urls[transport] = `${transport}://127.0.0.1:${matches[index]![1]}`));
      return new BatonServer(child, urls);
    });
  }

  /** RSS now; with the memory probe loaded, also heap and RSS after a full GC. */
  async memory(): Promise<MemorySample> {
    const pid = this.process.pid;
    const sample: MemorySample = { vmRssBytes: pid === undefined ? 0 : readVmRss(pid) };
    const child = this.process.child;
    if (!child.send) return sample;
    const reply = await new Promise<{ heapUsed: number; vmRssBytes?: number; collected: boolean }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the memory probe did not answer within 10 s')), 10_000);
      child.once('message', (message: { heapUsed: number; vmRssBytes?: number; collected: boolean }) => {
        clearTimeout(timer);
        resolve(message);
      });
      child.send({ type: 'memory' });
    });
    sample.heapUsedBytes = reply.heapUsed;
    if (reply.vmRssBytes !== undefined) sample.collectedRssBytes = reply.vmRssBytes;
    return sample;
  }

  stop(): Promise<void> {
    // The server exits cleanly on SIGTERM, which is also when --cpu-prof writes its profile.
    return this.process.stop(10_000);
  }
}

/**
 * Flags that only some versions of lock-server have. `--no-dashboard`: the
 * live dashboard (served on the ws listener's port when there is one)
 * subscribes to every coordinator effect; the benchmark measures the lock
 * service itself, so it turns the dashboard off where the server has one.
 * Whether the option exists is read from the entry's text, which is
 * instant, where asking `--help` would cost a second process start.
 */
export function optionalServerFlags(entryFile: string): string[] {
  try {
    return readFileSync(entryFile, 'utf8').includes("'--no-dashboard'") ? ['--no-dashboard'] : [];
  } catch {
    return [];
  }
}

/** VmRSS of a process, in bytes. */
export function readVmRss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(join('/proc', String(pid), 'status'), 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}
