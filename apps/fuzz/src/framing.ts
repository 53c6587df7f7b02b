/**
 * Which messages the server reads from one frame, per transport
 * (docs/protocol.md 2): tcp cuts the byte stream at line feeds (a `\r` before
 * one is part of the terminator, empty lines are skipped, and nothing after a
 * line over MAX_MESSAGE_BYTES is read); ws and zmq read one message per
 * frame, and on zmq a frame starting with 0x00 is a control frame. This is
 * the spec's framing, written down for the oracle, not the server's decoder.
 */
import type { Frame } from './frame.js';
import type { TransportName } from './reply-oracle.js';
import { LIMITS } from './spec.js';

export interface FramedMessage {
  bytes: Buffer;
  kind: 'message' | 'oversized' | 'control' | 'empty';
}

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export function messagesOf(transport: TransportName, frame: Frame): FramedMessage[] {
  const bytes = frame.bytes;
  switch (transport) {
    case 'tcp':
      return lines(bytes);
    case 'ws':
      return [{ bytes, kind: bytes.length > LIMITS.MAX_MESSAGE_BYTES ? 'oversized' : 'message' }];
    case 'zmq':
      if (bytes.length === 0) return [{ bytes, kind: 'empty' }];
      if (bytes[0] === 0x00) return [{ bytes, kind: 'control' }];
      return [{ bytes, kind: bytes.length > LIMITS.MAX_MESSAGE_BYTES ? 'oversized' : 'message' }];
  }
}

/** The lines of `bytes` followed by the sender's terminating `\n`. */
function lines(bytes: Buffer): FramedMessage[] {
  const result: FramedMessage[] = [];
  let start = 0;
  for (;;) {
    const newline = bytes.indexOf(LINE_FEED, start);
    const end = newline === -1 ? bytes.length : newline;
    let line = bytes.subarray(start, end);
    if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) line = line.subarray(0, line.length - 1);
    if (line.length > LIMITS.MAX_MESSAGE_BYTES) {
      result.push({ bytes: line, kind: 'oversized' });
      return result;
    }
    if (line.length > 0) result.push({ bytes: line, kind: 'message' });
    if (newline === -1) return result;
    start = newline + 1;
  }
}

/** The bytes a sender writes for `frame`. */
export function wireBytes(transport: TransportName, frame: Frame): Buffer {
  return transport === 'tcp' ? Buffer.concat([frame.bytes, Buffer.from([LINE_FEED])]) : frame.bytes;
}
