/**
 * The field rules both wire decoders share: decodeClientMessage (the server
 * reading requests, protocol.ts) and decodeServerReply (the SDK reading
 * replies, server-message-decoder.ts). Internal to the core: not exported
 * from index.ts.
 *
 * Each rule reads one field of a parsed JSON object and returns its value,
 * undefined when the field is absent (unless it is required), or throws a
 * {@link FieldError} naming the field and the rule it broke; the decoders
 * catch it and turn it into a DecodeFailure.
 *
 * `null` is never a field's value: a rule refuses it with BAD_FIELD like any
 * other value of the wrong type, for required and optional fields alike
 * (docs/protocol.md 1). Leaving the key out is how a field is absent.
 */
import { ErrorCode } from './errors.js';
import type { LockMode, RequestId } from './inputs.js';
import { MAX_REQUEST_ID_LENGTH } from './limits.js';
import { resourceNameProblem } from './resource-name.js';

export type Fields = Record<string, unknown>;

/** A field broke the schema; caught inside the decoders and turned into a DecodeFailure. */
export class FieldError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A JSON object (not null, not an array): what every message and every list entry must be. */
export function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The length of `value` in UTF-8 bytes, as the wire carries it. Every limit
 * on a string counts bytes, not characters or UTF-16 units, so that a client
 * in any language counts the same. A lone surrogate (which JSON can carry as
 * an escape, UTF-8 cannot) counts as the 3 bytes of the U+FFFD it becomes.
 */
export function utf8ByteLength(value: string): number {
  let bytes = value.length;
  for (let index = 0; index < value.length; index++) {
    const unit = value.charCodeAt(index);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(value.charCodeAt(index + 1))) {
      // The pair's two units are already counted: 4 bytes in all.
      bytes += 2;
      index++;
    } else bytes += 2;
  }
  return bytes;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** A string of at most `maxBytes` UTF-8 bytes; the unit count bounds the scan, since each unit is at least one byte. */
function fitsIn(value: string, maxBytes: number): boolean {
  return value.length <= maxBytes && utf8ByteLength(value) <= maxBytes;
}

/**
 * A request id: a safe integer, or a string of 1 to MAX_REQUEST_ID_LENGTH
 * UTF-8 bytes. The type is part of the id: `77` and `"77"` are two ids.
 */
export function isRequestId(value: unknown): value is RequestId {
  if (typeof value === 'number') return Number.isSafeInteger(value);
  return typeof value === 'string' && value.length > 0 && fitsIn(value, MAX_REQUEST_ID_LENGTH);
}

export const REQUEST_ID_RULE = `a safe integer or a string of 1 to ${MAX_REQUEST_ID_LENGTH} UTF-8 bytes`;

export function requestId(fields: Fields, name: string, required: boolean): RequestId | undefined {
  const value = fields[name];
  if (value === undefined) {
    if (required) throw new FieldError(ErrorCode.MISSING_FIELD, `"${name}" is required`);
    return undefined;
  }
  if (!isRequestId(value)) throw new FieldError(ErrorCode.BAD_FIELD, `"${name}" must be ${REQUEST_ID_RULE}`);
  return value;
}

export function integer(fields: Fields, name: string, min: number, max: number): number | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FieldError(ErrorCode.BAD_FIELD, `"${name}" must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** A string field of at most `maxBytes` UTF-8 bytes (Infinity: any length). */
export function text(fields: Fields, name: string, required: boolean, maxBytes: number): string | undefined {
  const value = fields[name];
  if (value === undefined) {
    if (required) throw new FieldError(ErrorCode.MISSING_FIELD, `"${name}" is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new FieldError(ErrorCode.BAD_FIELD, `"${name}" must be a string`);
  if (maxBytes !== Number.POSITIVE_INFINITY && !fitsIn(value, maxBytes)) throw new FieldError(ErrorCode.BAD_FIELD, `"${name}" must be at most ${maxBytes} UTF-8 bytes`);
  return value;
}

/**
 * The `resource` field, by the naming rule. A string that breaks the rule is
 * `badName` (BAD_RESOURCE_NAME for a request, which the sender can fix; a
 * reply's decoder passes BAD_FIELD); anything else is BAD_FIELD.
 */
export function resource(fields: Fields, required: boolean, badName: ErrorCode = ErrorCode.BAD_RESOURCE_NAME): string | undefined {
  const value = fields.resource;
  if (value === undefined) {
    if (required) throw new FieldError(ErrorCode.MISSING_FIELD, '"resource" is required');
    return undefined;
  }
  const problem = resourceNameProblem(value);
  if (problem) throw new FieldError(typeof value === 'string' ? badName : ErrorCode.BAD_FIELD, problem);
  return value as string;
}

/** A fencing token as granted: 1 to 20 decimal digits without a leading zero. */
export function isToken(value: unknown): value is string {
  return typeof value === 'string' && /^[1-9][0-9]{0,19}$/.test(value);
}

export const TOKEN_RULE = 'a decimal string, as granted';

export function token(fields: Fields, required: boolean): string | undefined {
  const value = fields.token;
  if (value === undefined) {
    if (required) throw new FieldError(ErrorCode.MISSING_FIELD, '"token" is required');
    return undefined;
  }
  if (!isToken(value)) throw new FieldError(ErrorCode.BAD_FIELD, `"token" must be ${TOKEN_RULE}`);
  return value;
}

export function mode(fields: Fields): LockMode | undefined {
  const value = fields.mode;
  if (value === undefined) return undefined;
  if (value !== 'exclusive' && value !== 'shared') throw new FieldError(ErrorCode.BAD_FIELD, '"mode" must be "exclusive" or "shared"');
  return value;
}

export function flag(fields: Fields, name: string): boolean | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new FieldError(ErrorCode.BAD_FIELD, `"${name}" must be true or false`);
  return value;
}

/** A value a rule returned for a field that must be there: MISSING_FIELD when it was absent. */
export function present<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new FieldError(ErrorCode.MISSING_FIELD, `"${name}" is required`);
  return value;
}

/**
 * Only the defined entries, so decoded messages have no `undefined` keys. A
 * fresh object rather than `delete` on the old one: deleting keys turns a V8
 * object into a slow dictionary, and this runs for every message.
 */
export function compact<T extends object>(message: T): T {
  const result: Record<string, unknown> = {};
  for (const key in message) {
    const value = message[key];
    if (value !== undefined) result[key] = value;
  }
  return result as T;
}

/** A `seq` (or `sn`), if it is a valid one: 1 or more, a safe integer. */
export function sequenceNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 ? value : undefined;
}
