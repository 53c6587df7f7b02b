import { isUtf8 } from 'node:buffer';

/**
 * The text of a frame, or `undefined` when its bytes are not valid UTF-8.
 *
 * Strict, because docs/protocol.md 2 refuses such a message (BAD_JSON) rather
 * than reading it with replacement characters: a replacement can turn garbage
 * into valid JSON that means something else (`"\xff"` would read as the
 * string `"\uFFFD"`). A leading byte-order mark is kept, so that it reaches the
 * JSON parser and is refused there exactly as the other transports refuse it.
 * `isUtf8` is node's SIMD validator; decoding after it costs what decoding
 * alone did.
 */
export function decodeFrameText(frame: Buffer): string | undefined {
  return isUtf8(frame) ? frame.toString('utf8') : undefined;
}
