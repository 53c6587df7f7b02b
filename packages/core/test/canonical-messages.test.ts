import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCanonicalReply, decodeCanonicalRequest } from '../src/canonical-messages.js';
import { MAX_RESOURCE_NAME_LENGTH } from '../src/limits.js';
import { decodeClientMessageInGeneral } from '../src/protocol.js';
import { decodeServerReplyInGeneral } from '../src/server-message-decoder.js';

/**
 * Characters a resource name may have and some it may not: punctuation,
 * quotes and backslashes (which JSON escapes), non-ASCII of 2, 3 and 4 bytes,
 * control characters, surrogate halves.
 */
const nameCharacter = fc.constantFrom(...'abcXYZ019_.-/: {},~', '"', '\\', 'é', '€', '😀', '\u0000', '\n', '\u007f', '\u009f', '\u00a0', '\ud800', '\udc00');

/** A name of about `total` UTF-8 bytes, some of them in `wide` characters: the 512-byte edge, in every width. */
const edgeName = fc
  .tuple(fc.integer({ min: MAX_RESOURCE_NAME_LENGTH - 4, max: MAX_RESOURCE_NAME_LENGTH + 4 }), fc.nat({ max: 200 }), fc.constantFrom('x', 'é', '€', '😀', '"', '\\', '/'))
  .map(([total, count, wide]) => {
    const wideBytes = new TextEncoder().encode(wide).length;
    const wideCount = Math.min(count, Math.floor(total / wideBytes));
    return wide.repeat(wideCount) + 'x'.repeat(total - wideCount * wideBytes);
  });

// Names the fast path takes weigh most, so that most texts reach it; the rest probe its edges.
const resourceName = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[ !#-[\]-~]{1,40}$/) },
  { weight: 2, arbitrary: fc.array(nameCharacter, { maxLength: 60 }).map((characters) => characters.join('')) },
  { weight: 1, arbitrary: edgeName },
);

/** A name as a JSON string: as it is between quotes, JSON.stringify's escaping, or every character written `\uXXXX` or `\/`. */
const resourceText = fc.tuple(resourceName, fc.constantFrom('raw', 'raw', 'raw', 'raw', 'stringify', 'escaped')).map(([name, form]) => {
  if (form === 'raw') return `"${name}"`;
  if (form === 'stringify') return JSON.stringify(name);
  const escaped = [...name].map((character) => (character === '/' ? '\\/' : [...character].map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''))).join('');
  return `"${escaped}"`;
});
const requestId = fc.oneof(
  { weight: 6, arbitrary: fc.nat() },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 17n }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('007', '-1', '1e3', '1.5', '0', '999999999999999', '9999999999999999') },
);
const token = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 1n, max: 10n ** 20n - 1n }).map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 21n }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('01', '', 'x', '18446744073709551615', '0') },
);
const mode = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('exclusive', 'shared') }, { weight: 1, arbitrary: fc.constantFrom('Exclusive', 'exclusive ', '') });

/** The exactly-once suffix the SDK appends (or none), with counts good and bad (0, leading zeros, past 2^53). */
const sequence = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 3, arbitrary: fc.tuple(requestId, requestId).map(([seq, ack]) => `,"seq":${seq},"ack":${ack}`) },
  { weight: 1, arbitrary: fc.tuple(requestId).map(([seq]) => `,"seq":${seq}`) },
);

/** Texts in the canonical layouts, with values good and bad. */
const canonicalLayouts = fc.oneof(
  fc.tuple(requestId, resourceText, mode, sequence).map(([id, resource, chosen, suffix]) => `{"op":"acquire","id":${id},"resource":${resource},"mode":"${chosen}"${suffix}}`),
  fc.tuple(requestId, resourceText, token, sequence).map(([id, resource, value, suffix]) => `{"op":"release","id":${id},"resource":${resource},"token":"${value}"${suffix}}`),
);

/** Canonical texts with one random edit: a character dropped, changed or added. */
const edited = fc.tuple(canonicalLayouts, fc.nat(), fc.constantFrom('drop', 'replace', 'insert'), fc.constantFrom(' ', '"', '\\', '0', 'a', ',', '}', '{', '\u00e9')).map(([text, at, edit, character]) => {
  const index = at % (text.length + 1);
  if (edit === 'drop') return text.slice(0, index) + text.slice(index + 1);
  if (edit === 'replace') return text.slice(0, index) + character + text.slice(index + 1);
  return text.slice(0, index) + character + text.slice(index);
});

/** Objects serialised by JSON.stringify: other key orders, optional fields, wrong types. */
const serialised = fc
  .record(
    {
      op: fc.constantFrom('acquire', 'release', 'granted'),
      id: fc.oneof(fc.nat(), fc.string({ maxLength: 5 }), fc.double()),
      resource: resourceName,
      mode,
      token,
      waitMs: fc.nat(),
    },
    { requiredKeys: ['op'] },
  )
  .map((fields) => JSON.stringify(fields));

const texts = fc.oneof(canonicalLayouts, edited, serialised);

