import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Where the coordinator keeps the fencing-token high-water mark, so tokens are
 * never reused across a restart. The core announces each new block of tokens
 * with a `reserve-tokens` effect; the coordinator saves it here before it
 * sends anything that follows (persist, then send).
 *
 * Both methods are synchronous on purpose: the save must be durable before the
 * next effect is acted on, and a block is reserved only once per
 * TOKEN_RESERVATION_BLOCK grants, so the cost is rare.
 */
export interface TokenStore {
  /** The last persisted `through` value, or undefined when nothing was saved yet. */
  load(): bigint | undefined;
  /** Make `through` durable. Throws when it cannot: the coordinator must not grant past an unsaved mark. */
  save(through: bigint): void;
}

/** Keeps the mark in memory only: tokens restart at 1 with the process. For tests and embedders that do not restart. */
export class MemoryTokenStore implements TokenStore {
  private through: bigint | undefined;

  constructor(initial?: bigint) {
    this.through = initial;
  }

  load(): bigint | undefined {
    return this.through;
  }

  save(through: bigint): void {
    this.through = through;
  }
}

/**
 * Keeps the mark in a small JSON file, written to a temporary file, fsynced
 * and renamed over the old one, so a crash leaves either the old or the new
 * mark, never a torn one.
 */
export class FileTokenStore implements TokenStore {
  constructor(readonly path: string) {}

  load(): bigint | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const parsed = JSON.parse(text) as { tokensReservedThrough?: unknown };
    if (typeof parsed.tokensReservedThrough !== 'string' || !/^[0-9]+$/.test(parsed.tokensReservedThrough)) {
      throw new Error(`${this.path} holds no valid tokensReservedThrough`);
    }
    return BigInt(parsed.tokensReservedThrough);
  }

  save(through: bigint): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    const descriptor = openSync(temporary, 'w');
    try {
      writeSync(descriptor, `${JSON.stringify({ tokensReservedThrough: through.toString() })}\n`);
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(temporary, this.path);
  }
}
