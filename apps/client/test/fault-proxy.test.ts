/**
 * The fault proxy with raw sockets on 127.0.0.1: it finds message boundaries
 * of each framing however the bytes are chunked, forwards bytes unchanged,
 * drops exactly the message a cut names and resets both sides at once, and
 * keeps serving new connections. Then the same over the real transports.
 */
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Connection, Listener, Transport } from '@baton/transport';
import { tcpTransport } from '@baton/transport-tcp';
import { wsTransport } from '@baton/transport-ws';
import { zmqTransport } from '@baton/transport-zmq';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from './fault-proxy.js';

/** A raw TCP server that keeps every connection and what it received. */
class RawServer {
  readonly sockets: Socket[] = [];
  readonly received = new Map<Socket, Buffer>();
  private readonly waiting: (() => void)[] = [];
  private readonly growth: (() => void)[] = [];

  private constructor(readonly server: Server, readonly port: number) {}

  static async start(): Promise<RawServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const raw = new RawServer(server, (server.address() as { port: number }).port);
    server.on('connection', (socket) => raw.accept(socket));
    return raw;
  }

  /** The `index`-th accepted connection (0 = first), once accepted. */
  connection(index: number): Promise<Socket> {
    if (this.sockets[index]) return Promise.resolve(this.sockets[index]);
    return new Promise((resolve) => this.waiting.push(() => this.sockets[index] && resolve(this.sockets[index])));
  }

  /** Resolves once `socket` has received at least `length` bytes. */
  async receivedAtLeast(socket: Socket, length: number): Promise<Buffer> {
    while ((this.received.get(socket)?.length ?? 0) < length) await new Promise<void>((resolve) => this.growth.push(resolve));
    return this.received.get(socket)!;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    socket.on('error', () => {});
    this.sockets.push(socket);
    this.received.set(socket, Buffer.alloc(0));
    socket.on('data', (chunk: Buffer) => {
      this.received.set(socket, Buffer.concat([this.received.get(socket)!, chunk]));
      for (const wake of this.growth.splice(0)) wake();
    });
    for (const wake of this.waiting.splice(0)) wake();
  }
}

