/**
 * Turns valid messages into almost-valid ones. Most mutations work on the
 * fields, so the frame still parses as JSON and reaches field validation:
 * a wrong type, a number at or past a limit or past what a double holds, a
 * string at or past a byte limit (multi-byte characters at the boundary),
 * control characters and lone surrogates, a field removed, an unknown field
 * (`__proto__`, `constructor`, `prototype` among them), a duplicate key, an
 * unknown op, deep nesting, escaped keys, reordered fields, odd whitespace.
 * Fewer work on the text (truncation, stray characters, JSON extensions some
 * parsers accept) or the bytes (overlong forms, CESU-8 surrogates,
 * truncated sequences), and a few replace the frame (not an object, not
 * JSON, empty, exactly at and past MAX_MESSAGE_BYTES).
 */
import {
  aroundLimit,
  EDGE_NUMBERS,
  escapedForm,
  INVALID_UTF8,
  nested,
  nestingDepth,
  NUMBER_RANGES,
  ODD_STRINGS,
  rawControlString,
  STRING_LIMITS,
  stringsAround,
  WRONG_TYPES,
} from './edge-values.js';
import type { FieldList, Frame } from './frame.js';
import { frameOf, json, key, serialise } from './frame.js';
import type { Random } from './random.js';
import { LIMITS, REQUEST_OPS } from './spec.js';

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf', 'then'] as const;

const UNKNOWN_OPS = ['frobnicate', 'HELLO', 'Acquire', 'hello ', ' acquire', 'acquire\u0000', '', 'release-all', 'welcome', 'granted', 'error', 'status\n', '__proto__', 'constructor', 'ACQUIRE', 'keep-alive', 'bye'] as const;

/** How likely each kind of mutation is, per mutated frame. */
const FIELD_MUTATIONS = {
  wrongType: 16,
  numberEdge: 14,
  stringEdge: 14,
  removeField: 10,
  unknownField: 8,
  prototypeKey: 6,
  duplicateKey: 8,
  opChange: 6,
  deepNesting: 3,
  escapedKey: 4,
  whitespace: 5,
  rawControl: 4,
  nullValue: 5,
} as const;

