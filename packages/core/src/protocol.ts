/**
 * The wire protocol: one JSON object per message, with an `op`. Requests
 * carry a client-chosen `id` that the reply echoes; the server also pushes
 * messages (`granted` after `queued`, `lost`) at any time. docs/protocol.md is
 * the normative description; this file is its executable form.
 *
 * Decoding never throws: bad input becomes a {@link DecodeFailure} with a
 * stable error code and, when it could be read, the request id, so the server
 * can answer the sender and go on serving everyone else.
 */
import { decodeCanonicalRequest } from './canonical-messages.js';
import { ErrorCode } from './errors.js';
import type { Fields } from './field-rules.js';
import { compact, FieldError, flag, integer, isRequestId, mode, requestId, resource, sequenceNumber, text, token } from './field-rules.js';
import type { LockMode, RequestId } from './inputs.js';
import {
  MAX_ADMIN_TOKEN_LENGTH,
  MAX_CLIENT_NAME_LENGTH,
  MAX_LEASE_MS,
  MAX_LOCK_DELAY_MS,
  MAX_SECRET_LENGTH,
  MAX_SESSION_ID_LENGTH,
  MAX_WAIT_MS,
  MIN_LEASE_MS,
  PROTOCOL_VERSION,
} from './limits.js';
import { decodeServerReply } from './server-message-decoder.js';

// ---- client → server ----

/** Open a session, or resume one after a reconnect (give `session` and `secret`). */
export interface HelloMessage {
  op: 'hello';
  id?: RequestId;
  v?: number;
  client?: string;
  leaseMs?: number;
  session?: string;
  secret?: string;
  /** Open an exactly-once session (docs/protocol.md 3.1). Ignored when resuming. */
  exactlyOnce?: boolean;
  /** When resuming an exactly-once session: the highest `sn` received with every smaller one. */
  ack?: number;
}

/**
 * The fields every request of an exactly-once session carries
 * (docs/protocol.md 3.1): its place in the session's request sequence, and
 * the client's acknowledgement of the server's messages.
 */
export interface SequencedFields {
  /** 1 for the session's first request, then one more for each. */
  seq?: number;
  /** The highest `sn` received with every smaller one. */
  ack?: number;
}

export interface AcquireMessage extends SequencedFields {
  op: 'acquire';
  id: RequestId;
  resource: string;
  mode?: LockMode;
  waitMs?: number;
  lockDelayMs?: number;
}

export interface ReleaseMessage extends SequencedFields {
  op: 'release';
  id: RequestId;
  resource: string;
  token: string;
}

export interface CancelMessage extends SequencedFields {
  op: 'cancel';
  id: RequestId;
  target: RequestId;
}

export interface KeepaliveMessage extends SequencedFields {
  op: 'keepalive';
  id?: RequestId;
}

export interface GoodbyeMessage extends SequencedFields {
  op: 'goodbye';
  id?: RequestId;
}

/** Holders and waiters of one resource, or of all. */
export interface StatusMessage {
  op: 'status';
  id: RequestId;
  resource?: string;
  /** Skip this many resources of the ordered list: the previous reply's `nextOffset`. */
  offset?: number;
}

/** Admin: take a lock away from its holder(s). */
export interface ForceReleaseMessage extends SequencedFields {
  op: 'force-release';
  id: RequestId;
  resource: string;
  token?: string;
  adminToken?: string;
}

export type ClientMessage =
  | HelloMessage
  | AcquireMessage
  | ReleaseMessage
  | CancelMessage
  | KeepaliveMessage
  | GoodbyeMessage
  | StatusMessage
  | ForceReleaseMessage;

// ---- server → client ----

export interface WelcomeMessage {
  op: 'welcome';
  id?: RequestId;
  v: number;
  session: string;
  /** Needed to resume the session from another connection. Keep it private. */
  secret: string;
  leaseMs: number;
  resumed: boolean;
  /** Present (true) for an exactly-once session, with `applied` and `sn`. */
  exactlyOnce?: boolean;
  /** The highest request `seq` the server has applied: resend every request after it. */
  applied?: number;
  /** The last `sn` the server sent to this session; the ones after the hello's `ack` follow this welcome. */
  sn?: number;
}

