/**
 * The oracle of one fuzzed connection: every message the server sends on it
 * is checked against docs/protocol.md, and so is every close.
 *
 * - Each message must be well-formed UTF-8 JSON that the SDK's strict
 *   decoder (`decodeServerReply`) accepts, with an error code from the spec's
 *   table (or, on zmq, one of the control frames of 2.1); a ws message must be
 *   a text message.
 * - It must be explained: either a push the spec allows now (a `granted` or
 *   `timeout` for a request that waits, a `lost` for a held lock once a lease
 *   can have ended or after a force-release, SESSION_ENDED once a lease can
 *   have ended, the pre-session NO_SESSION after 10 s), or the reply to the
 *   oldest message not yet answered, as expectations.ts allows it. So a reply
 *   that answers nothing, or answers a request a second time, is caught, and
 *   so is a request left unanswered (the next reply does not fit it).
 * - The server may close the connection only for a reason the spec gives:
 *   an oversized message (after MESSAGE_TOO_LARGE; close code 1009 on ws),
 *   the bad-message rate (after its last error, and only once the client can
 *   have sent more than MAX_BAD_MESSAGES_PER_SECOND bad messages in a
 *   second), the pre-session idle limit, a resume that moved the session
 *   elsewhere, a zmq heartbeat timeout.
 *
 * Timing enters only as lower bounds measured on this machine's clock: the
 * server cannot have read a message before it was sent, and a reply cannot
 * arrive before the server sent it.
 */
import { decodeServerReply } from '@baton/core';
import type { ServerMessage } from '@baton/core';
import { endSession, noteGrant, outcomesFor, statusProblem, TIMING_SLACK_MS, tokenProblem } from './expectations.js';
import type { ExpectationContext, Outcome, Reply, SentMessage, SnRule } from './expectations.js';
import { ConnectionState } from './session-model.js';
import type { SessionModel, SessionRegistry } from './session-model.js';
import { idKey } from './session-model.js';
import { fieldOrderProblem, isSpecErrorCode, LIMITS } from './spec.js';
import { isWellFormedUtf8 } from './utf8.js';
import type { FrameRecord, Violation } from './violation.js';

export type TransportName = 'tcp' | 'ws' | 'zmq';

/** What the oracle tells the run about. */
export interface OracleEvents {
  violation(violation: Omit<Violation, 'at' | 'transport'>): void;
  /** A known deviation from the spec (known-deviations.ts) happened. */
  deviation(id: string, connection: string, frame: FrameRecord | undefined, reply: string | undefined): void;
  /** One server message passed every check. */
  replyChecked(): void;
  /** Documented closes and other notable events, counted by name. */
  note(event: string): void;
}

export interface OracleOptions {
  transport: TransportName;
  label: string;
  registry: SessionRegistry;
  adminToken: string;
  defaultLeaseMs: number;
  /** zmq only: how the socket talks (docs/protocol.md 2.1). */
  zmqMode?: 'plain' | 'handshaken' | 'req';
  /** When the connection was opened (lower bound of the server's accept). */
  startedAt: number;
  events: OracleEvents;
  now: () => number;
}

interface Closing {
  reason: string;
  at: number;
}

interface ReplayWindow {
  /** The hello's ack: nothing at or below it may be sent again. */
  after: number;
  /** The welcome's sn: the last message of the stream before the resume. */
  until: number;
  /** The sn the next replayed message must have. */
  next: number | undefined;
  /** Messages up to here were never received by the client, so they must be sent again. */
  mustReach: number | undefined;
}

const RECENT_FRAMES = 6;

/**
 * Every oracle keeps its last TRACE_LINES events (frames sent, messages
 * received, how each was read) and a violation carries them: a finding seen
 * once in a million frames must be diagnosable from its report alone.
 * FUZZ_TRACE=0 turns it off; FUZZ_TRACE_LINES sets the length.
 */
const TRACE = process.env.FUZZ_TRACE !== '0';
const TRACE_LINES = Number(process.env.FUZZ_TRACE_LINES ?? 40);

