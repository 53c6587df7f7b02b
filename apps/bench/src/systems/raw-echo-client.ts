import { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { Dealer } from 'zeromq';
import type { HeldLock, LockClient } from './lock-client.js';
import type { RawEchoTarget } from './system-target.js';

/**
 * What the raw clients send: a message of the size of Baton's acquire and
 * release requests (the echo comes back the same size, close to Baton's
 * replies), so the raw numbers are the wire's cost of one acquire + release.
 */
export function acquireLikeMessage(resource: string, id: number): string {
  return JSON.stringify({ op: 'acquire', id, resource, mode: 'exclusive' });
}

export function releaseLikeMessage(resource: string, id: number): string {
  return JSON.stringify({ op: 'release', id, resource, token: String(1_000_000 + id) });
}

/** One message out, its echo back: the transport's round trip and nothing more. */
interface RoundTripper {
  roundTrip(message: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The physical limit: an "acquire" is one round trip through the echo
 * server, a "release" another. No JSON is parsed and nothing is checked
 * beyond counting the echoes, so this is what any lock service on the same
 * transport pays at least.
 */
export async function openRawEchoClient(target: RawEchoTarget, _name: string): Promise<LockClient> {
  const tripper = await dialRaw(target);
  let id = 0;
  return {
    async acquire(resource: string): Promise<HeldLock> {
      await tripper.roundTrip(acquireLikeMessage(resource, ++id));
      return {
        release: () => tripper.roundTrip(releaseLikeMessage(resource, ++id)),
      };
    },
    close: () => tripper.close(),
  };
}

function dialRaw(target: RawEchoTarget): Promise<RoundTripper> {
  switch (target.transport) {
    case 'tcp':
      return dialTcp(target.host, target.port);
    case 'zmq':
      return dialZmq(target.host, target.port);
    case 'ws':
      return dialWs(target.host, target.port);
  }
}

/** Resolvers of the round trips in flight, answered in order. */
class Waiters {
  readonly #queue: (() => void)[] = [];
  #failure: Error | undefined;

  wait(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve) => this.#queue.push(resolve));
  }

  answer(count = 1): void {
    for (let index = 0; index < count; index++) this.#queue.shift()?.();
  }

  fail(error: Error): void {
    this.#failure = error;
  }
}

function dialTcp(host: string, port: number): Promise<RoundTripper> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const waiters = new Waiters();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      let lines = 0;
      for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1)) lines++;
      waiters.answer(lines);
    });
    socket.on('error', (error) => {
      waiters.fail(error);
      reject(error);
    });
    socket.connect(port, host, () => {
      resolve({
        roundTrip(message: string): Promise<void> {
          const answered = waiters.wait();
          socket.write(`${message}\n`);
          return answered;
        },
        close: () => new Promise<void>((done) => socket.end(done)),
      });
    });
  });
}

async function dialZmq(host: string, port: number): Promise<RoundTripper> {
  const dealer = new Dealer({ linger: 0 });
  dealer.connect(`tcp://${host}:${port}`);
  const waiters = new Waiters();
  void (async () => {
    try {
      for await (const _frames of dealer) waiters.answer();
    } catch (error) {
      waiters.fail(error as Error);
    }
  })();
  // A DEALER's connect never fails; the first echo proves the peer is there.
  const tripper: RoundTripper = {
    async roundTrip(message: string): Promise<void> {
      const answered = waiters.wait();
      await dealer.send(message);
      return answered;
    },
    close(): Promise<void> {
      dealer.close();
      return Promise.resolve();
    },
  };
  await tripper.roundTrip('{"op":"ping"}');
  return tripper;
}

function dialWs(host: string, port: number): Promise<RoundTripper> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${host}:${port}/`);
    const waiters = new Waiters();
    socket.on('message', () => waiters.answer());
    socket.on('error', (error) => {
      waiters.fail(error);
      reject(error);
    });
    socket.on('open', () => {
      resolve({
        roundTrip(message: string): Promise<void> {
          const answered = waiters.wait();
          socket.send(message);
          return answered;
        },
        close: () =>
          new Promise<void>((done) => {
            socket.once('close', () => done());
            socket.close(1000);
          }),
      });
    });
  });
}
