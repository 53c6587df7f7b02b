/**
 * MAX_CONNECTIONS_PER_ADDRESS over real TCP sockets on loopback: connections
 * are counted by the host of their source address, so a second source
 * address (127.0.0.2, also loopback on Linux) is not refused when 127.0.0.1
 * is at its limit, and a closed connection frees its place.
 */
import { connect as connectSocket, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Listener } from '@baton/transport';
import { Coordinator } from '@baton/server';
import { tcpTransport } from '@baton/transport-tcp';
import { afterEach, describe, expect, it } from 'vitest';

let coordinator: Coordinator | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await coordinator?.close();
  coordinator = undefined;
});

/** A raw TCP connection from `localAddress`, with its lines and its close. */
async function dial(listener: Listener, localAddress: string) {
  const socket = connectSocket({ host: '127.0.0.1', port: listener.port, localAddress });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: socket }).on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const nextLine = () => (lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise<string>((resolve) => waiting.push(resolve)));
  const call = async (message: Record<string, unknown>) => {
    socket.write(`${JSON.stringify(message)}\n`);
    return JSON.parse(await nextLine()) as Record<string, unknown>;
  };
  return { socket, nextLine, call, closed };
}

describe('connections per peer host', () => {
  it('refuses a connection beyond the limit from one host like TOO_MANY_CONNECTIONS, while other hosts and freed places are served', async () => {
    coordinator = new Coordinator({ maxConnectionsPerAddress: 2 });
    const listener = await coordinator.listen(tcpTransport, '127.0.0.1', 0);
    const first = await dial(listener, '127.0.0.1');
    const second = await dial(listener, '127.0.0.1');
    expect(await first.call({ op: 'hello', id: 1, client: 'first' })).toMatchObject({ op: 'welcome' });
    expect(await second.call({ op: 'status', id: 2 })).toMatchObject({ op: 'status' });

    const third = await dial(listener, '127.0.0.1');
    expect(JSON.parse(await third.nextLine())).toMatchObject({ op: 'error', code: 'TOO_MANY_CONNECTIONS', message: expect.stringContaining('from 127.0.0.1') as string });
    await third.closed;

    const otherHost = await dial(listener, '127.0.0.2');
    expect(await otherHost.call({ op: 'status', id: 3 })).toMatchObject({ op: 'status' });

    second.socket.end();
    await second.closed;
    // The server hears the close asynchronously: poll (bounded) until the place is free.
    for (let attempt = 0; coordinator.stats().connections > 2; attempt++) {
      if (attempt > 1_000) throw new Error('the closed connection was never counted out');
      await new Promise((resolve) => setImmediate(resolve));
    }
    const fourth = await dial(listener, '127.0.0.1');
    expect(await fourth.call({ op: 'status', id: 4 })).toMatchObject({ op: 'status' });
  });
});
