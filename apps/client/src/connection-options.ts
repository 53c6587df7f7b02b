import type { BatonClient } from '@baton/client';
import { connect } from '@baton/client';
import { noteServerStopping } from './exit-codes.js';
import { transports } from './transports.js';

/** Options every lock-client command shares. */
export interface CommonOptions {
  transport: string;
  server: string;
  client?: string;
  leaseMs?: string;
  dataDir: string;
}

/** Connect as the common options say. `--server HOST:PORT`, default 127.0.0.1:5555. */
export async function connectFromOptions(options: CommonOptions, defaultName: string): Promise<BatonClient> {
  const server = /^[a-z]+:\/\//.test(options.server) ? options.server : `${options.transport}://${options.server}`;
  const leaseMs = options.leaseMs === undefined ? undefined : Number(options.leaseMs);
  return connect(server, {
    transport: Object.values(transports),
    client: options.client ?? defaultName,
    leaseMs,
    onEvent: (event) => {
      if (event.type === 'lock-lost') process.stderr.write(`LOST ${event.resource} (token ${event.token}): ${event.error.message}\n`);
      if (event.type === 'session-lost') process.stderr.write(`SESSION LOST: ${event.error.message}\n`);
      if (event.type === 'shutting-down') {
        noteServerStopping();
        process.stderr.write(`SHUTTING DOWN: ${event.message}\n`);
      }
    },
  });
}
