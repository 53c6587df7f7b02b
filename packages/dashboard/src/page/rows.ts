/**
 * Table rows, one per resource, built with DOM calls (never innerHTML:
 * client names are whatever clients chose). A row is rebuilt only when its
 * resource changed; durations are refreshed in place every second through
 * their `data-since` attribute.
 */
import type { FeedHolder, FeedResource, FeedWaiter } from '../feed-protocol.js';
import { formatDuration } from './model.js';

/** Waiters shown in a row before "+N more" (all sent ones once expanded). */
export const QUEUE_PREVIEW = 8;

export interface RowOptions {
  /** Show force-release buttons. */
  admin: boolean;
  /** Show every waiter the feed sent, not only the preview. */
  expanded: boolean;
  serverNow: number;
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** A live duration: refreshed by {@link refreshDurations}. */
function since(prefix: string, at: number, serverNow: number): HTMLSpanElement {
  return element('span', { class: 'since', 'data-since': String(at), 'data-prefix': prefix }, `${prefix}${formatDuration(serverNow - at)}`);
}

export function refreshDurations(root: ParentNode, serverNow: number): void {
  for (const node of root.querySelectorAll<HTMLElement>('[data-since]')) {
    node.textContent = `${node.dataset.prefix ?? ''}${formatDuration(serverNow - Number(node.dataset.since))}`;
  }
  for (const node of root.querySelectorAll<HTMLElement>('[data-until]')) {
    node.textContent = `lock-delay ${formatDuration(Number(node.dataset.until) - serverNow)}`;
  }
}

function modeBadge(mode: string): HTMLSpanElement {
  return element('span', { class: `mode mode-${mode}`, title: mode === 'shared' ? 'shared (READ)' : 'exclusive (WRITE)' }, mode);
}

function holderLine(resource: string, holder: FeedHolder, options: RowOptions): HTMLDivElement {
  const meta = element('div', { class: 'holder-meta' }, since('held ', holder.grantedAt, options.serverNow), element('span', { class: 'session', title: 'session' }, holder.session));
  if (options.admin) {
    meta.append(
      element('button', { class: 'force', type: 'button', 'data-action': 'force-release', 'data-resource': resource, 'data-token': holder.token, title: `take token ${holder.token} away from ${holder.client}: it is told its lock is lost` }, 'Force release'),
    );
  }
  return element(
    'div',
    { class: 'holder', 'data-role': 'holder', 'data-client': holder.client, 'data-token': holder.token, 'data-session': holder.session },
    element('div', { class: 'holder-main' }, element('span', { class: 'client' }, holder.client), modeBadge(holder.mode), element('span', { class: 'token', title: 'fencing token' }, `token ${holder.token}`)),
    meta,
  );
}

function waiterChip(waiter: FeedWaiter, position: number, serverNow: number): HTMLLIElement {
  const title = `${waiter.client} (${waiter.session}), ${waiter.mode}${waiter.deadline === undefined ? '' : `, gives up in ${formatDuration(waiter.deadline - serverNow)}`}`;
  return element(
    'li',
    { 'data-role': 'waiter', 'data-position': String(position), 'data-client': waiter.client, title },
    element('span', { class: 'position' }, String(position)),
    element('span', { class: 'client' }, waiter.client),
    modeBadge(waiter.mode),
    since('', waiter.since, serverNow),
  );
}

/** The cells of one resource's row. */
export function rowCells(resource: FeedResource, options: RowOptions): HTMLTableCellElement[] {
  const name = element('td', { class: 'name' }, resource.name);
  if (resource.blockedUntil !== undefined && resource.blockedUntil > options.serverNow) {
    name.append(element('span', { class: 'badge', 'data-until': String(resource.blockedUntil), title: 'a lost lock keeps the resource from being granted for a while' }, `lock-delay ${formatDuration(resource.blockedUntil - options.serverNow)}`));
  }
  const holders = element('td', { class: 'holders' });
  if (resource.holders.length === 0) holders.append(element('span', { class: 'nobody' }, 'free'));
  for (const holder of resource.holders) holders.append(holderLine(resource.name, holder, options));
  if (resource.holding > resource.holders.length) holders.append(element('div', { class: 'muted' }, `+${resource.holding - resource.holders.length} more holders`));

  const waiting = element('td', { class: resource.waiting === 0 ? 'waiting zero' : 'waiting', 'data-role': 'waiting' }, String(resource.waiting));

  const queue = element('ol', { class: 'queue' });
  const shown = options.expanded ? resource.waiters.length : Math.min(QUEUE_PREVIEW, resource.waiters.length);
  resource.waiters.slice(0, shown).forEach((waiter, index) => queue.append(waiterChip(waiter, index + 1, options.serverNow)));
  const hidden = resource.waiting - shown;
  if (hidden > 0) {
    const label = options.expanded ? `+${hidden} more not sent` : `+${hidden} more`;
    const more = element('li', { class: 'more' });
    more.append(options.expanded || shown >= resource.waiters.length ? element('span', { class: 'muted' }, label) : element('button', { type: 'button', 'data-action': 'expand', 'data-resource': resource.name }, label));
    queue.append(more);
  }
  if (options.expanded && resource.waiters.length > QUEUE_PREVIEW) {
    queue.append(element('li', { class: 'more' }, element('button', { type: 'button', 'data-action': 'collapse', 'data-resource': resource.name }, 'show less')));
  }
  return [name, holders, waiting, element('td', { class: 'queue-cell' }, queue)];
}
