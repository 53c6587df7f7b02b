import { describe, expect, it } from 'vitest';
import { Inbox } from '../src/inbox.js';
import { TransportError, TransportErrorCode } from '../src/transport-error.js';

function recorder() {
  const seen: string[] = [];
  return {
    seen,
    handlers: {
      onMessage: (message: string) => seen.push(message),
      onClose: (error: Error | undefined) => seen.push(`close${error ? `: ${error.message}` : ''}`),
    },
  };
}

const microtasks = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('Inbox', () => {
  it('delivers undecodable frames through onUndecodable in their place, before and after handlers are set', async () => {
    const inbox = new Inbox();
    const { seen, handlers } = recorder();
    inbox.pushFromEventLoop('a');
    inbox.pushUndecodable('bad bytes');
    inbox.pushFromEventLoop('b');
    inbox.setHandlers({ ...handlers, onUndecodable: (detail) => seen.push(`undecodable: ${detail}`) });
    await microtasks();
    inbox.pushUndecodable('more');
    inbox.pushFromEventLoop('c');
    inbox.close();
    await microtasks();
    expect(seen).toEqual(['a', 'undecodable: bad bytes', 'b', 'undecodable: more', 'c', 'close']);
  });

  it('drops undecodable frames for handlers without onUndecodable, and after a close', async () => {
    const inbox = new Inbox();
    const { seen, handlers } = recorder();
    inbox.setHandlers(handlers);
    inbox.pushUndecodable('ignored');
    inbox.pushFromEventLoop('a');
    inbox.close();
    inbox.pushUndecodable('late');
    await microtasks();
    expect(seen).toEqual(['a', 'close']);
  });

  it('keeps messages and the close until handlers are set, then delivers them in order, the close last', async () => {
    const inbox = new Inbox();
    const { seen, handlers } = recorder();
    inbox.push('a');
    inbox.pushFromEventLoop('b');
    inbox.close(new TransportError(TransportErrorCode.PEER_GONE, 'gone'));
    inbox.push('late');
    inbox.setHandlers(handlers);
    expect(seen).toEqual([]);
    await microtasks();
    expect(seen).toEqual(['a', 'b', 'close: gone']);
  });

  it('push delivers in a microtask, never inside the caller', async () => {
    const inbox = new Inbox();
    const { seen, handlers } = recorder();
    inbox.setHandlers(handlers);
    inbox.push('a');
    expect(seen).toEqual([]);
    await microtasks();
    expect(seen).toEqual(['a']);
  });

  it('pushFromEventLoop delivers at once when nothing is queued ahead', () => {
    const inbox = new Inbox();
    const { seen, handlers } = recorder();
    inbox.setHandlers(handlers);
    inbox.pushFromEventLoop('a');
    inbox.pushFromEventLoop('b');
    expect(seen).toEqual(['a', 'b']);
  });

  it('pushFromEventLoop queues behind messages still waiting, keeping arrival order', async () => {
    const inbox = new Inbox();
    const { seen, handlers } = recorder();
    inbox.setHandlers(handlers);
    inbox.push('a');
    inbox.pushFromEventLoop('b');
    expect(seen).toEqual([]);
    await microtasks();
    expect(seen).toEqual(['a', 'b']);
  });

  it('a message arriving while a handler runs waits for it', async () => {
    const inbox = new Inbox();
    const seen: string[] = [];
    inbox.setHandlers({
      onMessage: (message) => {
        seen.push(`start ${message}`);
        if (message === 'a') inbox.pushFromEventLoop('b');
        seen.push(`end ${message}`);
      },
      onClose: () => {},
    });
    inbox.pushFromEventLoop('a');
    await microtasks();
    expect(seen).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('a throwing handler does not stop the messages behind it; the error is reported asynchronously', async () => {
    const inbox = new Inbox();
    const seen: string[] = [];
    inbox.setHandlers({
      onMessage: (message) => {
        if (message === 'bad') throw new Error('handler bug');
        seen.push(message);
      },
      onClose: () => {},
    });
    const reported = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    inbox.pushFromEventLoop('bad');
    inbox.pushFromEventLoop('good');
    expect(seen).toEqual(['good']);
    expect(((await reported) as Error).message).toBe('handler bug');
  });

  it('drops messages after a local close and reports the close once', async () => {
    const inbox = new Inbox();
    const { seen, handlers } = recorder();
    inbox.setHandlers(handlers);
    inbox.discardMessages();
    inbox.pushFromEventLoop('a');
    inbox.push('b');
    inbox.close();
    inbox.close(new TransportError(TransportErrorCode.PEER_GONE, 'second'));
    await microtasks();
    expect(seen).toEqual(['close']);
  });
});
