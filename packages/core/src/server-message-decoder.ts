/**
 * The client side's strict decoder: every message a server sends, validated
 * field by field as strictly as decodeClientMessage validates requests. A
 * malformed reply is a {@link DecodeFailure} that says which field broke which
 * rule, never a cast: the SDK reports it as a protocol error and ignores the
 * message (docs/protocol.md 1).
 *
 * The decoded message is built from validated fields only: unknown fields are
 * dropped (a later server may add some) and no key is `undefined`.
 */
import { decodeCanonicalReply } from './canonical-messages.js';
import { ErrorCode } from './errors.js';
import type { Fields } from './field-rules.js';
import {
  compact,
  FieldError,
  flag,
  integer,
  isFields,
  isRequestId,
  isToken,
  mode,
  present,
  requestId,
  resource,
  sequenceNumber,
  text,
  token,
  TOKEN_RULE,
} from './field-rules.js';
import type { LockMode } from './inputs.js';
import {
  MAX_CLIENT_NAME_LENGTH,
  MAX_SECRET_LENGTH,
  MAX_SESSION_ID_LENGTH,
  MAX_STATUS_HOLDERS,
  MAX_STATUS_RESOURCES,
  MAX_STATUS_SESSIONS,
  MAX_STATUS_WAITERS_ONE_RESOURCE,
} from './limits.js';
import type {
  AliveMessage,
  ByeMessage,
  CancelledMessage,
  DecodeFailure,
  DecodeResult,
  ErrorMessage,
  ForceReleasedMessage,
  GrantedMessage,
  HolderStatus,
  LostMessage,
  QueuedMessage,
  ReleasedMessage,
  ResourceStatus,
  ServerMessage,
  SessionStatus,
  StatusReplyMessage,
  TimeoutMessage,
  WaiterStatus,
  WelcomeMessage,
} from './protocol.js';

/** Server operations, for error messages and docs. */
export const SERVER_OPS = [
  'welcome',
  'queued',
  'granted',
  'released',
  'timeout',
  'cancelled',
  'lost',
  'alive',
  'bye',
  'status',
  'force-released',
  'error',
] as const;

/** A status entry's `client` (UTF-8 bytes): the hello's client name, or by default the session id. */
const MAX_STATUS_CLIENT_LENGTH = Math.max(MAX_CLIENT_NAME_LENGTH, MAX_SESSION_ID_LENGTH);

/** A NOT_LEADER error's `leader` address (UTF-8 bytes). */
export const MAX_LEADER_ADDRESS_LENGTH = 512;

const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && ERROR_CODES.has(value);
}

/**
 * A rule broken inside a list entry: `path` says where (`resources[0].holders[2]`),
 * `detail` what, as the entry's own rule said it.
 */
class EntryError extends FieldError {
  constructor(
    code: ErrorCode,
    readonly path: string,
    readonly detail: string,
  ) {
    super(code, `${path}: ${detail}`);
  }
}

// ---- field rules of replies ----

/** A count, a duration or an offset: an integer from 0 to 2^53−1. */
function count(fields: Fields, name: string): number | undefined {
  return integer(fields, name, 0, Number.MAX_SAFE_INTEGER);
}

/** The exactly-once `sn` of docs/protocol.md 3.1, when present: an integer from 1 to 2^53−1. */
function streamNumber(fields: Fields): number | undefined {
  return integer(fields, 'sn', 1, Number.MAX_SAFE_INTEGER);
}

function id(fields: Fields, name = 'id') {
  return present(requestId(fields, name, true), name);
}

/** A reply's `resource`: the naming rule, and BAD_FIELD when it is broken (the server is wrong, not the reader). */
function resourceName(fields: Fields): string {
  return present(resource(fields, true, ErrorCode.BAD_FIELD), 'resource');
}

function lockMode(fields: Fields): LockMode {
  return present(mode(fields), 'mode');
}

function lockToken(fields: Fields): string {
  return present(token(fields, true), 'token');
}

/** A list of at most `max` JSON objects, each decoded by `entry`; the error of a bad entry says which one. */
function list<T>(fields: Fields, name: string, max: number, entry: (fields: Fields) => T): T[] {
  const value = fields[name];
  if (value === undefined) throw new FieldError(ErrorCode.MISSING_FIELD, `"${name}" is required`);
  if (!Array.isArray(value)) throw new FieldError(ErrorCode.BAD_FIELD, `"${name}" must be an array`);
  if (value.length > max) throw new FieldError(ErrorCode.BAD_FIELD, `"${name}" must have at most ${max} entries`);
  const result: T[] = [];
  for (let index = 0; index < value.length; index++) {
    const path = `${name}[${index}]`;
    const item: unknown = value[index];
    if (!isFields(item)) throw new EntryError(ErrorCode.BAD_FIELD, path, 'must be an object');
    try {
      result.push(entry(item));
    } catch (error) {
      if (error instanceof EntryError) throw new EntryError(error.code, `${path}.${error.path}`, error.detail);
      if (error instanceof FieldError) throw new EntryError(error.code, path, error.message);
      throw error;
    }
  }
  return result;
}

