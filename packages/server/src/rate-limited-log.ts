import type { CoordinatorLogger } from './logger.js';

/** How the log sets its one timer: the coordinator's own timers, so virtual time works in tests. */
export interface RateLimitedLogTimers {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

export interface RateLimitedLogOptions {
  /** `info` for what is a peer's problem (a `--quiet` server writes none), `warn` for what an operator must see. */
  level: 'info' | 'warn';
  /** Most lines per second, all writers together. */
  linesPerSecond: number;
  /** What the lines are, for the summary: "bad-message", "LOST". */
  kind: string;
}

const WINDOW_MS = 1_000;

/**
 * Log lines of one kind that can come in floods, at most `linesPerSecond` of
 * them per second. Past that, each second ends with one summary line
 * ("suppressed N bad-message lines") instead. Two kinds use it: peers'
 * mistakes (bad messages, refused requests and connections), so one client
 * sending garbage in a loop cannot fill the disk; and locks lost when
 * sessions expire, so the expiry of a million locks writes a few hundred
 * lines instead of a million (which, written synchronously, stalled the
 * event loop for seconds).
 */
export class RateLimitedLog {
  private readonly enabled: boolean;
  private windowStart = -Infinity;
  private written = 0;
  private suppressed = 0;
  private timer: unknown;

  constructor(
    private readonly logger: CoordinatorLogger,
    private readonly clock: () => number,
    private readonly timers: RateLimitedLogTimers,
    private readonly options: RateLimitedLogOptions,
  ) {
    this.enabled = logger.isLevelEnabled?.(options.level) ?? true;
  }

  write(fields: Record<string, unknown>, message: string): void {
    if (!this.enabled) return;
    const now = this.clock();
    if (now - this.windowStart >= WINDOW_MS) {
      this.flush();
      this.windowStart = now;
      this.written = 0;
    }
    if (this.written < this.options.linesPerSecond) {
      this.written++;
      this.logger[this.options.level](fields, message);
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
    this.logger[this.options.level](
      { event: 'suppressed-log-lines', kind: this.options.kind, suppressed },
      `suppressed ${suppressed} ${this.options.kind} lines (more than ${this.options.linesPerSecond} per second)`,
    );
  }
}
