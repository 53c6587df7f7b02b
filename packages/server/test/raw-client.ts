import type { ServerMessage } from '@baton/core';
import type { Connection, Transport } from '@baton/transport';

/**
 * A protocol-level test client: sends raw text, and lets a test wait for the
 * next message matching a predicate (no sleeping). Every message received is
 * kept, so a test can also assert on what did NOT arrive.
 */
export class RawClient {
  readonly received: ServerMessage[] = [];
  private readonly waiters: { match: (message: ServerMessage) => boolean; resolve: (message: ServerMessage) => void; reject: (error: Error) => void }[] = [];
  private cursor = 0;
  closed = false;
  readonly closedPromise: Promise<Error | undefined>;

  private constructor(readonly connection: Connection) {
    let resolveClosed!: (error: Error | undefined) => void;
    this.closedPromise = new Promise((resolve) => (resolveClosed = resolve));
    connection.setHandlers({
      onMessage: (text) => {
        const message = JSON.parse(text) as ServerMessage;
        this.received.push(message);
        this.deliver();
      },
      onClose: (error) => {
        this.closed = true;
        resolveClosed(error);
        for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(`connection closed while waiting${error ? `: ${error.message}` : ''}`));
      },
    });
  }

  static async dial(transport: Transport, port: number): Promise<RawClient> {
    return new RawClient(await transport.dial({ host: '127.0.0.1', port }));
  }

  send(message: unknown): void {
    this.connection.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next message (after those already taken) that matches; earlier non-matching ones are skipped. */
  next(match: (message: ServerMessage) => boolean = () => true): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ match, resolve, reject });
      this.deliver();
      if (this.closed) reject(new Error('connection closed'));
    });
  }

  /** Send a request and wait for the reply carrying its id. */
  async call(message: { id: string | number } & Record<string, unknown>): Promise<ServerMessage> {
    const reply = this.next((received) => 'id' in received && received.id === message.id);
    this.send(message);
    return reply;
  }

  async hello(client = 'raw', leaseMs?: number): Promise<Extract<ServerMessage, { op: 'welcome' }>> {
    const reply = await this.call({ op: 'hello', id: 'hello', client, leaseMs });
    if (reply.op !== 'welcome') throw new Error(`hello failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  close(): void {
    this.connection.close();
  }

  private deliver(): void {
    while (this.waiters.length > 0 && this.cursor < this.received.length) {
      const message = this.received[this.cursor++]!;
      const index = this.waiters.findIndex((waiter) => waiter.match(message));
      if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(message);
    }
  }
}
