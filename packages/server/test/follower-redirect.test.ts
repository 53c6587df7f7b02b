/**
 * A follower of a group (CoordinatorOptions.redirect, docs/protocol.md 3.4):
 * every readable request gets NOT_LEADER naming the leader (or none while
 * none is elected), nothing reaches the machine, bad frames keep their own
 * errors, and the connection stays open.
 */
import { decodeServerReply } from '@baton/core';
import type { Listener } from '@baton/transport';
import { memoryTransport } from '@baton/transport-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../src/index.js';
import { RawClient } from './raw-client.js';

let coordinator: Coordinator | undefined;
let listener: Listener;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const raw of clients.splice(0)) raw.close();
  await coordinator?.close();
  coordinator = undefined;
});

async function follower(leader: () => string | undefined): Promise<RawClient> {
  coordinator = new Coordinator({ redirect: leader });
  listener = await coordinator.listen(memoryTransport, '127.0.0.1', 0);
  const raw = await RawClient.dial(memoryTransport, listener.port);
  clients.push(raw);
  return raw;
}

describe('a follower', () => {
  it('answers hello, status and every other request with NOT_LEADER naming the leader, and opens no session', async () => {
    let leader: string | undefined = 'tcp://127.0.0.1:7001';
    const raw = await follower(() => leader);
    for (const request of [
      { op: 'hello', id: 'h', client: 'c' },
      { op: 'status', id: 's' },
      { op: 'acquire', id: 'a', resource: 'r' },
      { op: 'keepalive', id: 'k' },
      { op: 'force-release', id: 'f', resource: 'r', adminToken: 'x' },
    ]) {
      const reply = await raw.call(request);
      expect(reply).toEqual({ op: 'error', id: request.id, code: 'NOT_LEADER', message: expect.stringContaining('tcp://127.0.0.1:7001') as string, leader: 'tcp://127.0.0.1:7001' });
    }
    expect(coordinator!.stats().sessions).toBe(0);
    leader = undefined;
    const none = await raw.call({ op: 'hello', id: 2 });
    expect(none).toMatchObject({ op: 'error', id: 2, code: 'NOT_LEADER' });
    expect(none).not.toHaveProperty('leader');
    expect(raw.closed).toBe(false);
  });

  it('keeps the usual errors for frames it cannot read', async () => {
    const raw = await follower(() => 'tcp://127.0.0.1:7001');
    raw.send('{not json');
    expect(await raw.next()).toMatchObject({ op: 'error', code: 'BAD_JSON' });
    expect(await raw.call({ op: 'acquire', id: 'x' })).toMatchObject({ op: 'error', id: 'x', code: 'MISSING_FIELD' });
  });

  it('sends an error the SDK decoder accepts, leader included', async () => {
    const raw = await follower(() => 'ws://leader.example:7002');
    raw.send(JSON.stringify({ op: 'hello', id: 1 }));
    await raw.next();
    const text = JSON.stringify(raw.received[0]);
    const decoded = decodeServerReply(text);
    expect(decoded).toMatchObject({ ok: true, message: { op: 'error', code: 'NOT_LEADER', leader: 'ws://leader.example:7002' } });
  });
});
