import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** tsx as a loader inside the one node process, so a kill reaches the app itself. */
const tsxLoader = pathToFileURL(join(repositoryRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** lock-server or lock-client run from source, its output kept line by line so a test can wait for a line. */
export class AppProcess {
  readonly lines: string[] = [];
  readonly errorLines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly child: ChildProcess;
  private readonly watchers: { pattern: RegExp; resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  private hasExited = false;

  constructor(
    readonly name: string,
    entry: string,
    args: string[],
    cwd: string,
  ) {
    this.child = spawn(process.execPath, ['--conditions=@baton/source', '--import', tsxLoader, join(repositoryRoot, entry), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.hasExited = true;
        for (const watcher of this.watchers.splice(0)) {
          watcher.reject(new Error(`${name} exited (${code ?? signal}) before printing ${watcher.pattern}; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.errorLines.join('\n')}`));
        }
        resolve({ code, signal });
      });
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      for (const watcher of [...this.watchers]) {
        if (watcher.pattern.test(line)) {
          this.watchers.splice(this.watchers.indexOf(watcher), 1);
          watcher.resolve(line);
        }
      }
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.errorLines.push(line));
  }

  /** The first line (already printed or still to come) that matches. */
  waitForLine(pattern: RegExp): Promise<string> {
    const existing = this.lines.find((line) => pattern.test(line));
    if (existing !== undefined) return Promise.resolve(existing);
    if (this.hasExited) return Promise.reject(new Error(`${this.name} has exited without printing ${pattern}`));
    return new Promise((resolve, reject) => this.watchers.push({ pattern, resolve, reject }));
  }

  /** JSON log lines (a server started with --log-format json). */
  events(): Record<string, unknown>[] {
    return this.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Kill (SIGKILL unless told otherwise) and wait for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.hasExited) this.child.kill(signal);
    await this.exited;
  }
}
