import { createServer, type Socket } from 'node:net';
import { MAX_MESSAGE_BYTES } from '@baton/core';
import type { Connection, TransportErrorCode } from '@baton/transport';
import { afterEach, describe, expect, it } from 'vitest';
import type { AsyncQueue } from './async-queue.js';
import { collect } from './collect.js';
import type { ComplianceTarget } from './compliance-target.js';
import { LinkProxy } from './link-proxy.js';
import { messageOfBytes } from './message-of-bytes.js';
import { TransportHarness } from './transport-harness.js';

/** The small limit the size tests use on both ends, so exact-size messages stay cheap. */
const SMALL_LIMIT = 4096;
/** What the listening side sends before closing a connection for an oversized frame. */
const OVERSIZED_REPLY = '{"op":"error","code":"MESSAGE_TOO_LARGE"}';
/** The connect timeout used where a dial is expected to fail. */
const CONNECT_TIMEOUT_MS = 1000;
/** Slack on top of the connect timeout for a slow machine. */
const TIMEOUT_SLACK_MS = 2000;
/**
 * Every test here finishes in well under a second on a healthy transport; a
 * broken one usually fails by never delivering an event, so fail that fast
 * instead of at the 60 s default.
 */
const TEST_TIMEOUT_MS = 20_000;

/** `error` is a TransportError with `code` (docs: @baton/transport's TransportErrorCode). */
function expectCode(error: Error | undefined, code: TransportErrorCode): void {
  expect(error, `expected a TransportError with code ${code}`).toBeInstanceOf(Error);
  expect({ name: error?.name, code: (error as { code?: unknown } | undefined)?.code }, error?.message).toEqual({ name: 'TransportError', code });
}

/**
 * Registers the transport compliance suite: everything the coordinator and
 * the SDK rely on from a {@link Transport}, checked through the public
 * interface only. Call it at the top level of a test file:
 *
 * ```ts
 * describeTransportCompliance({ name: 'tcp', transport: tcpTransport, repliesBeforeOversizeClose: true });
 * ```
 *
 * Tests wait for events (messages, closes) and never sleep, and every
 * listener is on port 0 and closed after each test.
 */
