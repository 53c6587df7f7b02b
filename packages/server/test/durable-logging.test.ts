/**
 * With a journal, the lines about what the machine did (granted, LOST, a
 * session ended) are written once their records are durable, like every
 * message: a group's leader deposed before its commit must not log a grant
 * it never made (apps/server's group mode, docs/operations.md).
 */
import { memoryTransport } from '@baton/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../src/index.js';
import type { CoordinatorJournal, CoordinatorRecord } from '../src/index.js';
import { capturingLogger } from './capturing-logger.js';
import { RawClient } from './raw-client.js';

/** A journal whose records become durable only when the test says so. */
class HeldJournal implements CoordinatorJournal {
  readonly records: CoordinatorRecord[] = [];
  private actions: (() => void)[] = [];
  append(record: CoordinatorRecord): void {
    this.records.push(record);
  }
  afterDurable(action: () => void): void {
    this.actions.push(action);
  }
  makeDurable(): void {
    for (const action of this.actions.splice(0)) action();
  }
}

let coordinator: Coordinator | undefined;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const raw of clients.splice(0)) raw.close();
  await coordinator?.close();
  coordinator = undefined;
});

describe('log lines with a journal', () => {
  it('writes a grant\'s line only once its record is durable, and errors at once', async () => {
    const journal = new HeldJournal();
    const logger = capturingLogger('info');
    coordinator = new Coordinator({ journal, logger });
    const listener = await coordinator.listen(memoryTransport, '127.0.0.1', 0);
    const raw = await RawClient.dial(memoryTransport, listener.port);
    clients.push(raw);
    const welcome = raw.next((message) => message.op === 'welcome');
    raw.send({ op: 'hello', id: 'h', client: 'worker' });
    await Promise.resolve();
    journal.makeDurable();
    await welcome;
    raw.send({ op: 'acquire', id: 'a', resource: 'file_A' });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(journal.records.some((record) => record.kind === 'input' && record.input.type === 'acquire')).toBe(true);
    expect(logger.lines.filter((line) => line.fields.event === 'granted')).toEqual([]);
    logger.error({ event: 'test' }, 'an error line');
    expect(logger.lines.at(-1)?.message).toBe('an error line');
    const granted = raw.next((message) => message.op === 'granted');
    journal.makeDurable();
    await granted;
    expect(logger.lines.filter((line) => line.fields.event === 'granted')).toMatchObject([{ fields: { resource: 'file_A', client: 'worker' } }]);
  });
});
