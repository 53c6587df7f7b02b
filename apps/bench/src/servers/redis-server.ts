import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { commandVersion } from './command-version.js';
import { freePort } from './free-port.js';
import { ManagedProcess } from './managed-process.js';

/** `redis-server --version` → "7.0.15", or undefined when it is not installed. */
export function redisVersion(): Promise<string | undefined> {
  return commandVersion('redis-server', ['--version'], /v=(\S+)/);
}

/**
 * redis-server on 127.0.0.1, its dir in the temp dir: by default no
 * persistence (`--save '' --appendonly no`); with `fsync`, the append-only
 * file fsynced before every reply (`--appendonly yes --appendfsync always`),
 * Redis's durable setting.
 */
export class RedisServer {
  private constructor(
    readonly process: ManagedProcess,
    readonly port: number,
  ) {}

  static async start(temporaryDirectory: string, options: { fsync?: boolean } = {}): Promise<RedisServer> {
    const directory = join(temporaryDirectory, options.fsync ? 'redis-fsync' : 'redis');
    const persistence = options.fsync ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    mkdirSync(directory, { recursive: true });
    const port = await freePort();
    const child = new ManagedProcess(
      options.fsync ? 'redis-server (appendfsync always)' : 'redis-server',
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', directory, '--daemonize', 'no', '--protected-mode', 'yes', '--maxclients', '20000'],
      { cwd: directory },
    );
    return child.stopUnless(async () => {
      await child.waitForLine(/Ready to accept connections/);
      return new RedisServer(child, port);
    });
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}
