import { connect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { AsyncQueue } from '@baton/transport-compliance';

/** A plain socket speaking to a TCP listener the way `nc` would, for tests of the wire format. */
export interface RawClient {
  socket: Socket;
  /** Lines the server wrote, without their `\n`. Ends when the socket closes. */
  lines: AsyncQueue<string>;
  /** Settles when the socket closed, with the socket error if there was one. Never rejects. */
  closed: Promise<Error | undefined>;
  /** Writes and resolves once the bytes are handed to the kernel. */
  write(data: string | Uint8Array): Promise<void>;
}

/** Connects a raw socket to `port` on 127.0.0.1. */
export async function connectRaw(port: number): Promise<RawClient> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const lines = new AsyncQueue<string>('raw client lines');
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let error: Error | undefined;
  socket.on('data', (chunk: Buffer) => {
    pending += decoder.write(chunk);
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      lines.push(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  });
  // The server may reset a socket that is still writing; that is expected, not a crash.
  socket.on('error', (socketError) => {
    error ??= socketError;
  });
  const closed = new Promise<Error | undefined>((resolve) => {
    socket.once('close', () => {
      lines.end(error);
      resolve(error);
    });
  });
  const write = (data: string | Uint8Array): Promise<void> =>
    new Promise((resolve, reject) => {
      socket.write(data, (writeError) => {
        if (writeError) {
          reject(writeError);
        } else {
          resolve();
        }
      });
    });
  return { socket, lines, closed, write };
}
