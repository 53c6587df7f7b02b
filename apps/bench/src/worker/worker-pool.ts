import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { benchEntry } from '../paths.js';
import type { JobCommand, Task, WorkerReply, WorkerRequest } from './tasks.js';

/** A request without its id (the worker assigns none; this side does). */
type WorkerRequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

const workers = new Set<BenchWorker>();

/** Kill every worker (they also exit by themselves when the orchestrator's IPC channel closes). */
export function killWorkers(): void {
  for (const worker of workers) worker.kill();
}

/** One worker process (worker-main.ts) and the requests in flight to it. */
export class BenchWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextJob = 1;
  private exitError: Error | undefined;
  private readonly output: string[] = [];

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    workers.add(this);
    child.on('message', (message: WorkerReply) => {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (message.type === 'ok') pending.resolve(message.result);
      else pending.reject(new Error(`${name}: ${message.message}`));
    });
    child.on('exit', (code, signal) => {
      workers.delete(this);
      this.exitError = new Error(`${name} exited (${code ?? signal}):\n${this.output.slice(-20).join('')}`);
      for (const pending of this.pending.values()) pending.reject(this.exitError);
      this.pending.clear();
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        this.output.push(chunk.toString());
        if (this.output.length > 100) this.output.shift();
      });
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Fork a worker and wait until it says it is ready. */
  static start(name: string, extraNodeFlags: string[] = []): Promise<BenchWorker> {
    const entry = benchEntry('worker/worker-main');
    const child = fork(entry.file, [], {
      execArgv: [...entry.nodeFlags, ...extraNodeFlags],
      env: { ...process.env, BATON_BENCH_WORKER: name },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const worker = new BenchWorker(name, child);
    return new Promise((resolve, reject) => {
      worker.pending.set(0, { resolve: () => resolve(worker), reject });
    });
  }

  /** Connect the task's clients (and warm them up); `run` then measures. */
  async prepare<R>(task: Task): Promise<PreparedJob<R>> {
    const job = this.nextJob++;
    await this.request({ type: 'prepare', job, task });
    return new PreparedJob<R>(this, job);
  }

  /** @internal */
  request(message: WorkerRequestBody): Promise<unknown> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...message, id });
    });
  }

  /** Close the IPC channel; the worker exits when it sees that. */
  async stop(): Promise<void> {
    if (this.exitError) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.kill(), 5_000);
    this.child.disconnect();
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exitError) this.child.kill('SIGKILL');
  }
}

/** A job a worker has prepared. */
export class PreparedJob<R> {
  constructor(
    private readonly worker: BenchWorker,
    private readonly job: number,
  ) {}

  run(command?: JobCommand): Promise<R> {
    return this.worker.request({ type: 'run', job: this.job, command }) as Promise<R>;
  }

  async dispose(): Promise<void> {
    await this.worker.request({ type: 'dispose', job: this.job });
  }
}
