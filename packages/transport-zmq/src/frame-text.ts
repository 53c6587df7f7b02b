/**
 * Strict UTF-8: docs/protocol.md 2 refuses a message whose bytes are not
 * valid UTF-8 (BAD_JSON) rather than reading it with replacement characters,
 * because a replacement can turn garbage into valid JSON that means something
 * else (`"\xff"` would read as the string `"\uFFFD"`). A leading byte-order
 * mark is kept (ignoreBOM), so that it reaches the JSON parser and is refused
 * there exactly as the other transports refuse it, instead of vanishing.
 */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of a frame, or `undefined` when its bytes are not valid UTF-8. */
export function decodeFrameText(frame: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(frame);
  } catch {
    return undefined;
  }
}