/** `force-released`'s `tokens`: a list of fencing tokens. */
function tokenList(fields: Fields): string[] {
  const value = fields.tokens;
  if (value === undefined) throw new FieldError(ErrorCode.MISSING_FIELD, '"tokens" is required');
  if (!Array.isArray(value)) throw new FieldError(ErrorCode.BAD_FIELD, '"tokens" must be an array');
  const result: string[] = [];
  for (let index = 0; index < value.length; index++) {
    const item: unknown = value[index];
    if (!isToken(item)) throw new FieldError(ErrorCode.BAD_FIELD, `"tokens[${index}]" must be ${TOKEN_RULE}`);
    result.push(item);
  }
  return result;
}

function lostReason(fields: Fields): LostMessage['reason'] {
  const value = fields.reason;
  if (value === undefined) throw new FieldError(ErrorCode.MISSING_FIELD, '"reason" is required');
  if (value !== 'lease-expired' && value !== 'revoked') throw new FieldError(ErrorCode.BAD_FIELD, '"reason" must be "lease-expired" or "revoked"');
  return value;
}

function errorCode(fields: Fields): ErrorCode {
  const value = fields.code;
  if (value === undefined) throw new FieldError(ErrorCode.MISSING_FIELD, '"code" is required');
  if (!isErrorCode(value)) throw new FieldError(ErrorCode.BAD_FIELD, '"code" must be one of the error codes of docs/protocol.md 6');
  return value;
}

// ---- status entries ----

function holderStatus(fields: Fields): HolderStatus {
  return {
    session: present(text(fields, 'session', true, MAX_SESSION_ID_LENGTH), 'session'),
    client: present(text(fields, 'client', true, MAX_STATUS_CLIENT_LENGTH), 'client'),
    mode: lockMode(fields),
    token: lockToken(fields),
    grantedAt: present(count(fields, 'grantedAt'), 'grantedAt'),
    heldMs: present(count(fields, 'heldMs'), 'heldMs'),
  };
}

function waiterStatus(fields: Fields): WaiterStatus {
  return compact<WaiterStatus>({
    session: present(text(fields, 'session', true, MAX_SESSION_ID_LENGTH), 'session'),
    client: present(text(fields, 'client', true, MAX_STATUS_CLIENT_LENGTH), 'client'),
    mode: lockMode(fields),
    position: present(integer(fields, 'position', 1, Number.MAX_SAFE_INTEGER), 'position'),
    waitedMs: present(count(fields, 'waitedMs'), 'waitedMs'),
    timeoutInMs: count(fields, 'timeoutInMs'),
  });
}

function resourceStatus(fields: Fields): ResourceStatus {
  return compact<ResourceStatus>({
    resource: resourceName(fields),
    holders: list(fields, 'holders', MAX_STATUS_HOLDERS, holderStatus),
    holding: present(count(fields, 'holding'), 'holding'),
    waiters: list(fields, 'waiters', MAX_STATUS_WAITERS_ONE_RESOURCE, waiterStatus),
    waiting: present(count(fields, 'waiting'), 'waiting'),
    blockedForMs: count(fields, 'blockedForMs'),
  });
}

function sessionStatus(fields: Fields): SessionStatus {
  return {
    session: present(text(fields, 'session', true, MAX_SESSION_ID_LENGTH), 'session'),
    client: present(text(fields, 'client', true, MAX_STATUS_CLIENT_LENGTH), 'client'),
    leaseMs: present(count(fields, 'leaseMs'), 'leaseMs'),
    expiresInMs: present(count(fields, 'expiresInMs'), 'expiresInMs'),
    held: present(count(fields, 'held'), 'held'),
    waiting: present(count(fields, 'waiting'), 'waiting'),
  };
}

// ---- messages ----

