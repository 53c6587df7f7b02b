/**
 * Valid messages of every request of docs/protocol.md, the starting point of
 * every fuzzed frame: hello (new, exactly-once, resuming, with a wrong
 * secret), acquire (shared and exclusive, waitMs, try-locks, lockDelayMs),
 * release, cancel, keepalive, goodbye, status (with resource and offset),
 * force-release (with and without the admin token), and the `seq`/`ack`
 * fields of an exactly-once session.
 *
 * The generator is told what the oracle knows (tokens really held, requests
 * really waiting, the next `seq`, sessions that can be resumed), so that
 * most valid messages are valid in context too and reach the deep rules:
 * a release of a held token, a cancel of a waiting request, a resume with
 * the right secret. Every field is chosen from the connection's seeded
 * stream; only values the server chose (tokens, secrets) come from outside.
 */
import type { FieldList } from './frame.js';
import { json, key } from './frame.js';
import type { Random } from './random.js';
import type { TransportName } from './reply-oracle.js';
import type { SessionModel, SessionRegistry } from './session-model.js';
import { LIMITS } from './spec.js';

/** What the generator may know of the connection (from the oracle's model). */
export interface GeneratorView {
  readonly transport: TransportName;
  /** The connection's number in the run. */
  readonly connection: number;
  /** The session the oracle knows the connection has, if any. */
  readonly session: SessionModel | undefined;
  /** A session is open or a hello that should open one is on its way. */
  readonly sessionExpected: boolean;
  /** That session is (or will be) exactly-once. */
  readonly exactlyOnce: boolean;
  /** The `seq` the next request should carry (exactly-once). */
  nextSeq(): number;
  /** The highest `sn` received (exactly-once). */
  readonly lastSn: number;
  readonly registry: SessionRegistry;
  readonly adminToken: string;
}

/** Names used on every transport: contended by many connections at once. */
const SHARED_RESOURCES = 12;

/** Valid names that are not plain ASCII words: every UTF-8 length, quotes, dots, exactly 512 bytes. */
const SPECIAL_NAMES: readonly string[] = [
  'Ünïcode-é€😀',
  'a "quoted" name',
  '..',
  '/',
  'back\\slash',
  'e\u0301',
  '\u00a0nbsp',
  '\u2028line-separator',
  '\u202eright-to-left',
  'x'.repeat(LIMITS.MAX_RESOURCE_NAME_LENGTH),
  'é'.repeat(LIMITS.MAX_RESOURCE_NAME_LENGTH / 2),
  '😀'.repeat(LIMITS.MAX_RESOURCE_NAME_LENGTH / 4),
  '€'.repeat(170) + 'ab',
  '__proto__',
  'constructor',
  'toString',
];

const CLIENT_NAMES: readonly string[] = ['worker', 'fuzz', 'Ünïcode-client', 'a\u0000nul', '\u001b[31mred', 'x'.repeat(64), 'é'.repeat(32), '😀'.repeat(16), '', ' '];

export class MessageTemplates {
  #idCounter: number;

  constructor(
    private readonly random: Random,
    private readonly view: GeneratorView,
  ) {
    this.#idCounter = random.int(1, 1000);
  }

  /** A fresh request id, unique on the connection: mostly numbers, also strings, large, negative and multi-byte ones. */
  nextId(): string {
    const n = ++this.#idCounter;
    switch (this.random.weighted({ number: 70, text: 14, large: 5, negative: 5, unicode: 4, long: 2 })) {
      case 'number':
        return json(n);
      case 'text':
        return json(`r${n}`);
      case 'large':
        return json(Number.MAX_SAFE_INTEGER - n);
      case 'negative':
        return json(-n);
      case 'unicode':
        return json(`é€😀${n}`);
      case 'long': {
        // Exactly MAX_REQUEST_ID_LENGTH bytes, with a multi-byte character at the end.
        const tail = `${n}€`;
        return json('i'.repeat(LIMITS.MAX_REQUEST_ID_LENGTH - Buffer.byteLength(tail)) + tail);
      }
    }
  }

  resource(): string {
    const { transport, connection } = this.view;
    switch (this.random.weighted({ shared: 45, own: 40, special: 15 })) {
      case 'shared':
        return `fz-${transport}-r${this.random.int(0, SHARED_RESOURCES - 1)}`;
      case 'own':
        return `fz-${transport}-c${connection}-${this.random.int(0, 7)}`;
      case 'special':
        return this.random.pick(SPECIAL_NAMES);
    }
  }

