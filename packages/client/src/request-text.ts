/**
 * The two requests every lock sends, acquire and release, written as wire
 * text directly instead of building an object for JSON.stringify: they are
 * most of what a client sends. The tests check that the text equals the
 * general encoding.
 */
import type { AcquireMessage, LockMode } from '@baton/core';
import { encodeMessage } from '@baton/core';

/**
 * The wire text of an acquire. The common case is written directly: the
 * resource name has passed the whitelist (nothing to escape), the id is a
 * number and the mode one of two literals. Anything else (a mode that is not
 * a known literal, a waitMs that is not a plain integer) goes through
 * JSON.stringify, so the server still gets valid JSON and answers with its
 * own error for the bad value.
 */
export function acquireText(id: number, resource: string, mode: LockMode, options: { waitMs?: number | undefined; lockDelayMs?: number | undefined }): string {
  const { waitMs, lockDelayMs } = options;
  if ((mode === 'exclusive' || mode === 'shared') && isAbsentOrInteger(waitMs) && isAbsentOrInteger(lockDelayMs)) {
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

/** The wire text of a release: resource names are whitelisted and tokens are digits, so nothing needs escaping. */
export function releaseText(id: number, resource: string, token: string): string {
  return `{"op":"release","id":${id},"resource":"${resource}","token":"${token}"}`;
}

function isAbsentOrInteger(value: number | undefined): boolean {
  return value === undefined || Number.isSafeInteger(value);
}
