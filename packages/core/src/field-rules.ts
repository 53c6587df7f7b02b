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

export function isRequestId(value: unknown): value is RequestId {
  if (typeof value === 'number') return Number.isSafeInteger(value);
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_REQUEST_ID_LENGTH;
}

export const REQUEST_ID_RULE = `a safe integer or a string of 1 to ${MAX_REQUEST_ID_LENGTH} characters`;

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

export function text(fields: Fields, name: string, required: boolean, maxLength: number): string | undefined {
  const value = fields[name];
  if (value === undefined) {
    if (required) throw new FieldError(ErrorCode.MISSING_FIELD, `"${name}" is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new FieldError(ErrorCode.BAD_FIELD, `"${name}" must be a string`);
  if (value.length > maxLength) throw new FieldError(ErrorCode.BAD_FIELD, `"${name}" must be at most ${maxLength} characters`);
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