  /** A new session: the plan decides exactly-once; the lease is mostly the default or a few seconds. */
  hello(exactlyOnce: boolean): FieldList {
    const entries: [string, string][] = [[key('op'), json('hello')]];
    if (this.random.chance(0.8)) entries.push([key('id'), this.nextId()]);
    if (this.random.chance(0.5)) entries.push([key('v'), '1']);
    if (this.random.chance(0.5)) entries.push([key('client'), json(this.random.pick(CLIENT_NAMES))]);
    const lease = this.random.weighted({ none: 55, seconds: 30, short: 8, long: 4, limits: 3 });
    if (lease === 'seconds') entries.push([key('leaseMs'), json(this.random.int(3_000, 30_000))]);
    else if (lease === 'short') entries.push([key('leaseMs'), json(this.random.int(LIMITS.MIN_LEASE_MS, 2_500))]);
    else if (lease === 'long') entries.push([key('leaseMs'), json(this.random.int(60_000, LIMITS.MAX_LEASE_MS))]);
    else if (lease === 'limits') entries.push([key('leaseMs'), json(this.random.pick([LIMITS.MIN_LEASE_MS, LIMITS.MAX_LEASE_MS]))]);
    if (exactlyOnce) entries.push([key('exactlyOnce'), 'true']);
    else if (this.random.chance(0.1)) entries.push([key('exactlyOnce'), 'false']);
    return { entries: this.shuffled(entries), label: exactlyOnce ? 'hello(exactly-once)' : 'hello' };
  }

  /** A resume of a session whose connection is gone (or, for a takeover, still open). */
  resume(session: SessionModel): FieldList {
    const entries: [string, string][] = [
      [key('op'), json('hello')],
      [key('session'), json(session.id)],
      [key('secret'), json(session.secret)],
    ];
    if (this.random.chance(0.8)) entries.push([key('id'), this.nextId()]);
    if (this.random.chance(0.3)) entries.push([key('v'), '1']);
    if (session.exactlyOnce) {
      const ack = this.random.weighted({ last: 70, none: 10, older: 15, past: 5 });
      if (ack === 'last') entries.push([key('ack'), json(session.lastSn)]);
      else if (ack === 'older') entries.push([key('ack'), json(Math.max(0, session.lastSn - this.random.int(1, 5)))]);
      else if (ack === 'past') entries.push([key('ack'), json(session.lastSn + 1_000_000)]);
    }
    return { entries: this.shuffled(entries), label: 'hello(resume)' };
  }

  /** A resume with a real session id and a wrong secret, or an id that never existed: UNKNOWN_SESSION. */
  wrongResume(): FieldList {
    const known = this.random.maybePick([...this.view.registry.detached, ...this.view.registry.offered]);
    const session = known?.id ?? `s${this.random.int(1, 99_999)}-deadbeef`;
    const secret = known && this.random.chance(0.5) ? known.secret.slice(0, -1) + (known.secret.endsWith('0') ? '1' : '0') : 'f'.repeat(32);
    const entries: [string, string][] = [
      [key('op'), json('hello')],
      [key('id'), this.nextId()],
      [key('session'), json(session)],
      [key('secret'), json(secret)],
    ];
    return { entries, label: 'hello(wrong secret)' };
  }

  acquire(): FieldList {
    const entries: [string, string][] = [
      [key('op'), json('acquire')],
      [key('id'), this.nextId()],
      [key('resource'), json(this.resource())],
    ];
    const mode = this.random.weighted({ none: 40, exclusive: 30, shared: 30 });
    if (mode !== 'none') entries.push([key('mode'), json(mode)]);
    const wait = this.random.weighted({ none: 15, try: 35, short: 40, long: 8, max: 2 });
    if (wait === 'try') entries.push([key('waitMs'), '0']);
    else if (wait === 'short') entries.push([key('waitMs'), json(this.random.int(1, 300))]);
    else if (wait === 'long') entries.push([key('waitMs'), json(this.random.int(1_000, 20_000))]);
    else if (wait === 'max') entries.push([key('waitMs'), json(LIMITS.MAX_WAIT_MS)]);
    if (this.random.chance(0.2)) entries.push([key('lockDelayMs'), json(this.random.pick([0, 1, 10, 50, LIMITS.MAX_LOCK_DELAY_MS]))]);
    return this.sequenced(entries, `acquire(${wait === 'try' ? 'try' : wait})`);
  }

  /** Mostly a token this session holds; also another session's (FOREIGN_TOKEN) and made-up ones (NOT_HELD). */
  release(): FieldList {
    const held = [...(this.view.session?.held.values() ?? [])];
    const choice = this.random.weighted({ held: 65, foreign: 15, made: 20 });
    const own = this.random.maybePick(held);
    const foreign = this.random.maybePick(this.view.registry.recentTokens);
    let resource: string;
    let token: string;
    if (choice === 'held' && own) ({ resource, token } = own);
    else if (choice === 'foreign' && foreign) ({ resource, token } = foreign);
    else {
      resource = this.resource();
      token = String(this.random.int(1, 10_000_000));
    }
    if (this.random.chance(0.05)) resource = this.resource();
    const entries: [string, string][] = [
      [key('op'), json('release')],
      [key('id'), this.nextId()],
      [key('resource'), json(resource)],
      [key('token'), json(token)],
    ];
    return this.sequenced(entries, `release(${choice})`);
  }

