/**
 * The lock-server under test: a real process, started the way users start
 * it (apps/server's build when the fuzzer runs from its own build, as
 * `pnpm fuzz` does; its sources through tsx when the fuzzer runs from source,
 * as the tests do), listening on 127.0.0.1 with free ports for tcp, ws and
 * zmq at once, with an admin token only the fuzzer knows (so force-release
 * is exercised both ways) and no state file. It is stopped however the run
 * ends: SIGTERM then SIGKILL at the end, SIGKILL from an `exit` handler if
 * the fuzzer dies first.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Endpoints } from './transports/raw-connection.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root (apps/fuzz/src or apps/fuzz/dist is two levels below). */
export const repositoryRoot = join(here, '..', '..', '..');

/** True when this module runs from TypeScript sources (vitest, tsx), false from dist/. */
const fromSource = extname(fileURLToPath(import.meta.url)) === '.ts';

/** node flags and entry file of lock-server. */
export function lockServerEntry(): { file: string; nodeFlags: string[] } {
  const built = join(repositoryRoot, 'apps', 'server', 'dist', 'main.js');
  if (!fromSource) {
    if (!existsSync(built)) throw new Error(`${built} is missing: build first (pnpm fuzz does)`);
    return { file: built, nodeFlags: [] };
  }
  const tsxLoader = pathToFileURL(join(repositoryRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  return { file: join(repositoryRoot, 'apps', 'server', 'src', 'main.ts'), nodeFlags: ['--conditions=@baton/source', '--import', tsxLoader] };
}

const running = new Set<ChildProcess>();
let exitHandlerInstalled = false;

function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const each of running) each.kill('SIGKILL');
  });
}

export class LockServerProcess {
  readonly #child: ChildProcess;
  /** The last lines it printed (shared with the line reader started in start()). */
  readonly #output: string[];
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;

  private constructor(
    child: ChildProcess,
    readonly endpoints: Endpoints,
    readonly adminToken: string,
    output: string[],
  ) {
    this.#child = child;
    this.#output = output;
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      child.once('exit', () => resolve());
    });
  }

  static async start(): Promise<LockServerProcess> {
    const entry = lockServerEntry();
    const adminToken = randomBytes(12).toString('hex');
    const args = [
      ...entry.nodeFlags,
      entry.file,
      '--listen', 'tcp://127.0.0.1:0',
      '--listen', 'ws://127.0.0.1:0',
      '--listen', 'zmq://127.0.0.1:0',
      '--quiet',
      '--no-state-file',
      '--no-dashboard',
      '--admin-token', adminToken,
    ];
    const child = spawn(process.execPath, args, { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    killOnExit(child);
    const output: string[] = [];
    const ports: Partial<Endpoints> = {};
    let onReady: (() => void) | undefined;
    let onFailed: ((error: Error) => void) | undefined;
    const onLine = (line: string) => {
      output.push(line);
      if (output.length > 200) output.shift();
      let match = /^Lock Server started on tcp:\/\/127\.0\.0\.1:(\d+) \(transport: tcp\)$/.exec(line);
      if (match) ports.tcp = Number(match[1]);
      match = /^Lock Server started on ws:\/\/127\.0\.0\.1:(\d+) \(transport: ws\)$/.exec(line);
      if (match) ports.ws = Number(match[1]);
      match = /^Lock Server started on tcp:\/\/127\.0\.0\.1:(\d+)$/.exec(line);
      if (match) ports.zmq = Number(match[1]);
      if (ports.tcp !== undefined && ports.ws !== undefined && ports.zmq !== undefined) onReady?.();
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    const server = new LockServerProcess(child, ports as Endpoints, adminToken, output);
    child.once('exit', (code, signal) => {
      server.#exit = { code, signal };
      onFailed?.(new Error(`lock-server exited (${code ?? signal}) before it was ready:\n${output.join('\n')}`));
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`lock-server did not start within 30 s:\n${output.join('\n')}`)), 30_000);
        onReady = () => {
          clearTimeout(timer);
          resolve();
        };
        onFailed = (error) => {
          clearTimeout(timer);
          reject(error);
        };
      });
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    } finally {
      onReady = undefined;
      onFailed = undefined;
    }
    return server;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** How it exited, once it has. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.#exit;
  }

  /** Its last output lines (the server runs --quiet: only warnings and errors). */
  tail(lines = 30): string {
    return this.#output.slice(-lines).join('\n');
  }

  /** Resident set size now (VmRSS of /proc/PID/status), bytes; undefined once it has exited. */
  rssBytes(): number | undefined {
    const pid = this.#child.pid;
    if (pid === undefined || !this.running) return undefined;
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return match ? Number(match[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /** SIGTERM (the server tells its clients SHUTTING_DOWN and exits), then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.#child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    if (this.running) {
      this.#child.kill('SIGKILL');
      await this.exited;
    }
  }
}
