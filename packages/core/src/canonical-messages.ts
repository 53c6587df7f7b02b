/**
 * Fast decoding of the messages every lock hand-off carries, in the exact
 * form Baton itself writes them: `acquire` and `release` from the SDK,
 * `granted` and `released` from the server.
 *
 * JSON.parse plus field validation is most of what the coordinator spends on
 * a request. A text in one canonical form (keys in this order, no spaces, no
 * optional fields) is matched by one regular expression instead, whose
 * character classes admit exactly what the general decoder would accept: a
 * match decodes to the same message, and anything else (other key orders,
 * spaces, escapes, extra or optional fields, bad values) returns undefined and
 * goes through the general decoder, which gives the same answer or the error.
 * A property test checks that equivalence on generated and mutated texts.
 *
 * Resource names: the fast path takes only names of printable ASCII other
 * than `"` and `\` — the characters JSON writes as they are, one byte each —
 * so a match is never a name that JSON would unescape, and its length in
 * characters is its length in bytes. Every other valid name (`a"b`, `a\b`,
 * `Ünïcode`, an escaped `\u0041`) takes the general decoder.
 */
import type { LockMode } from './inputs.js';
import { MAX_RESOURCE_NAME_LENGTH } from './limits.js';
import type { AcquireMessage, GrantedMessage, ReleasedMessage, ReleaseMessage } from './protocol.js';

/** A request id of at most 15 digits without a leading zero: always a safe integer, as JSON would read it. */
const ID = '(0|[1-9][0-9]{0,14})';
/**
 * A resource name of printable ASCII without `"` and `\` (U+0020–U+007E less
 * U+0022 and U+005C), at most the name limit: valid by the naming rule, and
 * the same text inside JSON quotes as outside them.
 */
const RESOURCE = `([\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]{1,${MAX_RESOURCE_NAME_LENGTH}})`;
/** A fencing token as granted: 1 to 20 digits without a leading zero. */
const TOKEN = '([1-9][0-9]{0,19})';
const MODE = '(exclusive|shared)';
/** A count of at most 15 digits without a leading zero (a safe integer): `seq`, `ack`, `sn`. */
const COUNT = '(0|[1-9][0-9]{0,14})';
/** The exactly-once fields as the SDK appends them (docs/protocol.md 3.1), optional as a pair. */
const SEQUENCE = `(?:,"seq":${COUNT},"ack":${COUNT})?`;
/** The exactly-once field the server appends to every message of such a session. */
const STREAM = `(?:,"sn":${COUNT})?`;

const ACQUIRE = new RegExp(`^\\{"op":"acquire","id":${ID},"resource":"${RESOURCE}","mode":"${MODE}"${SEQUENCE}\\}$`);
const RELEASE = new RegExp(`^\\{"op":"release","id":${ID},"resource":"${RESOURCE}","token":"${TOKEN}"${SEQUENCE}\\}$`);
const GRANTED = new RegExp(`^\\{"op":"granted","id":${ID},"resource":"${RESOURCE}","mode":"${MODE}","token":"${TOKEN}","waitedMs":(0|[1-9][0-9]{0,14})${STREAM}\\}$`);
const RELEASED = new RegExp(`^\\{"op":"released","id":${ID},"resource":"${RESOURCE}","token":"${TOKEN}"${STREAM}\\}$`);

/** Every canonical text starts so; the op's first letter then picks the one expression to try. */
const PREFIX = '{"op":"';

/** The canonical acquire or release this text is, or undefined (then use the general decoder). */
export function decodeCanonicalRequest(text: string): AcquireMessage | ReleaseMessage | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  const first = text.charCodeAt(PREFIX.length);
  if (first === 0x61 /* a */) {
    const match = ACQUIRE.exec(text);
    if (match === null) return undefined;
    const message: AcquireMessage = { op: 'acquire', id: Number(match[1]), resource: match[2]!, mode: modeLiteral(match[3]) };
    return withSequence(message, match[4], match[5]);
  }
  if (first === 0x72 /* r */) {
    const match = RELEASE.exec(text);
    if (match === null) return undefined;
    const message: ReleaseMessage = { op: 'release', id: Number(match[1]), resource: match[2]!, token: match[3]! };
    return withSequence(message, match[4], match[5]);
  }
  return undefined;
}

/** The canonical granted or released reply this text is, or undefined (then use the general decoder). */
export function decodeCanonicalReply(text: string): GrantedMessage | ReleasedMessage | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  if (text.charCodeAt(PREFIX.length) === 0x67 /* g */) {
    const match = GRANTED.exec(text);
    if (match === null) return undefined;
    const message: GrantedMessage = { op: 'granted', id: Number(match[1]), resource: match[2]!, mode: modeLiteral(match[3]), token: match[4]!, waitedMs: Number(match[5]) };
    if (match[6] !== undefined) message.sn = Number(match[6]);
    return message;
  }
  if (text.startsWith('released"', PREFIX.length)) {
    const match = RELEASED.exec(text);
    if (match === null) return undefined;
    const message: ReleasedMessage = { op: 'released', id: Number(match[1]), resource: match[2]!, token: match[3]! };
    if (match[4] !== undefined) message.sn = Number(match[4]);
    return message;
  }
  return undefined;
}

/**
 * The matched `seq` and `ack`, when the text had them. A `seq` of 0 is not a
 * valid one: the text then goes to the general decoder, which refuses it.
 */
function withSequence<T extends AcquireMessage | ReleaseMessage>(message: T, seq: string | undefined, ack: string | undefined): T | undefined {
  if (seq === undefined) return message;
  if (seq === '0') return undefined;
  message.seq = Number(seq);
  message.ack = Number(ack);
  return message;
}

/**
 * The mode as the literal constant, not the matched text: a holder keeps its
 * mode for as long as it holds, and a fresh copy of "exclusive" per lock is
 * 30 bytes that JSON.parse (which shares short strings) never cost.
 */
function modeLiteral(matched: string | undefined): LockMode {
  return matched === 'shared' ? 'shared' : 'exclusive';
}
