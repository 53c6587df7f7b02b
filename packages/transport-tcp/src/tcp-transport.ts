import { connect, createServer } from 'node:net';
import { MAX_MESSAGE_BYTES } from '@baton/core';
import type { Connection, DialOptions, Listener, ListenOptions, Transport } from '@baton/transport';
import { asTransportError, codeOfSocketError, formatHostAndPort, TransportError, TransportErrorCode } from '@baton/transport';
import { TcpConnection } from './tcp-connection.js';
import { TcpListener } from './tcp-listener.js';

/** How long a dial waits for the TCP handshake when the caller gives no `connectTimeoutMs`. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/**
 * Baton over plain TCP (scheme `tcp`): one JSON message per line, so a person
 * can talk to a server with `nc host port` and read its replies as they are.
 * See {@link TcpConnection} for the framing and {@link LineDecoder} for how
 * incoming lines and the size limit are handled.
 */
export class TcpTransport implements Transport {
  readonly scheme = 'tcp';

  listen(options: ListenOptions): Promise<Listener> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true });
      server.once('error', reject);
      server.listen({ host: options.host, port: options.port }, () => {
        server.off('error', reject);
        resolve(
          new TcpListener(
            server,
            {
              maxMessageBytes: options.maxMessageBytes ?? MAX_MESSAGE_BYTES,
              oversizedReply: options.oversizedReply,
              maxUnsentBytesBeforePause: options.maxUnsentBytesBeforePause,
              maxUnsentBytes: options.maxUnsentBytes,
            },
            (connection) => {
              options.onConnection(connection);
            },
          ),
        );
      });
    });
  }

  /**
   * Connects, or rejects with a TransportError: `CONNECT_REFUSED` (the
   * socket error, ECONNREFUSED when nothing listens, is its cause) or
   * `CONNECT_TIMEOUT` after `connectTimeoutMs`.
   */
  dial(options: DialOptions): Promise<Connection> {
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const socket = connect({ host: options.host, port: options.port, noDelay: true });
      const fail = (error: TransportError): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(() => {
        const address = formatHostAndPort(options.host, options.port);
        fail(new TransportError(TransportErrorCode.CONNECT_TIMEOUT, `connect ETIMEDOUT ${address} after ${timeoutMs} ms`));
      }, timeoutMs);
      const refused = (error: Error): void => fail(asTransportError(error, codeOfSocketError(error, true)));
      socket.once('error', refused);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', refused);
        resolve(new TcpConnection(socket, { maxMessageBytes: options.maxMessageBytes ?? MAX_MESSAGE_BYTES }));
      });
    });
  }
}

/** A TCP transport (it has no options of its own: limits come with each listen and dial). */
export function createTcpTransport(): TcpTransport {
  return new TcpTransport();
}

/** The shared TCP transport. */
export const tcpTransport: TcpTransport = createTcpTransport();
