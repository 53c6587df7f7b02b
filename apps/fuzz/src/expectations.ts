/**
 * The replies docs/protocol.md allows to one message, given what the oracle
 * knows of the connection: a list of alternative {@link Outcome}s, each with
 * a check of the reply and the state change it implies. The server's reply
 * must be one of them (reply-oracle.ts picks the first that fits); `none`
 * means the spec wants no reply at all (an exactly-once duplicate, a PONG).
 *
 * Only the head of the connection's queue is ever asked, after every earlier
 * reply was matched, so the state it sees is the server's state when it read
 * that message: the server handles a connection's messages one at a time and
 * replies in order (section 1), and pushes are matched as they come.
 */
import type { ErrorMessage, ServerMessage } from '@baton/core';
import type { Analysis, RequestAnalysis, RequestId } from './request-analysis.js';
import type { ConnectionState, SessionRegistry } from './session-model.js';
import { idKey, SessionModel } from './session-model.js';
import { isFencingToken, isSequenced, LIMITS, needsSession } from './spec.js';
import type { SpecErrorCode } from './spec.js';

/** One message the server will read (a frame, or one line of a tcp frame). */
export interface SentMessage {
  /** Its number among the messages of its connection. */
  index: number;
  /** The frame it came from, for reports. */
  frameIndex: number;
  frameLabel: string;
  frameBytes: Buffer;
  /** The bytes the server reads as this message. */
  bytes: Buffer;
  kind: 'message' | 'oversized' | 'control' | 'empty';
  sentAt: number;
  /** For `message`: every reading the spec allows. */
  analyses?: Analysis[];
}

/** A server message as the oracle sees it. */
export interface Reply {
  /** Decoded by the SDK's strict decoder (decodeServerReply); undefined for a zmq control frame. */
  message: ServerMessage | undefined;
  /** zmq control frames: which one, and a GOODBYE's reason. */
  control?: 'WELCOME' | 'PONG' | 'GOODBYE';
  reason?: string;
  text: string;
  byteLength: number;
  at: number;
}

export type SnRule = 'required' | 'forbidden' | 'optional' | 'welcome';

export interface Outcome {
  label: string;
  /** No reply: the spec wants none. */
  none?: boolean;
  /** Answered by a zmq control frame instead of a message. */
  control?: 'WELCOME' | 'PONG' | 'GOODBYE';
  /** Counted as a bad message by the rate limit of section 3.3 (unreadable, invalid, or before hello). */
  bad: boolean;
  sn: SnRule;
  /** Undefined when `reply` is this outcome, else why not. */
  check?: (reply: Reply) => string | undefined;
  /** What the outcome changes, once it is known to be the one that happened. */
  apply?: (reply: Reply | undefined) => void;
  /** This outcome does not renew the session (SESSION_EXISTS, an oversized message). */
  noRenew?: boolean;
  /** The server closes the connection after it (documented close: oversized message). */
  closes?: string;
  /** A behaviour docs/protocol.md does not describe, known and reported separately (known-deviations.ts). */
  deviation?: string;
  /** Only a connection whose session is alive gets this answer (see SessionModel.lastProvenSentAt). */
  provesSession?: boolean;
  /** Error outcomes: the codes allowed (for the rate-limit close, which repeats the code). */
  codes?: ReadonlySet<string>;
}

/** What an expectation needs beyond the message. */
export interface ExpectationContext {
  readonly state: ConnectionState;
  readonly registry: SessionRegistry;
  readonly adminToken: string;
  readonly defaultLeaseMs: number;
  /** The connection's label (sessions record where they are attached). */
  readonly label: string;
  /** zmq REQ peer: exactly one answer per request, never a push (docs/protocol.md 2.1). */
  readonly req: boolean;
  /** A resume is moving a session from another live connection here. */
  onTakeover(session: SessionModel): void;
  /** A session of this connection ended (bye, SESSION_ENDED, or the connection was replaced). */
  onSessionEnded(session: SessionModel): void;
}

// ---- reply checks ----

function sameId(actual: RequestId | undefined, expected: RequestId | undefined): boolean {
  if (expected === undefined) return actual === undefined;
  return typeof actual === typeof expected && actual === expected;
}

function showId(id: RequestId | undefined): string {
  return id === undefined ? 'no id' : `id ${JSON.stringify(id)}`;
}

