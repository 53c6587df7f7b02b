import type { Connection } from '@baton/transport';
import { collect, TransportHarness, UNDECODABLE_PREFIX, type CollectedConnection } from '@baton/transport-compliance';
import { afterEach, describe, expect, it } from 'vitest';
import { tcpTransport } from '../src/index.js';
import { connectRaw } from './raw-client.js';

const OVERSIZED_REPLY = '{"op":"error","code":"MESSAGE_TOO_LARGE"}';

describe('tcp wire format', () => {
  const harness = new TransportHarness(tcpTransport);

  afterEach(async () => {
    await harness.closeAll();
  });

  /** A listener whose accepted connections are collected as they arrive. */
  async function listenCollecting(options: { maxMessageBytes?: number } = {}) {
    const { listener, accepted } = await harness.listen({ ...options, oversizedReply: OVERSIZED_REPLY });
    const nextServerSide = async (): Promise<CollectedConnection> => collect(await accepted.next());
    return { listener, nextServerSide };
  }

  /** Makes `connection` send back whatever it receives. */
  function echo(connection: Connection): void {
    connection.setHandlers({ onMessage: (message) => connection.send(message), onClose: () => {} });
  }

  it('refuses a 10 MB line with the oversized reply and a close, while another connection keeps working', async () => {
    const { listener, accepted } = await harness.listen({ oversizedReply: OVERSIZED_REPLY });
    const good = collect(await harness.dial(listener.port));
    echo(await accepted.next());
    good.connection.send('"before"');
    expect(await good.next()).toBe('"before"');

    const raw = await connectRaw(listener.port);
    const badServerSide = collect(await accepted.next());
    // No newline ever: a server that buffered until the end of the line
    // would hold all 10 MB and never answer.
    const tenMegabytes = Buffer.alloc(10 * 1024 * 1024, 'x');
    raw.socket.write(tenMegabytes, () => {});

    good.connection.send('"during"');
    expect(await good.next()).toBe('"during"');
    expect(await raw.lines.next()).toBe(OVERSIZED_REPLY);
    expect(await badServerSide.closed).toBeInstanceOf(Error);
    await raw.closed;
    expect(badServerSide.received).toEqual([]);

    good.connection.send('"after"');
    expect(await good.next()).toBe('"after"');
  });

  it('accepts CRLF line ends, skips empty lines and writes plain LF lines', async () => {
    const { listener, nextServerSide } = await listenCollecting();
    const raw = await connectRaw(listener.port);
    const serverSide = await nextServerSide();
    await raw.write('{"n":1}\r\n{"n":2}\r\n\r\n\n\n{"n":3}\n{"inner":"a\rb"}\r\n');
    expect(await serverSide.take(4)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"inner":"a\rb"}']);

    serverSide.connection.send('{"ok":true}');
    serverSide.connection.send('{"ok":"again"}');
    expect(await raw.lines.take(2)).toEqual(['{"ok":true}', '{"ok":"again"}']);
    raw.socket.end();
    expect(await serverSide.closed).toBeUndefined();
  });

  it('reassembles a line written one byte at a time, multibyte characters included', async () => {
    const { listener, nextServerSide } = await listenCollecting();
    const raw = await connectRaw(listener.port);
    const serverSide = await nextServerSide();
    const message = '{"emoji":"😀🎉","cjk":"漢字かな","accent":"é","text":"hello"}';
    for (const byte of Buffer.from(`${message}\n${message}\r\n`)) {
      await raw.write(Uint8Array.of(byte));
    }
    expect(await serverSide.take(2)).toEqual([message, message]);
  });

  it('reports lines that are not valid UTF-8 through onUndecodable, in their place, and keeps the connection', async () => {
    const { listener, nextServerSide } = await listenCollecting();
    const raw = await connectRaw(listener.port);
    const serverSide = await nextServerSide();
    await raw.write(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]));
    // A truncated three-byte sequence (漢 is e6 bc a2) at the end of a line.
    await raw.write(Buffer.from([0x22, 0xe6, 0xbc, 0x22, 0x0a]));
    await raw.write('{"still":"fine"}\n');
    expect(await serverSide.take(3)).toEqual([
      `${UNDECODABLE_PREFIX}a line of 6 bytes is not valid UTF-8`,
      `${UNDECODABLE_PREFIX}a line of 4 bytes is not valid UTF-8`,
      '{"still":"fine"}',
    ]);
  });

  it('counts the limit in bytes without the line end, for LF and CRLF alike', async () => {
    const limit = 16;
    const { listener, nextServerSide } = await listenCollecting({ maxMessageBytes: limit });
    const raw = await connectRaw(listener.port);
    const serverSide = await nextServerSide();
    const exactly = '"' + 'x'.repeat(limit - 2) + '"';
    await raw.write(`${exactly}\n${exactly}\r\n`);
    expect(await serverSide.take(2)).toEqual([exactly, exactly]);
    await raw.write(`${exactly}x\r\n`);
    expect(await raw.lines.next()).toBe(OVERSIZED_REPLY);
    expect(await serverSide.closed).toBeInstanceOf(Error);
    await raw.closed;
  });

  it('reports a peer that vanished with an error', async () => {
    const { listener, nextServerSide } = await listenCollecting();
    const raw = await connectRaw(listener.port);
    const serverSide = await nextServerSide();
    await raw.write('"hello"\n');
    expect(await serverSide.next()).toBe('"hello"');
    raw.socket.resetAndDestroy();
    expect(await serverSide.closed).toBeInstanceOf(Error);
  });

  it('reports addresses as host:port and the listener as a tcp url', async () => {
    const { listener, client, server } = await harness.connect();
    expect(listener.url).toBe(`tcp://127.0.0.1:${listener.port}`);
    expect(client.remoteAddress).toBe(`127.0.0.1:${listener.port}`);
    expect(server.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(client.id).toMatch(/^tcp-\d+$/);
  });
});