/** A raw client socket through the proxy: what it received and how it ended. */
async function rawClient(port: number) {
  const socket = connect(port, '127.0.0.1');
  let received = Buffer.alloc(0);
  const growth: (() => void)[] = [];
  const ended = new Promise<string>((resolve) => {
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.on('close', () => resolve('closed'));
  });
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    for (const wake of growth.splice(0)) wake();
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return {
    socket,
    ended,
    get received() {
      return received;
    },
    async receivedAtLeast(length: number): Promise<Buffer> {
      while (received.length < length) await new Promise<void>((resolve) => growth.push(resolve));
      return received;
    },
    /** Write each piece as its own chunk, letting the proxy read between them. */
    async writeInPieces(bytes: Buffer, pieceLength: number): Promise<void> {
      for (let offset = 0; offset < bytes.length; offset += pieceLength) {
        await new Promise<void>((resolve) => socket.write(bytes.subarray(offset, offset + pieceLength), () => resolve()));
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

/**
 * How a socket ends: the error code (ECONNRESET) or 'closed'. A reset that
 * arrives right behind data is read on Linux as a plain end of stream once
 * the data is read, so after forwarded bytes a cut shows as either.
 */
const RESET = ['ECONNRESET', 'closed'];

/** How a server-side socket ends: the error code (ECONNRESET) or 'closed'. */
function endOf(socket: Socket): Promise<string> {
  if (socket.destroyed) return Promise.resolve('closed');
  return new Promise((resolve) => {
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.on('close', () => resolve('closed'));
  });
}

function wsFrame(text: string | Buffer, options: { opcode?: number; fin?: boolean; mask?: boolean } = {}): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text) : text;
  const opcode = options.opcode ?? 0x1;
  const fin = options.fin ?? true;
  const mask = options.mask ?? false;
  let header: Buffer;
  if (payload.length < 126) {
    header = Buffer.from([(fin ? 0x80 : 0) | opcode, (mask ? 0x80 : 0) | payload.length]);
  } else if (payload.length < 65_536) {
    header = Buffer.alloc(4);
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = (mask ? 0x80 : 0) | 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = (mask ? 0x80 : 0) | 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  if (!mask) return Buffer.concat([header, payload]);
  const key = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const masked = Buffer.from(payload.map((byte, index) => byte ^ key[index % 4]!));
  return Buffer.concat([header, key, masked]);
}

function zmtpFrame(body: string | Buffer, flags = 0): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  if (payload.length <= 255) return Buffer.concat([Buffer.from([flags, payload.length]), payload]);
  const header = Buffer.alloc(9);
  header[0] = flags | 0x02;
  header.writeBigUInt64BE(BigInt(payload.length), 1);
  return Buffer.concat([header, payload]);
}

function zmtpGreeting(asServer: boolean): Buffer {
  const greeting = Buffer.alloc(64);
  greeting[0] = 0xff;
  greeting[9] = 0x7f;
  greeting[10] = 3;
  greeting[11] = 0;
  greeting.write('NULL', 12, 'latin1');
  greeting[32] = asServer ? 1 : 0;
  return greeting;
}

function zmtpReady(socketType: string): Buffer {
  const name = Buffer.from('Socket-Type');
  const value = Buffer.from(socketType);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length);
  const body = Buffer.concat([Buffer.from([5]), Buffer.from('READY'), Buffer.from([name.length]), name, length, value]);
  return zmtpFrame(body, 0x04);
}

describe('fault proxy, raw sockets', () => {
  let raw: RawServer;
  let proxy: FaultProxy;

  afterEach(async () => {
    await proxy?.close();
    await raw?.close();
  });

  it('tcp: lines cut anywhere are reassembled, forwarded unchanged, and counted', async () => {
    raw = await RawServer.start();
    proxy = await FaultProxy.start('tcp', raw.port);
    const client = await rawClient(proxy.port);
    const server = await raw.connection(0);
    const bytes = Buffer.from('{"op":"hello"}\n\r\n{"op":"acquire","resource":"é"}\r\n{"op":"release"}\n');
    await client.writeInPieces(bytes, 3);
    expect((await raw.receivedAtLeast(server, bytes.length)).equals(bytes)).toBe(true);
    expect(proxy.messages.map((message) => message.text)).toEqual(['{"op":"hello"}', '{"op":"acquire","resource":"é"}', '{"op":"release"}']);
    server.write('{"op":"welcome"}\n{"op":"granted"}\n');
    await client.receivedAtLeast(34);
    expect(proxy.counts).toEqual({ 'to-server': 3, 'to-client': 2 });
  });

  it('tcp: a cut forwards everything before the message, drops it and what follows, resets both sides; a new connection works', async () => {
    raw = await RawServer.start();
    proxy = await FaultProxy.start('tcp', raw.port);
    const client = await rawClient(proxy.port);
    const server = await raw.connection(0);
    const serverEnd = endOf(server);
    const cut = proxy.cutWhen('to-server', (message) => message.includes('"acquire"'));
    client.socket.write('{"op":"hello"}\n{"op":"acquire"}\n{"op":"after"}\n');
    expect(await cut).toMatchObject({ direction: 'to-server', connection: 1, text: '{"op":"acquire"}' });
    expect(RESET).toContain(await serverEnd);
    expect(await client.ended).toBe('ECONNRESET');
    expect(raw.received.get(server)!.toString()).toBe('{"op":"hello"}\n');
    expect(proxy.dropped.map((message) => message.text)).toEqual(['{"op":"acquire"}']);

    const again = await rawClient(proxy.port);
    const second = await raw.connection(1);
    again.socket.write('{"op":"acquire"}\n');
    expect((await raw.receivedAtLeast(second, 17)).toString()).toBe('{"op":"acquire"}\n');
    // The rule fired once; server to client is cut the same way.
    const cutReply = proxy.cutWhen('to-client', (message) => message.includes('"granted"'));
    second.write('{"op":"queued"}\n{"op":"granted"}\n');
    await cutReply;
    expect(RESET).toContain(await again.ended);
    expect(again.received.toString()).toBe('{"op":"queued"}\n');
    expect(proxy.resets).toBe(2);
  });

  it('ws: strips the extensions offer, reads masked frames of 7-, 16- and 64-bit lengths, joins fragments around a ping', async () => {
    raw = await RawServer.start();
    proxy = await FaultProxy.start('ws', raw.port);
    const client = await rawClient(proxy.port);
    const server = await raw.connection(0);
    const upgrade = 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nSec-WebSocket-Key: abc\r\n\r\n';
    const expectedUpgrade = 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nSec-WebSocket-Key: abc\r\n\r\n';
    const medium = `{"op":"m","pad":"${'m'.repeat(300)}"}`;
    const large = `{"op":"l","pad":"${'l'.repeat(70_000)}"}`;
    const frames = [
      wsFrame('{"op":"hello"}', { mask: true }),
      wsFrame(medium, { mask: true }),
      wsFrame(large, { mask: true }),
      wsFrame('{"op":"frag', { mask: true, fin: false }),
      wsFrame('', { mask: true, opcode: 0x9 }), // a ping between fragments
      wsFrame('mented"}', { mask: true, opcode: 0x0 }),
    ];
    const bytes = Buffer.concat([Buffer.from(upgrade), ...frames]);
    await client.writeInPieces(bytes.subarray(0, 400), 7);
    await client.writeInPieces(bytes.subarray(400), 16_384);
    const expectedLength = expectedUpgrade.length + frames.reduce((sum, frame) => sum + frame.length, 0);
    const received = await raw.receivedAtLeast(server, expectedLength);
    expect(received.subarray(0, expectedUpgrade.length).toString()).toBe(expectedUpgrade);
    // The ping passed at once; the fragmented message after it, whole.
    const expectedFrames = Buffer.concat([frames[0]!, frames[1]!, frames[2]!, frames[4]!, frames[3]!, frames[5]!]);
    expect(received.subarray(expectedUpgrade.length).equals(expectedFrames)).toBe(true);
    expect(proxy.messages.map((message) => message.text)).toEqual(['{"op":"hello"}', medium, large, '{"op":"fragmented"}']);

    // Server to client: the 101 and a frame in one chunk, then a cut.
    const cut = proxy.cutWhen('to-client', (message) => message.includes('"granted"'));
    const reply = Buffer.concat([Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'), wsFrame('{"op":"welcome"}'), wsFrame('{"op":"granted"}'), wsFrame('{"op":"late"}')]);
    server.write(reply);
    expect((await cut).text).toBe('{"op":"granted"}');
    expect(RESET).toContain(await client.ended);
    expect(client.received.toString()).toContain('{"op":"welcome"}');
    expect(client.received.toString()).not.toContain('granted');
    expect(proxy.counts).toEqual({ 'to-server': 4, 'to-client': 1 });
  });

  it('zmq: skips the greeting and commands, ignores control frames, reads short, long and multipart frames', async () => {
    raw = await RawServer.start();
    proxy = await FaultProxy.start('zmq', raw.port);
    const client = await rawClient(proxy.port);
    const server = await raw.connection(0);
    const long = `{"op":"acquire","pad":"${'x'.repeat(400)}"}`;
    const bytes = Buffer.concat([
      zmtpGreeting(false),
      zmtpReady('DEALER'),
      zmtpFrame(Buffer.from([0x00, 0x01, 0x01])), // HELLO control frame
      zmtpFrame('{"op":"hello"}'),
      zmtpFrame(long),
      zmtpFrame(Buffer.alloc(0), 0x01), // an empty delimiter, then the message
      zmtpFrame('{"op":"release"}'),
      zmtpFrame(Buffer.from([0x00, 0x03])), // PING control frame
    ]);
    await client.writeInPieces(bytes, 5);
    expect((await raw.receivedAtLeast(server, bytes.length)).equals(bytes)).toBe(true);
    expect(proxy.messages.map((message) => message.text)).toEqual(['{"op":"hello"}', long, '{"op":"release"}']);

    const cut = proxy.cutWhen('to-client', (message) => message.includes('"released"'));
    server.write(Buffer.concat([zmtpGreeting(true).subarray(0, 11)]));
    server.write(Buffer.concat([zmtpGreeting(true).subarray(11), zmtpReady('ROUTER'), zmtpFrame(Buffer.from([0x00, 0x02, 0x01])), zmtpFrame('{"op":"welcome"}'), zmtpFrame('{"op":"released"}'), zmtpFrame('{"op":"late"}')]));
    expect((await cut).text).toBe('{"op":"released"}');
    expect(RESET).toContain(await client.ended);
    expect(client.received.toString('latin1')).toContain('{"op":"welcome"}');
    expect(client.received.toString('latin1')).not.toContain('released');
  });

  it('resetEvery resets connections at random moments and dropAll every one; new connections keep working', async () => {
    raw = await RawServer.start();
    proxy = await FaultProxy.start('tcp', raw.port);
    const first = await rawClient(proxy.port);
    const second = await rawClient(proxy.port);
    await raw.connection(1);
    expect(proxy.connections).toBe(2);
    proxy.resetEvery(10, 30, { all: true });
    expect(await first.ended).toBe('ECONNRESET');
    expect(await second.ended).toBe('ECONNRESET');
    proxy.stopResets();
    const resets = proxy.resets;
    const third = await rawClient(proxy.port);
    const fourth = await rawClient(proxy.port);
    const server = await raw.connection(2);
    await raw.connection(3);
    third.socket.write('still\n');
    expect((await raw.receivedAtLeast(server, 6)).toString()).toBe('still\n');
    proxy.dropAll();
    expect(await third.ended).toBe('ECONNRESET');
    expect(await fourth.ended).toBe('ECONNRESET');
    expect(proxy.resets).toBe(resets + 2);
  });
});

/** Messages through the proxy between a real listener and a real dialer of each transport. */
describe.each([
  ['tcp', tcpTransport],
  ['ws', wsTransport],
  ['zmq', zmqTransport],
] as const)('fault proxy over the real %s transport', (framing, transport: Transport) => {
  let listener: Listener | undefined;
  let proxy: FaultProxy | undefined;
  const dialed: Connection[] = [];

  afterEach(async () => {
    for (const connection of dialed.splice(0)) connection.close();
    await proxy?.close();
    await listener?.close();
  });

  it('sees every message both ways, not the control traffic, and a cut closes both connections', async () => {
    const accepted: Connection[] = [];
    const serverReceived: string[] = [];
    const serverClosed: Promise<void>[] = [];
    listener = await transport.listen({
      host: '127.0.0.1',
      port: 0,
      maxMessageBytes: 200_000, // room for a message with a 64-bit WebSocket length
      onConnection: (connection) => {
        accepted.push(connection);
        serverClosed.push(
          new Promise((resolve) =>
            connection.setHandlers({
              onMessage: (text) => {
                serverReceived.push(text);
                connection.send(`{"op":"echo","of":${text}}`);
              },
              onClose: () => resolve(),
            }),
          ),
        );
      },
    });
    proxy = await FaultProxy.start(framing, listener.port);
    const connection = await transport.dial({ host: '127.0.0.1', port: proxy.port, maxMessageBytes: 200_000 });
    dialed.push(connection);
    const clientReceived: string[] = [];
    let wake: (() => void) | undefined;
    const clientClosed = new Promise<void>((resolve) =>
      connection.setHandlers({
        onMessage: (text) => {
          clientReceived.push(text);
          wake?.();
        },
        onClose: () => resolve(),
      }),
    );
    const big = `{"op":"big","pad":"${'b'.repeat(70_000)}"}`;
    for (const text of ['{"op":"one"}', big, '{"op":"two"}']) connection.send(text);
    while (clientReceived.length < 3) await new Promise<void>((resolve) => (wake = resolve));
    expect(serverReceived).toEqual(['{"op":"one"}', big, '{"op":"two"}']);
    expect(proxy.messages.filter((message) => message.direction === 'to-server').map((message) => message.text)).toEqual(serverReceived);
    expect(proxy.messages.filter((message) => message.direction === 'to-client').map((message) => message.text)).toEqual(clientReceived);

    const cut = proxy.cutWhen('to-server', (message) => message === '{"op":"cut"}');
    connection.send('{"op":"cut"}');
    await cut;
    await clientClosed;
    if (framing !== 'zmq') await serverClosed[0]; // a ROUTER learns it by heartbeat only
    expect(serverReceived).not.toContain('{"op":"cut"}');
  });
});
