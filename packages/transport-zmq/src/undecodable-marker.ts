import type { ConnectionHandlers } from '@baton/core';
import { CONTROL_FRAME_MARKER } from './control-frame.js';

/**
 * A frame that is not UTF-8 must reach `onUndecodable` in its place among the
 * messages (the coordinator answers each in arrival order), but core's Inbox,
 * which keeps that order and buffers until setHandlers, carries only strings.
 * So the transport queues a marker string in its place and turns it back into
 * an `onUndecodable` call on delivery.
 *
 * The marker starts with U+0000, which no delivered message can: a frame whose
 * first byte is 0x00 is a control frame and never becomes a message, and valid
 * UTF-8 starts with U+0000 only when its first byte is 0x00.
 */
const MARKER = String.fromCharCode(CONTROL_FRAME_MARKER);

/** The string queued in place of an undecodable frame; `detail` says what was wrong. */
export function undecodableMarker(detail: string): string {
  return MARKER + detail;
}

/**
 * Handlers for the Inbox that pass messages through and turn markers into
 * `onUndecodable(detail)`. A handler set without `onUndecodable` ignores such
 * frames, as the transport contract allows.
 */
export function withUndecodableMarkers(handlers: ConnectionHandlers): ConnectionHandlers {
  return {
    onMessage: (message) => {
      if (message.charCodeAt(0) !== CONTROL_FRAME_MARKER) {
        handlers.onMessage(message);
        return;
      }
      handlers.onUndecodable?.(message.slice(MARKER.length));
    },
    onClose: (error) => handlers.onClose(error),
  };
}
