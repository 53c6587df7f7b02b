/**
 * `lock-client status` prints what any client named itself: no control
 * character, C1 control or bidirectional override reaches the terminal as it
 * is, in the table or in --json.
 */
import type { StatusReplyMessage } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { formatStatus, formatStatusJson, printable } from '../src/status-command.js';

/** Clear the screen, set the window title, ring the bell; an 8-bit CSI; a right-to-left override; a line feed. */
const hostile = '\u001b[2J\u001b]0;owned\u0007 csi\u009b31m rtl\u202eevil\u202c nl\nend \\u001b';

const reply: StatusReplyMessage = {
  op: 'status',
  id: 1,
  resources: [
    {
      resource: 'orders/\u202e42',
      holders: [{ session: 's1-ab', client: hostile, mode: 'shared', token: '12', grantedAt: 0, heldMs: 1520 }],
      holding: 1,
      waiters: [{ session: 's2-cd', client: 'del\u007f', mode: 'exclusive', position: 1, waitedMs: 800 }],
      waiting: 1,
    },
  ],
  totalResources: 1,
  offset: 0,
  sessions: [{ session: 's1-ab', client: hostile, leaseMs: 10_000, expiresInMs: 9_000, held: 1, waiting: 0 }],
  totalSessions: 2,
};

/** Every character that must not reach a terminal as it is. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

describe('lock-client status output', () => {
  it('the table escapes every control character, C1 control and bidirectional control', () => {
    const lines = formatStatus(reply).split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).not.toMatch(UNPRINTABLE);
    const table = lines.join('\n');
    expect(table).toContain('\\u001b[2J\\u001b]0;owned\\u0007 csi\\u009b31m rtl\\u202eevil\\u202c nl\\u000aend \\\\u001b');
    expect(table).toContain('orders/\\u202e42');
    expect(table).toContain('del\\u007f');
  });

  it('printable leaves ordinary text, non-ASCII included, as it is', () => {
    expect(printable('worker-3 Ünïcode 名前 😀')).toBe('worker-3 Ünïcode 名前 😀');
    expect(printable('a\\b')).toBe('a\\\\b');
  });

  it('--json escapes them too, and still reads back as the same reply', () => {
    const json = formatStatusJson(reply);
    for (const line of json.split('\n')) expect(line).not.toMatch(UNPRINTABLE);
    expect(JSON.parse(json)).toEqual(reply);
  });
});
