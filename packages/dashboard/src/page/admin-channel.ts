import type { ServerMessage } from '@baton/core';
import type { Connection } from '@baton/transport';
import { decodeServerReply, encodeMessage } from '@baton/core';
import { dialWebSocket } from '@baton/transport-ws/browser';

/** Why a force-release did not happen: the server's error code (UNAUTHORIZED, NOT_HELD, ...) or CONNECTION. */
export class AdminError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface AdminEndpoint {
  host: string;
  port: number;
  secure: boolean;
}

/**
 * The page's admin actions, sent over the Baton protocol itself (the `/`
 * WebSocket endpoint, like any client; `force-release` needs no session),
 * so the server checks the admin token exactly as it does for lock-client.
 * One connection, opened on first use and reopened after a drop.
 */
export class AdminChannel {
  readonly #endpoint: AdminEndpoint;
  #connection: Promise<Connection> | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve(message: ServerMessage): void; reject(error: Error): void }>();

  constructor(endpoint: AdminEndpoint) {
    this.#endpoint = endpoint;
  }

  /** Take the lock on `resource` (only the one with `token`, when given) from its holders. Resolves to the revoked tokens. */
  async forceRelease(resource: string, adminToken: string, token?: string): Promise<string[]> {
    const id = this.#nextId++;
    const reply = await this.#request(id, encodeMessage({ op: 'force-release', id, resource, token, adminToken }));
    if (reply.op === 'force-released') return reply.tokens;
    if (reply.op === 'error') throw new AdminError(reply.code, reply.message);
    throw new AdminError('PROTOCOL', `unexpected reply ${reply.op}`);
  }

  close(): void {
    void this.#connection?.then((connection) => connection.close(), () => {});
    this.#connection = undefined;
  }

  async #request(id: number, text: string): Promise<ServerMessage> {
    const connection = await this.#connect();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      connection.send(text);
    });
  }

  #connect(): Promise<Connection> {
    this.#connection ??= dialWebSocket((url) => new WebSocket(url), { ...this.#endpoint, path: '/' }).then(
      (connection) => {
        connection.setHandlers({
          onMessage: (text) => {
            const decoded = decodeServerReply(text);
            if (!decoded.ok) {
              // A malformed reply still settles its request, as a protocol error.
              const pending = typeof decoded.id === 'number' ? this.#pending.get(decoded.id) : undefined;
              if (pending && typeof decoded.id === 'number') this.#pending.delete(decoded.id);
              pending?.reject(new AdminError('PROTOCOL', `malformed reply from the server: ${decoded.message}`));
              return;
            }
            const message = decoded.message;
            if (!('id' in message) || typeof message.id !== 'number') return;
            const pending = this.#pending.get(message.id);
            this.#pending.delete(message.id);
            pending?.resolve(message);
          },
          onClose: (error) => {
            this.#connection = undefined;
            const failure = new AdminError('CONNECTION', `the connection to the server closed${error ? `: ${error.message}` : ''}`);
            for (const pending of this.#pending.values()) pending.reject(failure);
            this.#pending.clear();
          },
        });
        return connection;
      },
      (error: unknown) => {
        this.#connection = undefined;
        throw new AdminError('CONNECTION', (error as Error).message);
      },
    );
    return this.#connection;
  }
}
