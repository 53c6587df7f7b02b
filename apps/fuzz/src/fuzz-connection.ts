/**
 * The life of one fuzzed connection: open a raw socket, follow its plan
 * (connection-plan.ts), send generated and mutated frames, feed every frame
 * and every server message to its {@link ReplyOracle}, and end as planned.
 *
 * Pacing keeps it inside the spec's bounds on peers rather than tripping
 * them by accident: at most MAX_IN_FLIGHT messages the server has not
 * answered yet, and at most BAD_PER_SECOND frames that may be bad messages
 * in any second (docs/protocol.md 3.3 closes a connection past 100). Under
 * that the server can still see more than 100 in its own second when it
 * stalls; the oracle accepts the documented close then, and the connection
 * just ends. Every wait is for an event (a reply, a close) with a deadline;
 * a server that stops answering is a violation, not a hang.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ConnectionPlan } from './connection-plan.js';
import { makePlan } from './connection-plan.js';
import type { Frame, FieldList } from './frame.js';
import { frameOf, serialise } from './frame.js';
import { messagesOf } from './framing.js';
import type { GeneratorView } from './generator.js';
import { MessageTemplates } from './generator.js';
import { Mutator } from './mutator.js';
import { Random } from './random.js';
import { analyseMessage } from './request-analysis.js';
import type { Analysis } from './request-analysis.js';
import { ReplyOracle } from './reply-oracle.js';
import type { OracleEvents, TransportName } from './reply-oracle.js';
import type { SentMessage } from './expectations.js';
import type { SessionModel, SessionRegistry } from './session-model.js';
import { CONTROL, isSequenced, LIMITS, needsSession } from './spec.js';
import type { RawConnection } from './transports/raw-connection.js';
import { openTcp } from './transports/tcp.js';
import { openWs } from './transports/ws.js';
import { openZmqDealer, ZmqRequester } from './transports/zmq.js';

/** Messages sent and not yet answered, per connection. */
export const MAX_IN_FLIGHT = 16;
/** Frames that may be bad messages, per connection per second (the server closes past MAX_BAD_MESSAGES_PER_SECOND). */
export const BAD_PER_SECOND = 80;
/** A server that has not answered anything for this long while requests wait has stopped serving the connection. */
export const REPLY_DEADLINE_MS = 15_000;
/** After this long without any message while at the in-flight limit, a probe (a status) makes sure something is answered. */
const STALL_PROBE_MS = 250;
/** How long a connection offering its session waits for a taker. */
const OFFER_MS = 1_500;

/** How likely a frame is, by kind, in a connection's main loop. */
const FRAME_KINDS = {
  acquire: 28,
  release: 13,
  cancel: 6,
  keepalive: 7,
  status: 6,
  forceRelease: 4,
  hello: 3,
  wrongResume: 1,
  duplicate: 2,
  rehello: 1,
  whole: 8,
  sized: 0.01,
  oversized: 0.005,
  control: 3,
} as const;

/** Share of template frames that are mutated. */
const MUTATION_RATE = 0.72;

/** The run's shared frame budget for one transport. */
export interface FrameBudget {
  /** Claims one frame; false once the transport's frames are all claimed or the run stops. */
  take(): boolean;
  readonly stopping: boolean;
}

export interface ConnectionCounters {
  frames: number;
  messages: number;
}

export interface FuzzConnectionOptions {
  transport: TransportName;
  index: number;
  seed: string;
  port: number;
  registry: SessionRegistry;
  adminToken: string;
  defaultLeaseMs: number;
  budget: FrameBudget;
  events: OracleEvents;
  counters: ConnectionCounters;
}

const now = () => performance.now();

/** Runs one connection to its end. Never throws for what the server does (that is the oracle's), only for the fuzzer's own failures. */
export async function runFuzzConnection(options: FuzzConnectionOptions): Promise<void> {
  const connection = new FuzzConnection(options);
  await connection.run();
}

class FuzzConnection implements GeneratorView {
  readonly transport: TransportName;
  readonly connection: number;
  readonly registry: SessionRegistry;
  readonly adminToken: string;
  readonly #options: FuzzConnectionOptions;
  readonly #random: Random;
  readonly #plan: ConnectionPlan;
  readonly #templates: MessageTemplates;
  readonly #mutator: Mutator;
  readonly #oracle: ReplyOracle;
  readonly #label: string;
  #raw: RawConnection | undefined;
  #requester: ZmqRequester | undefined;
  #frameIndex = 0;
  #messageIndex = 0;
  #probes = 0;
  #expectSession = false;
  #lastEventAt = now();
  #wake: (() => void) | undefined;
  readonly #badSentAt: number[] = [];
  readonly #followUps: Frame[] = [];

