import { isUtf8 } from 'node:buffer';

/** What one {@link LineDecoder.push} produced. */
export interface DecodedLines {
  /** Complete, non-empty lines, decoded from UTF-8, without their terminator. */
  lines: string[];
  /** How many complete lines were not valid UTF-8 (they are not in `lines`). */
  undecodable: number;
  /** True once a line longer than the limit was seen: the stream is unusable from then on. */
  oversized: boolean;
}

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Cuts a byte stream into lines: UTF-8 text terminated by `\n`, with an
 * optional `\r` before it (so `nc -C` and Windows clients work too). Empty
 * lines are skipped, which lets a person at a terminal press Enter freely.
 *
 * Bytes are kept as bytes until a line is complete, so a multibyte character
 * split across TCP chunks decodes correctly. A line that is not valid UTF-8
 * is reported as undecodable instead of being read with replacement
 * characters (docs/protocol.md 2: the server refuses it as BAD_JSON and
 * keeps the connection), since a replacement could turn garbage into JSON
 * that means something else.
 *
 * The limit is enforced while buffering, not when the newline finally comes:
 * a partial line is never allowed to grow past `maxLineBytes` + 1 (room for
 * the `\r` of a `\r\n`), so a peer streaming a 10 MB line costs at most that
 * much memory before it is refused.
 */
export class LineDecoder {
  readonly #maxLineBytes: number;
  /** Pieces of the line being received, copied out of their chunks. */
  #parts: Buffer[] = [];
  #bufferedBytes = 0;
  #oversized = false;

  /** @param maxLineBytes longest line accepted, in bytes, not counting the terminator. */
  constructor(maxLineBytes: number) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
    }
    this.#maxLineBytes = maxLineBytes;
  }

  /** Bytes held for the incomplete line: never more than the limit + 1. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** Whether a line over the limit was seen; nothing is decoded after that. */
  get oversized(): boolean {
    return this.#oversized;
  }

  /** Feeds the next chunk of the stream. */
  push(chunk: Buffer): DecodedLines {
    const lines: string[] = [];
    let undecodable = 0;
    const oversized = this.pushEach(
      chunk,
      (line) => lines.push(line),
      () => (undecodable += 1),
    );
    return { lines, undecodable, oversized };
  }

  /**
   * Feeds the next chunk and hands each complete line to `onLine` as soon as
   * it is cut, without collecting them (the connection's hot path). Returns
   * whether a line over the limit was seen. A complete line that is not
   * valid UTF-8 goes to `onUndecodable` with its length in bytes.
   */
  pushEach(chunk: Buffer, onLine: (line: string) => void, onUndecodable: (byteLength: number) => void): boolean {
    this.pushUntil(chunk, onLine, onUndecodable, () => false);
    return this.#oversized;
  }

  /**
   * Like {@link LineDecoder.pushEach}, but asks `shouldStop` after each line
   * it handed out and stops there when it says so (the reader applies
   * backpressure). Returns how many bytes of `chunk` it consumed: the caller
   * feeds the rest again later. All of it when it did not stop (or once a
   * line over the limit was seen: nothing after that is read).
   */
  pushUntil(chunk: Buffer, onLine: (line: string) => void, onUndecodable: (byteLength: number) => void, shouldStop: () => boolean): number {
    let start = 0;
    while (!this.#oversized && start < chunk.length) {
      const newline = chunk.indexOf(LINE_FEED, start);
      const end = newline === -1 ? chunk.length : newline;
      if (this.#bufferedBytes + (end - start) > this.#maxLineBytes + 1) {
        this.#refuse();
        break;
      }
      if (newline === -1) {
        // Copy, so a short tail does not pin the whole (up to 64 KB) chunk.
        this.#parts.push(Buffer.from(chunk.subarray(start)));
        this.#bufferedBytes += chunk.length - start;
        break;
      }
      let line = this.#parts.length === 0 ? chunk.subarray(start, end) : this.#joinWith(chunk.subarray(start, end));
      this.#parts = [];
      this.#bufferedBytes = 0;
      if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) {
        line = line.subarray(0, line.length - 1);
      }
      if (line.length > this.#maxLineBytes) {
        this.#refuse();
        break;
      }
      start = newline + 1;
      if (line.length > 0) {
        if (isUtf8(line)) onLine(line.toString('utf8'));
        else onUndecodable(line.length);
        if (start < chunk.length && shouldStop()) return start;
      }
    }
    return chunk.length;
  }

  #joinWith(last: Buffer): Buffer {
    this.#parts.push(last);
    return Buffer.concat(this.#parts, this.#bufferedBytes + last.length);
  }

  #refuse(): void {
    this.#oversized = true;
    this.#parts = [];
    this.#bufferedBytes = 0;
  }
}