export class ReplyOracle implements ExpectationContext {
  readonly state: ConnectionState;
  readonly registry: SessionRegistry;
  readonly adminToken: string;
  readonly defaultLeaseMs: number;
  readonly label: string;
  readonly req: boolean;
  readonly #options: OracleOptions;
  readonly #queue: SentMessage[] = [];
  #head = 0;
  #closing: Closing | undefined;
  #closed = false;
  #dead = false;
  #finished = false;
  #replay: ReplayWindow | undefined;
  #recent: SentMessage[] = [];
  #lastSentAt: number;
  readonly #trace: string[] = [];

  constructor(options: OracleOptions) {
    this.#options = options;
    this.state = new ConnectionState(options.startedAt);
    this.registry = options.registry;
    this.adminToken = options.adminToken;
    this.defaultLeaseMs = options.defaultLeaseMs;
    this.label = options.label;
    this.req = options.zmqMode === 'req';
    this.#lastSentAt = options.startedAt;
  }

  // ---- what the connection asks ----

  /** Messages sent whose reply (or no-reply) is not settled yet, and status replies still to come (5). */
  get unresolved(): number {
    return this.#queue.length - this.#head + this.state.deferredStatus.size;
  }

  /** A violation was found: the connection is no longer checked and should be closed. */
  get dead(): boolean {
    return this.#dead;
  }

  /** The server announced (or did) a documented close: send nothing more. */
  get closing(): boolean {
    return this.#closing !== undefined || this.#closed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get session(): SessionModel | undefined {
    return this.state.session;
  }