/** Common checks of a reply: its op and its id (echoed exactly, type included, or absent). */
function opAndId(reply: Reply, op: string, id: RequestId | undefined): string | undefined {
  const message = reply.message;
  if (message === undefined) return `a control frame, not ${op}`;
  if (message.op !== op) return `op ${message.op}, not ${op}`;
  const actual = (message as { id?: RequestId }).id;
  if (!sameId(actual, id)) return `${showId(actual)} where the request's rule gives ${showId(id)}`;
  return undefined;
}

function errorOutcome(
  codes: ReadonlySet<SpecErrorCode>,
  id: RequestId | undefined,
  options: { bad: boolean; sn: SnRule; label?: string; apply?: Outcome['apply']; noRenew?: boolean; closes?: string },
): Outcome {
  const label = options.label ?? `error ${[...codes].join('|')} ${showId(id)}${options.sn === 'required' ? ' with sn' : ''}`;
  return {
    label,
    bad: options.bad,
    sn: options.sn,
    codes,
    noRenew: options.noRenew,
    closes: options.closes,
    apply: options.apply,
    check(reply) {
      const why = opAndId(reply, 'error', id);
      if (why) return why;
      const code = (reply.message as ErrorMessage).code;
      return codes.has(code) ? undefined : `code ${code}`;
    },
  };
}

function codes(...list: SpecErrorCode[]): ReadonlySet<SpecErrorCode> {
  return new Set(list);
}

// ---- the expectation of one message ----

/** Every outcome the spec allows for `sent` now. */
export function outcomesFor(sent: SentMessage, context: ExpectationContext): Outcome[] {
  switch (sent.kind) {
    case 'oversized':
      // Section 2: not read; MESSAGE_TOO_LARGE where the transport can still carry it, then closed. Renews nothing (3).
      return [errorOutcome(codes('MESSAGE_TOO_LARGE'), undefined, { bad: false, sn: 'forbidden', noRenew: true, closes: 'oversized message' })];
    case 'empty':
      return emptyZmqFrame(sent, context);
    case 'control':
      return controlOutcomes(sent, context);
    case 'message': {
      const outcomes: Outcome[] = [];
      for (const analysis of sent.analyses!) outcomes.push(...analysisOutcomes(analysis, sent, context));
      return outcomes;
    }
  }
}

function analysisOutcomes(analysis: Analysis, sent: SentMessage, context: ExpectationContext): Outcome[] {
  switch (analysis.kind) {
    case 'unreadable':
      return [errorOutcome(codes('BAD_JSON'), undefined, { bad: true, sn: 'forbidden', label: `error BAD_JSON no id (${analysis.reason})` })];
    case 'not-object':
      return [errorOutcome(codes('BAD_MESSAGE'), undefined, { bad: true, sn: 'forbidden' })];
    case 'request':
      return requestOutcomes(analysis, sent, context);
  }
}

/** Timers may round; a lower bound is accepted this much early. */
export const TIMING_SLACK_MS = 5;

function requestOutcomes(request: RequestAnalysis, sent: SentMessage, context: ExpectationContext): Outcome[] {
  const session = context.state.session;
  if (context.req && session) {
    // A REQ peer is told of nothing it did not ask for (2.1): its session may have run out silently, and
    // the request is then read on a connection without one. Allowed once the lease can have ended.
    context.state.session = undefined;
    const withoutSession = requestOutcomes(request, sent, context);
    context.state.session = session;
    const expired = withoutSession.map((outcome): Outcome => ({
      ...outcome,
      label: `${outcome.label} (after the session ran out unseen)`,
      check(reply) {
        if (reply.at - session.lastProvenSentAt < session.leaseMs - TIMING_SLACK_MS) return 'the lease cannot have run out yet';
        return outcome.check?.(reply);
      },
      apply(reply) {
        endSession(context, session, undefined);
        outcome.apply?.(reply);
      },
    }));
    // Or the lease runs out as the request arrives: the SESSION_ENDED the server then pushes is the one
    // message after the request, and a REQ peer gets it as its answer ("an error without id").
    const ended = errorOutcome(codes('SESSION_ENDED'), undefined, {
      bad: false,
      sn: 'forbidden',
      label: 'error SESSION_ENDED no id (the lease ran out as the request came)',
      apply: () => endSession(context, session, undefined),
    });
    const endedCheck = ended.check!;
    ended.check = (reply) => (reply.at - session.lastProvenSentAt < session.leaseMs - TIMING_SLACK_MS ? 'the lease cannot have run out yet' : endedCheck(reply));
    return [...sessionRequestOutcomes(request, sent, context), ...expired, ended];
  }
  return sessionRequestOutcomes(request, sent, context);
}

