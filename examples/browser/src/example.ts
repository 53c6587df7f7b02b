/**
 * The Baton SDK in a browser: `@baton/client` with the WebSocket transport's
 * browser entry, which uses the page's own WebSocket. Nothing Node-only is on
 * this path (the build, for platform "browser", would refuse it).
 *
 * Open `index.html?server=ws://127.0.0.1:8080` (lock-server --transport ws
 * --port 8080); `client=NAME` names the session.
 */
import { connect, type BatonClient, type Lock } from '@baton/client';
import { browserWsTransport } from '@baton/transport-ws/browser';

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

const parameters = new URLSearchParams(location.search);
const serverInput = byId<HTMLInputElement>('server');
const resourceInput = byId<HTMLInputElement>('resource');
const acquireButton = byId<HTMLButtonElement>('acquire');
const releaseButton = byId<HTMLButtonElement>('release');
serverInput.value = parameters.get('server') ?? (location.protocol === 'http:' ? `ws://${location.hostname}:${location.port || '80'}` : 'ws://127.0.0.1:8080');
resourceInput.value = parameters.get('resource') ?? resourceInput.value;

let client: BatonClient | undefined;
let lock: Lock | undefined;

function log(line: string): void {
  byId('log').textContent += `${new Date().toISOString().slice(11, 23)} ${line}\n`;
}

function show(state: string, text: string): void {
  const node = byId('state');
  node.dataset.state = state;
  node.textContent = text;
}

async function session(): Promise<BatonClient> {
  client ??= await connect(serverInput.value, {
    transport: browserWsTransport,
    client: parameters.get('client') ?? 'browser-example',
    onEvent: (event) => log(`event: ${event.type}`),
  });
  return client;
}

acquireButton.addEventListener('click', () => {
  void (async () => {
    const resource = resourceInput.value;
    acquireButton.disabled = true;
    try {
      const connected = await session();
      log(`REQUESTING lock for resource: ${resource}`);
      show('requesting', 'REQUESTING');
      const granted = await connected.acquire(resource, {
        onQueued: (position) => {
          show('waiting', `WAITING (position ${position})`);
          log(`QUEUED at position ${position}`);
        },
      });
      lock = granted;
      show('locked', `LOCKED ${resource}`);
      byId('token').textContent = `fencing token ${granted.token}`;
      byId('token').dataset.token = granted.token;
      log(`LOCKED ${resource} with token ${granted.token}`);
      releaseButton.disabled = false;
      granted.signal.addEventListener('abort', () => {
        if (lock !== granted) return;
        lock = undefined;
        show('lost', `LOST ${resource}`);
        log(`LOST ${resource}: ${String((granted.signal.reason as Error | undefined)?.message)}`);
        releaseButton.disabled = true;
        acquireButton.disabled = false;
      });
    } catch (error) {
      show('error', 'ERROR');
      log(`error: ${(error as Error).message}`);
      acquireButton.disabled = false;
    }
  })();
});

releaseButton.addEventListener('click', () => {
  void (async () => {
    const held = lock;
    if (!held) return;
    lock = undefined;
    releaseButton.disabled = true;
    try {
      await held.release();
      show('unlocked', `UNLOCKED ${held.resource}`);
      log(`UNLOCKED ${held.resource}`);
    } catch (error) {
      show('error', 'ERROR');
      log(`error: ${(error as Error).message}`);
    }
    acquireButton.disabled = false;
  })();
});

window.addEventListener('pagehide', () => void client?.close());
