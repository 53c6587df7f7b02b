/**
 * A benchmark worker: a separate process that runs clients for the
 * orchestrator, so that the load generators are real processes like an
 * application's, and two of them can run at once (W2 with two processes).
 * It takes requests over IPC (see tasks.ts) and exits when the channel
 * closes, so it can never outlive the orchestrator.
 */
import { prepareHandoff } from '../workloads/handoff.js';
import type { Job } from '../workloads/job.js';
import { prepareSequential } from '../workloads/sequential.js';
import { prepareSessions } from '../workloads/sessions.js';
import { prepareThroughput } from '../workloads/throughput.js';
import type { Task, WorkerReply, WorkerRequest } from './tasks.js';

const jobs = new Map<number, Job>();
const workerName = process.env.BATON_BENCH_WORKER ?? `worker-${process.pid}`;

function prepare(task: Task, job: number): Promise<Job> {
  const name = `${workerName}-job${job}`;
  switch (task.kind) {
    case 'sequential':
      return prepareSequential(task, name);
    case 'throughput':
      return prepareThroughput(task, name);
    case 'handoff':
      return prepareHandoff(task, name);
    case 'sessions':
      return prepareSessions(task, name);
  }
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.type) {
    case 'prepare':
      jobs.set(request.job, await prepare(request.task, request.job));
      return undefined;
    case 'run': {
      const job = jobs.get(request.job);
      if (!job) throw new Error(`no job ${request.job}`);
      return job.run(request.command);
    }
    case 'dispose': {
      const job = jobs.get(request.job);
      jobs.delete(request.job);
      await job?.dispose();
      return undefined;
    }
  }
}

function reply(message: WorkerReply): void {
  process.send?.(message);
}

process.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (result) => reply({ id: request.id, type: 'ok', result }),
    (error: unknown) => reply({ id: request.id, type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});

process.on('disconnect', () => process.exit(0));
process.on('unhandledRejection', (error) => {
  process.stderr.write(`${workerName}: unhandled rejection: ${String((error as Error)?.stack ?? error)}\n`);
});
process.send?.({ id: 0, type: 'ok', result: 'ready' } satisfies WorkerReply);
