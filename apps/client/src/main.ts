#!/usr/bin/env node
/**
 * lock-client: the seed's programs over the Baton SDK.
 *
 *   lock-client [options] <resource> <READ|WRITE> [value] [sleep_seconds]
 *   lock-client [options] increment <resource> --iterations 1000 [--file PATH] [--verbose]
 *   lock-client [options] status [resource]
 */
import { Command, Option } from 'commander';
import { MAX_LEASE_MS, MIN_LEASE_MS, resourceNameProblem } from '@baton/core';
import { isBatonError } from '@baton/client';
import { StaleTokenError } from '@baton/fenced-file';
import type { CommonOptions } from './connection-options.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { increment } from './increment-command.js';
import { readWrite } from './read-write-command.js';
import { status } from './status-command.js';
import { TRANSPORT_NAMES } from './transports.js';

class UsageError extends Error {}

function checkResource(resource: string): string {
  const problem = resourceNameProblem(resource);
  if (problem) throw new UsageError(`refusing resource name: ${problem}`);
  return resource;
}

function wholeNumber(name: string, minimum: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^[0-9]+$/.test(text) || value < minimum) throw new UsageError(`${name} must be a whole number ≥ ${minimum}, got ${JSON.stringify(text)}`);
    return value;
  };
}

function common(command: Command): CommonOptions {
  return command.optsWithGlobals<CommonOptions>();
}

const program = new Command()
  .name('lock-client')
  .description('Baton lock client: the seed READ/WRITE program, the counter, and status')
  .addOption(new Option('--transport <name>', 'transport to the server').choices(TRANSPORT_NAMES).default('zmq'))
  .option('--server <host:port>', 'the lock server (or a full URL such as tcp://127.0.0.1:5556)', '127.0.0.1:5555')
  .option('--data-dir <dir>', "where resources' files live (<data-dir>/<resource>.txt)", '.')
  .option('--client <name>', 'name shown in the server log and status')
  .option('--lease-ms <ms>', `session lease to ask for (${MIN_LEASE_MS}-${MAX_LEASE_MS}; default the server's)`)
  .addHelpText(
    'after',
    `
Exit codes:
  ${ExitCode.OK}  done
  ${ExitCode.FAILURE}  any other failure at run time
  ${ExitCode.USAGE}  bad arguments or resource name (nothing was sent)
  ${ExitCode.TIMEOUT}  TIMEOUT: not granted within --wait-ms
  ${ExitCode.UNAVAILABLE}  UNAVAILABLE: the server could not be reached (CONNECT_FAILED, REQUEST_TIMEOUT too)
  ${ExitCode.SHUTTING_DOWN}  SHUTTING_DOWN: the server is stopping; the wait was refused or the lock ended with it
  ${ExitCode.LOCK_LOST}  the lock was lost before the read or write, which was not done`,
  )
  .showHelpAfterError()
  .enablePositionalOptions();

program
  .command('run <resource> <operation> [value] [sleep_seconds]', { isDefault: true, hidden: true })
  .description('lock <resource>, hold it, READ or WRITE its file, unlock')
  .option('--wait-ms <ms>', 'give up waiting after this long (0 = try-lock)')
  .action(async (resource: string, operation: string, value: string | undefined, sleepSeconds: string | undefined, options: { waitMs?: string }, command: Command) => {
    const upper = operation.toUpperCase();
    if (upper !== 'READ' && upper !== 'WRITE') throw new UsageError(`operation must be READ or WRITE, got ${JSON.stringify(operation)}`);
    // READ takes no value: `lock-client file_A READ 3` holds for 3 s.
    if (upper === 'READ' && sleepSeconds === undefined && value !== undefined) [value, sleepSeconds] = [undefined, value];
    await readWrite(
      {
        resource: checkResource(resource),
        operation: upper,
        value,
        sleepSeconds: sleepSeconds === undefined ? 2 : wholeNumber('sleep_seconds', 0)(sleepSeconds),
        waitMs: options.waitMs === undefined ? undefined : wholeNumber('--wait-ms', 0)(options.waitMs),
      },
      common(command),
    );
  });

program
  .command('increment <resource>')
  .description('the counter: lock, read the number in the file, add 1, write, unlock — N times')
  .option('--iterations <n>', 'how many increments', '1000')
  .option('--file <path>', 'the counter file (default <data-dir>/<resource>.txt)')
  .option('--verbose', "print the seed's lines for every iteration", false)
  .option('--hold-ms <ms>', 'hold each lock this long before writing (simulated work)', '0')
  .option('--timeline <file>', 'append a JSON line per lock held: its token and when (CLOCK_MONOTONIC ns) this process held it')
  .action(async (resource: string, options: { iterations: string; file?: string; verbose: boolean; holdMs: string; timeline?: string }, command: Command) => {
    await increment(
      {
        resource: checkResource(resource),
        iterations: wholeNumber('--iterations', 1)(options.iterations),
        file: options.file,
        verbose: options.verbose,
        holdMs: wholeNumber('--hold-ms', 0)(options.holdMs),
        timeline: options.timeline,
      },
      common(command),
    );
  });

program
  .command('status [resource]')
  .description('holders and waiting queues, as a table')
  .option('--json', 'print the raw status reply', false)
  .action(async (resource: string | undefined, options: { json: boolean }, command: Command) => {
    await status(resource === undefined ? undefined : checkResource(resource), { ...common(command), json: options.json });
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`lock-client: ${error.message}\n`);
    process.exit(ExitCode.USAGE);
  }
  const code = isBatonError(error) || error instanceof StaleTokenError ? ` [${error.code}]` : '';
  process.stderr.write(`lock-client: ${(error as Error).message}${code}\n`);
  process.exit(exitCodeFor(error));
});
