/**
 * The frame format: `[u32 LE length][u32 LE CRC-32][payload][zero padding to 8]`,
 * and what decoding finds at any offset of a damaged buffer.
 */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FRAME_ALIGNMENT_BYTES, FRAME_HEADER_BYTES, decodeFrame, encodeFrame, framedLength } from '../src/index.js';

describe('log frames', () => {
  it('lays a payload out as length, checksum, bytes and zero padding to a multiple of 8', () => {
    const payload = '{"lsn":1,"name":"ü"}';
    const frame = encodeFrame(payload, 1024);
    const bytes = Buffer.byteLength(payload);
    expect(frame.length % FRAME_ALIGNMENT_BYTES).toBe(0);
    expect(frame.length).toBe(framedLength(bytes));
    expect(frame.readUInt32LE(0)).toBe(bytes);
    expect(frame.readUInt32LE(4)).toBe(crc32(Buffer.from(payload)));
    expect(frame.subarray(FRAME_HEADER_BYTES + bytes).every((byte) => byte === 0)).toBe(true);
    const decoded = decodeFrame(frame, 0, 1024);
    expect(decoded.kind).toBe('frame');
    if (decoded.kind === 'frame') {
      expect(decoded.payload.toString('utf8')).toBe(payload);
      expect(decoded.frameBytes).toBe(frame.length);
    }
  });

  it('refuses empty and oversized payloads', () => {
    expect(() => encodeFrame('', 1024)).toThrow(RangeError);
    expect(() => encodeFrame('x'.repeat(11), 10)).toThrow(RangeError);
  });

  it('tells the end, a cut frame, an oversized length and a checksum mismatch apart', () => {
    const frame = encodeFrame('{"lsn":1}', 1024);
    expect(decodeFrame(frame, frame.length, 1024).kind).toBe('end');
    expect(decodeFrame(Buffer.alloc(16), 0, 1024).kind).toBe('end');
    for (let cut = 1; cut < frame.length; cut += 1) expect(decodeFrame(frame.subarray(0, cut), 0, 1024).kind).toBe('damaged');
    expect(decodeFrame(frame, 0, 4)).toMatchObject({ kind: 'damaged', reason: expect.stringContaining('over the limit') });
    const flipped = Buffer.from(frame);
    flipped[FRAME_HEADER_BYTES]! ^= 0x20;
    expect(decodeFrame(flipped, 0, 1024)).toMatchObject({ kind: 'damaged', reason: expect.stringContaining('checksum') });
  });
});
