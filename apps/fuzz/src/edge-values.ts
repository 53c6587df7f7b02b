/**
 * The values fuzzing is made of, as JSON text: numbers at and around every
 * limit of docs/protocol.md 7 and past what a double holds, strings at and
 * past every byte limit with multi-byte characters straddling the boundary,
 * control characters, NUL, escapes, lone surrogates, byte-order marks and
 * bidirectional controls, and every wrong JSON type. Kept as text so that
 * forms `JSON.stringify` never writes (`-0`, `1e400`, `1.0`, `1E+3`,
 * `9007199254740993`) reach the server as written.
 */
import type { Random } from './random.js';
import { LIMITS } from './spec.js';

/** Numbers as the wire can write them. */
export const EDGE_NUMBERS: readonly string[] = [
  '0',
  '-0',
  '-1',
  '1',
  '1.5',
  '-1.5',
  '0.1',
  '1.0',
  '1e3',
  '1E+3',
  '10e-1',
  '1e308',
  '-1e308',
  '1e400',
  '-1e400',
  '5e-324',
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '-9007199254740991',
  '-9007199254740993',
  '18446744073709551615',
  '18446744073709551616',
  '123456789012345678901234567890',
  '0.0000001',
  '4294967296',
  '2147483648',
  '-2147483649',
];

/** Integers around one limit: the limit, one past it, one before, and the mirror below the minimum. */
export function aroundLimit(min: number, max: number): string[] {
  return [String(min), String(min - 1), String(max), String(max + 1), String(max - 1), `${max}.5`, `${min}.0`];
}

/** Every JSON type, in the shapes parsers stumble on. */
export const WRONG_TYPES: readonly string[] = [
  'null',
  'true',
  'false',
  '0',
  '""',
  '"1"',
  '[]',
  '{}',
  '[1]',
  '[null]',
  '{"a":1}',
  '{"op":"hello"}',
  '[[[]]]',
  '"null"',
  '"true"',
  '-0',
  '1e400',
];

/** A string of exactly `bytes` UTF-8 bytes built from `unit` (ASCII filler where the unit does not divide it). */
export function stringOfBytes(bytes: number, unit: string): string {
  const unitBytes = Buffer.byteLength(unit, 'utf8');
  const count = Math.floor(bytes / unitBytes);
  return unit.repeat(count) + 'a'.repeat(bytes - count * unitBytes);
}

/** Multi-byte characters of every UTF-8 length. */
const UNITS = ['a', 'é', '€', '😀', 'Ω', '中'] as const;

/** Strings whose byte length sits at `limit` (valid) or just past it, with the last character multi-byte so that characters and bytes disagree. */
export function stringsAround(limit: number, random: Random): string[] {
  const unit = random.pick(UNITS);
  const unitBytes = Buffer.byteLength(unit, 'utf8');
  const exact = unit.repeat(Math.floor(limit / unitBytes)) + 'a'.repeat(limit % unitBytes);
  const over = exact + 'a';
  // A multi-byte character that starts inside the limit and ends past it.
  const straddle = 'a'.repeat(limit - 1) + '€';
  const justUnder = 'a'.repeat(limit - 2) + 'é';
  return [exact, over, straddle, justUnder];
}

/** Strings that test escaping and the character rules (resource names refuse some of these). */
export const ODD_STRINGS: readonly string[] = [
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  'a\nb',
  'a\rb',
  'a\tb',
  '\u001b[31mred',
  '\u007f',
  '\u0080',
  '\u0085',
  '\u009f',
  '\u00a0',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\u202e',
  '\u200b',
  '\ud800',
  '\udc00',
  'a\ud83d',
  '\ude00b',
  '😀',
  '\ud83d\ude00',
  'Ünïcode',
  'e\u0301',
  'a "quoted" name',
  'back\\slash',
  '..',
  '/',
  '%00',
  '{"op":"hello"}',
  '__proto__',
  'constructor',
  'null',
  '\uffff',
  '\ufffe',
  '\u{10ffff}',
];

