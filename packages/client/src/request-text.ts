/**
 * The two requests every lock sends, acquire and release, written as wire
 * text directly instead of building an object for JSON.stringify: they are
 * most of what a client sends. The tests check that the text equals the
 * general encoding.
 */
import type { AcquireMessage, LockMode, ReleaseMessage } from '@baton/core';
import { encodeMessage } from '@baton/core';

/**
 * The wire text of an acquire. The common case is written directly: the
 * resource name needs no escaping (no quote, backslash or control character), the id is a
 * number and the mode one of two literals. Anything else (a mode that is not
 * a known literal, a waitMs that is not a plain integer) goes through
 * JSON.stringify, so the server still gets valid JSON and answers with its
 * own error for the bad value.
 */
export function acquireText(id: number, resource: string, mode: LockMode, options: { waitMs?: number | undefined; lockDelayMs?: number | undefined }): string {
  const { waitMs, lockDelayMs } = options;
  if ((mode === 'exclusive' || mode === 'shared') && isAbsentOrInteger(waitMs) && isAbsentOrInteger(lockDelayMs) && needsNoEscaping(resource)) {
    let text = `{"op":"acquire","id":${id},"resource":"${resource}","mode":"${mode}"`;
    if (waitMs !== undefined) text += `,"waitMs":${waitMs}`;
    if (lockDelayMs !== undefined) text += `,"lockDelayMs":${lockDelayMs}`;
    return `${text}}`;
  }
  const message: AcquireMessage = { op: 'acquire', id, resource, mode };
  if (waitMs !== undefined) message.waitMs = waitMs;
  if (lockDelayMs !== undefined) message.lockDelayMs = lockDelayMs;
  return encodeMessage(message);
}

/** The wire text of a release: tokens are digits, and a name that would need escaping goes through JSON.stringify. */
export function releaseText(id: number, resource: string, token: string): string {
  if (!needsNoEscaping(resource)) {
    const message: ReleaseMessage = { op: 'release', id, resource, token };
    return encodeMessage(message);
  }
  return `{"op":"release","id":${id},"resource":"${resource}","token":"${token}"}`;
}

/**
 * True when `text` can go between JSON quotes as it is: no quote, no
 * backslash, no control character (which resource names may not contain
 * anyway), no surrogate (JSON.stringify escapes a lone one; pairs take the
 * slow path too, which is rare). Other non-ASCII characters need no escaping.
 */
function needsNoEscaping(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x22 /* " */ || code === 0x5c /* \ */ || (code >= 0xd800 && code <= 0xdfff)) return false;
  }
  return true;
}

function isAbsentOrInteger(value: number | undefined): boolean {
  return value === undefined || Number.isSafeInteger(value);
}
