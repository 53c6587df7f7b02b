/**
 * A breach of docs/protocol.md the oracle saw, with what it takes to
 * reproduce it: the frame in hex (the exact bytes, so `xxd -r -p` gives them
 * back), the frames the connection sent just before it, and the server's
 * message that broke the rule. A violation ends its connection's checking
 * (one wrong reply would otherwise make every later one look wrong too).
 */

export interface FrameRecord {
  /** The frame's number on its connection (0: the first). */
  index: number;
  /** What the generator made (`acquire/mutated:wrong-type(waitMs)`). */
  label: string;
  /** The frame's bytes. */
  bytes: Buffer;
}

export interface Violation {
  transport: string;
  /** The fuzzed connection, `tcp#1234`. */
  connection: string;
  /** Which rule: a short stable name (`wrong-reply`, `unexplained-message`, `unexpected-close`, …). */
  rule: string;
  /** What the spec wanted and what came instead. */
  detail: string;
  /** The frame the server was answering (or the last one sent). */
  frame: FrameRecord | undefined;
  /** The frames sent on the connection before it, oldest first (at most a few). */
  before: FrameRecord[];
  /** The server's message, as received (text, or hex for a control frame). */
  reply: string | undefined;
  /** Milliseconds since the run started. */
  at: number;
}

/** At most this many bytes of a frame are printed in hex; the length is always given. */
const HEX_LIMIT = 4096;

function hex(bytes: Buffer): string {
  const shown = bytes.subarray(0, HEX_LIMIT).toString('hex');
  return bytes.length > HEX_LIMIT ? `${shown}… (${bytes.length} bytes, first ${HEX_LIMIT} shown)` : shown;
}

function printable(bytes: Buffer): string {
  const text = bytes.subarray(0, 300).toString('utf8');
  return JSON.stringify(text) + (bytes.length > 300 ? '…' : '');
}

function describeFrame(frame: FrameRecord): string {
  return `#${frame.index} ${frame.label} (${frame.bytes.length} bytes)\n      hex  ${hex(frame.bytes)}\n      text ${printable(frame.bytes)}`;
}

/** The report of one violation, several lines. */
export function formatViolation(violation: Violation): string {
  const lines = [
    `VIOLATION [${violation.rule}] on ${violation.connection} (${violation.transport}) at ${(violation.at / 1000).toFixed(3)} s`,
    `  ${violation.detail}`,
  ];
  if (violation.frame) lines.push(`  frame  ${describeFrame(violation.frame)}`);
  if (violation.reply !== undefined) lines.push(`  reply  ${violation.reply.length > 2000 ? `${violation.reply.slice(0, 2000)}…` : violation.reply}`);
  if (violation.before.length > 0) {
    lines.push('  sent before it on the same connection (oldest first):');
    for (const frame of violation.before) lines.push(`    ${describeFrame(frame)}`);
  }
  return lines.join('\n');
}
