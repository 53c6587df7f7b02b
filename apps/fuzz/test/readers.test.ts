import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { INVALID_UTF8 } from '../src/edge-values.js';
import { serialise } from '../src/frame.js';
import type { GeneratorView } from '../src/generator.js';
import { MessageTemplates } from '../src/generator.js';
import { fieldsOf, JsonContainer, readJson } from '../src/json-reader.js';
import { Mutator } from '../src/mutator.js';
import { Random } from '../src/random.js';
import { SessionRegistry } from '../src/session-model.js';
import { isWellFormedUtf8, utf8Length } from '../src/utf8.js';

const view: GeneratorView = {
  transport: 'tcp',
  connection: 0,
  session: undefined,
  sessionExpected: true,
  exactlyOnce: true,
  nextSeq: () => 1,
  lastSn: 0,
  registry: new SessionRegistry(),
  adminToken: 'admin',
};

/** What JSON.parse makes of a top-level value, in the reader's terms. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return 'array';
  if (value !== null && typeof value === 'object') return 'object';
  return value;
}

// The oracle's own readers must agree with the platform wherever the platform is right, or the
// oracle would blame the server for the fuzzer's mistakes.
describe("the oracle's readers", () => {
  it('read 8,000 fuzzed frames as JSON.parse does (valid or not, and the fields, last key winning)', () => {
    const random = new Random('readers');
    const templates = new MessageTemplates(random, view);
    const mutator = new Mutator(random);
    const makers = [() => templates.acquire(), () => templates.release(), () => templates.hello(true), () => templates.status(), () => templates.forceRelease()];
    for (let index = 0; index < 8_000; index++) {
      const frame = random.chance(0.1) ? mutator.wholeFrame() : mutator.mutate(random.pick(makers)());
      if (!isUtf8(frame.bytes)) continue;
      const text = frame.bytes.toString('utf8');
      let expected: unknown;
      let valid = true;
      try {
        expected = JSON.parse(text);
      } catch {
        valid = false;
      }
      const reading = readJson(text);
      expect(reading.ok, text).toBe(valid);
      if (!reading.ok || reading.top !== 'object') continue;
      const fields = fieldsOf(reading.entries, 'last');
      const parsed = expected as Record<string, unknown>;
      expect([...fields.keys()].sort(), text).toEqual(Object.keys(parsed).sort());
      for (const [key, value] of fields) expect(value instanceof JsonContainer ? value.kind : value, text).toEqual(shape(parsed[key]));
    }
  });

  it('keep duplicate keys both ways, and read nesting far deeper than a recursive parser could', () => {
    const reading = readJson('{"op":"hello","op":"acquire","id":1}');
    expect(reading.ok && reading.top === 'object' && reading.duplicates).toBe(true);
    if (reading.ok && reading.top === 'object') {
      expect(fieldsOf(reading.entries, 'last').get('op')).toBe('acquire');
      expect(fieldsOf(reading.entries, 'first').get('op')).toBe('hello');
    }
    const deep = readJson(`{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`);
    expect(deep.ok && deep.depth).toBe(200_001);
    expect(readJson('"\\ud800"').ok).toBe(true);
    expect(readJson('\ufeff{}').ok).toBe(false);
    expect(readJson('{"a":1,}').ok).toBe(false);
    expect(readJson('[01]').ok).toBe(false);
  });

  it('judge UTF-8 as node does, on random bytes and on every invalid form the mutator writes', () => {
    const random = new Random('utf8');
    for (let index = 0; index < 20_000; index++) {
      const bytes = Buffer.alloc(random.int(0, 12));
      for (let offset = 0; offset < bytes.length; offset++) bytes[offset] = random.chance(0.5) ? random.int(0x80, 0xff) : random.int(0, 0x7f);
      expect(isWellFormedUtf8(bytes), bytes.toString('hex')).toBe(isUtf8(bytes));
    }
    for (const sequence of INVALID_UTF8) expect(isWellFormedUtf8(Buffer.from(sequence)), Buffer.from(sequence).toString('hex')).toBe(false);
    expect(isWellFormedUtf8(Buffer.from('é€😀', 'utf8'))).toBe(true);
  });

  it('count UTF-8 bytes as the spec does (a lone surrogate as 3)', () => {
    expect(utf8Length('aé€😀')).toBe(10);
    expect(utf8Length('\ud800')).toBe(3);
    expect(utf8Length(serialise({ entries: [['"a"', '"é"']], label: '' }))).toBe(10);
  });
});