  /** The messages not settled yet, oldest first. */
  *unresolvedMessages(): Generator<SentMessage> {
    for (let index = this.#head; index < this.#queue.length; index++) yield this.#queue[index]!;
  }

  /** REQ: the request waiting for its answer may rightly wait long (an acquire that queues is answered when granted). */
  headMayWait(): boolean {
    const head = this.#queue[this.#head];
    return (
      head?.analyses?.some(
        (analysis) => analysis.kind === 'request' && analysis.op === 'acquire' && analysis.strict.size === 0 && analysis.waitMs !== 0 && this.state.session !== undefined,
      ) ?? false
    );
  }

  /** The frame records sent last, for reports. */
  recentFrames(): FrameRecord[] {
    return this.#recent.map(frameRecord);
  }

  // ---- ExpectationContext ----

  onTakeover(session: SessionModel): void {
    this.#options.events.note('takeover');
    void session;
  }

  onSessionEnded(_session: SessionModel): void {
    this.#replay = undefined;
  }

  // ---- sending ----

  sent(message: SentMessage): void {
    this.#lastSentAt = message.sentAt;
    this.#recent.push(message);
    if (this.#recent.length > RECENT_FRAMES) this.#recent.shift();
    if (message.analyses) {
      for (const analysis of message.analyses) {
        if (analysis.kind !== 'request') continue;
        if (analysis.op === 'force-release' && analysis.adminToken === this.adminToken && analysis.resource !== undefined) {
          this.registry.noteForceRelease(analysis.resource, message.sentAt);
        }
        if (analysis.op === 'hello' && analysis.session !== undefined) {
          // A resume with the right secret moves a session from the connection it is attached to, which is then closed (3).
          const known = this.registry.sessions.get(analysis.session);
          if (known && known.secret === analysis.secret && known.place === 'attached' && known.attachedTo !== undefined && known.attachedTo !== this.label) known.takeover ??= { from: known.attachedTo, sentAt: message.sentAt };
        }
      }
    }
    if (TRACE) this.#traceLine(`-> m${message.index} ${message.kind} ${message.frameLabel} ${JSON.stringify(message.bytes.subarray(0, 160).toString('utf8'))}`);
    // After a documented close the server reads nothing more of this connection.
    if (this.closing || this.#dead) return;
    this.#queue.push(message);
  }

  // ---- receiving ----

  /** One message from the server (a tcp line, a ws message, a zmq frame). */
  received(payload: Buffer, at: number, binary = false): void {
    if (this.#dead || this.#finished) return;
    if (TRACE) this.#traceLine(`<- ${payload.subarray(0, 200).toString('utf8')}`);
    const reply = this.#read(payload, at, binary);
    if (reply === undefined) return;
    this.#options.events.replyChecked();
    if (this.#closing !== undefined || this.#closed) {
      // zmq: after the close the same socket's frames start a new server-side connection; not followed further.
      if (this.#options.transport === 'zmq') return;
      this.#violate('message-after-close', `a message after the server closed the connection (${this.#closing?.reason ?? 'closed'})`, this.#lastFrame(), reply.text);
      return;
    }
    if (this.#replayStep(reply)) return;
    if (!this.req && this.#push(reply)) return;
    if (this.#heartbeatGoodbye(reply)) return;
    this.#matchHead(reply);
  }

  /** The server's side ended the connection (tcp FIN or reset, ws close, nothing on zmq). */
  peerClosed(at: number, detail: string, wsCode?: number): void {
    if (this.#dead || this.#finished || this.#closed) return;
    this.#closed = true;
    const closing = this.#closing;
    if (closing) {
      if (closing.reason === 'oversized message' && this.#options.transport === 'ws' && wsCode !== 1009) {
        this.#violate('wrong-close-code', `closed with code ${wsCode} after MESSAGE_TOO_LARGE; docs/protocol.md 2 says 1009`, this.#lastFrame(), undefined);
      }
      this.#detachSession(false);
      return;
    }
    if (this.state.session?.takeover?.from === this.label) {
      // Section 3: "an older connection still attached to it is closed".
      this.#options.events.note('closed-by-takeover');
      return;
    }
    this.#violate('unexpected-close', `the server closed the connection (${detail}, ${(at - this.#lastSentAt).toFixed(0)} ms after the last frame) for no reason the spec gives`, this.#lastFrame(), undefined);
  }

  /**
   * The fuzzer closes the connection itself. Messages still unanswered are
   * checked first: only those the spec answers with nothing may remain.
   * Returns true when everything sent was settled.
   */
  finish(): boolean {
    if (this.#finished) return this.unresolved === 0;
    let clean = !this.#dead && this.#closing === undefined && !this.#closed;
    if (clean) {
      while (this.#head < this.#queue.length) {
        const head = this.#queue[this.#head]!;
        const none = outcomesFor(head, this).find((outcome) => outcome.none);
        if (!none) {
          clean = false;
          break;
        }
        this.#resolve(head, none, undefined, this.#options.now());
      }
    }
    this.#finished = true;
    this.#detachSession(clean && this.#head === this.#queue.length);
    return clean;
  }

  /** The connection is given up without checking the rest (a deadline, a violation elsewhere). */
  abandon(): void {
    this.#finished = true;
    this.#detachSession(false);
  }

  /** Report a violation found by the connection's driver (a deadline, say). */
  violation(rule: string, detail: string): void {
    this.#violate(rule, detail, this.#queue[this.#head] ?? this.#lastFrame(), undefined);
  }

  // ---- internals ----

  #detachSession(clean: boolean): void {
    const session = this.state.session;
    // A plain session's pushes still on their way when the connection closes are lost (3.1): with requests
    // waiting, a grant may have been, and the oracle would not know the locks the session holds.
    if (session && session.attachedTo === this.label) this.registry.detach(session, clean && (session.exactlyOnce || session.pending.size === 0));
  }

  #read(payload: Buffer, at: number, binary: boolean): Reply | undefined {
    if (this.#options.transport === 'zmq' && payload.length > 0 && payload[0] === 0x00) {
      const control = readControlFrame(payload);
      if (control === undefined) {
        this.#violate('unknown-control-frame', 'a control frame 2.1 does not define', this.#lastFrame(), payload.toString('hex'));
        return undefined;
      }
      return { message: undefined, control: control.control, reason: control.reason, text: `control ${payload.toString('hex')}`, byteLength: payload.length, at };
    }
    if (binary) {
      this.#violate('binary-message', 'a binary WebSocket message (2: one message per text message)', this.#lastFrame(), payload.toString('hex'));
      return undefined;
    }
    if (!isWellFormedUtf8(payload)) {
      this.#violate('not-utf8', 'a message that is not UTF-8 (1)', this.#lastFrame(), payload.toString('hex'));
      return undefined;
    }
    const text = payload.toString('utf8');
    const decoded = decodeServerReply(text);
    if (!decoded.ok) {
      this.#violate('malformed-message', `decodeServerReply refuses it: ${decoded.code} ${decoded.message}`, this.#lastFrame(), text);
      return undefined;
    }
    const message = decoded.message;
    if (message.op === 'error' && !isSpecErrorCode(message.code)) {
      this.#violate('unknown-error-code', `code ${String(message.code)} is not in docs/protocol.md 6`, this.#lastFrame(), text);
      return undefined;
    }
    // The order is checked on short messages only (a status reply's extra parse would cost more than it finds).
    const order = text.length <= 1024 ? fieldOrderProblem(message.op, Object.keys(JSON.parse(text) as object)) : undefined;
    if (order !== undefined) this.#violate('field-order', `${order} (1: the server writes its fields in the order the page shows them)`, this.#lastFrame(), text);
    return { message, text, byteLength: payload.length, at };
  }

  #matchHead(reply: Reply): void {
    for (;;) {
      const head = this.#queue[this.#head];
      if (!head) {
        this.#violate('unexplained-message', 'no request waits for a reply, and it is no push the spec allows now', this.#lastFrame(), reply.text);
        return;
      }
      const outcomes = outcomesFor(head, this);
      if (isRateLimitNotice(reply)) {
        // The last error before a rate-limit close repeats the code of the message it answers (3.3), so it
        // would also fit that message's ordinary error: taken as the notice, whose text says so.
        if (outcomes.some((outcome) => outcome.bad && outcome.codes?.has((reply.message as { code: string }).code))) {
          this.#rateLimitClose(reply, head);
          return;
        }
        const none = outcomes.find((outcome) => outcome.none);
        if (none) {
          this.#resolve(head, none, undefined, reply.at);
          continue;
        }
      }
      const reasons: string[] = [];
      for (const outcome of outcomes) {
        if (outcome.none || !outcome.check) continue;
        const problem = outcome.check(reply) ?? this.#snProblem(outcome.sn, reply);
        if (problem === undefined) {
          this.#resolve(head, outcome, reply, reply.at);
          return;
        }
        reasons.push(`${outcome.label} (but ${problem})`);
      }
      const none = outcomes.find((outcome) => outcome.none);
      // A status reply with this request's id is its answer, not a sign that it comes later (5).
      if (none && !(reply.message?.op === 'status' && requestIds(head).some((id) => id === (reply.message as { id?: unknown }).id))) {
        this.#resolve(head, none, undefined, reply.at);
        continue;
      }
      if (this.#laterClose(reply)) return;
      this.#violate('wrong-reply', `the spec allows: ${reasons.join('; ') || 'no reply'}`, head, reply.text);
      return;
    }
  }

  #snProblem(rule: SnRule, reply: Reply): string | undefined {
    if (rule === 'welcome' || reply.message === undefined) return undefined;
    const sn = streamNumber(reply.message);
    const session = this.state.session;
    const stream = session?.exactlyOnce === true;
    if (rule === 'forbidden' || !stream) return sn === undefined ? undefined : `it carries sn ${sn}, which 3.1 gives it none`;
    const next = session.lastSn + 1;
    if (sn === undefined) return rule === 'required' ? `no sn; 3.1 gives it the next one, ${next}` : undefined;
    return sn === next ? undefined : `sn ${sn}, where the next is ${next}`;
  }

  #resolve(head: SentMessage, outcome: Outcome, reply: Reply | undefined, at: number): void {
    if (TRACE) this.#traceLine(`   m${head.index} = ${outcome.label}${this.state.session?.exactlyOnce ? ` [applied ${this.state.session.applied} sn ${this.state.session.lastSn}]` : ''}`);
    const session = this.state.session;
    if (session && head.kind !== 'control' && !outcome.noRenew) session.renewedBy(head.sentAt);
    if (session && outcome.provesSession && head.sentAt > session.lastProvenSentAt) session.lastProvenSentAt = head.sentAt;
    const sn = streamNumber(reply?.message);
    if (session?.exactlyOnce && sn !== undefined) {
      session.lastSn = sn;
      session.store(sn, reply!.text);
    }
    outcome.apply?.(reply);
    if (outcome.bad) this.#countBad(head, at, reply !== undefined);
    if (outcome.deviation) this.#options.events.deviation(outcome.deviation, this.label, frameRecord(head), reply?.text);
    if (outcome.closes) {
      this.#closing = { reason: outcome.closes, at };
      this.#options.events.note(`closed: ${outcome.closes}`);
    }
    if (reply?.message?.op === 'welcome' && reply.message.resumed && reply.message.exactlyOnce === true) this.#startReplay(head, reply.message);
    this.#head++;
    if (this.#head >= 512) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Section 3.3: counts what the server counts as bad messages, for the checks of the rate limit. */
  #countBad(head: SentMessage, at: number, answered: boolean): void {
    const state = this.state;
    state.noteBadReply(at, LIMITS.MAX_BAD_MESSAGES_PER_SECOND);
    if (state.firstWindowOver) return;
    const window = state.firstWindow;
    if (!window) {
      state.firstWindow = { firstSentAt: head.sentAt, count: 1 };
      return;
    }
    if (at >= window.firstSentAt + LIMITS.BAD_MESSAGE_WINDOW_MS) {
      state.firstWindowOver = true;
      return;
    }
    window.count++;
    if (answered && window.count > LIMITS.MAX_BAD_MESSAGES_PER_SECOND) {
      // Every one of them was read after the first was sent and before this answer came: within one second.
      this.#violate(
        'rate-limit-not-enforced',
        `${window.count} bad messages were read within ${(at - window.firstSentAt).toFixed(0)} ms and the connection is still served (3.3: past ${LIMITS.MAX_BAD_MESSAGES_PER_SECOND} per second, one last error and the connection is closed)`,
        head,
        undefined,
      );
    }
  }

  #startReplay(head: SentMessage, welcome: Extract<ServerMessage, { op: 'welcome' }>): void {
    const session = this.state.session;
    if (!session) return;
    let after = 0;
    for (const analysis of head.analyses ?? []) if (analysis.kind === 'request' && analysis.ack.state === 'valid') after = analysis.ack.value;
    const until = welcome.sn ?? 0;
    const unseen = Math.max(session.lastSn, after);
    this.#replay = { after, until, next: undefined, mustReach: until > unseen ? until : undefined };
  }

  /** Section 3.1: after a resumed welcome, the messages after the hello's ack, again, in order. */
  #replayStep(reply: Reply): boolean {
    const replay = this.#replay;
    if (!replay) return false;
    const session = this.state.session;
    const sn = streamNumber(reply.message);
    if (!session?.exactlyOnce || sn === undefined || sn > replay.until) {
      const reached = (replay.next ?? replay.after + 1) - 1;
      this.#replay = undefined;
      if (session?.exactlyOnce && replay.mustReach !== undefined && reached < replay.mustReach) {
        this.#violate('replay-incomplete', `after the resumed welcome (sn ${replay.until}) the messages up to sn ${replay.mustReach}, never received, were not all sent again (the last was ${reached})`, this.#lastFrame(), reply.text);
        return true;
      }
      return false;
    }
    if (sn <= replay.after) {
      this.#violate('replayed-acknowledged-message', `sn ${sn} sent again, but the hello acknowledged up to ${replay.after}`, this.#lastFrame(), reply.text);
      return true;
    }
    if (replay.next === undefined && sn > Math.max(session.lastSn, replay.after) + 1) {
      this.#violate('replay-gap', `the replay starts at sn ${sn}, but ${Math.max(session.lastSn, replay.after) + 1} was never received`, this.#lastFrame(), reply.text);
      return true;
    }
    if (replay.next !== undefined && sn !== replay.next) {
      this.#violate('replay-out-of-order', `sn ${sn} where the replay's next is ${replay.next}`, this.#lastFrame(), reply.text);
      return true;
    }
    replay.next = sn + 1;
    if (sn + 1 > replay.until) this.#replay = undefined;
    if (sn <= session.lastSn) {
      const stored = session.stored.get(sn);
      if (stored !== undefined && stored !== reply.text) {
        this.#violate('replay-differs', `sn ${sn} sent again differs from the first time: ${stored}`, this.#lastFrame(), reply.text);
      } else {
        this.#options.events.note('replayed');
      }
      return true;
    }
    // Produced while the session was detached: a push like any other, with the next sn.
    return false;
  }

  /** A push the spec allows now; true when `reply` was one (checked, and applied). */
  #push(reply: Reply): boolean {
    const message = reply.message;
    if (!message) return false;
    const state = this.state;
    const session = state.session;
    switch (message.op) {
      case 'status': {
        const deferred = state.deferredStatus.get(idKey(message.id));
        if (!deferred) return false;
        const problem =
          statusProblem(reply, deferred.offset, undefined) ??
          (message.totalResources > LIMITS.STATUS_INLINE_RESOURCES ? undefined : `answered after later requests with only ${message.totalResources} resources (5: only above STATUS_INLINE_RESOURCES)`);
        if (problem) return this.#wrongPush(reply, `status ${JSON.stringify(message.id)} answered later: ${problem}`);
        state.deferredStatus.delete(idKey(message.id));
        this.#options.events.note('status answered later');
        return true;
      }
      case 'granted': {
        const pending = session?.pending.get(idKey(message.id));
        if (!session || !pending) return false;
        const problem =
          message.resource !== pending.resource
            ? `resource ${JSON.stringify(message.resource)}, the request asked ${JSON.stringify(pending.resource)}`
            : message.mode !== pending.mode
              ? `mode ${message.mode}, the request asked ${pending.mode}`
              : (tokenProblem(message.token, state) ?? this.#snProblem('required', reply));
        if (problem) return this.#wrongPush(reply, `granted for waiting request ${JSON.stringify(message.id)}: ${problem}`);
        this.#takeSn(session, reply);
        session.pending.delete(idKey(message.id));
        noteGrant(this, session, message.resource, message.mode, message.token);
        return true;
      }
      case 'timeout': {
        const pending = session?.pending.get(idKey(message.id));
        if (!session || !pending || pending.waitMs === undefined || pending.waitMs === 0) return false;
        const waited = reply.at - pending.sentAt;
        const problem =
          message.resource !== pending.resource
            ? `resource ${JSON.stringify(message.resource)}`
            : waited < pending.waitMs - TIMING_SLACK_MS
              ? `it came ${waited.toFixed(0)} ms after the acquire was sent, before its waitMs of ${pending.waitMs}`
              : this.#snProblem('required', reply);
        if (problem) return this.#wrongPush(reply, `timeout for waiting request ${JSON.stringify(message.id)}: ${problem}`);
        this.#takeSn(session, reply);
        session.pending.delete(idKey(message.id));
        return true;
      }
      case 'lost': {
        const held = session?.held.get(message.token);
        if (!session || !held || held.resource !== message.resource) return false;
        let problem: string | undefined;
        if (message.reason === 'lease-expired') {
          const since = reply.at - session.lastRenewSentAt;
          if (since < session.leaseMs - TIMING_SLACK_MS) problem = `reason lease-expired ${since.toFixed(0)} ms after a message that renewed the ${session.leaseMs} ms lease was sent`;
        } else if (!this.registry.forceReleasedBefore(message.resource, reply.at)) {
          problem = 'reason revoked, but nobody sent a force-release of that resource with the admin token';
        }
        problem ??= this.#snProblem('required', reply);
        if (problem) return this.#wrongPush(reply, `lost ${message.resource} token ${message.token}: ${problem}`);
        this.#takeSn(session, reply);
        session.held.delete(message.token);
        return true;
      }
      case 'error': {
        if (message.id !== undefined) return false;
        if (message.code === 'SESSION_ENDED') {
          if (!session) return false;
          const since = reply.at - session.lastRenewSentAt;
          const leaseOver = since >= session.leaseMs - TIMING_SLACK_MS;
          // 3.1: past MAX_UNACKNOWLEDGED_MESSAGES unacknowledged messages the session is ended too.
          const overflow = session.exactlyOnce && session.lastSn - session.highestAck >= LIMITS.MAX_UNACKNOWLEDGED_MESSAGES;
          if (!leaseOver && !overflow) return this.#wrongPush(reply, `SESSION_ENDED ${since.toFixed(0)} ms after a message that renewed the ${session.leaseMs} ms lease was sent`);
          if (leaseOver && !overflow && session.held.size > 0) {
            return this.#wrongPush(reply, `SESSION_ENDED while ${session.held.size} lock(s) were held and not reported lost (3: "after the lost messages")`);
          }
          if (streamNumber(message) !== undefined) return this.#wrongPush(reply, 'SESSION_ENDED carries an sn (3.1: it carries none)');
          this.#options.events.note('session-ended (lease)');
          endSession(this, session, undefined);
          state.sessionlessSince = session.lastRenewSentAt + session.leaseMs;
          return true;
        }
        if (message.code === 'NO_SESSION' && /no session within/.test(message.message)) {
          if (session) return false;
          const idle = reply.at - state.sessionlessSince;
          if (idle < LIMITS.PRE_SESSION_IDLE_MS - TIMING_SLACK_MS) return false;
          this.#closing = { reason: 'no session in time', at: reply.at };
          this.#options.events.note('closed: no session in time');
          return true;
        }
        return false;
      }
      default:
        return false;
    }
  }

  #takeSn(session: SessionModel, reply: Reply): void {
    const sn = streamNumber(reply.message);
    if (session.exactlyOnce && sn !== undefined) {
      session.lastSn = sn;
      session.store(sn, reply.text);
    }
  }

  #wrongPush(reply: Reply, detail: string): true {
    this.#violate('wrong-push', detail, this.#lastFrame(), reply.text);
    return true;
  }

  /**
   * zmq 2.1: a GOODBYE the server sends on its own, to a handshaken peer:
   * after DEFAULT_HEARTBEAT_TIMEOUT_MS of silence, or when a resume moved its
   * session to another connection (3).
   */
  #heartbeatGoodbye(reply: Reply): boolean {
    if (reply.control !== 'GOODBYE' || !this.state.handshaken) return false;
    if (this.state.session?.takeover?.from === this.label && this.unresolved === 0) {
      this.#closing = { reason: 'session resumed elsewhere', at: reply.at };
      this.#options.events.note('closed-by-takeover');
      return true;
    }
    if (reply.at - this.#lastSentAt <= LIMITS.HEARTBEAT_TIMEOUT_MS - TIMING_SLACK_MS) return false;
    this.#closing = { reason: 'heartbeat timeout', at: reply.at };
    this.#options.events.note('closed: heartbeat timeout');
    this.#detachSession(false);
    return true;
  }

  /**
   * Section 3.3: the message past MAX_BAD_MESSAGES_PER_SECOND gets one last
   * error with its own code, then the connection is closed. Legitimate only
   * if the server can have read more than that many bad messages within one
   * second: at least MAX_BAD_MESSAGES_PER_SECOND earlier ones answered after
   * this one was sent minus a second (each was read before its answer came,
   * and this one after it was sent).
   */
  #rateLimitClose(reply: Reply, head: SentMessage): void {
    const needed = LIMITS.MAX_BAD_MESSAGES_PER_SECOND;
    const arrivals = this.state.badArrivals;
    const windowStart = head.sentAt - LIMITS.BAD_MESSAGE_WINDOW_MS - TIMING_SLACK_MS;
    const recent = arrivals.filter((time) => time >= windowStart).length;
    if (recent < needed) {
      this.#violate('early-rate-limit-close', `closed for the bad-message rate, but at most ${recent} bad messages can have been read in the second before this one (3.3: more than ${needed})`, head, reply.text);
      return;
    }
    this.#closing = { reason: 'bad-message rate', at: reply.at };
    this.#options.events.note('closed: bad-message rate');
  }

  /**
   * zmq: a connection the transport gives up on drops the replies still
   * queued for it, so the closing message (MESSAGE_TOO_LARGE of a later
   * frame) may come before earlier answers. Accepted when a later frame
   * explains it; the frames in between are then void.
   */
  #laterClose(reply: Reply): boolean {
    if (this.#options.transport !== 'zmq') return false;
    const message = reply.message;
    if (message?.op !== 'error' || message.code !== 'MESSAGE_TOO_LARGE' || message.id !== undefined) return false;
    for (let index = this.#head + 1; index < this.#queue.length; index++) {
      if (this.#queue[index]!.kind === 'oversized') {
        this.#closing = { reason: 'oversized message', at: reply.at };
        this.#options.events.note('closed: oversized message (earlier replies dropped)');
        return true;
      }
    }
    return false;
  }

  #lastFrame(): SentMessage | undefined {
    return this.#recent[this.#recent.length - 1];
  }

