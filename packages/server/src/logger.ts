/**
 * The coordinator logs through this narrow interface so that it does not pick
 * a logging library for the programs that embed it. A pino logger fits it as
 * it is (`logger.info(fields, message)`).
 */
export interface CoordinatorLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  /**
   * Whether lines of this level are written (pino has it). The coordinator
   * asks once, so that a quiet server does not build a log line per grant.
   */
  isLevelEnabled?(level: 'info' | 'warn' | 'error'): boolean;
}

/** Discards everything: the default, so tests and embedders stay quiet. */
export const silentLogger: CoordinatorLogger = {
  info() {},
  warn() {},
  error() {},
  isLevelEnabled: () => false,
};
