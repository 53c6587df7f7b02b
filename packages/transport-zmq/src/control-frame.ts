/**
 * The transport-level control protocol that runs beside Baton messages on the
 * same DEALER/ROUTER pair. Every frame whose first byte is 0x00 is a control
 * frame; every other frame is one Baton message (a JSON text never starts with
 * a NUL byte, so the two can never be confused). docs/protocol.md describes the
 * same bytes for clients written in other languages.
 *
 * | frame                     | direction        | meaning                                                          |
 * |---------------------------|------------------|------------------------------------------------------------------|
 * | `00 01 01`                | client → server  | HELLO, control protocol version 1                                |
 * | `00 02 01`                | server → client  | WELCOME, version 1: the connection exists                        |
 * | `00 03`                   | either           | PING: answer with PONG                                           |
 * | `00 04`                   | either           | PONG                                                             |
 * | `00 05` [UTF-8 reason]    | either           | GOODBYE: the sender forgets the connection; a reason means error |
 */

/** First byte of every control frame. */
export const CONTROL_FRAME_MARKER = 0x00;

/** Version carried in HELLO and WELCOME, so the control protocol can grow without guessing. */
export const CONTROL_PROTOCOL_VERSION = 1;

/** The second byte of a control frame. */
export const ControlFrameType = {
  hello: 0x01,
  welcome: 0x02,
  ping: 0x03,
  pong: 0x04,
  goodbye: 0x05,
} as const;

export type ControlFrameTypeValue = (typeof ControlFrameType)[keyof typeof ControlFrameType];

/** True for frames that belong to the control protocol rather than to Baton. */
export function isControlFrame(frame: Uint8Array): boolean {
  return frame.length > 0 && frame[0] === CONTROL_FRAME_MARKER;
}

/** The control type of a control frame; `undefined` for a bare 0x00 byte. */
export function controlFrameType(frame: Uint8Array): number | undefined {
  return frame[1];
}

function controlFrame(type: ControlFrameTypeValue, payload: Uint8Array = new Uint8Array(0)): Buffer {
  return Buffer.concat([Buffer.from([CONTROL_FRAME_MARKER, type]), payload]);
}

export const HELLO_FRAME: Buffer = controlFrame(ControlFrameType.hello, Buffer.from([CONTROL_PROTOCOL_VERSION]));
export const WELCOME_FRAME: Buffer = controlFrame(ControlFrameType.welcome, Buffer.from([CONTROL_PROTOCOL_VERSION]));
export const PING_FRAME: Buffer = controlFrame(ControlFrameType.ping);
export const PONG_FRAME: Buffer = controlFrame(ControlFrameType.pong);

/** A GOODBYE; with a reason the receiver reports the close as an error carrying that text. */
export function goodbyeFrame(reason?: string): Buffer {
  return controlFrame(ControlFrameType.goodbye, reason === undefined ? undefined : Buffer.from(reason, 'utf8'));
}

/** The reason carried by a GOODBYE frame, or `undefined` for a clean goodbye. */
export function goodbyeReason(frame: Uint8Array): string | undefined {
  if (frame.length <= 2) return undefined;
  return Buffer.from(frame.buffer, frame.byteOffset + 2, frame.length - 2).toString('utf8');
}