function sessionRequestOutcomes(request: RequestAnalysis, sent: SentMessage, context: ExpectationContext): Outcome[] {
  const session = context.state.session;
  const exactlyOnce = session?.exactlyOnce === true;
  const id = request.id.state === 'valid' ? request.id.value : undefined;
  const strict = new Set(request.strict);
  const optional = new Set(request.optional);
  if (request.op !== 'hello' && request.op !== 'status') {
    const badSequenceFields = request.seq.state === 'bad' || request.ack.state === 'bad';
    // 3.1 numbers the requests of an exactly-once session only; elsewhere whether seq and ack are checked is open.
    if (badSequenceFields) (exactlyOnce ? strict : optional).add('BAD_FIELD');
  }
  if (request.forced) return [errorOutcome(codes(request.forced), id, { bad: true, sn: 'forbidden' })];
  if (strict.size > 0) {
    const allowed = new Set([...strict, ...optional]);
    // "When a request breaks several rules the error names one of them": before hello, NO_SESSION is one of them.
    if (!session && request.op !== undefined && needsSession(request.op)) allowed.add('NO_SESSION');
    return refusedInSequence(allowed, request, id, context);
  }
  const outcomes: Outcome[] = [];
  if (optional.size > 0) outcomes.push(...refusedInSequence(optional, request, id, context));
  outcomes.push(...validOutcomes(request, sent, context, id));
  return outcomes;
}

/**
 * The error of a request that breaks a field rule. In an exactly-once session a
 * readable `seq` that is next in line is consumed and the error carries an
 * `sn`; a duplicate gets no reply; a gap gets BAD_SEQUENCE (3.1).
 */
function refusedInSequence(allowed: ReadonlySet<SpecErrorCode>, request: RequestAnalysis, id: RequestId | undefined, context: ExpectationContext): Outcome[] {
  const session = context.state.session;
  const plain = errorOutcome(allowed, id, { bad: true, sn: 'forbidden' });
  if (!session?.exactlyOnce || !isSequenced(request.op) || request.seq.state !== 'valid') return [plain];
  const seq = request.seq.value;
  // "A request whose seq is readable and next in line consumes it even when another field is wrong" — the op included.
  if (seq === session.applied + 1) return [errorOutcome(allowed, id, { bad: true, sn: 'required', apply: () => (session.applied = seq) })];
  if (seq <= session.applied) return [{ label: `no reply (duplicate seq ${seq})`, none: true, bad: true, sn: 'forbidden' }];
  return [errorOutcome(codes('BAD_SEQUENCE'), id, { bad: false, sn: 'forbidden' }), plain];
}

function validOutcomes(request: RequestAnalysis, sent: SentMessage, context: ExpectationContext, id: RequestId | undefined): Outcome[] {
  const session = context.state.session;
  switch (request.op) {
    case 'hello':
      return helloOutcomes(request, sent, context, id);
    case 'status':
      return statusOutcomes(request, id, context);
    case 'force-release': {
      const answers = forceReleaseOutcomes(request, id, context);
      return session ? inSequence(request, id, context, answers) : answers;
    }
    case undefined:
      return [];
    default:
      if (!session) return [errorOutcome(codes('NO_SESSION'), id, { bad: true, sn: 'forbidden' })];
      return inSequence(request, id, context, sessionOutcomes(request, sent, context, session, id)).map((outcome) => ({ ...outcome, provesSession: true }));
  }
}

/**
 * A valid request of a session: in an exactly-once session its `ack` and
 * `seq` decide first (3.1), and an applied request's replies carry the next
 * `sn` (but `bye`, which ends the session).
 */
