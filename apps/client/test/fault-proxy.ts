import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';

/** Which way a message travels through the proxy. */
export type Direction = 'to-server' | 'to-client';

/** How the bytes on the wire are cut into messages: the three Baton transports. */
export type Framing = 'tcp' | 'ws' | 'zmq';

/** A Baton message seen by the proxy. */
export interface SeenMessage {
  readonly direction: Direction;
  /** Which client connection it travelled on (1 for the first accepted, and so on). */
  readonly connection: number;
  readonly text: string;
}

/**
 * A piece of one direction's byte stream: either a whole Baton message
 * (`text` set) or bytes that are no Baton message (a ZMTP greeting or
 * command, a ZeroMQ control frame, an HTTP upgrade, a WebSocket ping...).
 */
interface Unit {
  readonly bytes: Buffer;
  readonly text?: string;
}

/** Cuts one direction's byte stream into units; keeps what is not complete yet. */
interface Splitter {
  push(chunk: Buffer): Unit[];
}

interface CutRule {
  readonly direction: Direction;
  readonly predicate: (message: string) => boolean;
  readonly resolve: (message: SeenMessage) => void;
}

interface Watcher {
  readonly direction: Direction;
  readonly predicate: (message: string) => boolean;
  readonly resolve: (message: SeenMessage) => void;
}

/** One client connection and its connection to the server. */
interface Pair {
  readonly id: number;
  readonly client: Socket;
  readonly server: Socket;
  /** Set once the pair is being cut: nothing more is forwarded either way. */
  cut: boolean;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a Baton server that knows where each
 * message begins and ends on every transport, in both directions:
 *
 * - `tcp`: `\n`-terminated lines;
 * - `ws`: WebSocket messages after the HTTP upgrade (client frames unmasked to
 *   read them; 7-, 16- and 64-bit lengths; fragments joined); the proxy strips
 *   `Sec-WebSocket-Extensions` from the upgrade request so that no
 *   compression is negotiated and every frame can be read;
 * - `zmq`: ZMTP 3.x after the 64-byte greeting; commands (READY, PING...) and
 *   Baton's control frames (first byte 0x00, docs/protocol.md 2.1) are not
 *   messages.
 *
 * It forwards whole messages only, so a fault can strike exactly between two
 * of them: {@link cutWhen} drops the first message that matches and resets
 * both connections at that instant (everything before it was forwarded,
 * nothing after it is). {@link resetEvery} resets connections at random
 * moments, {@link dropAll} every connection now. New connections through the
 * proxy keep working.
 */
export class FaultProxy {
  /** Baton messages forwarded (not the dropped ones), by direction. */
  readonly counts: Record<Direction, number> = { 'to-server': 0, 'to-client': 0 };
  /** Every Baton message forwarded, in order (the dropped ones are in {@link dropped}). */
  readonly messages: SeenMessage[] = [];
  /** Messages dropped by a cut. */
  readonly dropped: SeenMessage[] = [];
  /** How many connections were reset (by a cut, resetEvery or dropAll). */
  resets = 0;
  /** How many client connections were accepted. */
  accepted = 0;

  private readonly pairs = new Set<Pair>();
  private readonly rules: CutRule[] = [];
  private readonly watchers: Watcher[] = [];
  private resetTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly framing: Framing,
  ) {}

  /** Listen on 127.0.0.1 and a free port, forwarding to `targetPort` on 127.0.0.1. */
  static async start(framing: Framing, targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const proxy = new FaultProxy(server, (server.address() as { port: number }).port, framing);
    server.on('connection', (client) => proxy.accept(client, targetPort, targetHost));
    return proxy;
  }

  /** How many client connections pass through right now. */
  get connections(): number {
    return this.pairs.size;
  }

  /**
   * The first message (from now on) travelling `direction` for which
   * `predicate` is true is dropped, and its connection is reset both ways at
   * that instant. Resolves with the dropped message.
   */
  cutWhen(direction: Direction, predicate: (message: string) => boolean): Promise<SeenMessage> {
    return new Promise((resolve) => this.rules.push({ direction, predicate, resolve }));
  }