/** The field every message to a live exactly-once session carries (docs/protocol.md 3.1). */
export interface StreamFields {
  /** 1 for the first message to the session, then one more for each. */
  sn?: number;
}

export interface QueuedMessage extends StreamFields {
  op: 'queued';
  id: RequestId;
  resource: string;
  mode: LockMode;
  position: number;
}

export interface GrantedMessage extends StreamFields {
  op: 'granted';
  id: RequestId;
  resource: string;
  mode: LockMode;
  token: string;
  waitedMs: number;
}

export interface ReleasedMessage extends StreamFields {
  op: 'released';
  id: RequestId;
  resource: string;
  token: string;
}

export interface TimeoutMessage extends StreamFields {
  op: 'timeout';
  id: RequestId;
  resource: string;
}

export interface CancelledMessage extends StreamFields {
  op: 'cancelled';
  id: RequestId;
  target: RequestId;
  resource: string;
}

export interface LostMessage extends StreamFields {
  op: 'lost';
  resource: string;
  token: string;
  reason: 'lease-expired' | 'revoked';
}

export interface AliveMessage extends StreamFields {
  op: 'alive';
  id?: RequestId;
  leaseMs: number;
}

export interface ByeMessage {
  op: 'bye';
  id?: RequestId;
}

/** One holder in a status reply. */
export interface HolderStatus {
  session: string;
  client: string;
  mode: LockMode;
  token: string;
  /** When it was granted, Unix epoch milliseconds (server clock). */
  grantedAt: number;
  heldMs: number;
}

/** One waiter in a status reply, in queue order. */
export interface WaiterStatus {
  session: string;
  client: string;
  mode: LockMode;
  /** 1 is next in line. */
  position: number;
  waitedMs: number;
  /** Milliseconds until the wait times out, when the acquire gave waitMs. */
  timeoutInMs?: number;
}

/** One resource in a status reply. */
export interface ResourceStatus {
  resource: string;
  /** At most MAX_STATUS_HOLDERS. */
  holders: HolderStatus[];
  /** How many hold it in all. */
  holding: number;
  /** The head of the queue: at most MAX_STATUS_WAITERS entries (MAX_STATUS_WAITERS_ONE_RESOURCE when the request named the resource). */
  waiters: WaiterStatus[];
  /** How many wait in all. */
  waiting: number;
  /** Milliseconds of lock-delay left, when a lost lock keeps the resource from being granted. */
  blockedForMs?: number;
}

/** One session in a status reply. */
export interface SessionStatus {
  session: string;
  client: string;
  leaseMs: number;
  /** Milliseconds until the lease runs out unless renewed. */
  expiresInMs: number;
  held: number;
  waiting: number;
}

export interface StatusReplyMessage {
  op: 'status';
  id: RequestId;
  /**
   * Resources with holders or waiters, the longest queues first, then by
   * name, from `offset` on: at most MAX_STATUS_RESOURCES, and fewer when the
   * reply would pass MAX_STATUS_REPLY_BYTES.
   */
  resources: ResourceStatus[];
  totalResources: number;
  /** Where this page starts in the ordered list. */
  offset: number;
  /** Present when more resources follow: send it as `offset` to get them. */
  nextOffset?: number;
  /** At most MAX_STATUS_SESSIONS sessions, by id. */
  sessions: SessionStatus[];
  totalSessions: number;
}

export interface ForceReleasedMessage extends StreamFields {
  op: 'force-released';
  id: RequestId;
  resource: string;
  tokens: string[];
}

export interface ErrorMessage extends StreamFields {
  op: 'error';
  id?: RequestId;
  code: ErrorCode;
  message: string;
  /** With NOT_LEADER: the leader's address (`tcp://host:port`), absent while no leader is elected. */
  leader?: string;
}