  #traceLine(line: string): void {
    this.#trace.push(`${(this.#options.now() - this.#options.startedAt).toFixed(0).padStart(6)} ${line}`);
    if (this.#trace.length > TRACE_LINES) this.#trace.shift();
  }

  #violate(rule: string, detail: string, frame: SentMessage | undefined, reply: string | undefined): void {
    if (this.#dead) return;
    this.#dead = true;
    if (TRACE) detail += `\n  trace:\n    ${this.#trace.join('\n    ')}`;
    const before = this.#recent.filter((each) => frame === undefined || each.index < frame.index).map(frameRecord);
    this.#options.events.violation({ connection: this.label, rule, detail, frame: frame ? frameRecord(frame) : undefined, before, reply });
    this.#detachSession(false);
  }
}

/** The ids a message's readings give it. */
function requestIds(message: SentMessage): unknown[] {
  return (message.analyses ?? []).flatMap((analysis) => (analysis.kind === 'request' && analysis.id.state === 'valid' ? [analysis.id.value] : []));
}

/** The last error of a connection closed for the bad-message rate (3.3: "a message saying so"). */
function isRateLimitNotice(reply: Reply): boolean {
  const message = reply.message;
  return message?.op === 'error' && message.id === undefined && /more than \d+ bad messages/.test(message.message);
}

/** A message's place in an exactly-once stream (3.1); a welcome's `sn` is the last one sent, not its own. */
function streamNumber(message: ServerMessage | undefined): number | undefined {
  if (message === undefined || message.op === 'welcome') return undefined;
  return (message as { sn?: number }).sn;
}

function frameRecord(message: SentMessage): FrameRecord {
  return { index: message.frameIndex, label: message.frameLabel, bytes: message.frameBytes };
}

/** A server→client control frame of 2.1, or undefined for bytes it does not define. */
function readControlFrame(payload: Buffer): { control: 'WELCOME' | 'PONG' | 'GOODBYE'; reason?: string } | undefined {
  const type = payload[1];
  if (type === 0x02 && payload.length === 3 && payload[2] === 0x01) return { control: 'WELCOME' };
  if (type === 0x04 && payload.length === 2) return { control: 'PONG' };
  if (type === 0x05) {
    const reason = payload.subarray(2);
    if (reason.length > 0 && !isWellFormedUtf8(reason)) return undefined;
    return { control: 'GOODBYE', reason: reason.length > 0 ? reason.toString('utf8') : undefined };
  }
  return undefined;
}