/** Escaped forms JSON allows for text `JSON.stringify` writes plainly: the same string, written otherwise. */
export function escapedForm(text: string, random: Random): string {
  let result = '"';
  for (const character of text) {
    const code = character.codePointAt(0)!;
    const surrogate = code >= 0xd800 && code <= 0xdfff; // UTF-8 cannot carry it raw: always escaped
    if (surrogate || (code < 0x10000 && random.chance(0.5))) {
      const hex = code.toString(16).padStart(4, '0');
      result += `\\u${random.chance(0.5) ? hex.toUpperCase() : hex}`;
    }
    else if (character === '"' || character === '\\') result += `\\${character}`;
    else if (code < 0x20) result += `\\u${code.toString(16).padStart(4, '0')}`;
    else if (character === '/' && random.chance(0.5)) result += '\\/';
    else result += character;
  }
  return `${result}"`;
}

/** Raw (unescaped) control characters inside a JSON string: invalid JSON, and a raw `\n` splits a tcp frame. */
export function rawControlString(random: Random): string {
  const control = random.pick(['\n', '\r', '\t', '\u0000', '\u0001', '\u001f', '\r\n']);
  return `"a${control}b"`;
}

/** Nested arrays or objects, `depth` levels, as JSON text. */
export function nested(depth: number, random: Random): string {
  const kind = random.int(0, 2);
  // Keep the frame under MAX_MESSAGE_BYTES mostly (an oversized one only tests the close): 2, 6 and 8 bytes per level.
  depth = Math.min(depth, Math.floor(62_000 / [2, 6, 4][kind]!));
  if (kind === 0) return '['.repeat(depth) + ']'.repeat(depth);
  if (kind === 1) return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  return '[{"a":'.repeat(Math.ceil(depth / 2)) + 'null' + '}]'.repeat(Math.ceil(depth / 2));
}

/** Depths to nest to: small, around common parser limits, and as deep as a 64 KiB frame allows. */
export function nestingDepth(random: Random): number {
  return random.pick([2, 10, 31, 32, 33, 64, 100, 128, 500, 512, 1000, 1024, 5000, 10000, 30000]);
}

/** The byte limits of the spec's string fields. */
export const STRING_LIMITS = {
  id: LIMITS.MAX_REQUEST_ID_LENGTH,
  target: LIMITS.MAX_REQUEST_ID_LENGTH,
  resource: LIMITS.MAX_RESOURCE_NAME_LENGTH,
  client: LIMITS.MAX_CLIENT_NAME_LENGTH,
  session: LIMITS.MAX_SESSION_ID_LENGTH,
  secret: LIMITS.MAX_SECRET_LENGTH,
  adminToken: LIMITS.MAX_ADMIN_TOKEN_LENGTH,
} as const satisfies Record<string, number>;

/** The integer ranges of the spec's number fields. */
export const NUMBER_RANGES: Record<string, [number, number]> = {
  id: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  target: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  leaseMs: [LIMITS.MIN_LEASE_MS, LIMITS.MAX_LEASE_MS],
  waitMs: [0, LIMITS.MAX_WAIT_MS],
  lockDelayMs: [0, LIMITS.MAX_LOCK_DELAY_MS],
  offset: [0, Number.MAX_SAFE_INTEGER],
  seq: [1, Number.MAX_SAFE_INTEGER],
  ack: [0, Number.MAX_SAFE_INTEGER],
  v: [1, 1],
};

/** Invalid UTF-8 byte sequences: overlong forms, CESU-8 surrogates, truncated and stray bytes, past U+10FFFF. */
export const INVALID_UTF8: readonly number[][] = [
  [0xc0, 0xaf], // overlong '/'
  [0xc1, 0xbf], // overlong
  [0xc0, 0x80], // overlong NUL (Java's "modified UTF-8")
  [0xe0, 0x80, 0xaf], // overlong
  [0xf0, 0x80, 0x80, 0xaf], // overlong
  [0xed, 0xa0, 0x80], // CESU-8 high surrogate U+D800
  [0xed, 0xbf, 0xbf], // CESU-8 low surrogate U+DFFF
  [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80], // CESU-8 pair for U+1F600
  [0xe2, 0x82], // truncated €
  [0xf0, 0x9f, 0x98], // truncated 😀
  [0xc3], // truncated é
  [0x80], // stray continuation byte
  [0xbf, 0xbf],
  [0xfe],
  [0xff],
  [0xf5, 0x80, 0x80, 0x80], // past U+10FFFF
  [0xf4, 0x90, 0x80, 0x80], // U+110000
  [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
];
