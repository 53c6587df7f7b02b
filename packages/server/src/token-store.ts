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
  /**
   * The longest lease any session of an earlier process was granted, if it
   * was kept: a coordinator that restarts without a log grants nothing for
   * that long (no client of the old process can still believe it holds a lock
   * after that).
   */
  loadLongestLease?(): number | undefined;
  /** Make the longest lease granted so far durable, before the welcome that grants it is sent. */
  saveLongestLease?(leaseMs: number): void;
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
 * Keeps the mark (and the longest lease granted) in a small JSON file,
 * written to a temporary file, fsynced and renamed over the old one, so a
 * crash leaves either the old or the new state, never a torn one.
 */
export class FileTokenStore implements TokenStore {
  private through: bigint | undefined;
  private longestLeaseMs: number | undefined;
  private loaded = false;

  constructor(readonly path: string) {}

  load(): bigint | undefined {
    this.read();
    return this.through;
  }

  loadLongestLease(): number | undefined {
    this.read();
    return this.longestLeaseMs;
  }

  save(through: bigint): void {
    this.read();
    this.through = through;
    this.write();
  }

  saveLongestLease(leaseMs: number): void {
    this.read();
    this.longestLeaseMs = leaseMs;
    this.write();
  }

  private read(): void {
    if (this.loaded) return;
    this.loaded = true;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const parsed = JSON.parse(text) as { tokensReservedThrough?: unknown; longestLeaseMs?: unknown };
    if (parsed.tokensReservedThrough !== undefined) {
      if (typeof parsed.tokensReservedThrough !== 'string' || !/^[0-9]+$/.test(parsed.tokensReservedThrough)) throw new Error(`${this.path} holds no valid tokensReservedThrough`);
      this.through = BigInt(parsed.tokensReservedThrough);
    }
    if (parsed.longestLeaseMs !== undefined) {
      if (typeof parsed.longestLeaseMs !== 'number' || !Number.isInteger(parsed.longestLeaseMs) || parsed.longestLeaseMs < 0) throw new Error(`${this.path} holds no valid longestLeaseMs`);
      this.longestLeaseMs = parsed.longestLeaseMs;
    }
  }

  private write(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    const descriptor = openSync(temporary, 'w');
    const state: { tokensReservedThrough?: string; longestLeaseMs?: number } = {};
    if (this.through !== undefined) state.tokensReservedThrough = this.through.toString();
    if (this.longestLeaseMs !== undefined) state.longestLeaseMs = this.longestLeaseMs;
    try {
      writeSync(descriptor, `${JSON.stringify(state)}\n`);
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(temporary, this.path);
  }
}
