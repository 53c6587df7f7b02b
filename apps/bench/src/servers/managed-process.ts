import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Every child process the benchmark started and has not seen exit: killed on any way out. */
const running = new Set<ManagedProcess>();
let cleanupInstalled = false;

/**
 * Kill whatever is still running when the benchmark exits, however it exits:
 * normal end, an error, Ctrl-C or SIGTERM. `exit` handlers must be
 * synchronous, so they can only send SIGKILL; the signal handlers first stop
 * the children politely through {@link stopAll}.
 */
export function installCleanup(onSignal: (signal: NodeJS.Signals) => void): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.killNow();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => onSignal(signal));
  }
}

/** Stop every child still running (SIGTERM, then SIGKILL after the grace period). */
export async function stopAll(graceMs = 3_000): Promise<void> {
  await Promise.all([...running].map((child) => child.stop(graceMs)));
}

/**
 * A child process with its output read line by line, so that the benchmark
 * can wait for a startup line instead of sleeping, and keep the last lines
 * for error messages.
 */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly recent: string[] = [];
  private readonly watchers: { pattern: RegExp; resolve: (match: RegExpExecArray) => void; reject: (error: Error) => void }[] = [];
  private hasExited = false;
  private readonly lineListeners: ((line: string) => void)[] = [];

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: SpawnOptions = {},
  ) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    running.add(this);
    this.exited = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.hasExited) return;
        this.hasExited = true;
        running.delete(this);
        for (const watcher of this.watchers.splice(0)) {
          watcher.reject(new Error(`${name} exited (${code ?? signal}) before printing ${watcher.pattern}:\n${this.tail()}`));
        }
        resolve({ code, signal });
      };
      this.child.on('exit', finish);
      this.child.on('error', (error) => {
        this.recent.push(`spawn error: ${error.message}`);
        finish(null, null);
      });
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.receive(line));
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.hasExited;
  }

  /**
   * What `ready` gives (waiting for start-up lines, say); when it fails the
   * process is stopped before the error goes on, so a server that never came
   * up is not left running.
   */
  async stopUnless<T>(ready: () => Promise<T>): Promise<T> {
    try {
      return await ready();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** The last lines the process printed (stdout and stderr together). */
  tail(lines = 20): string {
    return this.recent.slice(-lines).join('\n');
  }

  /** The first line, from now on, that matches `pattern`; rejects after `timeoutMs` or if the process exits first. */
  waitForLine(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    for (const line of this.recent) {
      const match = pattern.exec(line);
      if (match) return Promise.resolve(match);
    }
    if (this.hasExited) return Promise.reject(new Error(`${this.name} has exited:\n${this.tail()}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers.splice(this.watchers.indexOf(watcher), 1);
        reject(new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const watcher = {
        pattern,
        resolve: (match: RegExpExecArray) => {
          clearTimeout(timer);
          resolve(match);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.watchers.push(watcher);
    });
  }

  /** Call `listener` with every line printed from now on (stdout and stderr). */
  onLine(listener: (line: string) => void): void {
    this.lineListeners.push(listener);
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.hasExited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.killNow(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL at once (for the synchronous exit handler). */
  killNow(): void {
    if (!this.hasExited) this.child.kill('SIGKILL');
  }

  private receive(line: string): void {
    this.recent.push(line);
    if (this.recent.length > 200) this.recent.splice(0, this.recent.length - 200);
    for (const listener of this.lineListeners) listener(line);
    for (const watcher of [...this.watchers]) {
      const match = watcher.pattern.exec(line);
      if (match) {
        this.watchers.splice(this.watchers.indexOf(watcher), 1);
        watcher.resolve(match);
      }
    }
  }
}
