import { createServer, type AddressInfo } from 'node:net';
import type { Connection, Listener } from '@baton/transport';
import { AsyncQueue, UNDECODABLE_PREFIX, collect } from '@baton/transport-compliance';
import { Dealer, Request, Router } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import type { ZmqServerConnection } from '../src/index.js';
import {
  ControlFrameType,
  HELLO_FRAME,
  OVERSIZED_FRAME_READ_FACTOR,
  PING_FRAME,
  PONG_FRAME,
  WELCOME_FRAME,
  ZmqTransport,
  goodbyeFrame,
  goodbyeReason,
  zmqTransport,
} from '../src/index.js';

/** Short heartbeats so liveness tests finish in well under a second. */
const fastHeartbeats = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 300 };

const listeners: Listener[] = [];
const connections: Connection[] = [];
const rawSockets: Array<Dealer | Router | Request> = [];

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.close();
  for (const socket of rawSockets.splice(0)) {
    if (socket.closed) continue;
    socket.linger = 0;
    socket.close();
  }
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
});

async function listen(transport = zmqTransport, extra: { oversizedReply?: string; maxMessageBytes?: number } = {}) {
  const accepted = new AsyncQueue<Connection>('accepted connections');
  const listener = await transport.listen({
    host: '127.0.0.1',
    port: 0,
    ...extra,
    onConnection: (connection) => {
      connections.push(connection);
      accepted.push(connection);
    },
  });
  listeners.push(listener);
  return { listener, accepted };
}

/** A plain ZeroMQ DEALER, as a client in another language would use, with no Baton handshake. */
function rawDealer(port: number): Dealer {
  const dealer = new Dealer({ linger: 0 });
  rawSockets.push(dealer);
  dealer.connect(`tcp://127.0.0.1:${String(port)}`);
  return dealer;
}

/** A ROUTER that is not a Baton server: the test plays the server's part by hand. */
async function rawRouter(): Promise<{ router: Router; port: number }> {
  const router = new Router({ linger: 0 });
  rawSockets.push(router);
  await router.bind('tcp://127.0.0.1:*');
  return { router, port: Number(/:(\d+)$/.exec(router.lastEndpoint!)![1]) };
}