  /** The next message (from now on) travelling `direction` that matches, once it has been forwarded. */
  waitFor(direction: Direction, predicate: (message: string) => boolean): Promise<SeenMessage> {
    return new Promise((resolve) => this.watchers.push({ direction, predicate, resolve }));
  }

  /**
   * Until {@link stopResets}: after a random delay between `minMs` and
   * `maxMs`, reset one connection picked at random (or every connection, with
   * `all`), and again.
   */
  resetEvery(minMs: number, maxMs: number, options: { all?: boolean } = {}): void {
    this.stopResets();
    const schedule = () => {
      this.resetTimer = setTimeout(
        () => {
          const live = [...this.pairs].filter((pair) => !pair.cut);
          if (options.all) for (const pair of live) this.reset(pair);
          else if (live.length > 0) this.reset(live[Math.floor(Math.random() * live.length)]!);
          schedule();
        },
        minMs + Math.random() * (maxMs - minMs),
      );
    };
    schedule();
  }

  stopResets(): void {
    if (this.resetTimer) clearTimeout(this.resetTimer);
    this.resetTimer = undefined;
  }

  /** Reset every connection passing through now (both directions). */
  dropAll(): void {
    for (const pair of this.pairs) this.reset(pair);
  }

  async close(): Promise<void> {
    this.stopResets();
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, targetPort: number, targetHost: string): void {
    const server = connect(targetPort, targetHost);
    const pair: Pair = { id: ++this.accepted, client, server, cut: false };
    this.pairs.add(pair);
    client.setNoDelay(true);
    server.setNoDelay(true);
    const toServer = splitterFor(this.framing, 'to-server');
    const toClient = splitterFor(this.framing, 'to-client');
    client.on('data', (chunk: Buffer) => this.forward(pair, 'to-server', toServer.push(chunk), server));
    server.on('data', (chunk: Buffer) => this.forward(pair, 'to-client', toClient.push(chunk), client));
    // One side closing cleanly is passed on as a clean close; an error resets the other side too.
    client.on('end', () => server.end());
    server.on('end', () => client.end());
    for (const socket of [client, server]) {
      socket.on('error', () => this.reset(pair));
      socket.on('close', () => {
        if (client.destroyed && server.destroyed) this.pairs.delete(pair);
      });
    }
  }

  private forward(pair: Pair, direction: Direction, units: Unit[], destination: Socket): void {
    if (pair.cut) return;
    const passed: Buffer[] = [];
    const seen: SeenMessage[] = [];
    for (const unit of units) {
      if (unit.text !== undefined) {
        const message: SeenMessage = { direction, connection: pair.id, text: unit.text };
        const rule = this.rules.find((candidate) => candidate.direction === direction && candidate.predicate(unit.text!));
        if (rule) {
          this.rules.splice(this.rules.indexOf(rule), 1);
          this.dropped.push(message);
          this.cutAfter(pair, destination, passed, seen);
          rule.resolve(message);
          return;
        }
        seen.push(message);
      }
      passed.push(unit.bytes);
    }
    if (passed.length > 0) destination.write(Buffer.concat(passed));
    this.record(seen);
  }

  /** Forward what came before the dropped message, then reset both sockets (as soon as those bytes are in the kernel). */
  private cutAfter(pair: Pair, destination: Socket, passed: Buffer[], seen: SeenMessage[]): void {
    pair.cut = true;
    pair.client.pause();
    pair.server.pause();
    this.record(seen);
    if (passed.length === 0) {
      this.reset(pair);
      return;
    }
    destination.write(Buffer.concat(passed), () => this.reset(pair));
  }

