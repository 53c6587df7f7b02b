import { describe, expect, it } from 'vitest';
import { LineDecoder } from '../src/index.js';

/** Feeds every chunk and gathers all lines. */
function decodeAll(decoder: LineDecoder, chunks: Buffer[]): string[] {
  return chunks.flatMap((chunk) => decoder.push(chunk).lines);
}

describe('LineDecoder', () => {
  it('splits on LF, strips a CR before it and skips empty lines', () => {
    const decoder = new LineDecoder(100);
    expect(decodeAll(decoder, [Buffer.from('a\nb\r\n\r\n\n\nc\rd\nunfinished')])).toEqual(['a', 'b', 'c\rd']);
    expect(decoder.bufferedBytes).toBe('unfinished'.length);
    expect(decodeAll(decoder, [Buffer.from(' line\n')])).toEqual(['unfinished line']);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('decodes multibyte characters split across chunks at every byte', () => {
    const text = '😀漢字é€𝔘 and ascii';
    const bytes = Buffer.from(`${text}\n${text}\r\n`);
    const decoder = new LineDecoder(1000);
    const chunks = Array.from(bytes, (byte) => Buffer.of(byte));
    expect(decodeAll(decoder, chunks)).toEqual([text, text]);
  });

  it('accepts exactly the limit and refuses one byte more, CR not counted', () => {
    const limit = 8;
    expect(new LineDecoder(limit).push(Buffer.from('12345678\n'))).toEqual({ lines: ['12345678'], undecodable: 0, oversized: false });
    expect(new LineDecoder(limit).push(Buffer.from('12345678\r\n'))).toEqual({ lines: ['12345678'], undecodable: 0, oversized: false });
    expect(new LineDecoder(limit).push(Buffer.from('é234567\n')).oversized).toBe(false);
    expect(new LineDecoder(limit).push(Buffer.from('123456789\n')).oversized).toBe(true);
    expect(new LineDecoder(limit).push(Buffer.from('123456789\r\n')).oversized).toBe(true);
    expect(new LineDecoder(limit).push(Buffer.from('é2345678\n')).oversized).toBe(true);
  });

  it('returns the lines before an oversized one and nothing after it', () => {
    const decoder = new LineDecoder(4);
    expect(decoder.push(Buffer.from('ok\ntoo long\nlater\n'))).toEqual({ lines: ['ok'], undecodable: 0, oversized: true });
    expect(decoder.push(Buffer.from('fine\n'))).toEqual({ lines: [], undecodable: 0, oversized: true });
  });

  it('never buffers more than the limit + 1 bytes of a 10 MB line without a newline', () => {
    const limit = 65536;
    const decoder = new LineDecoder(limit);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let largestBuffered = 0;
    let refusedAfterBytes: number | undefined;
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) {
      const { oversized } = decoder.push(chunk);
      largestBuffered = Math.max(largestBuffered, decoder.bufferedBytes);
      if (oversized && refusedAfterBytes === undefined) {
        refusedAfterBytes = sent + chunk.length;
      }
    }
    expect(largestBuffered).toBeLessThanOrEqual(limit + 1);
    expect(refusedAfterBytes).toBe(2 * chunk.length);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('reports lines that are not valid UTF-8 instead of reading them with replacement characters', () => {
    const decoder = new LineDecoder(100);
    const result = decoder.push(Buffer.from([0x61, 0xff, 0x62, 0x0a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x0a, 0x63, 0x0a]));
    expect(result.lines).toEqual(['c']);
    expect(result.undecodable).toBe(2);
    // A BOM is valid UTF-8: it is kept, for the JSON parser to refuse.
    expect(decoder.push(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d, 0x0a])).lines).toEqual(['\uFEFF{}']);
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => new LineDecoder(0)).toThrow(RangeError);
    expect(() => new LineDecoder(1.5)).toThrow(RangeError);
  });
});
