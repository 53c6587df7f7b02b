/**
 * The raw echo servers, one process for all three transports (as Baton's
 * server serves all three from one process): node:net echoes every chunk
 * as it arrives, a zeromq ROUTER sends every frame back to its sender, and
 * a `ws` server echoes every message. Prints one line per listener:
 *
 *   Echo server started on tcp://127.0.0.1:PORT (transport: tcp)
 *
 * and stops on SIGTERM or SIGINT.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { Router } from 'zeromq';

const HOST = '127.0.0.1';

async function main(): Promise<void> {
  const tcp = createServer({ noDelay: true }, (socket) => {
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => tcp.listen(0, HOST, resolve));
  announce('tcp', (tcp.address() as AddressInfo).port);

  const router = new Router({ linger: 0 });
  await router.bind(`tcp://${HOST}:0`);
  const zmqPort = Number(/:(\d+)$/.exec(router.lastEndpoint ?? '')?.[1]);
  void (async () => {
    try {
      for await (const [identity, message] of router) await router.send([identity!, message!]);
    } catch {
      // closed on shutdown
    }
  })();
  announce('zmq', zmqPort);

  const ws = new WebSocketServer({ host: HOST, port: 0 });
  await new Promise<void>((resolve) => ws.once('listening', resolve));
  ws.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    socket.on('error', () => socket.terminate());
  });
  announce('ws', (ws.address() as AddressInfo).port);

  const stop = () => {
    tcp.close();
    router.close();
    ws.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function announce(transport: string, port: number): void {
  process.stdout.write(`Echo server started on ${transport}://${HOST}:${port} (transport: ${transport})\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`echo-server: ${(error as Error).message}\n`);
  process.exit(1);
});
