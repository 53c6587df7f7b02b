/**
 * A strict JSON reader (RFC 8259) of the oracle's own, instead of
 * `JSON.parse`, for three reasons:
 *
 * - independence: the server decides BAD_JSON with `JSON.parse`; judging it
 *   with the same function would let a parser quirk pass as correct;
 * - duplicate keys: `JSON.parse` silently keeps the last one, and RFC 8259
 *   leaves the behaviour open (last wins, first wins, or an error), so the
 *   oracle needs every pair, in order, to accept any of those readings;
 * - depth: the fuzzer sends nesting tens of thousands of levels deep; this
 *   reader walks containers with an explicit stack, never recursing.
 *
 * Only the top level is materialised (the fields of a request); a nested
 * container is validated and summarised as a {@link JsonContainer}, since no
 * field of the protocol is a container.
 */

/** A container value at the top level of a message: its kind and how deep it nests. */
export class JsonContainer {
  constructor(
    readonly kind: 'object' | 'array',
    readonly depth: number,
  ) {}
}

/** The value of a top-level field. */
export type JsonValue = string | number | boolean | null | JsonContainer;

export type JsonReading =
  | { ok: false; reason: string; at: number }
  | { ok: true; top: 'object'; entries: [string, JsonValue][]; duplicates: boolean; depth: number }
  | { ok: true; top: 'other'; depth: number };

/** Thrown inside the reader only; not an Error, so that refusing malformed text costs no stack trace. */
class JsonSyntaxError {
  constructor(
    readonly reason: string,
    readonly at: number,
  ) {}
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** Reads one JSON text (the whole string must be one value, with optional whitespace around it). */
export function readJson(text: string): JsonReading {
  try {
    const reader = new Reader(text);
    return reader.read();
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, reason: error.reason, at: error.at };
    throw error;
  }
}

/** The fields of an object reading, as a reader that keeps the last (`JSON.parse`) or the first of duplicate keys sees them. */
export function fieldsOf(entries: readonly [string, JsonValue][], keep: 'last' | 'first'): Map<string, JsonValue> {
  const fields = new Map<string, JsonValue>();
  for (const [key, value] of entries) {
    if (keep === 'first' && fields.has(key)) continue;
    fields.set(key, value);
  }
  return fields;
}

class Reader {
  #index = 0;

  constructor(readonly text: string) {}