describe('the canonical fast path', () => {
  it('decodes a text exactly as the general decoder does, or leaves it to it', () => {
    let fast = 0;
    fc.assert(
      fc.property(texts, (text) => {
        const canonical = decodeCanonicalRequest(text);
        if (canonical === undefined) return;
        fast++;
        expect(decodeClientMessageInGeneral(text)).toEqual({ ok: true, message: canonical });
      }),
      { numRuns: 20_000 },
    );
    // The generators must reach the fast path often, or the property says little.
    expect(fast).toBeGreaterThan(2_000);
  });

  it('takes the texts the SDK writes', () => {
    expect(decodeCanonicalRequest('{"op":"acquire","id":1,"resource":"file_A","mode":"exclusive"}')).toEqual({ op: 'acquire', id: 1, resource: 'file_A', mode: 'exclusive' });
    expect(decodeCanonicalRequest('{"op":"release","id":2,"resource":"file_A","token":"17"}')).toEqual({ op: 'release', id: 2, resource: 'file_A', token: '17' });
    expect(decodeCanonicalRequest('{"op":"release","id":2,"resource":"file_A","token":"17","seq":5,"ack":3}')).toEqual({ op: 'release', id: 2, resource: 'file_A', token: '17', seq: 5, ack: 3 });
    expect(decodeCanonicalRequest('{"op":"acquire","id":1,"resource":"file_A","mode":"shared","seq":1,"ack":0}')).toEqual({ op: 'acquire', id: 1, resource: 'file_A', mode: 'shared', seq: 1, ack: 0 });
    expect(decodeCanonicalRequest('{"op":"acquire","id":1,"resource":"file_A","mode":"shared","seq":0,"ack":0}')).toBeUndefined();
    expect(decodeCanonicalRequest(`{"op":"acquire","id":1,"resource":"${'a'.repeat(MAX_RESOURCE_NAME_LENGTH + 1)}","mode":"exclusive"}`)).toBeUndefined();
    const longest = 'a'.repeat(MAX_RESOURCE_NAME_LENGTH);
    expect(decodeCanonicalRequest(`{"op":"acquire","id":1,"resource":"${longest}","mode":"exclusive"}`)).toEqual({ op: 'acquire', id: 1, resource: longest, mode: 'exclusive' });
    expect(decodeCanonicalRequest('{"op":"acquire","id":1,"resource":"file_A","mode":"exclusive","waitMs":0}')).toBeUndefined();
  });

  it('takes names of printable ASCII, and leaves every name JSON would unescape or that is not ASCII to the general decoder', () => {
    for (const resource of ['orders/42', 'user:1', 'locks:tenant-7:invoice', 'a b', '..', '{"x":1}'.replace(/"/g, "'"), '~!@#$%^&*()[]']) {
      expect(decodeCanonicalRequest(`{"op":"acquire","id":1,"resource":"${resource}","mode":"exclusive"}`)).toEqual({ op: 'acquire', id: 1, resource, mode: 'exclusive' });
    }
    for (const resource of ['a\\"b', 'a\\\\b', '\\u0041', 'a\\/b', 'Ünïcode', '😀', 'a\u007fb']) {
      const text = `{"op":"acquire","id":1,"resource":"${resource}","mode":"exclusive"}`;
      expect(decodeCanonicalRequest(text)).toBeUndefined();
    }
    // The general decoder reads them: the fast path only declined.
    expect(decodeClientMessageInGeneral('{"op":"acquire","id":1,"resource":"a\\"b","mode":"exclusive"}')).toEqual({ ok: true, message: { op: 'acquire', id: 1, resource: 'a"b', mode: 'exclusive' } });
    expect(decodeClientMessageInGeneral('{"op":"acquire","id":1,"resource":"\\u0041","mode":"exclusive"}')).toEqual({ ok: true, message: { op: 'acquire', id: 1, resource: 'A', mode: 'exclusive' } });
  });

  it('decodes a reply exactly as JSON.parse does, or leaves it to it', () => {
    const stream = fc.oneof(fc.constant(''), requestId.map((sn) => `,"sn":${sn}`));
    const replies = fc.oneof(
      fc
        .tuple(requestId, resourceText, mode, token, fc.oneof({ weight: 6, arbitrary: fc.nat() }, { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, 1e21) }), stream)
        .map(([id, resource, chosen, value, waited, suffix]) => `{"op":"granted","id":${id},"resource":${resource},"mode":"${chosen}","token":"${value}","waitedMs":${waited}${suffix}}`),
      fc.tuple(requestId, resourceText, token, stream).map(([id, resource, value, suffix]) => `{"op":"released","id":${id},"resource":${resource},"token":"${value}"${suffix}}`),
    );
    let fast = 0;
    fc.assert(
      fc.property(replies, (text) => {
        const canonical = decodeCanonicalReply(text);
        if (canonical === undefined) return;
        fast++;
        expect(JSON.parse(text)).toEqual(canonical);
        if (canonical.sn !== 0) expect(decodeServerReplyInGeneral(text)).toEqual({ ok: true, message: canonical });
      }),
      { numRuns: 10_000 },
    );
    expect(fast).toBeGreaterThan(1_000);
  });
});
