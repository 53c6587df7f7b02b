import type { StatusReplyMessage } from '@baton/core';
import type { CommonOptions } from './connection-options.js';
import { connectFromOptions } from './connection-options.js';

/** `lock-client status [resource]`: every held or awaited resource as a table. */
export async function status(resource: string | undefined, options: CommonOptions & { json?: boolean }): Promise<void> {
  const client = await connectFromOptions(options, `status-${process.pid}`);
  try {
    const reply = resource === undefined ? await client.statusOfEverything() : await client.status(resource);
    if (options.json) console.log(formatStatusJson(reply));
    else console.log(formatStatus(reply));
  } finally {
    await client.close();
  }
}

/**
 * Characters that must not reach a terminal as they are: C0 and C1 controls
 * and DEL (escape sequences clear the screen, move the cursor, set the
 * window title), the line and paragraph separators, and the bidirectional
 * controls that reorder the text printed after them. Client names are free
 * text from any client, and resource names may hold bidirectional controls,
 * so status shows each such character as an escape.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** The unprintable characters JSON.stringify writes as they are: all but C0, which it escapes itself (and which its indentation uses). */
const UNPRINTABLE_AFTER_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** `\uXXXX`, the escape JSON uses, for one UTF-16 unit. */
function escapeUnit(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * Text from the server as a table cell: every unprintable character as
 * `\uXXXX`, and `\` as `\\` so that an escape is never mistaken for text
 * that merely looks like one.
 */
export function printable(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(UNPRINTABLE, escapeUnit);
}

/**
 * The reply as indented JSON, with the characters JSON.stringify leaves as
 * they are (DEL, C1 controls, separators, bidirectional controls) escaped
 * too. They occur only inside strings, where `\uXXXX` reads back as the same
 * character, so the output is the same JSON value.
 */
export function formatStatusJson(reply: StatusReplyMessage): string {
  return JSON.stringify(reply, null, 2).replace(UNPRINTABLE_AFTER_JSON, escapeUnit);
}

/** A plain-text table: one row per holder and per waiter, in queue order; every cell {@link printable}. */
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
  for (const row of rows) row.forEach((cell, column) => (row[column] = printable(cell)));
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
  const shown = reply.resources.length < reply.totalResources ? ` (showing ${reply.resources.length})` : '';
  lines.push(`${reply.totalResources} resource(s) held or awaited${shown}; ${reply.totalSessions} session(s)`);
  return lines.join('\n');
}