  cancel(): FieldList {
    const pending = [...(this.view.session?.pending.values() ?? [])];
    const waiting = this.random.maybePick(pending);
    const target = waiting && this.random.chance(0.7) ? json(waiting.id) : this.random.chance(0.5) ? json(this.#idCounter) : this.nextId();
    const entries: [string, string][] = [
      [key('op'), json('cancel')],
      [key('id'), this.nextId()],
      [key('target'), target],
    ];
    return this.sequenced(entries, waiting ? 'cancel(waiting)' : 'cancel');
  }

  /** An acquire that reuses the id of a request still waiting: DUPLICATE_REQUEST. */
  duplicateAcquire(): FieldList | undefined {
    const waiting = this.random.maybePick([...(this.view.session?.pending.values() ?? [])]);
    if (!waiting) return undefined;
    const entries: [string, string][] = [
      [key('op'), json('acquire')],
      [key('id'), json(waiting.id)],
      [key('resource'), json(this.resource())],
      [key('waitMs'), json(this.random.int(0, 50))],
    ];
    return this.sequenced(entries, 'acquire(duplicate id)');
  }

  keepalive(): FieldList {
    const entries: [string, string][] = [[key('op'), json('keepalive')]];
    if (this.random.chance(0.7)) entries.push([key('id'), this.nextId()]);
    return this.sequenced(entries, 'keepalive');
  }

  goodbye(): FieldList {
    const entries: [string, string][] = [[key('op'), json('goodbye')]];
    if (this.random.chance(0.7)) entries.push([key('id'), this.nextId()]);
    return this.sequenced(entries, 'goodbye');
  }

  status(): FieldList {
    const entries: [string, string][] = [
      [key('op'), json('status')],
      [key('id'), this.nextId()],
    ];
    // A status of everything can be a 60 kB reply: mostly ask for one resource.
    if (this.random.chance(0.9)) entries.push([key('resource'), json(this.resource())]);
    if (this.random.chance(0.2)) entries.push([key('offset'), json(this.random.pick([0, 1, 2, 5, 100, Number.MAX_SAFE_INTEGER]))]);
    // 3.1: a seq on a status is ignored.
    if (this.view.exactlyOnce && this.random.chance(0.3)) entries.push([key('seq'), json(this.random.int(1, 1_000))]);
    return { entries: this.shuffled(entries), label: 'status' };
  }

  forceRelease(): FieldList {
    const foreign = this.random.maybePick(this.view.registry.recentTokens);
    const resource = foreign && this.random.chance(0.5) ? foreign.resource : this.resource();
    const entries: [string, string][] = [
      [key('op'), json('force-release')],
      [key('id'), this.nextId()],
      [key('resource'), json(resource)],
    ];
    const token = this.random.weighted({ right: 55, wrong: 30, none: 15 });
    if (token === 'right') entries.push([key('adminToken'), json(this.view.adminToken)]);
    else if (token === 'wrong') entries.push([key('adminToken'), json(this.random.pick(['wrong', this.view.adminToken + 'x', this.view.adminToken.toUpperCase(), '']))]);
    if (foreign && this.random.chance(0.3)) entries.push([key('token'), json(foreign.token)]);
    return this.sequenced(entries, `force-release(${token})`);
  }

  /** The `status` the fuzzer sends to learn that everything before it was answered. */
  probe(n: number): FieldList {
    return {
      entries: [
        [key('op'), json('status')],
        [key('id'), json(`probe-${this.view.connection}-${n}`)],
        [key('resource'), json('fz-probe')],
      ],
      label: 'probe',
    };
  }

  /** `seq` and `ack` on a request of an exactly-once session: mostly right, sometimes a duplicate, a gap or missing. */
  sequenced(entries: [string, string][], label: string): FieldList {
    if (this.view.exactlyOnce) {
      const next = this.view.nextSeq();
      const seq = this.random.weighted({ next: 86, missing: 4, duplicate: 5, gap: 3, old: 2 });
      if (seq === 'next') entries.push([key('seq'), json(next)]);
      else if (seq === 'duplicate') entries.push([key('seq'), json(Math.max(1, next - 1))]);
      else if (seq === 'gap') entries.push([key('seq'), json(next + this.random.int(1, 5))]);
      else if (seq === 'old') entries.push([key('seq'), json(this.random.int(1, Math.max(1, next - 1)))]);
      const ack = this.random.weighted({ last: 75, none: 15, past: 3, zero: 7 });
      if (ack === 'last') entries.push([key('ack'), json(this.view.lastSn)]);
      else if (ack === 'past') entries.push([key('ack'), json(this.view.lastSn + 1_000_000)]);
      else if (ack === 'zero') entries.push([key('ack'), '0']);
      if (seq !== 'next') label += `+seq(${seq})`;
      if (ack === 'past') label += '+ack(past)';
    } else if (this.random.chance(0.02)) {
      entries.push([key('seq'), json(this.random.int(1, 100))]);
      label += '+seq(plain)';
    }
    return { entries: this.shuffled(entries), label };
  }

  /** Field order is never significant (1): shuffle now and then. */
  shuffled(entries: [string, string][]): [string, string][] {
    if (!this.random.chance(0.3)) return entries;
    for (let index = entries.length - 1; index > 0; index--) {
      const other = this.random.int(0, index);
      [entries[index], entries[other]] = [entries[other]!, entries[index]!];
    }
    return entries;
  }
}
