import type { Server, Socket } from 'node:net';
import type { Listener } from '@baton/transport';
import { formatHost } from '@baton/transport';
import { TcpConnection, type TcpConnectionOptions } from './tcp-connection.js';

/**
 * A listening TCP server. It keeps the connections it accepted, because
 * `net.Server.close` only stops accepting while the Listener contract also
 * closes what was accepted.
 */
export class TcpListener implements Listener {
  readonly url: string;
  readonly port: number;
  readonly #server: Server;
  readonly #accepted = new Set<TcpConnection>();
  #closing: Promise<void> | undefined;

  /**
   * @param server already listening.
   * @param onConnection called with each accepted connection.
   */
  constructor(server: Server, connectionOptions: TcpConnectionOptions, onConnection: (connection: TcpConnection) => void) {
    const address = server.address();
    if (address === null || typeof address === 'string') {
      throw new Error('the TCP server is not listening on an IP address');
    }
    this.#server = server;
    this.port = address.port;
    this.url = `tcp://${formatHost(address.address)}:${address.port}`;
    server.on('connection', (socket: Socket) => {
      if (this.#closing !== undefined) {
        socket.destroy();
        return;
      }
      const connection = new TcpConnection(socket, connectionOptions);
      this.#accepted.add(connection);
      socket.once('close', () => {
        this.#accepted.delete(connection);
      });
      onConnection(connection);
    });
    // Accept failures (EMFILE, ...) are emitted here; they must not crash the
    // process, and the server keeps listening for the next connection.
    server.on('error', () => {});
  }

  /** Stops accepting, closes every accepted connection, and resolves once all sockets are gone. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      // The callback runs once the server stopped and every socket closed.
      this.#server.close(() => {
        resolve();
      });
      for (const connection of this.#accepted) {
        connection.close();
      }
    });
    return this.#closing;
  }
}