/** A value's JSON text read back, or undefined when an earlier mutation made it something JSON.parse refuses. */
function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class Mutator {
  constructor(private readonly random: Random) {}

  /** One to three field mutations, and now and then a text or byte mutation on top. */
  mutate(fields: FieldList): Frame {
    const entries = fields.entries.map(([name, value]) => [name, value] as [string, string]);
    const labels: string[] = [];
    const count = this.random.weighted({ one: 70, two: 22, three: 8 });
    const rounds = count === 'one' ? 1 : count === 'two' ? 2 : 3;
    for (let round = 0; round < rounds; round++) labels.push(this.#fieldMutation(entries));
    let text = serialise({ entries, label: fields.label });
    const layer = this.random.weighted({ none: 80, text: 12, bytes: 8 });
    if (layer === 'text') {
      const [mutated, label] = this.#textMutation(text);
      text = mutated;
      labels.push(label);
    }
    let bytes: Buffer = Buffer.from(text, 'utf8');
    if (layer === 'bytes') {
      const [mutated, label] = this.#byteMutation(bytes);
      bytes = mutated;
      labels.push(label);
    }
    return frameOf(bytes, `${fields.label}+${labels.join('+')}`);
  }

  /** A frame that is not a request at all. */
  wholeFrame(): Frame {
    switch (this.random.weighted({ notObject: 30, garbage: 25, empty: 8, whitespace: 8, trailing: 10, textual: 19 })) {
      case 'notObject':
        return frameOf(this.random.pick(['1', '"hello"', 'null', 'true', 'false', '[]', '[{"op":"hello"}]', '[1,2,3]', '-0', '1e400', '""', '"{\\"op\\":\\"hello\\"}"', ' [ ] ', '0.5']), 'not-an-object');
      case 'garbage': {
        const length = this.random.int(1, 64);
        const bytes = Buffer.alloc(length);
        for (let index = 0; index < length; index++) bytes[index] = this.random.int(1, 255);
        return frameOf(bytes, 'random-bytes');
      }
      case 'empty':
        return frameOf(Buffer.alloc(0), 'empty');
      case 'whitespace':
        return frameOf(this.random.pick([' ', '\t', '\r', '  \t ', '\r\n', '\n', '\n\n']), 'whitespace');
      case 'trailing':
        return frameOf(this.random.pick(['{"op":"keepalive"}x', '{"op":"keepalive"}}', '{"op":"keepalive"} {"op":"keepalive"}', '{"op":"keepalive"}\n{"op":"keepalive"}', '{"op":"keepalive"}\r\n{"op":"status","id":1}']), 'trailing');
      case 'textual':
        return frameOf(this.random.pick(['hello', '{', '}', '{{}}', '{"op"}', '{"op":}', '{"op":"hello",}', "{'op':'hello'}", '{op:"hello"}', '{"op":"hello"/*c*/}', '{"op":NaN}', '{"op":Infinity}', '{"id":0x10,"op":"keepalive"}', '{"id":01,"op":"keepalive"}', '{"id":+1,"op":"keepalive"}', '{"id":.5,"op":"keepalive"}', '{"id":1.,"op":"keepalive"}', '\u0000', '\u0000{"op":"hello"}', '{"op":"hello"}\u0000']), 'not-json');
    }
  }

  /** A message of exactly MAX_MESSAGE_BYTES (must be served), or one past it (closes the connection, 2). */
  sizedFrame(oversized: boolean, base: FieldList): Frame {
    const text = serialise(base);
    const target = oversized ? LIMITS.MAX_MESSAGE_BYTES + this.random.pick([1, 2, 100, 30_000]) : LIMITS.MAX_MESSAGE_BYTES;
    const padding = target - Buffer.byteLength(text) - Buffer.byteLength(',"pad":""');
    const unit = this.random.pick(['a', 'é', '€', '😀']);
    const unitBytes = Buffer.byteLength(unit);
    const pad = unit.repeat(Math.floor(padding / unitBytes)) + 'a'.repeat(padding % unitBytes);
    const sized = `${text.slice(0, -1)},"pad":${json(pad)}}`;
    return frameOf(sized, `${base.label}+${oversized ? 'oversized' : 'exactly-max-bytes'}`);
  }

  /** A certainly-bad message (BAD_MESSAGE), for flooding the rate limit. */
  flood(): Frame {
    return frameOf(this.random.pick(['[]', '1', 'null', '[1]']), 'flood(not an object)');
  }

  #fieldMutation(entries: [string, string][]): string {
    const kind = this.random.weighted(FIELD_MUTATIONS);
    const index = this.random.int(0, Math.max(0, entries.length - 1));
    const entry = entries[index];
    const name = entry ? (JSON.parse(entry[0]) as string) : 'id';
    switch (kind) {
      case 'wrongType':
        if (!entry) return 'none';
        entry[1] = this.random.pick(WRONG_TYPES);
        return `wrong-type(${name})`;
      case 'nullValue':
        if (!entry) return 'none';
        entry[1] = 'null';
        return `null(${name})`;
      case 'numberEdge': {
        const numeric = entries.filter(([field]) => Object.hasOwn(NUMBER_RANGES, JSON.parse(field) as string));
        const target = this.random.maybePick(numeric) ?? this.#addField(entries, this.random.pick(['waitMs', 'leaseMs', 'offset', 'id', 'seq', 'ack', 'v', 'lockDelayMs']));
        const field = JSON.parse(target[0]) as string;
        const range = NUMBER_RANGES[field];
        target[1] = range && this.random.chance(0.5) ? this.random.pick(aroundLimit(range[0], range[1])) : this.random.pick(EDGE_NUMBERS);
        return `number(${field}=${target[1]})`;
      }
      case 'stringEdge': {
        const field = entry && Object.hasOwn(STRING_LIMITS, name) ? name : this.random.pick(Object.keys(STRING_LIMITS));
        const target = entries.find(([each]) => JSON.parse(each) === field) ?? this.#addField(entries, field);
        const limit = STRING_LIMITS[field as keyof typeof STRING_LIMITS];
        const choice = this.random.weighted({ boundary: 45, odd: 40, escaped: 15 });
        if (choice === 'boundary') target[1] = json(this.random.pick(stringsAround(limit, this.random)));
        else if (choice === 'odd') target[1] = json(this.random.pick(ODD_STRINGS));
        else target[1] = escapedForm(this.random.pick(ODD_STRINGS), this.random);
        return `string(${field},${choice})`;
      }
      case 'removeField':
        if (!entry) return 'none';
        entries.splice(index, 1);
        return `remove(${name})`;
      case 'unknownField': {
        const unknown = this.random.pick(['extra', 'Op', 'ID', 'op ', 'résumé', '', 'x'.repeat(100), 'sn', 'code', 'message', 'resumed']);
        entries.splice(this.random.int(0, entries.length), 0, [key(unknown), this.random.pick([...WRONG_TYPES, json('hello')])]);
        return `unknown-field(${unknown})`;
      }
      case 'prototypeKey': {
        const prototypeKey = this.random.pick(PROTOTYPE_KEYS);
        const value = this.random.pick(['{"op":"hello"}', '{"polluted":true}', '{"id":1,"resource":"x"}', 'null', '1', '[]', '"acquire"']);
        entries.splice(this.random.int(0, entries.length), 0, [this.random.chance(0.3) ? escapedForm(prototypeKey, this.random) : key(prototypeKey), value]);
        return `prototype-key(${prototypeKey})`;
      }
      case 'duplicateKey': {
        if (!entry) return 'none';
        const copy = this.random.weighted({ same: 20, wrongType: 40, edge: 20, otherOp: 20 });
        let value = entry[1];
        if (copy === 'wrongType') value = this.random.pick(WRONG_TYPES);
        else if (copy === 'edge') value = this.random.pick(EDGE_NUMBERS);
        else if (copy === 'otherOp') value = json(name === 'op' ? this.random.pick(REQUEST_OPS) : this.random.pick(['x', 'shared', 'exclusive', '1']));
        entries.splice(this.random.chance(0.5) ? index : index + 1, 0, [entry[0], value]);
        return `duplicate-key(${name},${copy})`;
      }
      case 'opChange': {
        const op = entries.find(([each]) => JSON.parse(each) === 'op');
        if (!op) return 'none';
        const change = this.random.weighted({ unknown: 50, otherOp: 25, wrongType: 15, escaped: 10 });
        if (change === 'unknown') op[1] = json(this.random.pick(UNKNOWN_OPS));
        else if (change === 'otherOp') op[1] = json(this.random.pick(REQUEST_OPS));
        else if (change === 'wrongType') op[1] = this.random.pick(WRONG_TYPES);
        else {
          const current = parseOrUndefined(op[1]);
          op[1] = typeof current === 'string' ? escapedForm(current, this.random) : json(this.random.pick(REQUEST_OPS));
        }
        return `op(${change})`;
      }
      case 'deepNesting': {
        const depth = nestingDepth(this.random);
        const target = entry ?? this.#addField(entries, 'extra');
        target[1] = nested(depth, this.random);
        return `nesting(${name},${depth})`;
      }
      case 'escapedKey':
        if (!entry) return 'none';
        entry[0] = escapedForm(String(name), this.random);
        return `escaped-key(${name})`;
      case 'whitespace': {
        if (!entry) return 'none';
        const space = this.random.pick([' ', '\t', '\r', '\n', '\r\n', '  ', '\u00a0', '\u2028']);
        entry[1] = this.random.chance(0.5) ? `${space}${entry[1]}` : `${entry[1]}${space}`;
        return `whitespace(${JSON.stringify(space)})`;
      }
      case 'rawControl': {
        const field = this.random.pick(['resource', 'client', 'id', 'token', 'op']);
        const target = entries.find(([each]) => JSON.parse(each) === field) ?? this.#addField(entries, field);
        target[1] = rawControlString(this.random);
        return `raw-control(${field})`;
      }
    }
  }

  #addField(entries: [string, string][], name: string): [string, string] {
    const entry: [string, string] = [key(name), '0'];
    entries.push(entry);
    return entry;
  }

  #textMutation(text: string): [string, string] {
    switch (this.random.weighted({ truncate: 25, insert: 20, delete: 15, bom: 8, trailing: 12, quote: 8, swapColon: 6, comment: 6 })) {
      case 'truncate':
        return [text.slice(0, this.random.int(0, text.length - 1)), 'truncated'];
      case 'insert': {
        const at = this.random.int(0, text.length);
        const character = this.random.pick(['{', '}', '[', ']', '"', ',', ':', '\\', ' ', '0', 'é', '\u0000', '\n', '\u007f', '😀']);
        return [text.slice(0, at) + character + text.slice(at), `insert(${JSON.stringify(character)})`];
      }
      case 'delete': {
        const at = this.random.int(0, text.length - 1);
        return [text.slice(0, at) + text.slice(at + 1), 'delete-char'];
      }
      case 'bom':
        return [`\ufeff${text}`, 'byte-order-mark'];
      case 'trailing':
        return [text + this.random.pick([' ', 'x', '}', ',', '\u0000', '\t', '{}', ' \r']), 'trailing-text'];
      case 'quote':
        return [text.replaceAll('"', "'"), 'single-quotes'];
      case 'swapColon':
        return [text.replace(':', '='), 'equals-for-colon'];
      case 'comment':
        return [text.replace(',', ',/* comment */'), 'comment'];
    }
  }

  #byteMutation(bytes: Buffer): [Buffer, string] {
    const sequence = Buffer.from(this.random.pick(INVALID_UTF8));
    // Mostly inside a string, so that a lenient decoder would turn it into valid JSON.
    const quotes: number[] = [];
    for (let index = 0; index < bytes.length; index++) if (bytes[index] === 0x22) quotes.push(index);
    const at = this.random.chance(0.8) && quotes.length > 0 ? this.random.pick(quotes) + 1 : this.random.int(0, bytes.length);
    const replace = this.random.chance(0.3) && at < bytes.length;
    const result = Buffer.concat([bytes.subarray(0, at), sequence, bytes.subarray(replace ? at + 1 : at)]);
    return [result, `invalid-utf8(${sequence.toString('hex')})`];
  }
}
