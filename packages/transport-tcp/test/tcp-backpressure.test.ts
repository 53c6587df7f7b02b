/** The backpressure suite over tcp, with a raw socket that pauses reading as a client that never reads would. */
import { AsyncQueue, describeBackpressureCompliance } from '@baton/transport-compliance';
import { tcpTransport } from '../src/index.js';
import { connectRaw } from './raw-client.js';

describeBackpressureCompliance({
  name: 'tcp',
  transport: tcpTransport,
  async openPausedPeer(port) {
    const raw = await connectRaw(port);
    raw.socket.pause();
    const messages = new AsyncQueue<string>('tcp replies');
    void (async () => {
      for await (const line of raw.lines) messages.push(line);
    })().catch(() => {});
    return {
      send: (texts) => raw.socket.write(`${texts.join('\n')}\n`),
      resume: () => raw.socket.resume(),
      messages,
      destroy: () => raw.socket.destroy(),
    };
  },
});