function decodeReplyFields(fields: Fields): ServerMessage {
  const op = fields.op;
  if (op === undefined) throw new FieldError(ErrorCode.MISSING_FIELD, '"op" is required');
  if (typeof op !== 'string') throw new FieldError(ErrorCode.BAD_FIELD, '"op" must be a string');
  switch (op) {
    case 'welcome':
      return compact<WelcomeMessage>({
        op,
        id: requestId(fields, 'id', false),
        v: present(integer(fields, 'v', 1, 1_000_000), 'v'),
        session: present(text(fields, 'session', true, MAX_SESSION_ID_LENGTH), 'session'),
        secret: present(text(fields, 'secret', true, MAX_SECRET_LENGTH), 'secret'),
        leaseMs: present(count(fields, 'leaseMs'), 'leaseMs'),
        resumed: present(flag(fields, 'resumed'), 'resumed'),
        exactlyOnce: flag(fields, 'exactlyOnce'),
        applied: count(fields, 'applied'),
        // The last sn sent, 0 before the first: not this message's own place in the stream.
        sn: count(fields, 'sn'),
      });
    case 'queued':
      return compact<QueuedMessage>({
        op,
        id: id(fields),
        resource: resourceName(fields),
        mode: lockMode(fields),
        position: present(integer(fields, 'position', 1, Number.MAX_SAFE_INTEGER), 'position'),
        sn: streamNumber(fields),
      });
    case 'granted':
      return compact<GrantedMessage>({
        op,
        id: id(fields),
        resource: resourceName(fields),
        mode: lockMode(fields),
        token: lockToken(fields),
        waitedMs: present(count(fields, 'waitedMs'), 'waitedMs'),
        sn: streamNumber(fields),
      });
    case 'released':
      return compact<ReleasedMessage>({ op, id: id(fields), resource: resourceName(fields), token: lockToken(fields), sn: streamNumber(fields) });
    case 'timeout':
      return compact<TimeoutMessage>({ op, id: id(fields), resource: resourceName(fields), sn: streamNumber(fields) });
    case 'cancelled':
      return compact<CancelledMessage>({ op, id: id(fields), target: id(fields, 'target'), resource: resourceName(fields), sn: streamNumber(fields) });
    case 'lost':
      return compact<LostMessage>({ op, resource: resourceName(fields), token: lockToken(fields), reason: lostReason(fields), sn: streamNumber(fields) });
    case 'alive':
      return compact<AliveMessage>({ op, id: requestId(fields, 'id', false), leaseMs: present(count(fields, 'leaseMs'), 'leaseMs'), sn: streamNumber(fields) });
    case 'bye':
      return compact<ByeMessage>({ op, id: requestId(fields, 'id', false) });
    case 'status':
      return compact<StatusReplyMessage>({
        op,
        id: id(fields),
        resources: list(fields, 'resources', MAX_STATUS_RESOURCES, resourceStatus),
        totalResources: present(count(fields, 'totalResources'), 'totalResources'),
        offset: present(count(fields, 'offset'), 'offset'),
        nextOffset: count(fields, 'nextOffset'),
        sessions: list(fields, 'sessions', MAX_STATUS_SESSIONS, sessionStatus),
        totalSessions: present(count(fields, 'totalSessions'), 'totalSessions'),
      });
    case 'force-released':
      return compact<ForceReleasedMessage>({ op, id: id(fields), resource: resourceName(fields), tokens: tokenList(fields), sn: streamNumber(fields) });
    case 'error':
      return compact<ErrorMessage>({
        op,
        id: requestId(fields, 'id', false),
        code: errorCode(fields),
        message: present(text(fields, 'message', true, Number.POSITIVE_INFINITY), 'message'),
        leader: text(fields, 'leader', false, MAX_LEADER_ADDRESS_LENGTH),
        sn: streamNumber(fields),
      });
    default:
      throw new FieldError(ErrorCode.UNKNOWN_OP, `unknown op ${JSON.stringify(op).slice(0, 80)}; expected one of ${SERVER_OPS.join(', ')}`);
  }
}

/**
 * Parse and validate one server message. Never throws. A failure's `message`
 * names the op, the field and the rule (`granted: "token" must be a decimal
 * string, as granted`); it carries the `id` and the stream's `sn` when they
 * were readable.
 */
export function decodeServerReply(raw: string): DecodeResult<ServerMessage> {
  const canonical = decodeCanonicalReply(raw);
  // The canonical pattern admits "sn":0, which no stream message may carry: the general decoder refuses it.
  if (canonical !== undefined && canonical.sn !== 0) return { ok: true, message: canonical };
  return decodeServerReplyInGeneral(raw);
}

/**
 * {@link decodeServerReply} without its fast path for canonical texts: it
 * gives the same answer for every text, and the tests hold the two to that.
 */
export function decodeServerReplyInGeneral(raw: string): DecodeResult<ServerMessage> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, code: ErrorCode.BAD_JSON, message: 'message is not valid JSON' };
  }
  if (!isFields(parsed)) return { ok: false, code: ErrorCode.BAD_MESSAGE, message: 'message must be a JSON object' };
  try {
    return { ok: true, message: decodeReplyFields(parsed) };
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    const op = typeof parsed.op === 'string' && error.code !== ErrorCode.UNKNOWN_OP ? `${parsed.op}: ` : '';
    const failure: DecodeFailure = { ok: false, code: error.code, message: op + error.message };
    if (isRequestId(parsed.id)) failure.id = parsed.id;
    const sn = parsed.op === 'welcome' ? undefined : sequenceNumber(parsed.sn);
    if (sn !== undefined) failure.sn = sn;
    return failure;
  }
}
