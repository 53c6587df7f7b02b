import type { RequestId, ResourceSnapshot, ResourceStatus, SessionSnapshot, StatusReplyMessage } from '@baton/core';
import { MAX_STATUS_RESOURCES, MAX_STATUS_SESSIONS, MAX_STATUS_WAITERS } from '@baton/core';

/**
 * Turn the machine's snapshots into the wire's `status` reply: times become
 * durations (or wall-clock instants) because the machine's clock is the
 * server's private monotonic scale, and the lists are capped so that the
 * reply always fits in one message, even with 10,000 resources.
 */
export function buildStatusReply(
  id: RequestId,
  resources: ResourceSnapshot[],
  sessions: SessionSnapshot[],
  monotonicNow: number,
  wallClockNow: number,
): StatusReplyMessage {
  const busiestFirst = [...resources].sort(
    (a, b) => b.waiters.length - a.waiters.length || b.holders.length - a.holders.length || (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0),
  );
  return {
    op: 'status',
    id,
    resources: busiestFirst.slice(0, MAX_STATUS_RESOURCES).map((snapshot) => resourceStatus(snapshot, monotonicNow, wallClockNow)),
    totalResources: resources.length,
    sessions: [...sessions]
      .sort((a, b) => (a.session < b.session ? -1 : a.session > b.session ? 1 : 0))
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
}

function resourceStatus(snapshot: ResourceSnapshot, monotonicNow: number, wallClockNow: number): ResourceStatus {
  const status: ResourceStatus = {
    resource: snapshot.resource,
    holders: snapshot.holders.map((holder) => ({
      session: holder.session,
      client: holder.client,
      mode: holder.mode,
      token: holder.token,
      grantedAt: Math.round(wallClockNow - holder.heldMs),
      heldMs: Math.round(holder.heldMs),
    })),
    waiters: snapshot.waiters.slice(0, MAX_STATUS_WAITERS).map((waiter, index) => {
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
