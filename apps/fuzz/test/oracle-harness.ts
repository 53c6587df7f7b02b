import type { SentMessage } from '../src/expectations.js';
import { frameOf } from '../src/frame.js';
import { messagesOf } from '../src/framing.js';
import { ReplyOracle } from '../src/reply-oracle.js';
import type { OracleEvents, TransportName } from '../src/reply-oracle.js';
import { analyseMessage } from '../src/request-analysis.js';
import { SessionRegistry } from '../src/session-model.js';
import type { Violation } from '../src/violation.js';

export const ADMIN_TOKEN = 'admin-token-for-tests';

/** A ReplyOracle fed by hand, on a clock the test moves: a conversation written as the spec's examples are. */
export class Conversation {
  readonly violations: Omit<Violation, 'at' | 'transport'>[] = [];
  readonly deviations: string[] = [];
  readonly notes: string[] = [];
  readonly registry: SessionRegistry;
  readonly oracle: ReplyOracle;
  replies = 0;
  time = 1_000;
  #frames = 0;
  #messages = 0;

  constructor(transport: TransportName = 'tcp', options: { zmqMode?: 'plain' | 'handshaken' | 'req'; registry?: SessionRegistry; label?: string } = {}) {
    this.registry = options.registry ?? new SessionRegistry();
    const events: OracleEvents = {
      violation: (violation) => this.violations.push(violation),
      deviation: (id) => this.deviations.push(id),
      replyChecked: () => this.replies++,
      note: (event) => this.notes.push(event),
    };
    this.oracle = new ReplyOracle({
      transport,
      label: options.label ?? `${transport}#test`,
      registry: this.registry,
      adminToken: ADMIN_TOKEN,
      defaultLeaseMs: 10_000,
      zmqMode: options.zmqMode,
      startedAt: this.time,
      events,
      now: () => this.time,
    });
    this.transport = transport;
  }

  readonly transport: TransportName;

  /** The client sends a frame (an object is written with JSON.stringify, a string or Buffer as it is). */
  send(frame: object | string | Buffer): this {
    const bytes = Buffer.isBuffer(frame) ? frame : Buffer.from(typeof frame === 'string' ? frame : JSON.stringify(frame));
    const made = frameOf(bytes, 'test');
    const frameIndex = this.#frames++;
    for (const framed of messagesOf(this.transport, made)) {
      const message: SentMessage = {
        index: this.#messages++,
        frameIndex,
        frameLabel: 'test',
        frameBytes: bytes,
        bytes: framed.bytes,
        kind: framed.kind,
        sentAt: this.time,
        analyses: framed.kind === 'message' ? analyseMessage(framed.bytes) : undefined,
      };
      this.oracle.sent(message);
    }
    return this;
  }

  /** The server sends a message (an object is written with JSON.stringify). */
  receive(message: object | string | Buffer, binary = false): this {
    const bytes = Buffer.isBuffer(message) ? message : Buffer.from(typeof message === 'string' ? message : JSON.stringify(message));
    this.oracle.received(bytes, this.time, binary);
    return this;
  }

  wait(ms: number): this {
    this.time += ms;
    return this;
  }

  /** hello → welcome, as the spec's first example. */
  open(options: { exactlyOnce?: boolean; leaseMs?: number; session?: string; secret?: string } = {}): this {
    const session = options.session ?? `s${Math.floor(Math.random() * 1e9)}-test`;
    this.send({ op: 'hello', id: 1, v: 1, ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}), ...(options.exactlyOnce ? { exactlyOnce: true } : {}) });
    const welcome: Record<string, unknown> = { op: 'welcome', id: 1, v: 1, session, secret: options.secret ?? 'secret-1', leaseMs: options.leaseMs ?? 10_000, resumed: false };
    if (options.exactlyOnce) Object.assign(welcome, { exactlyOnce: true, applied: 0, sn: 0 });
    return this.receive(welcome);
  }

  get rules(): string[] {
    return this.violations.map((violation) => violation.rule);
  }
}