export type ServerMessage =
  | WelcomeMessage
  | QueuedMessage
  | GrantedMessage
  | ReleasedMessage
  | TimeoutMessage
  | CancelledMessage
  | LostMessage
  | AliveMessage
  | ByeMessage
  | StatusReplyMessage
  | ForceReleasedMessage
  | ErrorMessage;

// ---- decoding ----

export interface DecodeFailure {
  ok: false;
  code: ErrorCode;
  message: string;
  /** The request id, when the message had a readable one. */
  id?: RequestId;
  /** The request's `seq`, when the message had a readable one (an exactly-once session consumes it). */
  seq?: number;
  /**
   * A server message's `sn`, when it had a readable one (decodeServerReply;
   * never for a `welcome`, whose `sn` is not its own place in the stream).
   */
  sn?: number;
}

export type DecodeResult<T> = { ok: true; message: T } | DecodeFailure;

/** Client operations, for error messages and docs. */
export const CLIENT_OPS = ['hello', 'acquire', 'release', 'cancel', 'keepalive', 'goodbye', 'status', 'force-release'] as const;

/** Adds the exactly-once fields (`seq`, `ack`) of docs/protocol.md 3.1 when present, validated. */
function withSequence<T extends SequencedFields>(message: T, fields: Fields): T {
  if (fields.seq !== undefined) {
    const seq = sequenceNumber(fields.seq);
    if (seq === undefined) throw new FieldError(ErrorCode.BAD_FIELD, `"seq" must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}`);
    message.seq = seq;
  }
  const ack = integer(fields, 'ack', 0, Number.MAX_SAFE_INTEGER);
  if (ack !== undefined) message.ack = ack;
  return message;
}

/**
 * A hello's `v`: absent, or this build's PROTOCOL_VERSION. Any other number
 * (0, 2, 1.5, 10^9) is a version this server does not speak,
 * UNSUPPORTED_VERSION; anything that is not a number is BAD_FIELD.
 */
function protocolVersion(fields: Fields): number | undefined {
  const value = fields.v;
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new FieldError(ErrorCode.BAD_FIELD, '"v" must be a number (the protocol version)');
  if (value !== PROTOCOL_VERSION) throw new FieldError(ErrorCode.UNSUPPORTED_VERSION, `this server speaks protocol version ${PROTOCOL_VERSION}, not ${value}`);
  return value;
}

/**
 * Resuming takes `session` and `secret` together: half of the pair is
 * MISSING_FIELD naming the other half, not a new session (which would leave
 * the old one and its locks to run out) and not UNKNOWN_SESSION (which says
 * the session is gone, when the request is what is wrong).
 */
function withWholeResumePair(message: HelloMessage): HelloMessage {
  if (message.session !== undefined && message.secret === undefined) throw new FieldError(ErrorCode.MISSING_FIELD, '"secret" is required with "session" (resuming takes both)');
  if (message.secret !== undefined && message.session === undefined) throw new FieldError(ErrorCode.MISSING_FIELD, '"session" is required with "secret" (resuming takes both)');
  return message;
}

