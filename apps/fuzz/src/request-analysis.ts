/**
 * What docs/protocol.md says about one message the server reads, before any
 * state comes into it: is it UTF-8, is it JSON, is it an object, which `id`
 * a reply must echo, and which rules of its op it breaks (sections 1, 3, 4,
 * 5 and 6). The oracle combines this with what it knows of the connection
 * (expectations.ts) to get the replies the spec allows.
 *
 * Where the spec leaves a choice open, the analysis says so rather than
 * picking the server's choice: a message can have several readings
 * (duplicate keys: RFC 8259 lets a reader keep the last pair, the first, or
 * refuse the text; a byte-order mark may be refused or skipped; nesting and
 * number range may be limited), and a rule can be `optional` (it may or may
 * not be enforced: `seq` and `ack` outside an exactly-once session, `ack` on
 * a hello that does not resume, a token string that is not a decimal number).
 * Rules a request certainly breaks are `strict`: the error must name one of
 * them (section 1: "the error names one of them, and which one is not
 * specified"), except that a hello is checked for its id, then its `v`,
 * first (`forced`).
 */
import { fieldsOf, JsonContainer, readJson } from './json-reader.js';
import type { JsonValue } from './json-reader.js';
import { isFencingToken, isRequestOp, LIMITS } from './spec.js';
import type { RequestOp, SpecErrorCode } from './spec.js';
import { hasLoneSurrogate, isWellFormedUtf8, utf8Length } from './utf8.js';

export type RequestId = number | string;

export type IdInfo = { state: 'absent' } | { state: 'valid'; value: RequestId } | { state: 'invalid' };

/** `seq` or `ack` as the request carries it. */
export type NumberField = { state: 'absent' } | { state: 'valid'; value: number } | { state: 'bad' };

/** A message that parsed to a JSON object: a request, good or bad. */
export interface RequestAnalysis {
  kind: 'request';
  /** The op, when it is one of the spec's; undefined for a missing, non-string or unknown op. */
  op: RequestOp | undefined;
  id: IdInfo;
  /** Codes of the rules this request certainly breaks. */
  strict: Set<SpecErrorCode>;
  /** Codes of rules the spec leaves open: the server may report one, or serve the request. */
  optional: Set<SpecErrorCode>;
  /** A hello's id or `v` broke its rule: this is the code, whatever else is wrong. */
  forced?: SpecErrorCode;
  /** `seq`: "readable" in the sense of 3.1 is `valid` (a safe integer ≥ 1). */
  seq: NumberField;
  ack: NumberField;
  /** A hello that names `session` or `secret`. */
  resuming: boolean;
  resource?: string;
  mode?: 'exclusive' | 'shared';
  waitMs?: number;
  lockDelayMs?: number;
  /** A token of the decimal form (release, force-release). */
  token?: string;
  target?: RequestId;
  leaseMs?: number;
  client?: string;
  session?: string;
  secret?: string;
  exactlyOnce?: boolean;
  offset?: number;
  adminToken?: string;
}

export type Analysis = { kind: 'unreadable'; reason: string } | { kind: 'not-object' } | RequestAnalysis;

/** Nesting deeper than this may be refused as BAD_JSON (RFC 8259 section 9 lets a reader limit depth). */
const DEPTH_A_READER_MAY_REFUSE = 32;

/** Every reading the spec allows of one message's bytes; the server must answer as one of them does. */
export function analyseMessage(bytes: Uint8Array): Analysis[] {
  if (!isWellFormedUtf8(bytes)) return [{ kind: 'unreadable', reason: 'not UTF-8' }];
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) {
    // RFC 8259 8.1: a reader may refuse a byte-order mark or ignore it.
    return [{ kind: 'unreadable', reason: 'byte-order mark' }, ...analyseText(text.slice(1))];
  }
  return analyseText(text);
}

function analyseText(text: string): Analysis[] {
  const reading = readJson(text);
  if (!reading.ok) return [{ kind: 'unreadable', reason: `not JSON: ${reading.reason} at ${reading.at}` }];
  const readings: Analysis[] = [];
  if (reading.depth > DEPTH_A_READER_MAY_REFUSE) readings.push({ kind: 'unreadable', reason: 'nesting a reader may refuse' });
  if (reading.top !== 'object') {
    readings.push({ kind: 'not-object' });
    return readings;
  }
  const hasHugeNumber = reading.entries.some(([, value]) => typeof value === 'number' && !Number.isFinite(value));
  if (hasHugeNumber) readings.push({ kind: 'unreadable', reason: 'a number a reader may refuse (out of range)' });
  readings.push(analyseFields(fieldsOf(reading.entries, 'last')));
  if (reading.duplicates) {
    // RFC 8259 4: with duplicate names "the behavior ... is unpredictable": last wins, first wins, or an error.
    readings.push(analyseFields(fieldsOf(reading.entries, 'first')));
    readings.push({ kind: 'unreadable', reason: 'duplicate keys a reader may refuse' });
  }
  return readings;
}