export function describeTransportCompliance(target: ComplianceTarget): void {
  const { transport } = target;
  const host = target.host ?? '127.0.0.1';

  describe(`${target.name} transport compliance`, { timeout: TEST_TIMEOUT_MS }, () => {
    const harness = new TransportHarness(transport, host);

    afterEach(async () => {
      await harness.closeAll();
    });

    /**
     * Gives in-flight messages time to arrive without sleeping: one full round
     * trip on a second connection to the same listener goes through the same
     * network stack and event loop as they do.
     */
    async function roundTripOnAnotherConnection(port: number, accepted: AsyncQueue<Connection>): Promise<void> {
      const probe = collect(await harness.dial(port));
      const probeServer = collect(await accepted.next());
      probe.connection.send('"probe"');
      expect(await probeServer.next()).toBe('"probe"');
      probeServer.connection.send('"probe reply"');
      expect(await probe.next()).toBe('"probe reply"');
    }

    describe('listen', () => {
      it('on port 0 reports the real port and a url of the transport scheme', async () => {
        const first = await harness.listen();
        const second = await harness.listen();
        for (const { listener } of [first, second]) {
          expect(Number.isInteger(listener.port)).toBe(true);
          expect(listener.port).toBeGreaterThan(0);
          expect(listener.port).toBeLessThanOrEqual(65535);
          const url = new URL(listener.url);
          expect(url.protocol).toBe(`${transport.scheme}:`);
          expect(url.hostname.replace(/^\[(.*)\]$/, '$1')).toBe(host);
          expect(Number(url.port)).toBe(listener.port);
        }
        expect(first.listener.port).not.toBe(second.listener.port);
      });
    });

    describe('delivery', () => {
      it('dials and carries a message each way', async () => {
        const { client, server } = await harness.connect();
        const clientSide = collect(client);
        const serverSide = collect(server);
        expect(client.id).not.toBe(server.id);
        expect(typeof client.remoteAddress).toBe('string');
        expect(client.remoteAddress.length).toBeGreaterThan(0);
        expect(server.remoteAddress.length).toBeGreaterThan(0);

        client.send('{"op":"ping","id":1}');
        expect(await serverSide.next()).toBe('{"op":"ping","id":1}');
        server.send('{"op":"pong","id":1}');
        expect(await clientSide.next()).toBe('{"op":"pong","id":1}');
      });

      it('delivers 2,000 messages in order both ways at once', async () => {
        const count = 2000;
        const { client, server } = await harness.connect();
        const clientSide = collect(client);
        const serverSide = collect(server);
        const fromClient = Array.from({ length: count }, (_, index) => `{"from":"client","sequence":${index}}`);
        const fromServer = Array.from({ length: count }, (_, index) => `{"from":"server","sequence":${index}}`);
        for (let index = 0; index < count; index += 1) {
          client.send(fromClient[index]!);
          server.send(fromServer[index]!);
        }
        const [atServer, atClient] = await Promise.all([serverSide.take(count), clientSide.take(count)]);
        expect(atServer).toEqual(fromClient);
        expect(atClient).toEqual(fromServer);
      });

      it('keeps emoji, CJK and multibyte characters at frame edges intact', async () => {
        const { client, server } = await harness.connect();
        const clientSide = collect(client);
        const serverSide = collect(server);
        const samples = [
          '"😀"',
          '"漢字かなカナ한국어"',
          JSON.stringify({ emoji: '👩‍👩‍👧‍👦🏳️‍🌈', cjk: '中文字符', accents: 'éèêë', math: '𝔘𝔫𝔦𝔠𝔬𝔡𝔢' }),
          '"\u2028\u2029 line and paragraph separators"',
          '"é"',
          '"€"',
          `"${'😀'.repeat(5000)}"`,
          // Many messages of 3-byte characters back to back, so character
          // boundaries fall on every possible byte offset of the stream.
          ...Array.from({ length: 40 }, (_, index) => `"${'漢'.repeat(1000 + index)}${'€'.repeat(index % 3)}"`),
          '"🎉 last"',
        ];
        for (const sample of samples) {
          client.send(sample);
          server.send(sample);
        }
        const [atServer, atClient] = await Promise.all([
          serverSide.take(samples.length),
          clientSide.take(samples.length),
        ]);
        expect(atServer).toEqual(samples);
        expect(atClient).toEqual(samples);
      });

      it('buffers messages that reach the accepting side before setHandlers', async () => {
        const { listener, accepted } = await harness.listen();
        const clientSide = collect(await harness.dial(listener.port));
        clientSide.connection.send('"one"');
        clientSide.connection.send('"two"');
        clientSide.connection.send('"three"');
        const server = await accepted.next();
        await roundTripOnAnotherConnection(listener.port, accepted);

        const serverSide = collect(server);
        expect(await serverSide.take(3)).toEqual(['"one"', '"two"', '"three"']);
        server.send('"still works"');
        expect(await clientSide.next()).toBe('"still works"');
      });

      it('buffers messages that reach the dialing side before setHandlers', async () => {
        const { listener, accepted } = await harness.listen();
        const client = await harness.dial(listener.port);
        const serverSide = collect(await accepted.next());
        serverSide.connection.send('"welcome"');
        serverSide.connection.send('"second"');
        await roundTripOnAnotherConnection(listener.port, accepted);

        const clientSide = collect(client);
        expect(await clientSide.take(2)).toEqual(['"welcome"', '"second"']);
      });

      it('reports a close that happened before setHandlers after the buffered messages', async () => {
        const { listener, accepted } = await harness.listen();
        const clientSide = collect(await harness.dial(listener.port));
        clientSide.connection.send('"first"');
        clientSide.connection.send('"last words"');
        clientSide.connection.close();
        const server = await accepted.next();
        await clientSide.closed;
        await roundTripOnAnotherConnection(listener.port, accepted);

        const serverSide = collect(server);
        expect(await serverSide.take(2)).toEqual(['"first"', '"last words"']);
        await serverSide.closed;
        await listener.close();
        expect(serverSide.closeCount).toBe(1);
        expect(clientSide.closeCount).toBe(1);
      });

      it('keeps 50 concurrent connections apart', async () => {
        const clients = 50;
        const roundTrips = 5;
        const burst = 20;
        const { listener } = await harness.listen({
          onConnection: (connection) => {
            connection.setHandlers({ onMessage: (message) => connection.send(message), onClose: () => {} });
          },
        });
        const ids = await Promise.all(
          Array.from({ length: clients }, async (_, clientNumber) => {
            const clientSide = collect(await harness.dial(listener.port));
            for (let round = 0; round < roundTrips; round += 1) {
              const message = `{"client":${clientNumber},"round":${round}}`;
              clientSide.connection.send(message);
              expect(await clientSide.next()).toBe(message);
            }
            const messages = Array.from({ length: burst }, (_, index) => `{"client":${clientNumber},"burst":${index}}`);
            for (const message of messages) {
              clientSide.connection.send(message);
            }
            expect(await clientSide.take(burst)).toEqual(messages);
            return clientSide.connection.id;
          }),
        );
        expect(new Set(ids).size).toBe(clients);
      });
    });

    describe('size limit', () => {
      it(`passes a message of exactly maxMessageBytes (${SMALL_LIMIT}) both ways, in bytes not characters`, async () => {
        const { client, server } = await harness.connect({ maxMessageBytes: SMALL_LIMIT });
        const clientSide = collect(client);
        const serverSide = collect(server);
        const samples = [messageOfBytes(SMALL_LIMIT), messageOfBytes(SMALL_LIMIT, 'é'), messageOfBytes(SMALL_LIMIT, '😀')];
        for (const sample of samples) {
          expect(Buffer.byteLength(sample)).toBe(SMALL_LIMIT);
          client.send(sample);
          server.send(sample);
        }
        expect(await serverSide.take(samples.length)).toEqual(samples);
        expect(await clientSide.take(samples.length)).toEqual(samples);
      });

      it('closes the connection when the client sends one byte over the limit', async () => {
        const { client, server } = await harness.connect({ maxMessageBytes: SMALL_LIMIT, oversizedReply: OVERSIZED_REPLY });
        const clientSide = collect(client);
        const serverSide = collect(server);
        client.send('"before"');
        expect(await serverSide.next()).toBe('"before"');

        // 2,049 two-byte characters: under the limit in characters, one byte over in bytes.
        client.send(messageOfBytes(SMALL_LIMIT + 1, 'é'));
        client.send('"after"');

        const serverError = await serverSide.closed;
        expect(serverError).toBeInstanceOf(Error);
        if (target.repliesBeforeOversizeClose === true) {
          expect(await clientSide.next()).toBe(OVERSIZED_REPLY);
        }
        await clientSide.closed;
        expect(serverSide.received).toEqual(['"before"']);
        await harness.closeAll();
        expect(serverSide.closeCount).toBe(1);
        expect(clientSide.closeCount).toBe(1);
      });

      it('closes the connection when the server sends one byte over the client limit', async () => {
        const { client, server } = await harness.connect({ maxMessageBytes: SMALL_LIMIT });
        const clientSide = collect(client);
        const serverSide = collect(server);
        server.send('"before"');
        expect(await clientSide.next()).toBe('"before"');

        server.send(messageOfBytes(SMALL_LIMIT + 1));

        expect(await clientSide.closed).toBeInstanceOf(Error);
        await serverSide.closed;
        expect(clientSide.received).toEqual(['"before"']);
      });

      it(`uses MAX_MESSAGE_BYTES (${MAX_MESSAGE_BYTES}) when no limit is given`, async () => {
        const { client, server } = await harness.connect({ oversizedReply: OVERSIZED_REPLY });
        const clientSide = collect(client);
        const serverSide = collect(server);
        const about60Kilobytes = JSON.stringify({ op: 'blob', data: 'Ab€😀'.repeat(60_000 / 9) });
        expect(Buffer.byteLength(about60Kilobytes)).toBeGreaterThan(59_000);
        const exactlyTheLimit = messageOfBytes(MAX_MESSAGE_BYTES, '漢');
        for (const message of [about60Kilobytes, exactlyTheLimit]) {
          client.send(message);
          server.send(message);
        }
        expect(await serverSide.take(2)).toEqual([about60Kilobytes, exactlyTheLimit]);
        expect(await clientSide.take(2)).toEqual([about60Kilobytes, exactlyTheLimit]);

        client.send(messageOfBytes(MAX_MESSAGE_BYTES + 1));
        expect(await serverSide.closed).toBeInstanceOf(Error);
        if (target.repliesBeforeOversizeClose === true) {
          expect(await clientSide.next()).toBe(OVERSIZED_REPLY);
        }
        await clientSide.closed;
      });
    });

    describe('close', () => {
      it('client close: queued messages are flushed, then onClose fires once on both ends', async () => {
        const { listener, client, server } = await harness.connect();
        const clientSide = collect(client);
        const serverSide = collect(server);
        const messages = Array.from({ length: 100 }, (_, index) => `{"sequence":${index}}`);
        for (const message of messages) {
          client.send(message);
        }
        client.close();
        client.close();

        expect(await serverSide.take(messages.length)).toEqual(messages);
        expect(await serverSide.closed).toBeUndefined();
        expect(await clientSide.closed).toBeUndefined();
        await listener.close();
        expect(serverSide.closeCount).toBe(1);
        expect(clientSide.closeCount).toBe(1);
      });

      it('server close: queued messages are flushed, then onClose fires once on both ends', async () => {
        const { listener, client, server } = await harness.connect();
        const clientSide = collect(client);
        const serverSide = collect(server);
        const messages = Array.from({ length: 100 }, (_, index) => `{"sequence":${index}}`);
        for (const message of messages) {
          server.send(message);
        }
        server.close();
        server.close();

        expect(await clientSide.take(messages.length)).toEqual(messages);
        expect(await clientSide.closed).toBeUndefined();
        expect(await serverSide.closed).toBeUndefined();
        await listener.close();
        expect(serverSide.closeCount).toBe(1);
        expect(clientSide.closeCount).toBe(1);
      });

      it('listener.close() closes every accepted connection', async () => {
        const { listener, accepted } = await harness.listen();
        const pairs = [];
        for (let index = 0; index < 3; index += 1) {
          const clientSide = collect(await harness.dial(listener.port));
          const serverSide = collect(await accepted.next());
          clientSide.connection.send('"hello"');
          expect(await serverSide.next()).toBe('"hello"');
          pairs.push({ clientSide, serverSide });
        }

        await listener.close();

        for (const { clientSide, serverSide } of pairs) {
          await clientSide.closed;
          await serverSide.closed;
        }
        for (const { clientSide, serverSide } of pairs) {
          expect(clientSide.closeCount).toBe(1);
          expect(serverSide.closeCount).toBe(1);
        }
      });

      it('send after close is silently dropped', async () => {
        const { listener, client, server } = await harness.connect();
        const clientSide = collect(client);
        const serverSide = collect(server);
        client.send('"before"');
        expect(await serverSide.next()).toBe('"before"');

        client.close();
        expect(() => client.send('"after own close"')).not.toThrow();
        await serverSide.closed;
        await clientSide.closed;
        expect(() => server.send('"after peer close"')).not.toThrow();
        expect(() => client.send('"after both closed"')).not.toThrow();
        expect(() => client.close()).not.toThrow();
        expect(() => server.close()).not.toThrow();

        await listener.close();
        expect(serverSide.received).toEqual(['"before"']);
        expect(clientSide.received).toEqual([]);
        expect(serverSide.closeCount).toBe(1);
        expect(clientSide.closeCount).toBe(1);
      });
    });

    /** Dials `port` expecting a failure: the error, or undefined should the dial wrongly succeed (then closed at once). */
    async function dialFailure(port: number): Promise<Error | undefined> {
      try {
        const connection = await transport.dial({ host, port, connectTimeoutMs: CONNECT_TIMEOUT_MS });
        connection.close();
        return undefined;
      } catch (error) {
        return error as Error;
      }
    }

    describe('dial', () => {
      it(`rejects within connectTimeoutMs when nothing listens on the port`, async () => {
        const { listener } = await harness.listen();
        const port = listener.port;
        await listener.close();

        const started = Date.now();
        expectCode(await dialFailure(port), target.nothingListening ?? 'CONNECT_REFUSED');
        expect(Date.now() - started).toBeLessThan(CONNECT_TIMEOUT_MS + TIMEOUT_SLACK_MS);
      });

      it.runIf(target.handshake === true)('rejects with CONNECT_TIMEOUT when a TCP server accepts but never answers the handshake', async () => {
        const silent = createServer(() => undefined);
        const held: Socket[] = [];
        silent.on('connection', (socket) => held.push(socket));
        await new Promise<void>((resolve) => silent.listen(0, host, resolve));
        try {
          const port = (silent.address() as { port: number }).port;
          expectCode(await dialFailure(port), 'CONNECT_TIMEOUT');
        } finally {
          for (const socket of held) socket.destroy();
          await new Promise<void>((resolve) => silent.close(() => resolve()));
        }
      });
    });

    describe('errors with stable codes', () => {
      it('MESSAGE_TOO_LARGE on the end that received a message over its limit, either way', async () => {
        const fromClient = await harness.connect({ maxMessageBytes: SMALL_LIMIT });
        const serverSide = collect(fromClient.server);
        collect(fromClient.client);
        fromClient.client.send(messageOfBytes(SMALL_LIMIT + 1));
        expectCode(await serverSide.closed, 'MESSAGE_TOO_LARGE');

        const fromServer = await harness.connect({ maxMessageBytes: SMALL_LIMIT });
        const clientSide = collect(fromServer.client);
        collect(fromServer.server);
        fromServer.server.send(messageOfBytes(SMALL_LIMIT + 1));
        expectCode(await clientSide.closed, 'MESSAGE_TOO_LARGE');
      });

      it.runIf(target.overTcp === true)('PEER_GONE on both ends when the link under the connection is reset', async () => {
        const { listener, accepted } = await harness.listen();
        const proxy = await LinkProxy.start(listener.port, host);
        try {
          const clientSide = collect(await harness.dial(proxy.port));
          const serverSide = collect(await accepted.next());
          clientSide.connection.send('"over the proxy"');
          expect(await serverSide.next()).toBe('"over the proxy"');
          proxy.reset();
          expectCode(await serverSide.closed, 'PEER_GONE');
          expectCode(await clientSide.closed, 'PEER_GONE');
        } finally {
          await proxy.close();
        }
      });

      const heartbeat = target.heartbeat;
      it.runIf(heartbeat !== undefined)(`HEARTBEAT_TIMEOUT on the ${heartbeat?.side ?? ''} end when the link freezes (the peer is stopped, or cut off)`, async () => {
        const beating = new TransportHarness(heartbeat!.transport, host);
        const { listener, accepted } = await beating.listen();
        const proxy = await LinkProxy.start(listener.port, host);
        try {
          const clientSide = collect(await beating.dial(proxy.port));
          const serverSide = collect(await accepted.next());
          clientSide.connection.send('"before the freeze"');
          expect(await serverSide.next()).toBe('"before the freeze"');
          proxy.freeze();
          expectCode(await (heartbeat!.side === 'dialing' ? clientSide : serverSide).closed, 'HEARTBEAT_TIMEOUT');
        } finally {
          await beating.closeAll();
          await proxy.close();
        }
      });
    });
  });
}
