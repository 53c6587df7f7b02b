/**
 * tcp: newline-delimited JSON over a plain socket (docs/protocol.md 2). The
 * fuzzer's frames are written with one `\n` after each, so a frame that holds
 * a raw line feed is two messages on the wire, exactly as the spec frames it.
 */
import { Socket } from 'node:net';
import type { Frame } from '../frame.js';
import { wireBytes } from '../framing.js';
import type { RawConnection, RawHandlers } from './raw-connection.js';
import { HOST, OPEN_TIMEOUT_MS } from './raw-connection.js';

export function openTcp(port: number, handlers: RawHandlers): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.setNoDelay(true);
    let closedByUs = false;
    let reported = false;
    let partial: Buffer[] = [];
    let corked = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`tcp connect to ${HOST}:${port} took more than ${OPEN_TIMEOUT_MS} ms`));
    }, OPEN_TIMEOUT_MS);
    const report = (detail: string) => {
      if (closedByUs || reported) return;
      reported = true;
      handlers.onClose(detail);
    };
    socket.on('data', (chunk: Buffer) => {
      if (closedByUs) return;
      let start = 0;
      for (;;) {
        const newline = chunk.indexOf(0x0a, start);
        if (newline === -1) break;
        const piece = chunk.subarray(start, newline);
        const line = partial.length === 0 ? piece : Buffer.concat([...partial, piece]);
        partial = [];
        handlers.onMessage(line, false);
        if (closedByUs) return;
        start = newline + 1;
      }
      if (start < chunk.length) partial.push(Buffer.from(chunk.subarray(start)));
    });
    socket.on('end', () => report('the server ended the connection (FIN)'));
    socket.on('error', (error) => {
      if (!socket.connecting) report(`socket error: ${error.message}`);
    });
    socket.on('close', () => report('the socket closed'));
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({
        send(frame: Frame) {
          if (closedByUs || !socket.writable) return;
          // Frames sent in one turn go out in one write (one syscall), as a pipelining client's would.
          if (!corked) {
            corked = true;
            socket.cork();
            process.nextTick(() => {
              corked = false;
              socket.uncork();
            });
          }
          socket.write(wireBytes('tcp', frame));
        },
        close() {
          closedByUs = true;
          socket.destroy();
        },
      });
    });
    socket.once('error', (error) => {
      if (socket.connecting) {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.connect(port, HOST);
  });
}