// ---- field rules, written from the spec ----

function isRequestId(value: JsonValue | undefined): value is RequestId {
  if (typeof value === 'number') return Number.isSafeInteger(value);
  return typeof value === 'string' && value.length > 0 && utf8Length(value) <= LIMITS.MAX_REQUEST_ID_LENGTH;
}

function isIntegerIn(value: JsonValue | undefined, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isTextOf(value: JsonValue | undefined, maxBytes: number): value is string {
  return typeof value === 'string' && utf8Length(value) <= maxBytes;
}

/** Section 4, "Resource names": undefined when valid, else the code a request's `resource` gets. */
export function resourceProblem(value: JsonValue | undefined): SpecErrorCode | undefined {
  if (typeof value !== 'string') return 'BAD_FIELD';
  if (value.length === 0 || utf8Length(value) > LIMITS.MAX_RESOURCE_NAME_LENGTH) return 'BAD_RESOURCE_NAME';
  for (let index = 0; index < value.length; index++) {
    const unit = value.charCodeAt(index);
    if (unit < 0x20 || (unit >= 0x7f && unit <= 0x9f)) return 'BAD_RESOURCE_NAME';
  }
  if (hasLoneSurrogate(value)) return 'BAD_RESOURCE_NAME';
  return undefined;
}

export function isValidResourceName(value: unknown): value is string {
  return typeof value === 'string' && resourceProblem(value) === undefined;
}

function numberField(value: JsonValue | undefined, min: number): NumberField {
  if (value === undefined) return { state: 'absent' };
  return isIntegerIn(value, min, Number.MAX_SAFE_INTEGER) ? { state: 'valid', value } : { state: 'bad' };
}

/** Collects what one request breaks. */
class Rules {
  readonly strict = new Set<SpecErrorCode>();
  readonly optional = new Set<SpecErrorCode>();

  constructor(readonly fields: Map<string, JsonValue>) {}

  get(name: string): JsonValue | undefined {
    return this.fields.get(name);
  }

  has(name: string): boolean {
    return this.fields.has(name);
  }

  breaks(code: SpecErrorCode): void {
    this.strict.add(code);
  }

  /** An id-rule field: absent (MISSING_FIELD when required), valid, or BAD_FIELD. */
  requestId(name: string, required: boolean): RequestId | undefined {
    const value = this.get(name);
    if (value === undefined) {
      if (required) this.breaks('MISSING_FIELD');
      return undefined;
    }
    if (isRequestId(value)) return value;
    this.breaks('BAD_FIELD');
    return undefined;
  }

  resource(required: boolean): string | undefined {
    const value = this.get('resource');
    if (value === undefined) {
      if (required) this.breaks('MISSING_FIELD');
      return undefined;
    }
    const problem = resourceProblem(value);
    if (problem === undefined) return value as string;
    this.breaks(problem);
    return undefined;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const value = this.get(name);
    if (value === undefined) return undefined;
    if (isIntegerIn(value, min, max)) return value;
    this.breaks('BAD_FIELD');
    return undefined;
  }

  text(name: string, maxBytes: number, required = false): string | undefined {
    const value = this.get(name);
    if (value === undefined) {
      if (required) this.breaks('MISSING_FIELD');
      return undefined;
    }
    if (isTextOf(value, maxBytes)) return value;
    this.breaks('BAD_FIELD');
    return undefined;
  }

  /**
   * A fencing token field. Not a string: BAD_FIELD. A string that is not the
   * decimal form of a token ("0", "007", "abc", past 2^64): the spec calls
   * tokens decimal strings but does not say whether such a string is a bad
   * field or a token no lock has, so BAD_FIELD is optional.
   */
  token(required: boolean): string | undefined {
    const value = this.get('token');
    if (value === undefined) {
      if (required) this.breaks('MISSING_FIELD');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.breaks('BAD_FIELD');
      return undefined;
    }
    if (!isFencingToken(value)) this.optional.add('BAD_FIELD');
    return value;
  }

  mode(): 'exclusive' | 'shared' | undefined {
    const value = this.get('mode');
    if (value === undefined) return undefined;
    if (value === 'exclusive' || value === 'shared') return value;
    this.breaks('BAD_FIELD');
    return undefined;
  }
}

function analyseFields(fields: Map<string, JsonValue>): RequestAnalysis {
  const rules = new Rules(fields);
  const rawId = fields.get('id');
  const id: IdInfo = rawId === undefined ? { state: 'absent' } : isRequestId(rawId) ? { state: 'valid', value: rawId } : { state: 'invalid' };
  const analysis: RequestAnalysis = {
    kind: 'request',
    op: undefined,
    id,
    strict: rules.strict,
    optional: rules.optional,
    seq: numberField(fields.get('seq'), 1),
    ack: numberField(fields.get('ack'), 0),
    resuming: false,
  };
  const op = fields.get('op');
  if (op === undefined) {
    rules.breaks('MISSING_FIELD');
    if (id.state === 'invalid') rules.optional.add('BAD_FIELD');
    return analysis;
  }
  if (typeof op !== 'string') {
    rules.breaks('BAD_FIELD');
    return analysis;
  }
  if (!isRequestOp(op)) {
    rules.breaks('UNKNOWN_OP');
    if (id.state === 'invalid') rules.optional.add('BAD_FIELD');
    return analysis;
  }
  analysis.op = op;
  switch (op) {
    case 'hello':
      analyseHello(rules, analysis);
      break;
    case 'acquire':
      rules.requestId('id', true);
      analysis.resource = rules.resource(true);
      analysis.mode = rules.mode();
      analysis.waitMs = rules.integer('waitMs', 0, LIMITS.MAX_WAIT_MS);
      analysis.lockDelayMs = rules.integer('lockDelayMs', 0, LIMITS.MAX_LOCK_DELAY_MS);
      break;
    case 'release':
      rules.requestId('id', true);
      analysis.resource = rules.resource(true);
      analysis.token = rules.token(true);
      break;
    case 'cancel':
      rules.requestId('id', true);
      analysis.target = rules.requestId('target', true);
      break;
    case 'keepalive':
    case 'goodbye':
      rules.requestId('id', false);
      break;
    case 'status':
      rules.requestId('id', true);
      analysis.resource = rules.resource(false);
      analysis.offset = rules.integer('offset', 0, Number.MAX_SAFE_INTEGER);
      // Never numbered (3.1): a seq on a status is ignored. Whether it reads an ack is not said.
      if (analysis.ack.state === 'bad') rules.optional.add('BAD_FIELD');
      break;
    case 'force-release':
      rules.requestId('id', true);
      analysis.resource = rules.resource(true);
      analysis.token = rules.token(false);
      analysis.adminToken = rules.text('adminToken', LIMITS.MAX_ADMIN_TOKEN_LENGTH);
      break;
  }
  return analysis;
}

/** Section 3's hello table, with the id-then-v order of section 1. */
function analyseHello(rules: Rules, analysis: RequestAnalysis): void {
  if (analysis.id.state === 'invalid') {
    analysis.forced = 'BAD_FIELD';
  } else {
    const v = rules.get('v');
    if (v !== undefined) {
      if (typeof v !== 'number') analysis.forced = 'BAD_FIELD';
      else if (v !== 1) analysis.forced = 'UNSUPPORTED_VERSION';
    }
  }
  analysis.client = rules.text('client', LIMITS.MAX_CLIENT_NAME_LENGTH);
  analysis.leaseMs = rules.integer('leaseMs', LIMITS.MIN_LEASE_MS, LIMITS.MAX_LEASE_MS);
  analysis.session = rules.text('session', LIMITS.MAX_SESSION_ID_LENGTH);
  analysis.secret = rules.text('secret', LIMITS.MAX_SECRET_LENGTH);
  const resuming = rules.has('session') || rules.has('secret');
  analysis.resuming = resuming;
  if (rules.has('session') !== rules.has('secret')) rules.breaks('MISSING_FIELD');
  const exactlyOnce = rules.get('exactlyOnce');
  if (exactlyOnce !== undefined) {
    if (typeof exactlyOnce === 'boolean') analysis.exactlyOnce = exactlyOnce;
    // "ignored when resuming": whether a bad value is still refused is open then.
    else if (resuming) rules.optional.add('BAD_FIELD');
    else rules.breaks('BAD_FIELD');
  }
  // `ack` is read when resuming and "ignored when not resuming".
  if (analysis.ack.state === 'bad') {
    if (resuming) rules.breaks('BAD_FIELD');
    else rules.optional.add('BAD_FIELD');
  }
}

/** A short text of a JSON value for reports. */
export function describeValue(value: JsonValue | undefined): string {
  if (value instanceof JsonContainer) return `<${value.kind} depth ${value.depth}>`;
  return JSON.stringify(value) ?? 'undefined';
}