  private record(seen: SeenMessage[]): void {
    for (const message of seen) {
      this.messages.push(message);
      this.counts[message.direction]++;
      for (const watcher of [...this.watchers]) {
        if (watcher.direction === message.direction && watcher.predicate(message.text)) {
          this.watchers.splice(this.watchers.indexOf(watcher), 1);
          watcher.resolve(message);
        }
      }
    }
  }

  private reset(pair: Pair): void {
    pair.cut = true;
    if (pair.client.destroyed && pair.server.destroyed) return;
    this.resets++;
    for (const socket of [pair.client, pair.server]) {
      if (socket.destroyed) continue;
      // resetAndDestroy needs a connected socket; one still connecting is just destroyed.
      if (socket.connecting) socket.destroy();
      else socket.resetAndDestroy();
    }
  }
}

function splitterFor(framing: Framing, direction: Direction): Splitter {
  switch (framing) {
    case 'tcp':
      return new LineSplitter();
    case 'ws':
      return new WebSocketSplitter(direction);
    case 'zmq':
      return new ZmtpSplitter();
  }
}

/** Collects chunks and hands out byte counts from the front. */
class ByteQueue {
  private buffer: Buffer = Buffer.alloc(0);

  append(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  get length(): number {
    return this.buffer.length;
  }

  peek(): Buffer {
    return this.buffer;
  }

  take(count: number): Buffer {
    const taken = this.buffer.subarray(0, count);
    this.buffer = this.buffer.subarray(count);
    return taken;
  }
}

/** tcp: one message per `\n`-terminated line (a trailing `\r` is not part of it; empty lines are not messages). */
export class LineSplitter implements Splitter {
  private readonly queue = new ByteQueue();

  push(chunk: Buffer): Unit[] {
    this.queue.append(chunk);
    const units: Unit[] = [];
    for (;;) {
      const end = this.queue.peek().indexOf(0x0a);
      if (end < 0) return units;
      const bytes = this.queue.take(end + 1);
      const text = bytes.toString('utf8', 0, end).replace(/\r$/, '');
      units.push(text === '' ? { bytes } : { bytes, text });
    }
  }
}

const WS_CONTINUATION = 0x0;
const WS_TEXT = 0x1;
const WS_BINARY = 0x2;

/**
 * ws: an HTTP upgrade, then WebSocket frames. A text or binary message and
 * its continuation frames are held back until the final fragment, then
 * handed out together as one unit; control frames (ping, pong, close) pass
 * at once, also between fragments.
 */
export class WebSocketSplitter implements Splitter {
  private readonly queue = new ByteQueue();
  private upgraded = false;
  /** A server that answered something other than 101: everything after is passed as is. */
  private raw = false;
  private fragments: Buffer[] = [];
  private fragmentPayloads: Buffer[] = [];

  constructor(private readonly direction: Direction) {}