/** A port nothing listens on. Reserved with node:net, whose close frees the port at once (libzmq closes asynchronously). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return port;
}

async function receiveOne(dealer: Dealer): Promise<Buffer> {
  const [frame] = await dealer.receive();
  return frame!;
}

describe('zmq transport: raw ZeroMQ peers without the handshake', () => {
  it('delivers JSON from a plain DEALER as a message and routes replies back to it', async () => {
    const { listener, accepted } = await listen();
    const dealer = rawDealer(listener.port);
    await dealer.send('{"op":"hello","id":1}');

    const server = collect(await accepted.next());
    expect(await server.next()).toBe('{"op":"hello","id":1}');
    server.connection.send('{"op":"welcome","id":1}');
    server.connection.send('{"op":"second"}');
    // The first frames it sees are the replies: a raw peer never gets control frames.
    expect((await receiveOne(dealer)).toString()).toBe('{"op":"welcome","id":1}');
    expect((await receiveOne(dealer)).toString()).toBe('{"op":"second"}');

    await dealer.send('{"op":"again"}');
    expect(await server.next()).toBe('{"op":"again"}');
    expect(server.closeCount).toBe(0);
  });

  it('reports frames that are not valid UTF-8 through onUndecodable, in their place, and keeps the connection', async () => {
    const { listener, accepted } = await listen();
    const dealer = rawDealer(listener.port);
    await dealer.send('"before"');
    await dealer.send(Buffer.from([0xff, 0xfe, 0x80, 0x41, 0xc3]));
    await dealer.send(Buffer.from([0x22, 0xe2, 0x82, 0x22])); // a quoted, truncated "€": would read as "\uFFFD"
    await dealer.send(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])); // an encoded surrogate
    await dealer.send('"after"');

    const server = collect(await accepted.next());
    const got = await server.take(5);
    expect(got[0]).toBe('"before"');
    for (const entry of got.slice(1, 4)) expect(entry).toMatch(new RegExp(`^${UNDECODABLE_PREFIX}.*not valid UTF-8`));
    expect(got[4]).toBe('"after"');
    server.connection.send('{"op":"error","code":"BAD_JSON"}');
    expect((await receiveOne(dealer)).toString()).toBe('{"op":"error","code":"BAD_JSON"}');
    expect(server.closeCount).toBe(0);
  });

  it('keeps raw peers apart by routing id', async () => {
    const { listener, accepted } = await listen();
    const first = rawDealer(listener.port);
    await first.send('"from first"');
    const firstServer = collect(await accepted.next());
    expect(await firstServer.next()).toBe('"from first"');

    const second = rawDealer(listener.port);
    await second.send('"from second"');
    const secondServer = collect(await accepted.next());
    expect(await secondServer.next()).toBe('"from second"');
    expect(secondServer.connection.id).not.toBe(firstServer.connection.id);

    secondServer.connection.send('"to second"');
    firstServer.connection.send('"to first"');
    expect((await receiveOne(first)).toString()).toBe('"to first"');
    expect((await receiveOne(second)).toString()).toBe('"to second"');
  });

  it('closes a raw connection cleanly when the peer sends a bare GOODBYE', async () => {
    const { listener, accepted } = await listen();
    const dealer = rawDealer(listener.port);
    await dealer.send('"hi"');
    const server = collect(await accepted.next());
    expect(await server.next()).toBe('"hi"');

    await dealer.send(goodbyeFrame());
    expect(await server.closed).toBeUndefined();
  });

  it('answers a control frame from a peer that never said HELLO with a GOODBYE', async () => {
    const { listener } = await listen();
    const dealer = rawDealer(listener.port);
    await dealer.send(PING_FRAME);
    const answer = await receiveOne(dealer);
    expect([...answer.subarray(0, 2)]).toEqual([0x00, ControlFrameType.goodbye]);
    expect(goodbyeReason(answer)).toMatch(/HELLO/);
  });

  it('ends a plain peer\'s connection when it sends PING before HELLO (docs/protocol.md 2.1), and serves its next JSON frame as a new one', async () => {
    const { listener, accepted } = await listen();
    const dealer = rawDealer(listener.port);
    await dealer.send('"first"');
    const first = collect(await accepted.next());
    expect(await first.next()).toBe('"first"');
    await dealer.send(PING_FRAME);
    expect(goodbyeReason(await receiveOne(dealer))).toMatch(/HELLO/);
    expect((await first.closed)?.message).toMatch(/control frame without saying HELLO/);
    await dealer.send('"second"');
    const second = collect(await accepted.next());
    expect(await second.next()).toBe('"second"');
  });

  it('takes an empty message for libzmq\'s disconnect notice: the connection ends with no reply (docs/protocol.md 2.1)', async () => {
    const { listener, accepted } = await listen();
    const dealer = rawDealer(listener.port);
    await dealer.send('"first"');
    const first = collect(await accepted.next());
    expect(await first.next()).toBe('"first"');
    await dealer.send(Buffer.alloc(0));
    expect((await first.closed)?.message).toMatch(/disconnected/);
    await dealer.send('"second"');
    const second = collect(await accepted.next());
    expect(await second.next()).toBe('"second"');
    expect(listener.connectionCount).toBe(1);
  });

  it('sends oversizedReply to a raw peer before dropping its oversized frame and closing it', async () => {
    const { listener, accepted } = await listen(zmqTransport, { maxMessageBytes: 16, oversizedReply: '"too large"' });
    const dealer = rawDealer(listener.port);
    await dealer.send(`"${'x'.repeat(40)}"`);
    const server = collect(await accepted.next());
    expect(await server.closed).toBeInstanceOf(Error);
    expect(server.received).toEqual([]);
    expect((await receiveOne(dealer)).toString()).toBe('"too large"');
  });
});

describe('zmq transport: control protocol on the wire', () => {
  it('answers HELLO with WELCOME, PING with PONG, and closes cleanly on GOODBYE', async () => {
    const { listener, accepted } = await listen();
    const dealer = rawDealer(listener.port);
    await dealer.send(HELLO_FRAME);
    expect([...(await receiveOne(dealer))]).toEqual([0x00, 0x02, 0x01]);
    expect([...WELCOME_FRAME]).toEqual([0x00, 0x02, 0x01]);
    const server = collect(await accepted.next());

    await dealer.send(PING_FRAME);
    expect([...(await receiveOne(dealer))]).toEqual([0x00, 0x04]);
    await dealer.send('"a message"');
    expect(await server.next()).toBe('"a message"');
    await dealer.send(Buffer.from([0x00, 0x05]));
    expect(await server.closed).toBeUndefined();
  });

  it('reports a GOODBYE with a reason as an error', async () => {
    const { listener, accepted } = await listen();
    const dealer = rawDealer(listener.port);
    await dealer.send(HELLO_FRAME);
    await receiveOne(dealer);
    const server = collect(await accepted.next());
    await dealer.send(goodbyeFrame('shutting down'));
    expect((await server.closed)?.message).toMatch(/shutting down/);
  });

  it('says GOODBYE to a handshaken peer when the server closes it, and to every peer when the listener closes', async () => {
    const { listener, accepted } = await listen();
    const first = rawDealer(listener.port);
    await first.send(HELLO_FRAME);
    await receiveOne(first);
    const firstServer = collect(await accepted.next());
    const second = rawDealer(listener.port);
    await second.send(HELLO_FRAME);
    await receiveOne(second);
    const secondServer = collect(await accepted.next());

    firstServer.connection.send('"last"');
    firstServer.connection.close();
    const firstGot = [(await receiveOne(first)).toString(), [...(await receiveOne(first))]];
    expect(firstGot).toEqual(['"last"', [0x00, 0x05]]);

    await listener.close();
    expect([...(await receiveOne(second))]).toEqual([0x00, 0x05]);
    expect(await secondServer.closed).toBeUndefined();
  });

  it('the dialing side sends PINGs when idle and reports a server that stops answering them', async () => {
    const { router, port } = await rawRouter();
    const dialing = new ZmqTransport(fastHeartbeats).dial({ host: '127.0.0.1', port });
    const [routingId, hello] = await router.receive();
    expect([...hello!]).toEqual([...HELLO_FRAME]);
    await router.send([routingId!, WELCOME_FRAME]);
    const client = collect(await dialing);
    connections.push(client.connection);

    // Answer one PING, then go silent while staying connected.
    const [, firstPing] = await router.receive();
    expect([...firstPing!]).toEqual([...PING_FRAME]);
    await router.send([routingId!, PONG_FRAME]);
    const error = await client.closed;
    expect(error?.message).toMatch(/did not answer/);
  });

  it('reports a GOODBYE from the server with a reason as an error on the dialing side', async () => {
    const { router, port } = await rawRouter();
    const dialing = zmqTransport.dial({ host: '127.0.0.1', port });
    const [routingId] = await router.receive();
    await router.send([routingId!, WELCOME_FRAME]);
    const client = collect(await dialing);
    connections.push(client.connection);
    await router.send([routingId!, '"hello"']);
    await router.send([routingId!, goodbyeFrame('maintenance')]);
    expect((await client.closed)?.message).toMatch(/maintenance/);
    expect(client.received).toEqual(['"hello"']);
  });
});

describe('zmq transport: liveness', () => {
  it('closes a handshaken peer that falls silent (connected, but its code stopped) after the heartbeat timeout, and keeps a live one', async () => {
    const transport = new ZmqTransport(fastHeartbeats);
    const { listener, accepted } = await listen(transport);
    const live = collect(await transport.dial({ host: '127.0.0.1', port: listener.port }));
    connections.push(live.connection);
    const liveServer = collect(await accepted.next());

    const vanishing = rawDealer(listener.port);
    await vanishing.send(HELLO_FRAME);
    await receiveOne(vanishing);
    const vanishingServer = collect(await accepted.next());
    // As if its code had stopped: the socket stays connected (libzmq still answers ZMTP heartbeats) but sends nothing.

    const started = performance.now();
    const error = await vanishingServer.closed;
    expect(error?.message).toMatch(/no heartbeat/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(fastHeartbeats.heartbeatTimeoutMs - 50);

    // The live client idled through the same silence, heartbeating.
    expect(liveServer.closeCount).toBe(0);
    expect(live.closeCount).toBe(0);
    live.connection.send('"still here"');
    expect(await liveServer.next()).toBe('"still here"');
  });

  it('reports on the dialing side when the server goes away', async () => {
    const { router, port } = await rawRouter();
    const dialing = zmqTransport.dial({ host: '127.0.0.1', port });
    const [routingId] = await router.receive();
    await router.send([routingId!, WELCOME_FRAME]);
    const client = collect(await dialing);
    connections.push(client.connection);
    router.close();
    expect((await client.closed)?.message).toMatch(/lost/);
  });

  it('answers a PING from a peer it already closed with a GOODBYE', async () => {
    const transport = new ZmqTransport(fastHeartbeats);
    const { listener, accepted } = await listen(transport);
    const dealer = rawDealer(listener.port);
    await dealer.send(HELLO_FRAME);
    await receiveOne(dealer);
    const server = collect(await accepted.next());
    server.connection.close();
    expect([...(await receiveOne(dealer))]).toEqual([0x00, 0x05]);
    await server.closed;

    await dealer.send(PING_FRAME);
    expect(goodbyeReason(await receiveOne(dealer))).toMatch(/unknown connection/);
  });

  it('serves a JSON frame from a peer it already closed as a new connection (docs/protocol.md 2.1: a plain DEALER is served)', async () => {
    const { listener, accepted } = await listen();
    const dealer = rawDealer(listener.port);
    await dealer.send('"first"');
    const first = collect(await accepted.next());
    expect(await first.next()).toBe('"first"');
    await dealer.send(goodbyeFrame());
    expect(await first.closed).toBeUndefined();

    await dealer.send('"late message"');
    const second = collect(await accepted.next());
    expect(second.connection.id).not.toBe(first.connection.id);
    expect(await second.next()).toBe('"late message"');
    second.connection.send('"served"');
    expect((await receiveOne(dealer)).toString()).toBe('"served"');
  });
});

describe('zmq transport: frames past the libzmq size cap (OVERSIZED_FRAME_READ_FACTOR)', () => {
  it('still closes a handshaken peer whose frame libzmq cut: libzmq drops the link and says so', async () => {
    const transport = new ZmqTransport(fastHeartbeats);
    const { listener, accepted } = await listen(transport, { maxMessageBytes: 16 });
    const dealer = rawDealer(listener.port);
    await dealer.send(HELLO_FRAME);
    await receiveOne(dealer);
    const server = collect(await accepted.next());

    await dealer.send('x'.repeat(16 * OVERSIZED_FRAME_READ_FACTOR + 1));
    expect((await server.closed)?.message).toMatch(/disconnected/);
    expect(server.received).toEqual([]);
  });

  it('still closes the dialing side when libzmq cuts a frame from the server', async () => {
    const transport = new ZmqTransport(fastHeartbeats);
    const { listener, accepted } = await listen(transport);
    const client = collect(await transport.dial({ host: '127.0.0.1', port: listener.port, maxMessageBytes: 16 }));
    connections.push(client.connection);
    const server = collect(await accepted.next());

    server.connection.send('x'.repeat(16 * OVERSIZED_FRAME_READ_FACTOR + 1));
    expect((await client.closed)?.message).toMatch(/lost/);
    expect((await server.closed)?.message).toMatch(/disconnected|no heartbeat/);
    expect(client.received).toEqual([]);
  });
});

describe('zmq transport: dial', () => {
  it('rejects after connectTimeoutMs when nothing listens', async () => {
    const { listener } = await listen();
    const port = listener.port;
    await listener.close();
    await expect(zmqTransport.dial({ host: '127.0.0.1', port, connectTimeoutMs: 200 })).rejects.toThrow(
      /no Baton server answered/,
    );
  });

  it('rejects after connectTimeoutMs when a ZeroMQ peer listens but never answers the handshake', async () => {
    const { router, port } = await rawRouter();
    const dialing = zmqTransport.dial({ host: '127.0.0.1', port, connectTimeoutMs: 200 });
    const [, hello] = await router.receive();
    expect([...hello!]).toEqual([0x00, 0x01, 0x01]);
    await expect(dialing).rejects.toThrow(/within 200 ms/);
  });

  it('rejects when the server refuses the handshake with a GOODBYE', async () => {
    const { router, port } = await rawRouter();
    const dialing = zmqTransport.dial({ host: '127.0.0.1', port });
    const [routingId] = await router.receive();
    await router.send([routingId!, goodbyeFrame('server full')]);
    await expect(dialing).rejects.toThrow(/server full/);
  });

  it('resolves when the server binds the port only after the dial started', async () => {
    const port = await freePort();
    const dialing = zmqTransport.dial({ host: '127.0.0.1', port, connectTimeoutMs: 5000 });
    // A server binding the port after the dial started still gets the queued HELLO.
    const lateServer = await zmqTransport.listen({ host: '127.0.0.1', port, onConnection: () => {} });
    listeners.push(lateServer);
    const client = await dialing;
    connections.push(client);
    expect(client.remoteAddress).toBe(`127.0.0.1:${String(port)}`);
  });
});

/** A ZeroMQ REQ socket, the seed client's pattern: one request, then exactly one reply. */
function requestSocket(port: number): Request {
  const socket = new Request({ linger: 0 });
  rawSockets.push(socket);
  socket.connect(`tcp://127.0.0.1:${String(port)}`);
  return socket;
}