function inSequence(request: RequestAnalysis, id: RequestId | undefined, context: ExpectationContext, answers: Outcome[]): Outcome[] {
  const session = context.state.session!;
  const noteAck = () => {
    if (request.ack.state === 'valid' && request.ack.value > session.highestAck) session.highestAck = request.ack.value;
  };
  if (!session.exactlyOnce) return answers.map((outcome) => ({ ...outcome, sn: 'forbidden' }));
  const seq = request.seq;
  const ackPastSent = request.ack.state === 'valid' && request.ack.value > session.lastSn;
  if (ackPastSent) {
    // "An ack greater than the last sn sent is BAD_FIELD". Whether the seq is still consumed ("even when
    // another field is wrong") or the request is refused whole is open: both are allowed.
    const refused = [errorOutcome(codes('BAD_FIELD'), id, { bad: false, sn: 'forbidden' })];
    if (seq.state === 'valid' && seq.value === session.applied + 1) {
      refused.push(errorOutcome(codes('BAD_FIELD'), id, { bad: false, sn: 'required', apply: () => (session.applied = seq.value) }));
    }
    return refused;
  }
  if (seq.state === 'absent') return [errorOutcome(codes('MISSING_FIELD'), id, { bad: false, sn: 'forbidden', apply: noteAck })];
  if (seq.state !== 'valid') return [errorOutcome(codes('BAD_FIELD'), id, { bad: false, sn: 'forbidden' })];
  if (seq.value <= session.applied) return [{ label: `no reply (duplicate seq ${seq.value})`, none: true, bad: false, sn: 'forbidden', apply: noteAck }];
  if (seq.value > session.applied + 1) return [errorOutcome(codes('BAD_SEQUENCE'), id, { bad: false, sn: 'forbidden', apply: noteAck })];
  const value = seq.value;
  return answers.map((outcome) => ({
    ...outcome,
    sn: outcome.sn === 'forbidden' ? 'forbidden' : 'required',
    apply: (reply: Reply | undefined) => {
      session.applied = value;
      noteAck();
      outcome.apply?.(reply);
    },
  }));
}

function sessionOutcomes(request: RequestAnalysis, sent: SentMessage, context: ExpectationContext, session: SessionModel, id: RequestId | undefined): Outcome[] {
  const state = context.state;
  switch (request.op) {
    case 'acquire': {
      const requestId = id!;
      const resource = request.resource!;
      const mode = request.mode ?? 'exclusive';
      if (session.pending.has(idKey(requestId))) return [errorOutcome(codes('DUPLICATE_REQUEST'), requestId, { bad: false, sn: 'optional' })];
      const granted = grantedOutcome(requestId, resource, mode, context, session);
      const limits = errorOutcome(codes('TOO_MANY_REQUESTS'), requestId, { bad: false, sn: 'optional' });
      if (request.waitMs === 0) {
        // A try-lock is answered at once, never queued and never QUEUE_FULL (4).
        return [granted, timeoutOutcome(requestId, resource), limits];
      }
      if (context.req) {
        // REQ: the one answer is the later granted or timeout, or an error without id if the session ends meanwhile (2.1).
        const ended = errorOutcome(codes('SESSION_ENDED', 'SHUTTING_DOWN'), undefined, {
          bad: false,
          sn: 'forbidden',
          apply: () => endSession(context, session, undefined),
        });
        const answers: Outcome[] = [granted, errorOutcome(codes('QUEUE_FULL'), requestId, { bad: false, sn: 'optional' }), limits, ended];
        if (request.waitMs !== undefined) answers.push(timeoutOutcome(requestId, resource));
        return answers;
      }
      const queued: Outcome = {
        label: `queued ${showId(requestId)}`,
        bad: false,
        sn: 'optional',
        check(reply) {
          const why = opAndId(reply, 'queued', requestId);
          if (why) return why;
          const message = reply.message as Extract<ServerMessage, { op: 'queued' }>;
          if (message.resource !== resource) return `resource ${JSON.stringify(message.resource)}`;
          if (message.mode !== mode) return `mode ${message.mode}`;
          return message.position >= 1 ? undefined : `position ${message.position}`;
        },
        apply: () => session.pending.set(idKey(requestId), { id: requestId, resource, mode, waitMs: request.waitMs, sentAt: sent.sentAt }),
      };
      return [granted, queued, errorOutcome(codes('QUEUE_FULL'), requestId, { bad: false, sn: 'optional' }), limits];
    }
    case 'release': {
      const requestId = id!;
      const token = request.token!;
      const resource = request.resource!;
      const held = session.held.get(token);
      if (held && held.resource === resource) {
        const released: Outcome = {
          label: `released ${showId(requestId)} token ${token}`,
          bad: false,
          sn: 'optional',
          check(reply) {
            const why = opAndId(reply, 'released', requestId);
            if (why) return why;
            const message = reply.message as Extract<ServerMessage, { op: 'released' }>;
            if (message.resource !== resource) return `resource ${JSON.stringify(message.resource)}`;
            return message.token === token ? undefined : `token ${message.token}`;
          },
          apply: () => session.held.delete(token),
        };
        const outcomes = [released];
        // A REQ peer is never told `lost` (2.1); a resumed session's lock may have been revoked while it moved.
        if (context.req || (session.inheritedAt !== undefined && context.registry.forceReleasedBefore(resource, Number.POSITIVE_INFINITY))) {
          outcomes.push(errorOutcome(codes('NOT_HELD'), requestId, { bad: false, sn: 'optional', apply: () => session.held.delete(token) }));
        }
        return outcomes;
      }
      return [errorOutcome(codes('NOT_HELD', 'FOREIGN_TOKEN'), requestId, { bad: false, sn: 'optional' })];
    }
    case 'cancel': {
      const requestId = id!;
      const target = request.target!;
      const pending = session.pending.get(idKey(target));
      if (!pending) return [errorOutcome(codes('UNKNOWN_REQUEST'), requestId, { bad: false, sn: 'optional' })];
      return [
        {
          label: `cancelled ${showId(requestId)} target ${JSON.stringify(target)}`,
          bad: false,
          sn: 'optional',
          check(reply) {
            const why = opAndId(reply, 'cancelled', requestId);
            if (why) return why;
            const message = reply.message as Extract<ServerMessage, { op: 'cancelled' }>;
            if (!sameId(message.target, target)) return `target ${JSON.stringify(message.target)}`;
            return message.resource === pending.resource ? undefined : `resource ${JSON.stringify(message.resource)}`;
          },
          apply: () => session.pending.delete(idKey(target)),
        },
      ];
    }
    case 'keepalive':
      return [
        {
          label: `alive ${showId(id)}`,
          bad: false,
          sn: 'optional',
          check(reply) {
            const why = opAndId(reply, 'alive', id);
            if (why) return why;
            const leaseMs = (reply.message as Extract<ServerMessage, { op: 'alive' }>).leaseMs;
            return leaseMs === session.leaseMs ? undefined : `leaseMs ${leaseMs}, the session's is ${session.leaseMs}`;
          },
        },
      ];
    case 'goodbye':
      return [
        {
          label: `bye ${showId(id)}`,
          bad: false,
          // 3.1: bye is one of the two messages that end a session, and carries no sn.
          sn: 'forbidden',
          check: (reply) => opAndId(reply, 'bye', id),
          apply: () => {
            endSession(context, session, sent.sentAt);
            state.sessionlessSince = sent.sentAt;
          },
        },
      ];
    default:
      return [];
  }
}

