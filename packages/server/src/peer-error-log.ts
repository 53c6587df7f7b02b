import type { CoordinatorLogger } from './logger.js';

/** How the log sets its one timer: the coordinator's own timers, so virtual time works in tests. */
export interface PeerErrorLogTimers {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

const WINDOW_MS = 1_000;

/**
 * Log lines about peers' mistakes (bad messages, refused requests, refused
 * connections): at `info`, because they are the peer's problem and not the
 * server's — so a server started with `--quiet` (warnings and errors only)
 * writes none — and at most `linesPerSecond` of them per second, all peers
 * together. Past that, each second ends with one summary line
 * ("suppressed N bad-message lines") instead: one client sending garbage in a
 * loop cannot fill the disk or drown the lines that matter.
 */
export class PeerErrorLog {
  private readonly enabled: boolean;
  private windowStart = -Infinity;
  private written = 0;
  private suppressed = 0;
  private timer: unknown;

  constructor(
    private readonly logger: CoordinatorLogger,
    private readonly clock: () => number,
    private readonly timers: PeerErrorLogTimers,
    private readonly linesPerSecond: number,
  ) {
    this.enabled = logger.isLevelEnabled?.('info') ?? true;
  }

  write(fields: Record<string, unknown>, message: string): void {
    if (!this.enabled) return;
    const now = this.clock();
    if (now - this.windowStart >= WINDOW_MS) {
      this.flush();
      this.windowStart = now;
      this.written = 0;
    }
    if (this.written < this.linesPerSecond) {
      this.written++;
      this.logger.info(fields, message);
      return;
    }
    this.suppressed++;
    if (this.timer === undefined) {
      const delay = Math.max(0, Math.ceil(this.windowStart + WINDOW_MS - now));
      this.timer = this.timers.set(() => {
        this.timer = undefined;
        this.flush();
      }, delay);
    }
  }

  /** Write the summary of what is still suppressed and stop the timer (the coordinator is closing). */
  close(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private flush(): void {
    if (this.suppressed === 0) return;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.logger.info({ event: 'suppressed-log-lines', suppressed }, `suppressed ${suppressed} bad-message lines (more than ${this.linesPerSecond} per second)`);
  }
}
