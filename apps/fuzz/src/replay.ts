/**
 * `pnpm fuzz --replay FILE --transport T`: the reproduction half of a
 * violation report. Sends the frames of FILE (one frame per line, in hex as
 * the report prints them; `#` lines are comments) on one raw connection to a
 * fresh lock-server, waits for the server to settle after each, and prints
 * every message and the close the server sends, so a report can be checked
 * by hand without the fuzzer's oracle.
 */
import { readFileSync } from 'node:fs';
import { frameOf } from './frame.js';
import type { TransportName } from './reply-oracle.js';
import { LockServerProcess } from './server-process.js';
import type { RawConnection } from './transports/raw-connection.js';
import { openTcp } from './transports/tcp.js';
import { openWs } from './transports/ws.js';
import { openZmqDealer } from './transports/zmq.js';

/** How long to wait for more messages after each frame. */
const SETTLE_MS = 300;

export async function replay(file: string, transport: TransportName, log: (line: string) => void): Promise<void> {
  const frames = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line, index) => frameOf(Buffer.from(line === '-' ? '' : line, 'hex'), `replay #${index}`));
  const server = await LockServerProcess.start();
  try {
    const handlers = {
      onMessage(payload: Buffer, binary: boolean) {
        const shown = transport === 'zmq' && payload[0] === 0 ? `control ${payload.toString('hex')}` : payload.toString('utf8');
        log(`<- ${binary ? '(binary) ' : ''}${shown}`);
      },
      onClose(detail: string) {
        log(`xx ${detail}`);
      },
    };
    const port = server.endpoints[transport];
    const raw: RawConnection = transport === 'tcp' ? await openTcp(port, handlers) : transport === 'ws' ? await openWs(port, handlers) : openZmqDealer(port, handlers);
    for (const frame of frames) {
      log(`-> ${frame.bytes.toString('hex') || '(empty)'}  ${JSON.stringify(frame.bytes.toString('utf8').slice(0, 200))}`);
      raw.send(frame);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    }
    raw.close();
  } finally {
    await server.stop();
  }
}