function grantedOutcome(id: RequestId, resource: string, mode: 'exclusive' | 'shared', context: ExpectationContext, session: SessionModel): Outcome {
  return {
    label: `granted ${showId(id)}`,
    bad: false,
    sn: 'optional',
    check(reply) {
      const why = opAndId(reply, 'granted', id);
      if (why) return why;
      const message = reply.message as Extract<ServerMessage, { op: 'granted' }>;
      if (message.resource !== resource) return `resource ${JSON.stringify(message.resource)}, asked ${JSON.stringify(resource)}`;
      if (message.mode !== mode) return `mode ${message.mode}, asked ${mode}`;
      return tokenProblem(message.token, context.state);
    },
    apply(reply) {
      const message = reply!.message as Extract<ServerMessage, { op: 'granted' }>;
      noteGrant(context, session, message.resource, message.mode, message.token);
    },
  };
}

/** docs/protocol.md 4: a token is an unsigned 64-bit decimal, greater than every token granted before (so than the last this connection saw). */
export function tokenProblem(token: string, state: ConnectionState): string | undefined {
  const written: string = token;
  if (!isFencingToken(token)) return `token ${written} is not an unsigned 64-bit decimal`;
  if (BigInt(token) <= state.lastToken) return `token ${token} is not greater than ${state.lastToken}, granted before on this connection`;
  return undefined;
}

export function noteGrant(context: ExpectationContext, session: SessionModel, resource: string, mode: 'exclusive' | 'shared', token: string): void {
  session.held.set(token, { resource, mode, token });
  context.state.lastToken = BigInt(token);
  context.registry.noteToken(resource, token);
}

