/** The backpressure suite over ws, with a raw ws client that pauses reading as a client that never reads would. */
import { AsyncQueue, describeBackpressureCompliance } from '@baton/transport-compliance';
import { WebSocket } from 'ws';
import { wsTransport } from '../src/index.js';

describeBackpressureCompliance({
  name: 'ws',
  transport: wsTransport,
  async openPausedPeer(port) {
    const socket = new WebSocket(`ws://127.0.0.1:${String(port)}/`);
    const messages = new AsyncQueue<string>('ws replies');
    socket.on('message', (data) => messages.push((data as Buffer).toString()));
    socket.on('error', () => {});
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.pause();
    return {
      send: (texts) => {
        for (const text of texts) socket.send(text);
      },
      resume: () => socket.resume(),
      messages,
      destroy: () => socket.terminate(),
    };
  },
});
