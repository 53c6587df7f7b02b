/**
 * The framing shared by log segments and snapshot files. A file is a sequence
 * of frames, each
 *
 * ```
 * [u32 LE payload length][u32 LE CRC-32 of the payload][payload][zero padding to a multiple of 8]
 * ```
 *
 * and a payload is UTF-8 JSON. The length comes first so a reader knows where
 * the next frame starts without parsing; the checksum tells a record that was
 * written whole from one a crash cut short or the disk damaged. Frames start
 * at multiples of 8 so that, after damage, a reader can look for the next
 * whole frame at a handful of aligned offsets instead of at every byte.
 *
 * A length of 0 is never written: a zero header is what preallocated or
 * zero-filled space after the last record looks like, so it marks the end of
 * what was written.
 *
 * This file only encodes and decodes single frames; what a bad frame means
 * (torn tail or corruption) is decided by the log reader, which knows where in
 * the log the frame is.
 */
import { crc32 } from 'node:zlib';

/** Bytes before the payload: the length and the checksum, a u32 each. */
export const FRAME_HEADER_BYTES = 8;

/** Every frame starts and ends at a multiple of this many bytes (the padding is zeros). */
export const FRAME_ALIGNMENT_BYTES = 8;

/**
 * Largest payload of one log record. A record is one coordinator state
 * change, normally well under a kilobyte; the limit is generous so a caller
 * never meets it by accident, and small enough that a damaged length field
 * cannot make a reader allocate or checksum gigabytes.
 */
export const MAX_LOG_RECORD_BYTES = 16 * 1024 * 1024;

/**
 * Largest payload of a snapshot file (one frame holding the whole state).
 * Any JSON text V8 can build fits: a string holds at most 2^29 UTF-16 units,
 * which is at most 1.5 GiB of UTF-8. The limit keeps the whole file (header
 * and padding included) under the 2 GiB that one `fs.readFile` returns, so
 * recovery can read a snapshot in one call.
 */
export const MAX_SNAPSHOT_BYTES = 2 ** 31 - 16;

/** The whole frame size for a payload of `payloadBytes`: header, payload and padding. */
export function framedLength(payloadBytes: number): number {
  const unpadded = FRAME_HEADER_BYTES + payloadBytes;
  return Math.ceil(unpadded / FRAME_ALIGNMENT_BYTES) * FRAME_ALIGNMENT_BYTES;
}

/**
 * Encodes `payload` (JSON text) as one frame. Throws a RangeError when its
 * UTF-8 form is empty or longer than `maxPayloadBytes`, before anything is
 * written, so the caller can refuse the record without harming the log.
 */
export function encodeFrame(payload: string, maxPayloadBytes: number): Buffer {
  const payloadBytes = Buffer.byteLength(payload, 'utf8');
  if (payloadBytes === 0) throw new RangeError('a frame payload cannot be empty: length 0 marks the end of a log');
  if (payloadBytes > maxPayloadBytes) {
    throw new RangeError(`a frame payload of ${payloadBytes} bytes is over the limit of ${maxPayloadBytes} bytes`);
  }
  const frame = Buffer.allocUnsafe(framedLength(payloadBytes));
  frame.write(payload, FRAME_HEADER_BYTES, payloadBytes, 'utf8');
  frame.fill(0, FRAME_HEADER_BYTES + payloadBytes);
  frame.writeUInt32LE(payloadBytes, 0);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + payloadBytes)), 4);
  return frame;
}

/**
 * What is found at an offset of a file:
 *  - `frame`: a whole frame whose checksum matches (`frameBytes` includes the padding);
 *  - `end`: the file ends exactly here, or a zero length says nothing was written here;
 *  - `damaged`: anything else, with the reason in words for log lines and errors.
 */
export type DecodedFrame =
  | { readonly kind: 'frame'; readonly payload: Buffer; readonly frameBytes: number }
  | { readonly kind: 'end'; readonly reason: string }
  | { readonly kind: 'damaged'; readonly reason: string };

/**
 * Decodes the frame at `offset` of `contents`. It never throws and never
 * reads past the buffer, so it is safe at any offset, which the damage scan
 * relies on. A frame is whole only with its padding: a write that was cut in
 * the padding did not complete, so it was never reported durable.
 */
export function decodeFrame(contents: Buffer, offset: number, maxPayloadBytes: number): DecodedFrame {
  const remaining = contents.length - offset;
  if (remaining <= 0) return { kind: 'end', reason: 'the file ends here' };
  if (remaining < FRAME_HEADER_BYTES) {
    return { kind: 'damaged', reason: `the file ends inside a frame header (${remaining} of ${FRAME_HEADER_BYTES} bytes)` };
  }
  const payloadBytes = contents.readUInt32LE(offset);
  if (payloadBytes === 0) return { kind: 'end', reason: 'a zero length: nothing was written from here' };
  if (payloadBytes > maxPayloadBytes) {
    return { kind: 'damaged', reason: `a length of ${payloadBytes} bytes, over the limit of ${maxPayloadBytes}` };
  }
  const frameBytes = framedLength(payloadBytes);
  if (frameBytes > remaining) {
    return { kind: 'damaged', reason: `the file ends inside a frame (${remaining} of ${frameBytes} bytes)` };
  }
  const payload = contents.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + payloadBytes);
  const expected = contents.readUInt32LE(offset + 4);
  const actual = crc32(payload);
  if (actual !== expected) {
    return { kind: 'damaged', reason: `a checksum mismatch (stored ${hex(expected)}, computed ${hex(actual)})` };
  }
  return { kind: 'frame', payload, frameBytes };
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