export function endSession(context: ExpectationContext, session: SessionModel, _at: number | undefined): void {
  session.place = 'ended';
  session.attachedTo = undefined;
  session.pending.clear();
  session.held.clear();
  session.stored.clear();
  if (context.state.session === session) context.state.session = undefined;
  context.onSessionEnded(session);
}

function timeoutOutcome(id: RequestId, resource: string): Outcome {
  return {
    label: `timeout ${showId(id)}`,
    bad: false,
    sn: 'optional',
    check(reply) {
      const why = opAndId(reply, 'timeout', id);
      if (why) return why;
      const message = reply.message as Extract<ServerMessage, { op: 'timeout' }>;
      return message.resource === resource ? undefined : `resource ${JSON.stringify(message.resource)}`;
    },
  };
}

/** The checks of a status reply (5), for `offset` and, when it names one, `named`. */
export function statusProblem(reply: Reply, offset: number, named: string | undefined): string | undefined {
  const message = reply.message as Extract<ServerMessage, { op: 'status' }>;
  if (reply.byteLength > LIMITS.MAX_STATUS_REPLY_BYTES) return `${reply.byteLength} bytes, more than MAX_STATUS_REPLY_BYTES`;
  if (message.offset !== offset) return `offset ${message.offset}, asked ${offset}`;
  if (message.resources.length > LIMITS.MAX_STATUS_RESOURCES) return `${message.resources.length} resources`;
  if (named !== undefined) {
    if (message.resources.length > 1 || message.resources.some((entry) => entry.resource !== named)) return `resources other than the one named`;
    return undefined;
  }
  const listed = message.resources.length;
  if (listed === 0 && offset < message.totalResources) return `no resource listed from offset ${offset} of ${message.totalResources} (5: every page lists at least one while any remain)`;
  const more = offset + listed < message.totalResources;
  if (more && message.nextOffset !== offset + listed) return `nextOffset ${message.nextOffset}, the next page starts at ${offset + listed}`;
  if (!more && message.nextOffset !== undefined) return `nextOffset ${message.nextOffset} although no resource follows`;
  for (const entry of message.resources) {
    if (entry.waiters.length > 20) return `${entry.waiters.length} waiters listed for ${entry.resource} (MAX_STATUS_WAITERS is 20 unless the request names it)`;
  }
  return undefined;
}

function statusOutcomes(request: RequestAnalysis, id: RequestId | undefined, context: ExpectationContext): Outcome[] {
  const offset = request.offset ?? 0;
  const named = request.resource;
  const inline: Outcome = {
    label: `status ${showId(id)}`,
    bad: false,
    // Section 3.1: status replies carry no sn.
    sn: 'forbidden',
    check: (reply) => opAndId(reply, 'status', id) ?? statusProblem(reply, offset, named),
  };
  // "A status naming one resource is always answered at once"; a REQ peer waits for its one answer anyway.
  if (named !== undefined || context.req || id === undefined) return [inline];
  const deferred = context.state.deferredStatus;
  const busy = errorOutcome(codes('TOO_MANY_REQUESTS'), id, { bad: false, sn: 'forbidden', label: `error TOO_MANY_REQUESTS ${showId(id)} (status requests waiting)` });
  const refusedCheck = busy.check!;
  busy.check = (reply) => (deferred.size >= LIMITS.MAX_PENDING_STATUS_PER_CONNECTION ? refusedCheck(reply) : `only ${deferred.size} status requests wait`);
  // 5: on a busy server a status of every resource is ordered in slices, and its reply comes later.
  const later: Outcome = { label: `status ${showId(id)} later (ordered in slices)`, none: true, bad: false, sn: 'forbidden', apply: () => deferred.set(idKey(id), { id, offset }) };
  return [inline, busy, later];
}

function forceReleaseOutcomes(request: RequestAnalysis, id: RequestId | undefined, context: ExpectationContext): Outcome[] {
  if (request.adminToken !== context.adminToken) return [errorOutcome(codes('UNAUTHORIZED'), id, { bad: false, sn: 'optional' })];
  const resource = request.resource!;
  const token = request.token;
  return [
    {
      label: `force-released ${showId(id)}`,
      bad: false,
      sn: 'optional',
      check(reply) {
        const why = opAndId(reply, 'force-released', id);
        if (why) return why;
        const message = reply.message as Extract<ServerMessage, { op: 'force-released' }>;
        if (message.resource !== resource) return `resource ${JSON.stringify(message.resource)}`;
        if (message.tokens.length === 0) return 'no tokens (NOT_HELD is the answer when nothing matches)';
        if (token !== undefined && message.tokens.some((each) => each !== token)) return `tokens ${message.tokens.join(',')}, asked only ${token}`;
        return undefined;
      },
    },
    errorOutcome(codes('NOT_HELD'), id, { bad: false, sn: 'optional' }),
  ];
}