  push(chunk: Buffer): Unit[] {
    this.queue.append(chunk);
    const units: Unit[] = [];
    if (!this.upgraded && !this.raw) {
      const end = this.queue.peek().indexOf('\r\n\r\n');
      if (end < 0) return units;
      const head = this.queue.take(end + 4).toString('latin1');
      if (this.direction === 'to-server') {
        // No permessage-deflate: every frame stays readable.
        units.push({ bytes: Buffer.from(head.replace(/^Sec-WebSocket-Extensions:.*\r\n/gim, ''), 'latin1') });
        this.upgraded = true;
      } else {
        units.push({ bytes: Buffer.from(head, 'latin1') });
        if (/^HTTP\/1\.[01] 101/.test(head)) this.upgraded = true;
        else this.raw = true;
      }
    }
    if (this.raw) {
      if (this.queue.length > 0) units.push({ bytes: this.queue.take(this.queue.length) });
      return units;
    }
    for (;;) {
      const frame = readWebSocketFrame(this.queue.peek());
      if (!frame) return units;
      const bytes = Buffer.from(this.queue.take(frame.length));
      if (frame.opcode >= 0x8) {
        units.push({ bytes });
        continue;
      }
      if (frame.opcode === WS_TEXT || frame.opcode === WS_BINARY || frame.opcode === WS_CONTINUATION) {
        this.fragments.push(bytes);
        this.fragmentPayloads.push(frame.payload);
        if (!frame.fin) continue;
        const text = Buffer.concat(this.fragmentPayloads).toString('utf8');
        units.push({ bytes: Buffer.concat(this.fragments), text });
        this.fragments = [];
        this.fragmentPayloads = [];
        continue;
      }
      units.push({ bytes }); // a reserved opcode: not ours to judge
    }
  }
}

/** One whole frame at the start of `buffer`, unmasked, or undefined if it is not all there yet. */
function readWebSocketFrame(buffer: Buffer): { length: number; fin: boolean; opcode: number; payload: Buffer } | undefined {
  if (buffer.length < 2) return undefined;
  const fin = (buffer[0]! & 0x80) !== 0;
  const opcode = buffer[0]! & 0x0f;
  const masked = (buffer[1]! & 0x80) !== 0;
  let payloadLength = buffer[1]! & 0x7f;
  let offset = 2;
  if (payloadLength === 126) {
    if (buffer.length < 4) return undefined;
    payloadLength = buffer.readUInt16BE(2);
    offset = 4;
  } else if (payloadLength === 127) {
    if (buffer.length < 10) return undefined;
    payloadLength = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  const maskOffset = offset;
  if (masked) offset += 4;
  if (buffer.length < offset + payloadLength) return undefined;
  const payload = Buffer.from(buffer.subarray(offset, offset + payloadLength));
  if (masked) for (let index = 0; index < payload.length; index++) payload[index]! ^= buffer[maskOffset + (index % 4)]!;
  return { length: offset + payloadLength, fin, opcode, payload };
}

const ZMTP_GREETING_BYTES = 64;
const ZMTP_MORE = 0x01;
const ZMTP_LONG = 0x02;
const ZMTP_COMMAND = 0x04;

/**
 * zmq: ZMTP 3.x. The 64-byte greeting, then frames: a flags byte (MORE,
 * LONG, COMMAND), a size of 1 or 8 bytes, the body. Commands (READY, PING,
 * ...) are not messages. A multipart message is held back until its last
 * frame; its Baton message is its last frame, unless that frame is empty or
 * a Baton control frame (first byte 0x00).
 */
export class ZmtpSplitter implements Splitter {
  private readonly queue = new ByteQueue();
  private greetingLeft = ZMTP_GREETING_BYTES;
  private parts: Buffer[] = [];
  private lastBody = Buffer.alloc(0);

  push(chunk: Buffer): Unit[] {
    this.queue.append(chunk);
    const units: Unit[] = [];
    if (this.greetingLeft > 0) {
      const count = Math.min(this.greetingLeft, this.queue.length);
      if (count > 0) units.push({ bytes: Buffer.from(this.queue.take(count)) });
      this.greetingLeft -= count;
      if (this.greetingLeft > 0) return units;
    }
    for (;;) {
      const buffer = this.queue.peek();
      if (buffer.length < 2) return units;
      const flags = buffer[0]!;
      let size: number;
      let offset: number;
      if (flags & ZMTP_LONG) {
        if (buffer.length < 9) return units;
        size = Number(buffer.readBigUInt64BE(1));
        offset = 9;
      } else {
        size = buffer[1]!;
        offset = 2;
      }
      if (buffer.length < offset + size) return units;
      const bytes = Buffer.from(this.queue.take(offset + size));
      if (flags & ZMTP_COMMAND) {
        units.push({ bytes });
        continue;
      }
      this.parts.push(bytes);
      this.lastBody = bytes.subarray(offset);
      if (flags & ZMTP_MORE) continue;
      const whole = Buffer.concat(this.parts);
      const body = this.lastBody;
      this.parts = [];
      units.push(body.length === 0 || body[0] === 0x00 ? { bytes: whole } : { bytes: whole, text: body.toString('utf8') });
    }
  }
}