function decodeFields(fields: Fields): ClientMessage {
  const op = fields.op;
  if (op === undefined) throw new FieldError(ErrorCode.MISSING_FIELD, '"op" is required');
  if (typeof op !== 'string') throw new FieldError(ErrorCode.BAD_FIELD, '"op" must be a string');
  switch (op) {
    case 'hello': {
      // The id, then the version before any other field: a client of another
      // version is told so, not refused for a field this version reads otherwise.
      const message = compact<HelloMessage>({
        op,
        id: requestId(fields, 'id', false),
        v: protocolVersion(fields),
        client: text(fields, 'client', false, MAX_CLIENT_NAME_LENGTH),
        leaseMs: integer(fields, 'leaseMs', MIN_LEASE_MS, MAX_LEASE_MS),
        session: text(fields, 'session', false, MAX_SESSION_ID_LENGTH),
        secret: text(fields, 'secret', false, MAX_SECRET_LENGTH),
        exactlyOnce: flag(fields, 'exactlyOnce'),
        ack: integer(fields, 'ack', 0, Number.MAX_SAFE_INTEGER),
      });
      return withWholeResumePair(message);
    }
    case 'acquire': {
      // The hottest message: built field by field instead of compacted.
      const message: AcquireMessage = { op, id: requestId(fields, 'id', true)!, resource: resource(fields, true)! };
      const requestedMode = mode(fields);
      if (requestedMode !== undefined) message.mode = requestedMode;
      const waitMs = integer(fields, 'waitMs', 0, MAX_WAIT_MS);
      if (waitMs !== undefined) message.waitMs = waitMs;
      const lockDelayMs = integer(fields, 'lockDelayMs', 0, MAX_LOCK_DELAY_MS);
      if (lockDelayMs !== undefined) message.lockDelayMs = lockDelayMs;
      return withSequence(message, fields);
    }
    case 'release':
      return withSequence<ReleaseMessage>({ op, id: requestId(fields, 'id', true)!, resource: resource(fields, true)!, token: token(fields, true)! }, fields);
    case 'cancel':
      return withSequence<CancelMessage>({ op, id: requestId(fields, 'id', true)!, target: requestId(fields, 'target', true)! }, fields);
    case 'keepalive':
      return withSequence(compact<KeepaliveMessage>({ op, id: requestId(fields, 'id', false) }), fields);
    case 'goodbye':
      return withSequence(compact<GoodbyeMessage>({ op, id: requestId(fields, 'id', false) }), fields);
    case 'status':
      return compact<StatusMessage>({ op, id: requestId(fields, 'id', true)!, resource: resource(fields, false), offset: integer(fields, 'offset', 0, Number.MAX_SAFE_INTEGER) });
    case 'force-release':
      return withSequence(
        compact<ForceReleaseMessage>({
          op,
          id: requestId(fields, 'id', true)!,
          resource: resource(fields, true)!,
          token: token(fields, false),
          adminToken: text(fields, 'adminToken', false, MAX_ADMIN_TOKEN_LENGTH),
        }),
        fields,
      );
    default:
      throw new FieldError(ErrorCode.UNKNOWN_OP, `unknown op ${JSON.stringify(op).slice(0, 80)}; expected one of ${CLIENT_OPS.join(', ')}`);
  }
}

/** Parse and validate one client message. Never throws. */
export function decodeClientMessage(raw: string): DecodeResult<ClientMessage> {
  const canonical = decodeCanonicalRequest(raw);
  if (canonical !== undefined) return { ok: true, message: canonical };
  return decodeClientMessageInGeneral(raw);
}

/**
 * {@link decodeClientMessage} without its fast path for canonical texts: it
 * gives the same answer for every text, and the tests hold the two to that.
 */
export function decodeClientMessageInGeneral(raw: string): DecodeResult<ClientMessage> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, code: ErrorCode.BAD_JSON, message: 'message is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, code: ErrorCode.BAD_MESSAGE, message: 'message must be a JSON object' };
  }
  const fields = parsed as Fields;
  try {
    return { ok: true, message: decodeFields(fields) };
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    const failure: DecodeFailure = { ok: false, code: error.code, message: error.message };
    if (isRequestId(fields.id)) failure.id = fields.id;
    // hello and status are never numbered (docs/protocol.md 3.1): a seq on them consumes nothing.
    const seq = fields.op === 'hello' || fields.op === 'status' ? undefined : sequenceNumber(fields.seq);
    if (seq !== undefined) failure.seq = seq;
    return failure;
  }
}

/**
 * Parse and validate one server message: {@link decodeServerReply} without
 * the reason, undefined for anything malformed. Never throws.
 */
export function decodeServerMessage(raw: string): ServerMessage | undefined {
  const result = decodeServerReply(raw);
  return result.ok ? result.message : undefined;
}

/** One message as wire text. */
export function encodeMessage(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}

/** The protocol version this build speaks, re-exported for hello messages. */
export const WIRE_VERSION: number = PROTOCOL_VERSION;