function helloOutcomes(request: RequestAnalysis, sent: SentMessage, context: ExpectationContext, id: RequestId | undefined): Outcome[] {
  const state = context.state;
  if (state.session) {
    // Section 3: refused, and the one request that renews nothing. Whether its error is part of the stream is not said.
    return [{ ...errorOutcome(codes('SESSION_EXISTS'), id, { bad: false, sn: 'optional', noRenew: true }), provesSession: true }];
  }
  if (request.resuming) {
    const known = context.registry.sessions.get(request.session!);
    const unknown = errorOutcome(codes('UNKNOWN_SESSION'), id, { bad: false, sn: 'forbidden' });
    if (!known || known.secret !== request.secret || known.place === 'ended') return [unknown];
    const outcomes: Outcome[] = [resumedWelcome(request, sent, context, id, known), { ...unknown, label: 'error UNKNOWN_SESSION (its lease ran out)', apply: () => endSession(context, known, undefined) }];
    if (known.exactlyOnce && request.ack.state === 'valid' && request.ack.value > known.lastSn) {
      outcomes.push(errorOutcome(codes('BAD_FIELD'), id, { bad: false, sn: 'forbidden' }));
    }
    return outcomes;
  }
  const exactlyOnce = request.exactlyOnce === true;
  const leaseMs = request.leaseMs ?? context.defaultLeaseMs;
  return [
    {
      label: `welcome ${showId(id)} (new session)`,
      bad: false,
      sn: 'welcome',
      check(reply) {
        const why = opAndId(reply, 'welcome', id);
        if (why) return why;
        const message = reply.message as Extract<ServerMessage, { op: 'welcome' }>;
        if (message.v !== 1) return `v ${message.v}`;
        if (message.resumed) return 'resumed: true for a new session';
        if (message.leaseMs !== leaseMs) return `leaseMs ${message.leaseMs}, expected ${leaseMs}`;
        if (context.registry.sessions.has(message.session)) return `session ${message.session} is one that already existed`;
        if (exactlyOnce) {
          if (message.exactlyOnce !== true || message.applied !== 0 || message.sn !== 0) return 'an exactly-once welcome needs exactlyOnce: true, applied: 0, sn: 0';
        } else if (message.exactlyOnce === true) return 'exactlyOnce: true for a plain session';
        return undefined;
      },
      apply(reply) {
        const message = reply!.message as Extract<ServerMessage, { op: 'welcome' }>;
        const session = new SessionModel(message.session, message.secret, exactlyOnce, message.leaseMs, sent.sentAt);
        session.attachedTo = context.label;
        context.registry.add(session);
        state.session = session;
      },
    },
    errorOutcome(codes('TOO_MANY_SESSIONS'), id, { bad: false, sn: 'forbidden' }),
  ];
}

function resumedWelcome(request: RequestAnalysis, sent: SentMessage, context: ExpectationContext, id: RequestId | undefined, known: SessionModel): Outcome {
  return {
    label: `welcome ${showId(id)} (resumed ${known.id})`,
    bad: false,
    sn: 'welcome',
    check(reply) {
      const why = opAndId(reply, 'welcome', id);
      if (why) return why;
      const message = reply.message as Extract<ServerMessage, { op: 'welcome' }>;
      if (message.session !== known.id) return `session ${message.session}, resumed ${known.id}`;
      if (!message.resumed) return 'resumed: false';
      if (message.leaseMs !== known.leaseMs) return `leaseMs ${message.leaseMs}, the session's is ${known.leaseMs}`;
      if ((message.exactlyOnce === true) !== known.exactlyOnce) return `exactlyOnce ${message.exactlyOnce}: the session was opened ${known.exactlyOnce ? 'exactly-once' : 'plain'}`;
      if (known.exactlyOnce) {
        if (message.applied !== known.applied) return `applied ${message.applied}, the server applied ${known.applied}`;
        if (message.sn === undefined || message.sn < known.lastSn) return `sn ${message.sn}, but ${known.lastSn} was received`;
      }
      return undefined;
    },
    apply(reply) {
      const message = reply!.message as Extract<ServerMessage, { op: 'welcome' }>;
      if (known.place === 'attached' && known.attachedTo !== undefined && known.attachedTo !== context.label) context.onTakeover(known);
      const detachedAt = context.registry.detached.indexOf(known);
      if (detachedAt >= 0) context.registry.takeDetached(detachedAt);
      known.place = 'attached';
      known.attachedTo = context.label;
      known.inheritedAt = reply!.at;
      known.secret = message.secret;
      known.renewedBy(sent.sentAt);
      context.state.session = known;
    },
  };
}

