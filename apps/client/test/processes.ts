import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FaultProxy } from './fault-proxy.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** tsx as a loader inside one node process (the tsx CLI would put a second process between the test and the app, and a SIGKILL would miss the app). */
const tsxLoader = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** A child process of one of the apps, with its output kept line by line so tests can wait for a line. */
export class AppProcess {
  readonly lines: string[] = [];
  readonly errorLines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly watchers: { pattern: RegExp; stream: 'stdout' | 'stderr'; resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  private hasExited = false;

  constructor(readonly name: string, readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.hasExited = true;
        for (const watcher of this.watchers.splice(0)) {
          watcher.reject(new Error(`${name} exited (${code ?? signal}) before printing ${watcher.pattern}; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.errorLines.join('\n')}`));
        }
        resolve({ code, signal });
      });
    });
    const onLine = (stream: 'stdout' | 'stderr', line: string) => {
      (stream === 'stdout' ? this.lines : this.errorLines).push(line);
      for (const watcher of [...this.watchers]) {
        if (watcher.stream === stream && watcher.pattern.test(line)) {
          this.watchers.splice(this.watchers.indexOf(watcher), 1);
          watcher.resolve(line);
        }
      }
    };
    createInterface({ input: child.stdout! }).on('line', (line) => onLine('stdout', line));
    createInterface({ input: child.stderr! }).on('line', (line) => onLine('stderr', line));
  }

  /** The first line (already printed or still to come) that matches. */
  waitForLine(pattern: RegExp): Promise<string> {
    return this.waitFor('stdout', pattern);
  }

  /** The first line on stderr (already printed or still to come) that matches. */
  waitForErrorLine(pattern: RegExp): Promise<string> {
    return this.waitFor('stderr', pattern);
  }

  private waitFor(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<string> {
    const existing = (stream === 'stdout' ? this.lines : this.errorLines).find((line) => pattern.test(line));
    if (existing !== undefined) return Promise.resolve(existing);
    if (this.hasExited) return Promise.reject(new Error(`${this.name} has exited without printing ${pattern} on ${stream}`));
    return new Promise((resolve, reject) => this.watchers.push({ pattern, stream, resolve, reject }));
  }

  /** Resolves once `check` is true, evaluated now and after every new line on stdout. */
  async waitUntil(check: () => boolean, description = 'a condition'): Promise<void> {
    while (!check()) {
      if (this.hasExited) throw new Error(`${this.name} has exited before ${description}`);
      await new Promise<void>((resolve, reject) => this.watchers.push({ pattern: /(?:)/, stream: 'stdout', resolve: () => resolve(), reject }));
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.hasExited) this.child.kill(signal);
  }

  /** Index of the first line matching, or -1. */
  indexOf(pattern: RegExp): number {
    return this.lines.findIndex((line) => pattern.test(line));
  }
}

/** Start one of the apps (`apps/server/src/main.ts`, `apps/client/src/main.ts`) from source, in `cwd`. */
export function startApp(name: string, entry: string, args: string[], cwd: string): AppProcess {
  const child = spawn(process.execPath, ['--conditions=@baton/source', '--import', tsxLoader, join(root, entry), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  return new AppProcess(name, child);
}

export interface ServerProcess extends AppProcess {
  port: number;
}

/** Start lock-server on 127.0.0.1 and a free port; resolves once it printed its startup line. */
export async function startServer(transport: string, cwd: string, extra: string[] = []): Promise<AppProcess & { port: number }> {
  const server = startApp('lock-server', 'apps/server/src/main.ts', ['--transport', transport, '--host', '127.0.0.1', '--port', '0', '--log-format', 'json', ...extra], cwd);
  const line = await server.waitForLine(/^Lock Server started on /);
  const port = Number(/:(\d+)( |$)/.exec(line)![1]);
  return Object.assign(server, { port });
}

/** Start lock-client against a server. */
export function startClient(name: string, transport: string, port: number, dataDirectory: string, args: string[]): AppProcess {
  return startApp(name, 'apps/client/src/main.ts', ['--transport', transport, '--server', `127.0.0.1:${port}`, '--data-dir', dataDirectory, '--client', name, ...args], dataDirectory);
}

/** Server log events (the server runs with --log-format json). */
export function serverEvents(server: AppProcess): Record<string, unknown>[] {
  return server.lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** On failure: what every process printed and what the proxy saw, for the CI log. */
export function dumpOutput(processes: AppProcess[], proxy?: FaultProxy): void {
  for (const started of processes) {
    console.log(`--- ${started.name} stdout (last 40)\n${started.lines.slice(-40).join('\n')}\n--- ${started.name} stderr (last 40)\n${started.errorLines.slice(-40).join('\n')}`);
  }
  if (proxy) {
    console.log(`--- proxy: ${proxy.accepted} connections, ${proxy.resets} resets, dropped ${JSON.stringify(proxy.dropped)}`);
    console.log(proxy.messages.slice(-40).map((message) => `${message.connection} ${message.direction} ${message.text.slice(0, 200)}`).join('\n'));
  }
}
