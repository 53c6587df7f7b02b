import type { RequestId, ResourceLoad, ResourceSnapshot, ResourceStatus, SessionSnapshot, SessionStatus, StatusReplyMessage } from '@baton/core';
import {
  firstInOrder,
  MAX_STATUS_HOLDERS,
  MAX_STATUS_REPLY_BYTES,
  MAX_STATUS_RESOURCES,
  MAX_STATUS_SESSIONS,
  MAX_STATUS_WAITERS,
  MAX_STATUS_WAITERS_ONE_RESOURCE,
} from '@baton/core';

/** What a status request asked for. */
export interface StatusQuery {
  id: RequestId;
  /** The request named one resource: list more of its queue. */
  oneResource: boolean;
  offset: number;
}

/** Room kept for `,"nextOffset":N` (14 bytes and at most 16 digits) until the page knows whether it needs it. */
const NEXT_OFFSET_ROOM = 32;

/**
 * Turn the machine's snapshots into the wire's `status` reply: times become
 * durations (or wall-clock instants) because the machine's clock is the
 * server's private monotonic scale, and the reply is one page that always
 * fits in one message — whole resources are added, busiest first, until the
 * page is full by count or by bytes; `nextOffset` says where the next starts.
 *
 * "By bytes" means UTF-8 bytes of the JSON text, what the transport measures
 * against MAX_MESSAGE_BYTES: a client name of 21 CJK characters is 63 bytes,
 * and one of control characters is six times as long once JSON escapes it.
 * The budget holds for any content: sessions are listed while they leave room
 * for the page's first resource, and that resource, when it does not fit whole
 * (hundreds of long-named holders and waiters), lists as many of its holders
 * and then waiters as fit (`holding` and `waiting` still count all). So every
 * page stays within MAX_STATUS_REPLY_BYTES and lists at least one resource
 * while any remain.
 */
export function buildStatusReply(
  query: StatusQuery,
  ordered: readonly ResourceLoad[],
  snapshotOf: (resource: string) => ResourceSnapshot | undefined,
  sessions: SessionSnapshot[],
  monotonicNow: number,
  wallClockNow: number,
): StatusReplyMessage {
  const reply: StatusReplyMessage = {
    op: 'status',
    id: query.id,
    totalResources: ordered.length,
    offset: query.offset,
    totalSessions: sessions.length,
    resources: [],
    sessions: [],
  };
  let bytes = encodedBytes(reply) + NEXT_OFFSET_ROOM;
  const waiterLimit = query.oneResource ? MAX_STATUS_WAITERS_ONE_RESOURCE : MAX_STATUS_WAITERS;
  // Snapshots only of the page's resources, each taken once; one that went idle since the order was made is left out.
  let index = query.offset;
  let pending: ResourceSnapshot | undefined;
  const nextSnapshot = (): ResourceSnapshot | undefined => {
    if (pending) return pending;
    while (index < ordered.length) {
      const snapshot = snapshotOf(ordered[index]!.resource);
      if (snapshot) return (pending = snapshot);
      index++;
    }
    return undefined;
  };
  const first = nextSnapshot();
  const firstRoom = first === undefined ? 0 : entryBytes(resourceStatus(first, 0, 0, monotonicNow, wallClockNow));
  const byId = firstInOrder(sessions, MAX_STATUS_SESSIONS, (a, b) => compareText(a.session, b.session));
  for (const session of byId) {
    const entry = sessionStatus(session, monotonicNow);
    const size = entryBytes(entry);
    if (bytes + size + firstRoom > MAX_STATUS_REPLY_BYTES) break;
    reply.sessions.push(entry);
    bytes += size;
  }
  for (let snapshot = nextSnapshot(); snapshot && reply.resources.length < MAX_STATUS_RESOURCES; snapshot = nextSnapshot()) {
    let status = resourceStatus(snapshot, MAX_STATUS_HOLDERS, waiterLimit, monotonicNow, wallClockNow);
    let size = entryBytes(status);
    if (bytes + size > MAX_STATUS_REPLY_BYTES) {
      if (reply.resources.length > 0) break;
      status = trimmedToFit(status, MAX_STATUS_REPLY_BYTES - bytes);
      size = entryBytes(status);
    }
    reply.resources.push(status);
    bytes += size;
    pending = undefined;
    index++;
  }
  if (index < ordered.length) reply.nextOffset = index;
  return reply;
}

/** The order of status pages: the longest queue first, then the most holders, then by name. */
export function busiestFirst(a: ResourceLoad, b: ResourceLoad): number {
  return b.waiting - a.waiting || b.holding - a.holding || compareText(a.resource, b.resource);
}

/** The UTF-8 length of a value's JSON text. */
function encodedBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** What one more entry adds to a JSON array: its text and a comma (one too many for the first: the budget errs on the safe side). */
function entryBytes(value: unknown): number {
  return encodedBytes(value) + 1;
}

/** A resource listing the longest prefixes of its holders, then of its waiters, that fit in `room` bytes as an array entry. */
function trimmedToFit(status: ResourceStatus, room: number): ResourceStatus {
  const trimmed: ResourceStatus = { ...status, holders: [], waiters: [] };
  let size = entryBytes(trimmed);
  for (const holder of status.holders) {
    const added = entryBytes(holder);
    if (size + added > room) break;
    trimmed.holders.push(holder);
    size += added;
  }
  for (const waiter of status.waiters) {
    const added = entryBytes(waiter);
    if (size + added > room) break;
    trimmed.waiters.push(waiter);
    size += added;
  }
  return trimmed;
}

function sessionStatus(session: SessionSnapshot, monotonicNow: number): SessionStatus {
  return {
    session: session.session,
    client: session.client,
    leaseMs: session.leaseMs,
    expiresInMs: Math.max(0, Math.round(session.expiresAt - monotonicNow)),
    held: session.held,
    waiting: session.waiting,
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function resourceStatus(snapshot: ResourceSnapshot, holderLimit: number, waiterLimit: number, monotonicNow: number, wallClockNow: number): ResourceStatus {
  const status: ResourceStatus = {
    resource: snapshot.resource,
    holders: snapshot.holders.slice(0, holderLimit).map((holder) => ({
      session: holder.session,
      client: holder.client,
      mode: holder.mode,
      token: holder.token,
      grantedAt: Math.round(wallClockNow - holder.heldMs),
      heldMs: Math.round(holder.heldMs),
    })),
    holding: snapshot.holders.length,
    waiters: snapshot.waiters.slice(0, waiterLimit).map((waiter, index) => {
      const entry: ResourceStatus['waiters'][number] = {
        session: waiter.session,
        client: waiter.client,
        mode: waiter.mode,
        position: index + 1,
        waitedMs: Math.round(waiter.waitedMs),
      };
      if (waiter.deadline !== undefined) entry.timeoutInMs = Math.max(0, Math.round(waiter.deadline - monotonicNow));
      return entry;
    }),
    waiting: snapshot.waiters.length,
  };
  if (snapshot.blockedUntil !== undefined) status.blockedForMs = Math.max(0, Math.round(snapshot.blockedUntil - monotonicNow));
  return status;
}