/**
 * A zmq frame of no bytes. Section 2.1: an empty message is libzmq's
 * connect/disconnect notice to the ROUTER, so it ends the connection with no
 * reply; a REQ socket's empty request comes after its delimiter and is
 * BAD_JSON.
 */
function emptyZmqFrame(sent: SentMessage, context: ExpectationContext): Outcome[] {
  if (context.req) return [errorOutcome(codes('BAD_JSON'), undefined, { bad: true, sn: 'forbidden' })];
  return [
    {
      label: 'no reply, connection ended (an empty message is a disconnect notice, 2.1)',
      none: true,
      bad: false,
      sn: 'forbidden',
      apply: () => newIncarnation(context, sent.sentAt),
    },
  ];
}

/**
 * The server-side zmq connection ended and the next frame of the same socket
 * starts a new one (2.1): without a session, with its own pre-session clock
 * and bad-message window.
 */
export function newIncarnation(context: ExpectationContext, startedAt: number): void {
  const state = context.state;
  const session = state.session;
  if (session) {
    context.registry.detach(session, false);
    state.session = undefined;
  }
  state.handshaken = false;
  state.sessionlessSince = startedAt;
  state.badArrivals.length = 0;
  state.firstWindow = undefined;
  state.firstWindowOver = false;
}

/** Section 2.1's control frames from the client, on a DEALER or REQ socket. */
function controlOutcomes(sent: SentMessage, context: ExpectationContext): Outcome[] {
  const state = context.state;
  const type = sent.bytes[1];
  const isHello = sent.bytes.length === 3 && type === 0x01 && sent.bytes[2] === 0x01;
  const goodbye = (label: string): Outcome => ({
    label,
    control: 'GOODBYE',
    bad: false,
    sn: 'forbidden',
    check: (reply) => (reply.control === 'GOODBYE' ? undefined : 'not a GOODBYE'),
    apply: () => newIncarnation(context, sent.sentAt),
  });
  if (isHello) {
    return [
      {
        label: 'WELCOME',
        control: 'WELCOME',
        bad: false,
        sn: 'forbidden',
        check: (reply) => (reply.control === 'WELCOME' ? undefined : 'not a WELCOME'),
        apply: () => {
          if (state.handshaken) return;
          // A plain peer that says HELLO starts a new connection; its session must be resumed.
          newIncarnation(context, sent.sentAt);
          state.handshaken = true;
        },
      },
    ];
  }
  // Section 2.1: before HELLO, every control frame but HELLO and GOODBYE gets GOODBYE and ends the connection.
  switch (type) {
    case 0x03:
      if (state.handshaken) return [{ label: 'PONG', control: 'PONG', bad: false, sn: 'forbidden', check: (reply) => (reply.control === 'PONG' ? undefined : 'not a PONG') }];
      return [goodbye('GOODBYE (PING before HELLO)')];
    case 0x04:
      if (state.handshaken) return [{ label: 'no reply (PONG)', none: true, bad: false, sn: 'forbidden' }];
      return [goodbye('GOODBYE (PONG before HELLO)')];
    case 0x05:
      // The client forgets the connection; a REQ socket gets GOODBYE back as its answer.
      if (context.req) return [goodbye('GOODBYE (answer to GOODBYE)')];
      return [{ label: 'no reply (GOODBYE)', none: true, bad: false, sn: 'forbidden', apply: () => newIncarnation(context, sent.sentAt) }];
    default:
      // Control types the table does not define: ignored after HELLO, GOODBYE before it.
      if (state.handshaken) return [{ label: 'no reply (unknown control frame)', none: true, bad: false, sn: 'forbidden' }];
      return [goodbye('GOODBYE (unknown control frame before HELLO)')];
  }
}