  constructor(options: FuzzConnectionOptions) {
    this.#options = options;
    this.transport = options.transport;
    this.connection = options.index;
    this.registry = options.registry;
    this.adminToken = options.adminToken;
    this.#random = new Random(`${options.seed}/${options.transport}/${options.index}`);
    this.#plan = makePlan(this.#random, options.transport, options.registry);
    this.#label = `${options.transport}#${options.index}${options.transport === 'zmq' ? `(${this.#plan.zmqMode})` : ''}`;
    this.#templates = new MessageTemplates(this.#random, this);
    this.#mutator = new Mutator(this.#random);
    this.#oracle = new ReplyOracle({
      transport: options.transport,
      label: this.#label,
      registry: options.registry,
      adminToken: options.adminToken,
      defaultLeaseMs: options.defaultLeaseMs,
      zmqMode: options.transport === 'zmq' ? this.#plan.zmqMode : undefined,
      startedAt: now(),
      events: options.events,
      now,
    });
  }

  // ---- GeneratorView ----

  get session(): SessionModel | undefined {
    return this.#oracle.session;
  }

  get sessionExpected(): boolean {
    if (this.#oracle.session) return true;
    if (this.#oracle.unresolved === 0) this.#expectSession = false;
    return this.#expectSession;
  }

  get exactlyOnce(): boolean {
    return this.#oracle.session ? this.#oracle.session.exactlyOnce : this.#expectSession && this.#plan.exactlyOnce;
  }

  get lastSn(): number {
    return this.#oracle.session?.lastSn ?? 0;
  }

  nextSeq(): number {
    const applied = this.#oracle.session?.applied ?? 0;
    let inFlight = 0;
    for (const message of this.#oracle.unresolvedMessages()) {
      const request = message.analyses?.[0];
      if (request?.kind === 'request' && isSequenced(request.op) && request.seq.state === 'valid' && request.seq.value > applied) inFlight++;
    }
    return applied + 1 + inFlight;
  }

  // ---- the life ----

  async run(): Promise<void> {
    const plan = this.#plan;
    try {
      if (this.transport === 'zmq' && plan.zmqMode === 'req') {
        await this.#runRequester();
        return;
      }
      this.#raw = await this.#open();
      if (this.transport === 'zmq' && plan.zmqMode === 'handshaken') this.#send(frameOf(CONTROL.HELLO, 'control HELLO'));
      if (plan.special === 'flood') {
        await this.#flood();
        return;
      }
      if (plan.special === 'idle') {
        await this.#idle();
        return;
      }
      this.#opening();
      await this.#mainLoop();
      if (plan.special === 'silent') {
        await this.#silent();
        return;
      }
      await this.#end();
    } finally {
      this.#raw?.close();
      this.#requester?.close();
      this.#oracle.finish();
    }
  }

  async #open(): Promise<RawConnection> {
    const handlers = {
      onMessage: (payload: Buffer, binary: boolean) => {
        this.#lastEventAt = now();
        this.#oracle.received(payload, this.#lastEventAt, binary);
        this.#signal();
      },
      onClose: (detail: string, wsCode?: number) => {
        this.#lastEventAt = now();
        this.#oracle.peerClosed(this.#lastEventAt, detail, wsCode);
        this.#signal();
      },
    };
    switch (this.transport) {
      case 'tcp':
        return openTcp(this.#options.port, handlers);
      case 'ws':
        return openWs(this.#options.port, handlers);
      case 'zmq':
        return openZmqDealer(this.#options.port, handlers);
    }
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Waits for the next message or close, or `ms` at most. */
  #nextEvent(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  get #stopped(): boolean {
    return this.#oracle.dead || this.#oracle.closing;
  }

  /** The frame's messages, read as the server will read them (analysed once, here). */
  #messages(frame: Frame): SentMessage[] {
    const frameIndex = this.#frameIndex;
    return messagesOf(this.transport, frame).map((framed) => ({
      index: this.#messageIndex++,
      frameIndex,
      frameLabel: frame.label,
      frameBytes: frame.bytes,
      bytes: framed.bytes,
      kind: framed.kind,
      sentAt: 0,
      analyses: framed.kind === 'message' ? analyseMessage(framed.bytes) : undefined,
    }));
  }

  /** Whether the server may count one of these as a bad message (3.3): paced under the limit. */
  #mayBeBad(messages: SentMessage[]): boolean {
    return messages.some((message) => message.analyses?.some((analysis) => isBadMessage(analysis, this.sessionExpected)) ?? false);
  }

  #send(frame: Frame, messages = this.#messages(frame)): void {
    const sentAt = now();
    for (const message of messages) {
      message.sentAt = sentAt;
      this.#oracle.sent(message);
    }
    if (this.#mayBeBad(messages)) {
      this.#badSentAt.push(sentAt);
      if (this.#badSentAt.length > BAD_PER_SECOND) this.#badSentAt.shift();
    }
    for (const message of messages) {
      const request = message.analyses?.[0];
      if (request?.kind === 'request' && request.op === 'hello' && request.strict.size === 0 && !request.forced && !request.resuming) this.#expectSession = true;
      if (request?.kind === 'request' && request.op === 'goodbye' && request.strict.size === 0) this.#expectSession = false;
    }
    this.#frameIndex++;
    this.#options.counters.frames++;
    this.#options.counters.messages += messages.length;
    this.#raw!.send(frame);
  }

  /** Waits until the frame may go: under the in-flight limit, under the bad-message pace, after a barrier if it needs one. */
  async #pace(messages: SentMessage[], barrier: boolean): Promise<boolean> {
    const limit = barrier ? 0 : MAX_IN_FLIGHT - 1;
    let probed = false;
    while (this.#oracle.unresolved > limit) {
      if (this.#stopped) return false;
      const quiet = now() - this.#lastEventAt;
      if (quiet > REPLY_DEADLINE_MS) {
        this.#oracle.violation('no-reply', `${this.#oracle.unresolved} message(s) unanswered for ${(quiet / 1000).toFixed(1)} s`);
        return false;
      }
      if (!probed && quiet > STALL_PROBE_MS) {
        // Everything in flight may be a message the spec leaves unanswered (an exactly-once duplicate, a PONG): ask something.
        probed = true;
        this.#sendProbe();
      }
      await this.#nextEvent(STALL_PROBE_MS);
    }
    if (this.#mayBeBad(messages)) {
      while (this.#badSentAt.length >= BAD_PER_SECOND) {
        const wait = this.#badSentAt[0]! + 1_000 - now();
        if (wait <= 0) break;
        await this.#nextEvent(wait);
        if (this.#stopped) return false;
      }
    }
    return !this.#stopped;
  }

  #sendProbe(): void {
    this.#send(frameOf(serialise(this.#templates.probe(++this.#probes)), 'probe'));
  }

  /** Sends a probe and waits until everything before it is settled. */
  async #quiesce(): Promise<boolean> {
    if (this.#stopped) return false;
    this.#sendProbe();
    const started = now();
    while (this.#oracle.unresolved > 0) {
      if (this.#stopped) return false;
      if (now() - started > REPLY_DEADLINE_MS) {
        this.#oracle.violation('no-reply', `the probe and ${this.#oracle.unresolved - 1} message(s) before it unanswered for ${REPLY_DEADLINE_MS / 1000} s`);
        return false;
      }
      await this.#nextEvent(1_000);
    }
    return true;
  }

  /** The first frames: a hello of the planned kind (most of them valid, so the session rules get exercised). */
  #opening(): void {
    const plan = this.#plan;
    let fields: FieldList | undefined;
    if (plan.hello === 'new') fields = this.#templates.hello(plan.exactlyOnce);
    else if (plan.hello === 'wrong-resume') fields = this.#templates.wrongResume();
    else if (plan.hello === 'resume') {
      // Taken out of the list: two connections resuming one session would close each other (3).
      const session = this.registry.takeDetached(this.#random.int(0, this.registry.detached.length - 1));
      if (session) fields = this.#templates.resume(session);
    } else if (plan.hello === 'takeover') {
      const session = this.#random.maybePick(this.registry.offered);
      if (session && session.place === 'attached') {
        this.registry.withdraw(session);
        session.takeover = { from: session.attachedTo!, sentAt: now() };
        fields = this.#templates.resume(session);
      }
    }
    if (!fields) return;
    const frame = this.#random.chance(0.1) ? this.#mutator.mutate(fields) : frameOf(serialise(fields), fields.label);
    this.#send(frame);
  }

  async #mainLoop(): Promise<void> {
    for (let sent = 0; sent < this.#plan.frames; sent++) {
      // A turn of the event loop now and then: pacing resolves in microtasks when nothing waits, and a
      // chain of them across hundreds of connections would starve the timers.
      if (sent % 8 === 7) await nextTurn();
      if (this.#stopped) return;
      if (!this.#options.budget.take()) return;
      const frame = this.#followUps.shift() ?? this.#nextFrame();
      const messages = this.#messages(frame);
      if (!(await this.#pace(messages, this.#needsBarrier(frame)))) return;
      this.#send(frame, messages);
      // A message the spec may answer with nothing or with an error (an exactly-once duplicate read one
      // way, refused another; a zmq control frame): a probe right behind it says which one happened.
      if (this.#ambiguous(messages)) this.#sendProbe();
    }
  }

  #ambiguous(messages: SentMessage[]): boolean {
    for (const message of messages) {
      if (message.kind === 'control' || message.kind === 'empty') return true;
      if (this.exactlyOnce && (message.analyses?.length ?? 0) > 1) return true;
    }
    return false;
  }

  /**
   * zmq frames that can end the server-side connection drop the replies still
   * queued for it (a control frame of a peer that did not say HELLO, an empty
   * frame, an oversized one): sent only once everything before is answered.
   * Every control frame counts, since whether the server-side connection is
   * still handshaken is only known once the replies before it are in.
   */
  #needsBarrier(frame: Frame): boolean {
    if (this.transport !== 'zmq') return false;
    return frame.bytes.length === 0 || frame.bytes.length > LIMITS.MAX_MESSAGE_BYTES || frame.bytes[0] === 0x00;
  }

  #nextFrame(): Frame {
    const kind = this.#random.weighted(FRAME_KINDS);
    const templates = this.#templates;
    let fields: FieldList | undefined;
    switch (kind) {
      case 'acquire':
        fields = templates.acquire();
        break;
      case 'release':
        fields = templates.release();
        break;
      case 'cancel':
        fields = templates.cancel();
        break;
      case 'keepalive':
        fields = templates.keepalive();
        break;
      case 'status':
        fields = templates.status();
        break;
      case 'forceRelease':
        fields = templates.forceRelease();
        break;
      case 'hello':
        fields = templates.hello(this.#random.chance(0.2));
        break;
      case 'wrongResume':
        fields = templates.wrongResume();
        break;
      case 'duplicate':
        fields = templates.duplicateAcquire() ?? templates.acquire();
        break;
      case 'rehello': {
        // Goodbye, then a new session on the same connection (3: "the connection stays open and may hello again").
        const hello = templates.hello(this.#random.chance(0.2));
        this.#followUps.push(frameOf(serialise(hello), hello.label));
        fields = templates.goodbye();
        return frameOf(serialise(fields), fields.label);
      }
      case 'whole':
        return this.#mutator.wholeFrame();
      case 'sized':
        return this.#mutator.sizedFrame(false, templates.keepalive());
      case 'oversized':
        return this.#mutator.sizedFrame(true, templates.acquire());
      case 'control':
        if (this.transport === 'zmq') return this.#controlFrame();
        fields = templates.keepalive();
        break;
    }
    const frame = this.#random.chance(MUTATION_RATE) ? this.#mutator.mutate(fields) : frameOf(serialise(fields), fields.label);
    if (this.transport === 'ws' && this.#random.chance(0.1)) frame.binary = true;
    return frame;
  }

  #controlFrame(): Frame {
    switch (this.#random.weighted({ ping: 50, pong: 15, hello: 15, unknown: 15, bare: 5 })) {
      case 'ping':
        return frameOf(CONTROL.PING, 'control PING');
      case 'pong':
        return frameOf(CONTROL.PONG, 'control PONG');
      case 'hello':
        return frameOf(CONTROL.HELLO, 'control HELLO');
      case 'unknown':
        return frameOf(Buffer.from([0x00, this.#random.pick([0x00, 0x06, 0x07, 0x7f, 0xff])]), 'control (undefined type)');
      case 'bare':
        return frameOf(Buffer.from([0x00]), 'control (bare 0x00)');
    }
  }

  async #end(): Promise<void> {
    if (this.#stopped) return;
    switch (this.#plan.ending) {
      case 'abrupt':
        // A client that crashes: nothing more is checked for what was in flight.
        this.#oracle.abandon();
        return;
      case 'goodbye': {
        const goodbye = this.#templates.goodbye();
        this.#send(frameOf(serialise(goodbye), goodbye.label));
        await this.#quiesce();
        return;
      }
      case 'detach':
        await this.#quiesce();
        return;
      case 'offer':
        await this.#offer();
        return;
    }
  }

  /** Waits, quiet, for another connection to resume this session (3: the older connection is then closed). */
  async #offer(): Promise<void> {
    if (!(await this.#quiesce())) return;
    const session = this.#oracle.session;
    if (!session || session.pending.size > 0) return;
    this.registry.offer(session);
    const started = now();
    while (!this.#stopped && session.takeover === undefined && now() - started < OFFER_MS) await this.#nextEvent(OFFER_MS);
    this.registry.withdraw(session);
    if (session.takeover === undefined) return;
    // Taken over: the server closes this connection once it reads the resume (a plain zmq peer is told nothing).
    const deadline = now() + REPLY_DEADLINE_MS;
    while (!this.#stopped && now() < deadline && session.place !== 'ended') {
      if (this.transport === 'zmq' && this.#plan.zmqMode === 'plain' && session.attachedTo !== this.#label) return;
      await this.#nextEvent(1_000);
    }
    if (!this.#stopped && session.attachedTo !== undefined && session.attachedTo !== this.#label) {
      this.#oracle.violation('not-closed-after-takeover', 'another connection resumed this session, and this one was not closed (3: "an older connection still attached to it is closed")');
    }
  }

  /** More than MAX_BAD_MESSAGES_PER_SECOND bad messages at once: the server must answer one last time and close (3.3). */
  async #flood(): Promise<void> {
    const count = LIMITS.MAX_BAD_MESSAGES_PER_SECOND + this.#random.int(5, 40);
    for (let index = 0; index < count && !this.#stopped; index++) {
      if (!this.#options.budget.take()) break;
      this.#send(this.#mutator.flood());
    }
    const deadline = now() + REPLY_DEADLINE_MS;
    while (!this.#stopped && now() < deadline) await this.#nextEvent(1_000);
    if (!this.#stopped) this.#oracle.violation('not-closed-after-flood', `${count} bad messages sent at once and the connection is still open after ${REPLY_DEADLINE_MS / 1000} s (3.3)`);
  }

  /** A connection that never opens a session: closed with NO_SESSION after PRE_SESSION_IDLE_MS (3.3). */
  async #idle(): Promise<void> {
    const deadline = now() + LIMITS.PRE_SESSION_IDLE_MS + REPLY_DEADLINE_MS;
    // A zmq connection begins with its first frame (2.1): there it needs one to exist at all.
    if (this.#random.chance(0.5) || this.transport === 'zmq') this.#sendProbe();
    while (!this.#stopped && now() < deadline) await this.#nextEvent(1_000);
    if (!this.#stopped) this.#oracle.violation('not-closed-when-idle', `no session for ${((LIMITS.PRE_SESSION_IDLE_MS + REPLY_DEADLINE_MS) / 1000).toFixed(0)} s and the connection is still open (3.3: closed after ${LIMITS.PRE_SESSION_IDLE_MS} ms)`);
  }

  /** A handshaken zmq peer that stops sending: closed after DEFAULT_HEARTBEAT_TIMEOUT_MS with a GOODBYE (2.1). */
  async #silent(): Promise<void> {
    if (this.#plan.zmqMode !== 'handshaken' || this.#stopped) {
      await this.#end();
      return;
    }
    if (!(await this.#quiesce())) return;
    // The server-side connection may have started over as a plain one (an empty frame, say): never closed for silence.
    if (!this.#oracle.state.handshaken) {
      await this.#end();
      return;
    }
    const deadline = now() + LIMITS.HEARTBEAT_TIMEOUT_MS + REPLY_DEADLINE_MS;
    while (!this.#stopped && now() < deadline) await this.#nextEvent(1_000);
    if (!this.#stopped) this.#oracle.violation('not-closed-when-silent', 'a handshaken zmq peer silent for 18 s was not closed (2.1: after 3,000 ms)');
  }

  // ---- REQ ----

  /** A zmq REQ socket: one request, its one answer, strictly in turn (2.1). */
  async #runRequester(): Promise<void> {
    const requester = new ZmqRequester(this.#options.port, REPLY_DEADLINE_MS);
    this.#requester = requester;
    this.#raw = { send: () => {}, close: () => requester.close() };
    // A HELLO only first: a REQ connection left without a session is closed silently after
    // PRE_SESSION_IDLE_MS (its NO_SESSION is a push no request asked for, 2.1), and a HELLO later could
    // then start over a connection the oracle believes handshaken, or not.
    if (this.#random.chance(0.3) && !(await this.#request(frameOf(CONTROL.HELLO, 'control HELLO')))) return;
    const first = this.#plan.hello === 'none' ? undefined : this.#templates.hello(false);
    if (first && !(await this.#request(frameOf(serialise(first), first.label)))) return;
    for (let sent = 0; sent < this.#plan.frames; sent++) {
      if (sent % 8 === 7) await nextTurn();
      if (this.#stopped || !this.#options.budget.take()) break;
      let frame = this.#nextFrame();
      // Frames a REQ socket would wait for forever (the spec answers them with nothing), control frames
      // (see above), or frames that would make its session exactly-once (3.1 leaves duplicates
      // unanswered): not sent on REQ.
      if (!this.#fitsRequester(frame)) frame = frameOf(serialise(this.#templates.keepalive()), 'keepalive');
      const messages = this.#messages(frame);
      if (messages.length === 0) continue;
      if (this.#mayBeBad(messages)) {
        while (this.#badSentAt.length >= BAD_PER_SECOND && this.#badSentAt[0]! + 1_000 > now()) await this.#nextEvent(this.#badSentAt[0]! + 1_000 - now());
      }
      if (!(await this.#request(frame, messages))) return;
    }
    if (this.#stopped) return;
    if (this.#plan.ending !== 'abrupt') {
      const goodbye = this.#templates.goodbye();
      await this.#request(frameOf(serialise(goodbye), goodbye.label));
    } else this.#oracle.abandon();
  }

  #fitsRequester(frame: Frame): boolean {
    const bytes = frame.bytes;
    if (bytes.length > 0 && bytes[0] === 0x00) return false;
    if (bytes.length > LIMITS.MAX_MESSAGE_BYTES) return true;
    for (const analysis of analyseMessage(bytes)) {
      if (analysis.kind === 'request' && analysis.op === 'hello' && analysis.exactlyOnce === true) return false;
    }
    return true;
  }

  /** One request and its answer; false when the connection cannot go on. */
  async #request(frame: Frame, messages = this.#messages(frame)): Promise<boolean> {
    const requester = this.#requester!;
    const sentAt = now();
    for (const message of messages) {
      message.sentAt = sentAt;
      this.#oracle.sent(message);
    }
    if (this.#mayBeBad(messages)) {
      this.#badSentAt.push(sentAt);
      if (this.#badSentAt.length > BAD_PER_SECOND) this.#badSentAt.shift();
    }
    this.#frameIndex++;
    this.#options.counters.frames++;
    this.#options.counters.messages += messages.length;
    const answer = await requester.request(frame);
    if (answer === undefined) {
      if (this.#oracle.headMayWait()) {
        // An acquire that waits in the queue is answered when granted: a long wait is not a fault.
        this.#options.events.note('req: gave up on a long wait');
        this.#oracle.abandon();
      } else {
        this.#oracle.violation('no-answer', `a REQ request unanswered for ${REPLY_DEADLINE_MS / 1000} s (2.1: exactly one answer per request)`);
      }
      return false;
    }
    if (answer.length !== 1) {
      this.#oracle.received(Buffer.concat([Buffer.from('multipart:'), ...answer]), now(), true);
      return false;
    }
    this.#oracle.received(answer[0]!, now());
    return !this.#stopped;
  }
}

/** Whether the server may count this reading as a bad message (3.3): unreadable, invalid, or a request before hello. */
function isBadMessage(analysis: Analysis, sessionExpected: boolean): boolean {
  if (analysis.kind !== 'request') return true;
  if (analysis.forced !== undefined || analysis.strict.size > 0 || analysis.optional.size > 0) return true;
  return !sessionExpected && analysis.op !== undefined && needsSession(analysis.op);
}