  read(): JsonReading {
    this.#skipWhitespace();
    let result: JsonReading;
    if (this.text.charCodeAt(this.#index) === 0x7b) {
      result = this.#topObject();
    } else {
      const depth = this.#skipValue();
      result = { ok: true, top: 'other', depth };
    }
    this.#skipWhitespace();
    if (this.#index !== this.text.length) this.#fail('text after the value');
    return result;
  }

  #fail(reason: string): never {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a cheap internal signal, caught in readJson
    throw new JsonSyntaxError(reason, this.#index);
  }

  #skipWhitespace(): void {
    const text = this.text;
    while (this.#index < text.length && isWhitespace(text.charCodeAt(this.#index))) this.#index++;
  }

  #topObject(): JsonReading {
    this.#index++; // {
    const entries: [string, JsonValue][] = [];
    const seen = new Set<string>();
    let duplicates = false;
    let depth = 1;
    this.#skipWhitespace();
    if (this.text.charCodeAt(this.#index) === 0x7d) {
      this.#index++;
      return { ok: true, top: 'object', entries, duplicates, depth };
    }
    for (;;) {
      this.#skipWhitespace();
      if (this.text.charCodeAt(this.#index) !== 0x22) this.#fail('expected a key');
      const key = this.#string();
      if (seen.has(key)) duplicates = true;
      seen.add(key);
      this.#skipWhitespace();
      if (this.text.charCodeAt(this.#index) !== 0x3a) this.#fail('expected ":"');
      this.#index++;
      this.#skipWhitespace();
      const code = this.text.charCodeAt(this.#index);
      let value: JsonValue;
      if (code === 0x7b || code === 0x5b) {
        const nested = this.#skipValue();
        depth = Math.max(depth, nested + 1);
        value = new JsonContainer(code === 0x7b ? 'object' : 'array', nested);
      } else {
        value = this.#scalar();
      }
      entries.push([key, value]);
      this.#skipWhitespace();
      const next = this.text.charCodeAt(this.#index);
      if (next === 0x2c) {
        this.#index++;
        continue;
      }
      if (next === 0x7d) {
        this.#index++;
        return { ok: true, top: 'object', entries, duplicates, depth };
      }
      this.#fail('expected "," or "}"');
    }
  }

  /** A string, escapes decoded (a `\uD800` escape gives a lone surrogate, as JSON allows). */
  #string(): string {
    const text = this.text;
    this.#index++; // "
    let result = '';
    let runStart = this.#index;
    for (;;) {
      if (this.#index >= text.length) this.#fail('unterminated string');
      const code = text.charCodeAt(this.#index);
      if (code === 0x22) {
        result += text.slice(runStart, this.#index);
        this.#index++;
        return result;
      }
      if (code < 0x20) this.#fail('raw control character in a string');
      if (code !== 0x5c) {
        this.#index++;
        continue;
      }
      result += text.slice(runStart, this.#index);
      result += this.#escape();
      runStart = this.#index;
    }
  }

  /** One escape sequence (the index is at its backslash); returns what it stands for. */
  #escape(): string {
    const text = this.text;
    const letter = text.charCodeAt(this.#index + 1);
    this.#index += 2;
    switch (letter) {
      case 0x22:
        return '"';
      case 0x5c:
        return '\\';
      case 0x2f:
        return '/';
      case 0x62:
        return '\b';
      case 0x66:
        return '\f';
      case 0x6e:
        return '\n';
      case 0x72:
        return '\r';
      case 0x74:
        return '\t';
      case 0x75: {
        const hex = text.slice(this.#index, this.#index + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.#fail('bad \\u escape');
        this.#index += 4;
        return String.fromCharCode(Number.parseInt(hex, 16));
      }
      default:
        this.#index -= 2;
        return this.#fail('bad escape');
    }
  }

  #scalar(): string | number | boolean | null {
    const text = this.text;
    const code = text.charCodeAt(this.#index);
    if (code === 0x22) return this.#string();
    if (text.startsWith('true', this.#index)) {
      this.#index += 4;
      return true;
    }
    if (text.startsWith('false', this.#index)) {
      this.#index += 5;
      return false;
    }
    if (text.startsWith('null', this.#index)) {
      this.#index += 4;
      return null;
    }
    NUMBER.lastIndex = this.#index;
    const match = NUMBER.exec(text);
    if (match === null) this.#fail('expected a value');
    this.#index += match[0].length;
    // Number() reads a JSON number literal exactly as JSON.parse does (round to nearest double; 1e400 is Infinity).
    return Number(match[0]);
  }

  /** Validates one value of any kind without building it; returns its nesting depth (0 for a scalar). */
  #skipValue(): number {
    const text = this.text;
    const stack: number[] = [];
    let depth = 0;
    let state: 'value' | 'key' | 'after' = 'value';
    for (;;) {
      this.#skipWhitespace();
      const code = text.charCodeAt(this.#index);
      if (state === 'value') {
        if (code === 0x7b || code === 0x5b) {
          stack.push(code);
          depth = Math.max(depth, stack.length);
          this.#index++;
          this.#skipWhitespace();
          const close = code === 0x7b ? 0x7d : 0x5d;
          if (text.charCodeAt(this.#index) === close) {
            this.#index++;
            stack.pop();
            state = 'after';
          } else {
            state = code === 0x7b ? 'key' : 'value';
          }
          continue;
        }
        this.#scalar();
        state = 'after';
        continue;
      }
      if (state === 'key') {
        if (code !== 0x22) this.#fail('expected a key');
        this.#string();
        this.#skipWhitespace();
        if (text.charCodeAt(this.#index) !== 0x3a) this.#fail('expected ":"');
        this.#index++;
        state = 'value';
        continue;
      }
      // after a value
      if (stack.length === 0) return depth;
      const open = stack[stack.length - 1]!;
      if (code === 0x2c) {
        this.#index++;
        state = open === 0x7b ? 'key' : 'value';
        continue;
      }
      if ((open === 0x7b && code === 0x7d) || (open === 0x5b && code === 0x5d)) {
        this.#index++;
        stack.pop();
        continue;
      }
      this.#fail('expected "," or a closing bracket');
    }
  }
}
