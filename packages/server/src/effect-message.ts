import type { Effect, ServerMessage } from '@baton/core';
import { encodeMessage, PROTOCOL_VERSION } from '@baton/core';

/**
 * The wire message a core effect becomes for its session, or undefined for
 * effects that are not messages (`reserve-tokens`, `leases-restarted`, and `session-opened` /
 * `session-resumed` / `session-ended`, which the coordinator answers itself because it knows the
 * session's secret and its connection).
 */
export function messageForEffect(effect: Effect): ServerMessage | undefined {
  switch (effect.type) {
    case 'queued':
      return { op: 'queued', id: effect.request, resource: effect.resource, mode: effect.mode, position: effect.position };
    case 'granted':
      return { op: 'granted', id: effect.request, resource: effect.resource, mode: effect.mode, token: effect.token, waitedMs: Math.round(effect.waitedMs) };
    case 'released':
      return { op: 'released', id: effect.request, resource: effect.resource, token: effect.token };
    case 'timeout':
      return { op: 'timeout', id: effect.request, resource: effect.resource };
    case 'cancelled':
      return { op: 'cancelled', id: effect.request, target: effect.target, resource: effect.resource };
    case 'lost':
      return { op: 'lost', resource: effect.resource, token: effect.token, reason: effect.reason };
    case 'renewed':
      return withId({ op: 'alive', leaseMs: effect.leaseMs }, effect.request);
    case 'rejected':
      return withId({ op: 'error', code: effect.code, message: effect.message }, effect.request);
    case 'force-released':
      return { op: 'force-released', id: effect.request ?? 0, resource: effect.resource, tokens: effect.tokens };
    case 'session-opened':
    case 'session-resumed':
    case 'session-ended':
    case 'leases-restarted':
    case 'reserve-tokens':
      return undefined;
  }
}

/**
 * Adds `id` only when there is one, so replies to id-less requests carry no
 * `"id":undefined`; it goes right after `op`, where docs/protocol.md shows it
 * (section 1: the server writes its fields in the order the page shows them).
 */
export function withId<T extends ServerMessage>(message: T, id: string | number | undefined): T {
  if (id === undefined) return message;
  const { op, ...rest } = message;
  return { op, id, ...rest } as unknown as T;
}

/** What a `welcome` says of the session's exactly-once stream (docs/protocol.md 3.1); absent for a plain session. */
export interface WelcomeStream {
  /** The highest request `seq` applied. */
  applied: number;
  /** The last `sn` sent. */
  sn: number;
}

/** The `welcome` reply to a `hello`: the one place it is written, for new and resumed sessions alike. */
export function welcomeMessage(
  session: string,
  secret: string,
  leaseMs: number,
  resumed: boolean,
  id: string | number | undefined,
  stream?: WelcomeStream,
): ServerMessage {
  const welcome: ServerMessage = { op: 'welcome', v: PROTOCOL_VERSION, session, secret, leaseMs, resumed };
  if (stream) Object.assign(welcome, { exactlyOnce: true, applied: stream.applied, sn: stream.sn });
  return withId(welcome, id);
}

/**
 * The wire text of an effect, or undefined for effects that are not messages.
 * The three that every lock hand-off sends (`queued`, `granted`, `released`)
 * are written directly instead of building an object for JSON.stringify.
 * Tokens are digits and modes literals, so they need no escaping; the request
 * id and the resource name are written by {@link idText} and
 * {@link resourceText}, which escape what JSON must. A test checks that the
 * result equals the general encoding for every kind of id and name.
 */
export function encodeEffect(effect: Effect): string | undefined {
  switch (effect.type) {
    case 'granted':
      return `{"op":"granted","id":${idText(effect.request)},"resource":${resourceText(effect.resource)},"mode":"${effect.mode}","token":"${effect.token}","waitedMs":${Math.round(effect.waitedMs)}}`;
    case 'released':
      return `{"op":"released","id":${idText(effect.request)},"resource":${resourceText(effect.resource)},"token":"${effect.token}"}`;
    case 'queued':
      return `{"op":"queued","id":${idText(effect.request)},"resource":${resourceText(effect.resource)},"mode":"${effect.mode}","position":${effect.position}}`;
    default: {
      const message = messageForEffect(effect);
      return message === undefined ? undefined : encodeMessage(message);
    }
  }
}

/** A request id as JSON: numbers (what the SDK sends) without a JSON.stringify call. */
function idText(id: string | number): string {
  return typeof id === 'number' ? String(id) : JSON.stringify(id);
}

/**
 * Printable ASCII other than `"` and `\`: the strings JSON.stringify writes
 * as they are between quotes. The same class as the canonical decoder's
 * resource names (core's canonical-messages.ts): a name written as it is
 * here is one the SDK's fast path reads back.
 */
const WRITTEN_AS_IS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * A resource name as a JSON string. Most names (`file_A`, `orders/42`) are
 * quoted as they are; one with a `"`, a `\` or anything beyond ASCII goes
 * through JSON.stringify, which escapes what must be escaped and writes the
 * rest (`Ünïcode`) as UTF-8, exactly as the general encoding does.
 */
function resourceText(name: string): string {
  return WRITTEN_AS_IS.test(name) ? `"${name}"` : JSON.stringify(name);
}
