import type { StatusReplyMessage } from '@baton/core';
import type { CommonOptions } from './connection-options.js';
import { connectFromOptions } from './connection-options.js';

/** `lock-client status [resource]`: every held or awaited resource as a table. */
export async function status(resource: string | undefined, options: CommonOptions & { json?: boolean }): Promise<void> {
  const client = await connectFromOptions(options, `status-${process.pid}`);
  try {
    const reply = resource === undefined ? await client.statusOfEverything() : await client.status(resource);
    if (options.json) console.log(JSON.stringify(reply, null, 2));
    else console.log(formatStatus(reply));
  } finally {
    await client.close();
  }
}

/** A plain-text table: one row per holder and per waiter, in queue order. */
export function formatStatus(reply: StatusReplyMessage): string {
  const rows: string[][] = [['RESOURCE', 'ROLE', 'CLIENT', 'SESSION', 'MODE', 'TOKEN', 'FOR']];
  for (const resource of reply.resources) {
    if (resource.holding > resource.holders.length) {
      rows.push([resource.resource, `+${resource.holding - resource.holders.length} more holders`, '', '', '', '', '']);
    }
    for (const holder of resource.holders) {
      rows.push([resource.resource, 'holder', holder.client, holder.session, holder.mode, holder.token, `${(holder.heldMs / 1000).toFixed(1)}s`]);
    }
    for (const waiter of resource.waiters) {
      rows.push([resource.resource, `waiting #${waiter.position}`, waiter.client, waiter.session, waiter.mode, '', `${(waiter.waitedMs / 1000).toFixed(1)}s`]);
    }
    if (resource.waiting > resource.waiters.length) {
      rows.push([resource.resource, `+${resource.waiting - resource.waiters.length} more waiting`, '', '', '', '', '']);
    }
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
  const shown = reply.resources.length < reply.totalResources ? ` (showing ${reply.resources.length})` : '';
  lines.push(`${reply.totalResources} resource(s) held or awaited${shown}; ${reply.totalSessions} session(s)`);
  return lines.join('\n');
}