async function requestReply(socket: Request, request: string | Buffer): Promise<Buffer> {
  await socket.send(request);
  const frames = await socket.receive();
  expect(frames).toHaveLength(1);
  return frames[0]!;
}

describe('zmq transport: REQ peers (docs/protocol.md 2.1)', () => {
  it('gets exactly one answer per request, with the envelope: queued and unasked pushes never reach it', async () => {
    const { listener, accepted } = await listen();
    const socket = requestSocket(listener.port);
    const answered = requestReply(socket, '{"op":"acquire","id":7,"resource":"r"}');
    const server = collect(await accepted.next());
    expect(await server.next()).toBe('{"op":"acquire","id":7,"resource":"r"}');
    server.connection.send('{"op":"queued","id":7,"resource":"r","position":1}');
    server.connection.send('{"op":"lost","resource":"q","token":"3","reason":"lease-expired"}');
    server.connection.send('{"op":"granted","id":8,"resource":"r"}');
    server.connection.send('{"op":"granted","id":7,"resource":"r","token":"9"}');
    // A second message for the same request: the REQ socket would drop it, so the server must not send it.
    server.connection.send('{"op":"released","id":7}');
    expect((await answered).toString()).toBe('{"op":"granted","id":7,"resource":"r","token":"9"}');

    // The next request's answer is the next thing it receives: nothing sent in between was left queued.
    const second = requestReply(socket, '{"op":"status","id":"s"}');
    expect(await server.next()).toBe('{"op":"status","id":"s"}');
    server.connection.send('{"op":"status","id":"s","resources":[]}');
    expect((await second).toString()).toBe('{"op":"status","id":"s","resources":[]}');
  });

  it('takes an error without id as the answer (an unreadable request, or news that ends everything)', async () => {
    const { listener, accepted } = await listen();
    const socket = requestSocket(listener.port);
    const answered = requestReply(socket, '{"op": "acquire", ');
    const server = collect(await accepted.next());
    await server.next();
    server.connection.send('{"op":"error","code":"BAD_JSON","message":"x"}');
    expect(JSON.parse((await answered).toString())).toMatchObject({ code: 'BAD_JSON' });
  });

  it('answers HELLO with WELCOME and PING with PONG inside the envelope', async () => {
    const { listener, accepted } = await listen();
    const socket = requestSocket(listener.port);
    expect([...(await requestReply(socket, HELLO_FRAME))]).toEqual([...WELCOME_FRAME]);
    const server = collect(await accepted.next());
    expect([...(await requestReply(socket, PING_FRAME))]).toEqual([...PONG_FRAME]);
    const answered = requestReply(socket, '"a message"');
    expect(await server.next()).toBe('"a message"');
    server.connection.send('{"op":"error","code":"BAD_MESSAGE"}');
    expect((await answered).toString()).toBe('{"op":"error","code":"BAD_MESSAGE"}');
  });

  it('does not count the wait for its answer as silence, even past the heartbeat timeout', async () => {
    const transport = new ZmqTransport(fastHeartbeats);
    const { listener, accepted } = await listen(transport);
    const socket = requestSocket(listener.port);
    expect([...(await requestReply(socket, HELLO_FRAME))]).toEqual([...WELCOME_FRAME]);
    const waiting = collect(await accepted.next());
    const answered = requestReply(socket, '{"op":"acquire","id":1,"resource":"r"}');
    await waiting.next();

    // A handshaken peer that falls silent afterwards is closed for silence by a later sweep; the REQ peer, silent longer, is not.
    const vanishing = rawDealer(listener.port);
    await vanishing.send(HELLO_FRAME);
    await receiveOne(vanishing);
    const vanishingServer = collect(await accepted.next());
    expect((await vanishingServer.closed)?.message).toMatch(/no heartbeat/);
    expect(waiting.closeCount).toBe(0);
    waiting.connection.send('{"op":"granted","id":1,"resource":"r"}');
    expect((await answered).toString()).toBe('{"op":"granted","id":1,"resource":"r"}');
  });
});

