import { isAscii } from 'node:buffer';

/**
 * UTF-8 as docs/protocol.md counts and checks it, written here rather than
 * taken from the server's code or node's `isUtf8`, so that the oracle judges
 * the server by the spec (RFC 3629: no overlong forms, no surrogates, nothing
 * past U+10FFFF) and not by the same function the server calls.
 */

/** True when `bytes` is well-formed UTF-8. */
export function isWellFormedUtf8(bytes: Uint8Array): boolean {
  // ASCII is UTF-8 whatever the decoder: the common case, checked by node's native scan.
  if (isAscii(bytes)) return true;
  const length = bytes.length;
  let index = 0;
  while (index < length) {
    const first = bytes[index]!;
    if (first < 0x80) {
      index += 1;
      continue;
    }
    let needed: number;
    let low = 0x80;
    let high = 0xbf;
    if (first >= 0xc2 && first <= 0xdf) needed = 1;
    else if (first === 0xe0) {
      needed = 2;
      low = 0xa0; // below: an overlong form
    } else if (first === 0xed) {
      needed = 2;
      high = 0x9f; // above: a UTF-16 surrogate (CESU-8)
    } else if (first >= 0xe1 && first <= 0xef) needed = 2;
    else if (first === 0xf0) {
      needed = 3;
      low = 0x90; // below: an overlong form
    } else if (first >= 0xf1 && first <= 0xf3) needed = 3;
    else if (first === 0xf4) {
      needed = 3;
      high = 0x8f; // above: past U+10FFFF
    } else return false; // a continuation byte, C0/C1 (overlong) or F5..FF
    if (index + needed >= length) return false; // truncated
    const second = bytes[index + 1]!;
    if (second < low || second > high) return false;
    for (let offset = 2; offset <= needed; offset++) {
      const next = bytes[index + offset]!;
      if (next < 0x80 || next > 0xbf) return false;
    }
    index += needed + 1;
  }
  return true;
}

/**
 * Bytes of `text` in UTF-8, as every length limit of the spec counts them. A
 * lone surrogate (JSON can carry one as `\ud800`) counts 3 bytes: what any
 * encoder writes for it (U+FFFD, or the CESU/WTF-8 form), so the count is the
 * same whichever a server uses.
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        index++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** True when `text` has a UTF-16 surrogate that is not half of a pair. */
export function hasLoneSurrogate(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    if (unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        index++;
        continue;
      }
    }
    return true;
  }
  return false;
}
