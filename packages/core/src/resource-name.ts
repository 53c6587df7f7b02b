import { MAX_RESOURCE_NAME_LENGTH } from './limits.js';

/**
 * A resource name is any text users already name things with — `orders/42`,
 * `user:1`, `locks:tenant-7:invoice`, `Ünïcode` — of 1 to
 * MAX_RESOURCE_NAME_LENGTH UTF-8 bytes, with two exceptions:
 *
 *  - no control characters (U+0000–U+001F, U+007F–U+009F): a name is printed
 *    in logs, status tables and terminals, where they would act as commands;
 *  - no lone surrogate (a JSON text can carry one as `\ud800`, UTF-8 cannot),
 *    so that a name is the same sequence of characters in every language.
 *
 * Nothing else is refused: a name is not a file name, a path or a shell word.
 * Whoever keeps names somewhere stricter maps them (lock-client
 * percent-encodes each into a file name), and whoever writes one into JSON
 * text escapes it.
 */

/** Why a resource name is refused, or undefined when it is valid. */
export function resourceNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'resource must be a string';
  if (name.length === 0) return 'resource must not be empty';
  // Every UTF-16 unit is at least one UTF-8 byte: no need to scan a name that is too long already.
  if (name.length > MAX_RESOURCE_NAME_LENGTH) return tooLong();
  // One pass: each character is checked and its UTF-8 bytes are counted.
  let bytes = 0;
  for (let index = 0; index < name.length; index++) {
    const unit = name.charCodeAt(index);
    if (unit < 0x20 || (unit >= 0x7f && unit <= 0x9f)) {
      return `resource name must not contain control characters (U+0000–U+001F, U+007F–U+009F); character ${index + 1} is U+${hex(unit)}`;
    }
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit < 0xd800 || unit > 0xdfff) bytes += 3;
    else if (unit <= 0xdbff && isLowSurrogate(name.charCodeAt(index + 1))) {
      bytes += 4;
      index++;
    } else {
      return `resource name must be well-formed Unicode; character ${index + 1} is a lone surrogate U+${hex(unit)}`;
    }
  }
  if (bytes > MAX_RESOURCE_NAME_LENGTH) return tooLong(bytes);
  return undefined;
}

/** True when `name` is a valid resource name. */
export function isValidResourceName(name: unknown): name is string {
  return resourceNameProblem(name) === undefined;
}

function tooLong(bytes?: number): string {
  const size = bytes === undefined ? `more than ${MAX_RESOURCE_NAME_LENGTH}` : String(bytes);
  return `resource name is ${size} UTF-8 bytes; the limit is ${MAX_RESOURCE_NAME_LENGTH}`;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

function hex(unit: number): string {
  return unit.toString(16).toUpperCase().padStart(4, '0');
}
