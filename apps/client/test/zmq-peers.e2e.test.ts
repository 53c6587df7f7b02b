/**
 * The seed's client pattern and plain ZeroMQ peers against a real
 * lock-server process (docs/protocol.md 2.1): a REQ socket gets exactly one
 * answer per request, a routing id is never a credential, and a plain DEALER
 * is served after a GOODBYE.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dealer, Request } from 'zeromq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppProcess } from './processes.js';
import { startServer } from './processes.js';

type Reply = Record<string, unknown>;

let dataDirectory: string;
let server: AppProcess & { port: number };
const sockets: Array<Dealer | Request> = [];

beforeAll(async () => {
  dataDirectory = mkdtempSync(join(tmpdir(), 'baton-zmq-peers-'));
  server = await startServer('zmq', dataDirectory, ['--no-state-file']);
});

afterEach(() => {
  for (const socket of sockets.splice(0)) if (!socket.closed) socket.close();
});

afterAll(async () => {
  server.kill('SIGKILL');
  await server.exited;
  rmSync(dataDirectory, { recursive: true, force: true });
});

function endpoint(): string {
  return `tcp://127.0.0.1:${String(server.port)}`;
}

/** A REQ socket, as the seed's lock client used. */
function requestSocket(): Request {
  const socket = new Request({ linger: 0 });
  sockets.push(socket);
  socket.connect(endpoint());
  return socket;
}

function dealer(routingId?: string): Dealer {
  const socket = new Dealer({ linger: 0, ...(routingId === undefined ? {} : { routingId }) });
  sockets.push(socket);
  socket.connect(endpoint());
  return socket;
}

async function ask(socket: Request, request: Reply): Promise<Reply> {
  await socket.send(JSON.stringify(request));
  const frames = await socket.receive();
  expect(frames).toHaveLength(1);
  return JSON.parse(frames[0]!.toString()) as Reply;
}

async function call(socket: Dealer, request: Reply): Promise<Reply> {
  await socket.send(JSON.stringify(request));
  const [frame] = await socket.receive();
  return JSON.parse(frame!.toString()) as Reply;
}

describe('REQ clients', () => {
  it('get one answer per request: an acquire that must wait is answered by its grant, never by queued', async () => {
    const holder = requestSocket();
    expect(await ask(holder, { op: 'hello', id: 1, client: 'req-holder' })).toMatchObject({ op: 'welcome', id: 1 });
    const held = await ask(holder, { op: 'acquire', id: 2, resource: 'file_A' });
    expect(held).toMatchObject({ op: 'granted', id: 2 });

    const waiter = requestSocket();
    expect(await ask(waiter, { op: 'hello', id: 1, client: 'req-waiter' })).toMatchObject({ op: 'welcome' });
    const waiting = ask(waiter, { op: 'acquire', id: 2, resource: 'file_A', waitMs: 20_000 });
    // The waiter is queued on the server (seen by status) while its REQ socket waits for the grant.
    const observer = requestSocket();
    for (;;) {
      const status = await ask(observer, { op: 'status', id: 's', resource: 'file_A' });
      if ((status.resources as Reply[])[0]?.waiting === 1) break;
    }
    expect(await ask(holder, { op: 'release', id: 3, resource: 'file_A', token: held.token })).toMatchObject({ op: 'released', id: 3 });
    const granted = await waiting;
    expect(granted).toMatchObject({ op: 'granted', id: 2, resource: 'file_A' });
    expect(BigInt(granted.token as string)).toBeGreaterThan(BigInt(held.token as string));

    // Its next answer is the answer to its next request: nothing else was left in between.
    expect(await ask(waiter, { op: 'release', id: 3, resource: 'file_A', token: granted.token })).toMatchObject({ op: 'released', id: 3 });
    expect(await ask(waiter, { op: 'goodbye', id: 4 })).toMatchObject({ op: 'bye', id: 4 });
    expect(await ask(holder, { op: 'goodbye', id: 4 })).toMatchObject({ op: 'bye', id: 4 });
  });

  it('get timeout as the answer when waitMs runs out, and errors for bad requests', async () => {
    const holder = requestSocket();
    await ask(holder, { op: 'hello', id: 1 });
    const held = await ask(holder, { op: 'acquire', id: 2, resource: 'file_B' });
    const waiter = requestSocket();
    await ask(waiter, { op: 'hello', id: 1 });
    expect(await ask(waiter, { op: 'acquire', id: 2, resource: 'file_B', waitMs: 200 })).toEqual({ op: 'timeout', id: 2, resource: 'file_B' });
    expect(await ask(waiter, { op: 'acquire', id: 3, resource: '' })).toMatchObject({ op: 'error', id: 3, code: 'BAD_RESOURCE_NAME' });
    await waiter.send(Buffer.from([0x7b, 0xff]));
    expect(JSON.parse((await waiter.receive())[0]!.toString())).toMatchObject({ op: 'error', code: 'BAD_JSON' });
    expect(await ask(holder, { op: 'release', id: 3, resource: 'file_B', token: held.token })).toMatchObject({ op: 'released' });
  });
});

describe('plain DEALERs', () => {
  it('cannot take over a departed peer\'s session by reusing its routing id', async () => {
    const victim = dealer('victim-routing-id');
    expect(await call(victim, { op: 'hello', id: 1, client: 'victim' })).toMatchObject({ op: 'welcome' });
    const held = await call(victim, { op: 'acquire', id: 2, resource: 'file_C' });
    expect(held).toMatchObject({ op: 'granted' });
    victim.close();
    // libzmq refuses a second peer with a routing id in use, so the intruder comes once the victim's link is gone (the server logs it).
    await server.waitForLine(/"event":"detached".*"client":"victim".*the peer disconnected/);

    const intruder = dealer('victim-routing-id');
    // Whichever connection its frame reaches, it never speaks for the victim's session.
    expect(await call(intruder, { op: 'release', id: 3, resource: 'file_C', token: held.token })).toMatchObject({ op: 'error', id: 3, code: 'NO_SESSION' });
    const observer = requestSocket();
    const status = await ask(observer, { op: 'status', id: 's', resource: 'file_C' });
    expect((status.resources as Reply[])[0]).toMatchObject({ holding: 1 });
  });

  it('is served again after saying GOODBYE (control frame), as a new connection', async () => {
    const plain = dealer();
    await plain.send(Buffer.from([0x00, 0x01, 0x01]));
    expect([...(await plain.receive())[0]!]).toEqual([0x00, 0x02, 0x01]);
    expect(await call(plain, { op: 'hello', id: 1 })).toMatchObject({ op: 'welcome' });
    await plain.send(Buffer.from([0x00, 0x05]));
    expect(await call(plain, { op: 'hello', id: 2 })).toMatchObject({ op: 'welcome', id: 2, resumed: false });
    expect(await call(plain, { op: 'goodbye', id: 3 })).toMatchObject({ op: 'bye', id: 3 });
  });
});
