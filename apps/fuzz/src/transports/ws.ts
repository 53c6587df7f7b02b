/**
 * ws: one message per WebSocket message, path `/` (docs/protocol.md 2),
 * with the `ws` package as the client. It is told not to validate UTF-8 on
 * either side, so invalid bytes reach the server (as text and as binary
 * messages) and the server's own messages reach the oracle unfiltered.
 */
import { WebSocket } from 'ws';
import type { Frame } from '../frame.js';
import type { RawConnection, RawHandlers } from './raw-connection.js';
import { HOST, OPEN_TIMEOUT_MS } from './raw-connection.js';

export function openWs(port: number, handlers: RawHandlers): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://${HOST}:${port}/`, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      maxPayload: 16 * 1024 * 1024,
      handshakeTimeout: OPEN_TIMEOUT_MS,
    });
    let closedByUs = false;
    let open = false;
    socket.on('message', (data, isBinary) => {
      if (closedByUs) return;
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      handlers.onMessage(bytes, isBinary);
    });
    socket.on('close', (code, reason) => {
      if (!open || closedByUs) return;
      handlers.onClose(`WebSocket close ${code}${reason.length > 0 ? ` ${reason.toString('utf8')}` : ''}`, code);
    });
    socket.on('error', (error) => {
      if (!open) reject(error);
    });
    socket.once('open', () => {
      open = true;
      resolve({
        send(frame: Frame) {
          if (closedByUs || socket.readyState !== WebSocket.OPEN) return;
          socket.send(frame.bytes, { binary: frame.binary === true, compress: false });
        },
        close() {
          closedByUs = true;
          socket.terminate();
        },
      });
    });
  });
}