describe('zmq transport: peers that leave (ZMQ_ROUTER_NOTIFY)', () => {
  it('frees the connection of every plain peer that sends one frame and disconnects', async () => {
    const { listener, accepted } = await listen();
    const peers = 300;
    const closed: Array<Promise<Error | undefined>> = [];
    for (let index = 0; index < peers; index++) {
      const dealer = rawDealer(listener.port);
      await dealer.send(`{"op":"status","id":${String(index)}}`);
      const server = collect(await accepted.next());
      closed.push(server.closed);
      dealer.close();
    }
    const errors = await Promise.all(closed);
    for (const error of errors) expect(error?.message).toMatch(/disconnected/);
    expect(listener.connectionCount).toBe(0);
  });

  it('gives a new peer that reuses a departed peer\'s routing id a new connection, not the old one', async () => {
    const { listener, accepted } = await listen();
    const victim = new Dealer({ linger: 0, routingId: 'victim' });
    rawSockets.push(victim);
    victim.connect(`tcp://127.0.0.1:${String(listener.port)}`);
    await victim.send('"victim\'s frame"');
    const victimServer = collect(await accepted.next());
    expect(await victimServer.next()).toBe('"victim\'s frame"');
    victim.close();
    expect((await victimServer.closed)?.message).toMatch(/disconnected/);

    const intruder = new Dealer({ linger: 0, routingId: 'victim' });
    rawSockets.push(intruder);
    intruder.connect(`tcp://127.0.0.1:${String(listener.port)}`);
    await intruder.send('"intruder\'s frame"');
    const intruderServer = collect(await accepted.next());
    expect(intruderServer.connection.id).not.toBe(victimServer.connection.id);
    expect(await intruderServer.next()).toBe('"intruder\'s frame"');
    expect(victimServer.received).toEqual(['"victim\'s frame"']);
  });

  it('closes the connection of a handshaken client that disconnects without GOODBYE at once, not after the heartbeat timeout', async () => {
    const { listener, accepted } = await listen();
    const dealer = rawDealer(listener.port);
    await dealer.send(HELLO_FRAME);
    await receiveOne(dealer);
    const server = collect(await accepted.next());
    dealer.close();
    expect((await server.closed)?.message).toMatch(/disconnected/);
  });

  it('treats HELLO from a plain peer as the start of a new, handshaken connection', async () => {
    const { listener, accepted } = await listen();
    const dealer = rawDealer(listener.port);
    await dealer.send('"plain"');
    const plain = collect(await accepted.next());
    expect(await plain.next()).toBe('"plain"');
    await dealer.send(HELLO_FRAME);
    expect([...(await receiveOne(dealer))]).toEqual([...WELCOME_FRAME]);
    expect((await plain.closed)?.message).toMatch(/HELLO/);
    const handshaken = collect(await accepted.next());
    expect((handshaken.connection as ZmqServerConnection).handshaken).toBe(true);
    await dealer.send('"handshaken"');
    expect(await handshaken.next()).toBe('"handshaken"');
  });
});
