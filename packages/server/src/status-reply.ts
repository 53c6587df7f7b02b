import type { RequestId, ResourceSnapshot, ResourceStatus, SessionSnapshot, StatusReplyMessage } from '@baton/core';
import {
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

/**
 * Turn the machine's snapshots into the wire's `status` reply: times become
 * durations (or wall-clock instants) because the machine's clock is the
 * server's private monotonic scale, and the reply is one page that always
 * fits in one message — whole resources are added, busiest first, until the
 * page is full by count or by bytes; `nextOffset` says where the next starts.
 */
export function buildStatusReply(
  query: StatusQuery,
  resources: ResourceSnapshot[],
  sessions: SessionSnapshot[],
  monotonicNow: number,
  wallClockNow: number,
): StatusReplyMessage {
  const reply: StatusReplyMessage = {
    op: 'status',
    id: query.id,
    resources: [],
    totalResources: resources.length,
    offset: query.offset,
    sessions: [...sessions]
      .sort((a, b) => compareText(a.session, b.session))
      .slice(0, MAX_STATUS_SESSIONS)
      .map((session) => ({
        session: session.session,
        client: session.client,
        leaseMs: session.leaseMs,
        expiresInMs: Math.max(0, Math.round(session.expiresAt - monotonicNow)),
        held: session.held,
        waiting: session.waiting,
      })),
    totalSessions: sessions.length,
  };
  const busiestFirst = [...resources].sort(
    (a, b) => b.waiters.length - a.waiters.length || b.holders.length - a.holders.length || compareText(a.resource, b.resource),
  );
  const waiterLimit = query.oneResource ? MAX_STATUS_WAITERS_ONE_RESOURCE : MAX_STATUS_WAITERS;
  let bytes = JSON.stringify(reply).length + 32; // room for nextOffset
  let index = query.offset;
  for (; index < busiestFirst.length && reply.resources.length < MAX_STATUS_RESOURCES; index++) {
    const status = resourceStatus(busiestFirst[index]!, waiterLimit, monotonicNow, wallClockNow);
    const size = JSON.stringify(status).length + 1;
    if (reply.resources.length > 0 && bytes + size > MAX_STATUS_REPLY_BYTES) break;
    reply.resources.push(status);
    bytes += size;
  }
  if (index < busiestFirst.length) reply.nextOffset = index;
  return reply;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function resourceStatus(snapshot: ResourceSnapshot, waiterLimit: number, monotonicNow: number, wallClockNow: number): ResourceStatus {
  const status: ResourceStatus = {
    resource: snapshot.resource,
    holders: snapshot.holders.slice(0, MAX_STATUS_HOLDERS).map((holder) => ({
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
