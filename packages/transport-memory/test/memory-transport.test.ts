import type { Connection, ConnectionHandlers } from '@baton/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryTransport, MemoryTransport, memoryTransport, PortRegistry, type MemoryListener } from '../src/index.js';

// The full compliance suite for this transport runs in
// @baton/transport-compliance (test/memory-transport.test.ts), which depends
// on this package; these tests cover what is specific to memory ports.

/** Resolves with the first connection the listener accepts. */
function listenOnce(transport: MemoryTransport, port = 0) {
  let resolveAccepted!: (connection: Connection) => void;
  const accepted = new Promise<Connection>((resolve) => {
    resolveAccepted = resolve;
  });
  const listening = transport.listen({ host: '127.0.0.1', port, onConnection: resolveAccepted });
  return { listening, accepted };
}

/** Handlers that record messages and resolve `closed` on onClose. */
function recorder() {
  const messages: string[] = [];
  let resolveClosed!: (error: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((resolve) => {
    resolveClosed = resolve;
  });
  let resolveFirst!: (message: string) => void;
  const first = new Promise<string>((resolve) => {
    resolveFirst = resolve;
  });
  const handlers: ConnectionHandlers = {
    onMessage(message) {
      messages.push(message);
      resolveFirst(message);
    },
    onClose: (error) => resolveClosed(error),
  };
  return { messages, closed, first, handlers };
}

describe('memory transport', () => {
  const listeners: MemoryListener[] = [];

  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((listener) => listener.close()));
  });

  async function listen(transport: MemoryTransport, port = 0) {
    const { listening, accepted } = listenOnce(transport, port);
    const listener = (await listening) as MemoryListener;
    listeners.push(listener);
    return { listener, accepted };
  }

  it('is scheme memory and reports memory:// urls', async () => {
    const { listener } = await listen(memoryTransport);
    expect(memoryTransport.scheme).toBe('memory');
    expect(listener.url).toBe(`memory://127.0.0.1:${listener.port}`);
  });

  it('refuses a port that is taken and frees it on close', async () => {
    const transport = new MemoryTransport();
    const { listener } = await listen(transport);
    await expect(transport.listen({ host: '127.0.0.1', port: listener.port, onConnection: () => {} })).rejects.toThrow(
      /already in use/,
    );
    await listener.close();
    const again = await listen(transport, listener.port);
    expect(again.listener.port).toBe(listener.port);
  });

  it('rejects a port outside 0..65535', async () => {
    await expect(new MemoryTransport().listen({ host: '127.0.0.1', port: 70000, onConnection: () => {} })).rejects.toThrow(
      RangeError,
    );
  });

  it('refuses a dial to a port nobody listens on with CONNECT_REFUSED', async () => {
    await expect(createMemoryTransport().dial({ host: '127.0.0.1', port: 50000 })).rejects.toMatchObject({
      name: 'TransportError', code: 'CONNECT_REFUSED', message: expect.stringContaining('ECONNREFUSED') as unknown,
    });
  });

  it('keeps the port tables of separate instances apart', async () => {
    const { listener } = await listen(new MemoryTransport());
    await expect(new MemoryTransport().dial({ host: '127.0.0.1', port: listener.port })).rejects.toThrow();
  });

  it('delivers asynchronously, never inside send', async () => {
    const transport = new MemoryTransport();
    const { listener, accepted } = await listen(transport);
    const client = await transport.dial({ host: '127.0.0.1', port: listener.port });
    const server = recorder();
    (await accepted).setHandlers(server.handlers);
    client.send('"hello"');
    expect(server.messages).toEqual([]);
    expect(await server.first).toBe('"hello"');
  });

  it('refuses a second setHandlers', async () => {
    const transport = new MemoryTransport();
    const { listener } = await listen(transport);
    const client = await transport.dial({ host: '127.0.0.1', port: listener.port });
    client.setHandlers(recorder().handlers);
    expect(() => client.setHandlers(recorder().handlers)).toThrow(/once/);
  });

  it('reports the oversized error on the receiving end and a clean close on the sender', async () => {
    const transport = new MemoryTransport();
    let resolveAccepted!: (connection: Connection) => void;
    const accepted = new Promise<Connection>((resolve) => {
      resolveAccepted = resolve;
    });
    const listener = await transport.listen({
      host: '127.0.0.1',
      port: 0,
      maxMessageBytes: 10,
      oversizedReply: '"too big"',
      onConnection: resolveAccepted,
    });
    listeners.push(listener as MemoryListener);
    const client = await transport.dial({ host: '127.0.0.1', port: listener.port });
    const clientRecorder = recorder();
    const serverRecorder = recorder();
    client.setHandlers(clientRecorder.handlers);
    (await accepted).setHandlers(serverRecorder.handlers);
    client.send('"fine"');
    client.send('"far too long"');
    expect((await serverRecorder.closed)?.message).toMatch(/larger than 10 bytes/);
    expect(await clientRecorder.closed).toBeUndefined();
    expect(serverRecorder.messages).toEqual(['"fine"']);
    expect(clientRecorder.messages).toEqual(['"too big"']);
  });
});

describe('PortRegistry', () => {
  it('hands out dynamic ports round robin, skipping taken ones', () => {
    const registry = new PortRegistry<string>();
    const first = registry.bind(0, (port) => `entry ${port}`);
    expect(first).toBe(`entry ${PortRegistry.FIRST_DYNAMIC_PORT}`);
    registry.bind(PortRegistry.FIRST_DYNAMIC_PORT + 1, (port) => `entry ${port}`);
    expect(registry.bind(0, (port) => `entry ${port}`)).toBe(`entry ${PortRegistry.FIRST_DYNAMIC_PORT + 2}`);
    registry.release(PortRegistry.FIRST_DYNAMIC_PORT, first);
    expect(registry.bind(0, (port) => `entry ${port}`)).toBe(`entry ${PortRegistry.FIRST_DYNAMIC_PORT + 3}`);
    expect(registry.lookup(PortRegistry.FIRST_DYNAMIC_PORT)).toBeUndefined();
  });

  it('does not release a port bound to another entry', () => {
    const registry = new PortRegistry<string>();
    registry.bind(4000, () => 'current');
    registry.release(4000, 'stale');
    expect(registry.lookup(4000)).toBe('current');
  });
});
