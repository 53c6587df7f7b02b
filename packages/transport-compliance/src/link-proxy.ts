import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a listener, so a test can fail the
 * link under a connection while both ends keep running: `reset()` cuts every
 * connection with a TCP reset (a crashed peer, a dropped NAT entry), and
 * `freeze()` stops forwarding without closing anything (a stopped process,
 * a partition), so only heartbeats can tell.
 */
export class LinkProxy {
  readonly #sockets: Set<Socket>;
  readonly #state: { accepting: boolean };

  private constructor(
    readonly server: Server,
    readonly port: number,
    sockets: Set<Socket>,
    state: { accepting: boolean },
  ) {
    this.#sockets = sockets;
    this.#state = state;
  }

  static async start(targetPort: number, host = '127.0.0.1'): Promise<LinkProxy> {
    const sockets = new Set<Socket>();
    const state = { accepting: true };
    const server = createServer((incoming) => {
      if (!state.accepting) {
        incoming.resetAndDestroy();
        return;
      }
      const outgoing = connect(targetPort, host);
      for (const socket of [incoming, outgoing]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          incoming.destroy();
          outgoing.destroy();
        });
      }
      incoming.pipe(outgoing);
      outgoing.pipe(incoming);
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return new LinkProxy(server, (server.address() as { port: number }).port, sockets, state);
  }

  /** Connections passing through now. */
  get connections(): number {
    return this.#sockets.size / 2;
  }

  /**
   * Reset every connection (both directions). New ones are refused, so a
   * transport that reconnects by itself cannot, unless `keepAccepting` (a
   * network blip: a client that reconnects gets through).
   */
  reset(options: { keepAccepting?: boolean } = {}): void {
    if (options.keepAccepting !== true) this.#state.accepting = false;
    for (const socket of this.#sockets) socket.resetAndDestroy();
  }

  /** Stop forwarding in both directions, closing nothing; refuse new connections. */
  freeze(): void {
    this.#state.accepting = false;
    for (const socket of this.#sockets) {
      socket.unpipe();
      socket.pause();
    }
  }

  async close(): Promise<void> {
    this.#state.accepting = false;
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
