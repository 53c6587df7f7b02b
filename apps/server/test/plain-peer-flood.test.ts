/**
 * The plain-DEALER flood of issue 10: peers that send one frame and
 * disconnect used to keep their connection forever, so after MAX_CONNECTIONS
 * of them every transport answered every new client TOO_MANY_CONNECTIONS.
 * Here, with the limit at 100, 500 such peers come and go; afterwards every
 * connection place is free again and clients on tcp, ws and zmq are served.
 */
import { connect } from '@baton/client';
import { Coordinator } from '@baton/server';
import { tcpTransport } from '@baton/transport-tcp';
import { wsTransport } from '@baton/transport-ws';
import { zmqTransport } from '@baton/transport-zmq';
import { Dealer } from 'zeromq';
import { afterEach, expect, it, vi } from 'vitest';

const LIMIT = 100;
const PEERS = 500;
const BATCH = 50;

let coordinator: Coordinator | undefined;

afterEach(async () => {
  await coordinator?.close();
  coordinator = undefined;
});

it(`frees the place of every plain ZeroMQ peer that sends one frame and leaves (${String(PEERS)} peers, limit ${String(LIMIT)})`, async () => {
  coordinator = new Coordinator({ maxConnections: LIMIT });
  const zmq = await coordinator.listen(zmqTransport, '127.0.0.1', 0);
  const tcp = await coordinator.listen(tcpTransport, '127.0.0.1', 0);
  const ws = await coordinator.listen(wsTransport, '127.0.0.1', 0);

  const answers: string[] = [];
  for (let start = 0; start < PEERS; start += BATCH) {
    await Promise.all(
      Array.from({ length: BATCH }, async () => {
        const dealer = new Dealer({ linger: 0 });
        dealer.connect(`tcp://127.0.0.1:${String(zmq.port)}`);
        // A session, so that neither PRE_SESSION_IDLE_MS nor the end of a lease frees the place before the test looks.
        await dealer.send('{"op":"hello","id":1,"leaseMs":60000}');
        const [reply] = await dealer.receive();
        answers.push((JSON.parse(reply!.toString()) as { op: string; code?: string }).code ?? 'welcome');
        dealer.close();
      }),
    );
  }
  // Each was answered (a welcome, or TOO_MANY_CONNECTIONS while the batch was larger than the free places).
  expect(answers).toHaveLength(PEERS);
  expect(answers.filter((answer) => answer === 'welcome').length).toBeGreaterThanOrEqual(LIMIT);

  // libzmq reports each disconnect, so the places come back at once: well before the 60 s lease or any timeout.
  await vi.waitFor(() => expect(coordinator!.connectionCount).toBe(0), { timeout: 5_000, interval: 20 });
  for (const [url, transport] of [
    [`tcp://127.0.0.1:${String(tcp.port)}`, tcpTransport],
    [`ws://127.0.0.1:${String(ws.port)}`, wsTransport],
    [`zmq://127.0.0.1:${String(zmq.port)}`, zmqTransport],
  ] as const) {
    const client = await connect(url, { transport, client: `after-the-flood-${transport.scheme}` });
    const lock = await client.acquire('file_A', { waitMs: 5_000 });
    await lock.release();
    await client.close();
  }
});
