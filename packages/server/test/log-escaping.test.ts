/**
 * Peers' strings in log lines: a client name, a resource name or a bad
 * message's text with a newline or an escape sequence cannot start a second
 * line or reach a terminal raw. Every line the coordinator writes goes
 * through escapeControlCharacters (src/control-characters.ts).
 */
import type { Listener } from '@baton/transport';
import { memoryTransport } from '@baton/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator, escapeControlCharacters } from '../src/index.js';
import { capturingLogger } from './capturing-logger.js';
import { RawClient } from './raw-client.js';

let coordinator: Coordinator | undefined;
let listener: Listener;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const raw of clients.splice(0)) raw.close();
  await coordinator?.close();
  coordinator = undefined;
});

/** Any C0 or C1 control character, DEL, or a Unicode line separator. */
function hasControlCharacter(text: string): boolean {
  return [...text].some((character) => {
    const code = character.codePointAt(0)!;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
  });
}

describe('escapeControlCharacters', () => {
  it('makes newlines, escape sequences, C1 controls and line separators visible, and leaves the rest alone', () => {
    expect(escapeControlCharacters('x\n{"level":30}')).toBe('x\\n{"level":30}');
    expect(escapeControlCharacters('\u001b[31mred\u009b0m\r\t\u2028\u202e')).toBe('\\u001b[31mred\\u009b0m\\r\\t\\u2028\\u202e');
    expect(escapeControlCharacters('worker-3 ünïcødé \\n "quoted" 🔒')).toBe('worker-3 ünïcødé \\n "quoted" 🔒');
  });
});

describe('log lines from a coordinator', () => {
  it('carry a hostile client name, resource name and bad message escaped, in the message and in every field', async () => {
    const logger = capturingLogger('info');
    coordinator = new Coordinator({ logger });
    listener = await coordinator.listen(memoryTransport, '127.0.0.1', 0);
    const forged = 'x\n{"level":30,"msg":"forged"}';
    const coloured = '\u001b[31mred\u009b';
    const first = await RawClient.dial(memoryTransport, listener.port);
    const second = await RawClient.dial(memoryTransport, listener.port);
    clients.push(first, second);
    await first.hello(forged);
    await second.hello(coloured);
    const lock = await first.call({ op: 'acquire', id: 1, resource: 'file_A' });
    await second.call({ op: 'acquire', id: 1, resource: 'file_A' });
    await second.call({ op: 'release', id: 2, resource: 'file_A', token: '77' });
    second.send('{"op":"acquire","id":"\u001b[2J","resource":"\n"}');
    await second.next((message) => message.op === 'error' && message.code === 'BAD_JSON');
    expect(lock.op).toBe('granted');
    first.close();
    await first.closedPromise;
    await second.call({ op: 'status', id: 's' });

    const mentioning = logger.lines.filter((line) => line.message.includes('x\\n{') || line.message.includes('\\u001b[31mred'));
    expect(mentioning.length).toBeGreaterThanOrEqual(5); // opened ×2, granted, queued, rejected, detached
    for (const line of logger.lines) {
      expect(hasControlCharacter(line.message)).toBe(false);
      for (const value of Object.values(line.fields)) if (typeof value === 'string') expect(hasControlCharacter(value)).toBe(false);
    }
    expect(logger.lines.some((line) => line.fields.client === 'x\\n{"level":30,"msg":"forged"}')).toBe(true);
  });
});
