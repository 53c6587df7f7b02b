/**
 * The dashboard page. It reads the feed (pushed over a WebSocket, never
 * polled) into a {@link DashboardModel}, and draws at most {@link ROW_LIMIT}
 * rows, once per animation frame at most, however many resources change.
 * With the admin token (asked for, kept in sessionStorage) each holder gets a
 * force-release button, which speaks the Baton protocol to the server.
 */
import type { FeedMessage, FeedStats } from '../feed-protocol.js';
import { DASHBOARD_FEED_PATH } from '../feed-protocol.js';
import { AdminChannel, AdminError } from './admin-channel.js';
import { FeedConnection, feedUrl, type FeedState } from './feed-connection.js';
import { chartGeometry } from './grants-chart.js';
import { countText, DashboardModel, SORT_ORDERS, type SortOrder } from './model.js';
import { element, refreshDurations, rowCells } from './rows.js';

/** Most rows drawn; the filter and the sort pick which. */
export const ROW_LIMIT = 200;
const ADMIN_TOKEN_KEY = 'baton-admin-token';
const CHART_WIDTH = 600;
const CHART_HEIGHT = 64;

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

class DashboardPage {
  readonly #model = new DashboardModel();
  readonly #rows = new Map<string, { row: HTMLTableRowElement; key: string }>();
  readonly #expanded = new Set<string>();
  readonly #admin: AdminChannel;
  readonly #tbody = byId<HTMLTableSectionElement>('rows');
  readonly #filter = byId<HTMLInputElement>('filter');
  readonly #sort = byId<HTMLSelectElement>('sort');
  #frame: number | undefined;
  #drawnOrder: string[] = [];
  #adminToken: string | undefined = sessionStorage.getItem(ADMIN_TOKEN_KEY) ?? undefined;
  #toastTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    const secure = location.protocol === 'https:';
    this.#admin = new AdminChannel({ host: location.hostname, port: Number(location.port || (secure ? 443 : 80)), secure });
    const parameters = new URLSearchParams(location.search);
    this.#filter.value = parameters.get('filter') ?? '';
    const sort = parameters.get('sort');
    if (sort !== null && (SORT_ORDERS as readonly string[]).includes(sort)) this.#sort.value = sort;
    this.#filter.addEventListener('input', () => this.#changedControls());
    this.#sort.addEventListener('change', () => this.#changedControls());
    this.#tbody.addEventListener('click', (event) => this.#clicked(event));
    this.#drawAdmin();
  }

  start(): void {
    new FeedConnection(feedUrl(location, DASHBOARD_FEED_PATH), (message) => this.#received(message), (state) => this.#connectionState(state)).start();
    // Durations and the chart move with time even when nothing happens.
    setInterval(() => this.#render(), 1_000);
  }

  #received(message: FeedMessage): void {
    this.#model.apply(message, Date.now());
    if (message.type === 'hello') this.#drawAdmin();
    this.#scheduleRender();
  }

  #connectionState(state: FeedState): void {
    const pill = byId('connection');
    pill.dataset.state = state;
    pill.textContent = state === 'live' ? 'live' : state === 'connecting' ? 'connecting…' : 'offline: reconnecting';
    if (state !== 'live') this.#model.disconnected();
    document.body.dataset.feed = state;
    this.#scheduleRender();
  }

  #changedControls(): void {
    const parameters = new URLSearchParams();
    if (this.#filter.value !== '') parameters.set('filter', this.#filter.value);
    if (this.#sort.value !== 'queue') parameters.set('sort', this.#sort.value);
    const query = parameters.toString();
    history.replaceState(null, '', query === '' ? location.pathname : `?${query}`);
    this.#scheduleRender();
  }

  #scheduleRender(): void {
    if (this.#frame !== undefined) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = undefined;
      this.#render();
    });
  }

  #render(): void {
    const serverNow = this.#model.serverNow(Date.now());
    this.#renderStats(this.#model.stats, serverNow);
    this.#renderRows(serverNow);
    document.body.dataset.synced = String(this.#model.synced);
  }

  #renderStats(stats: FeedStats | undefined, serverNow: number): void {
    if (stats) {
      byId('stat-resources').textContent = stats.resources.toLocaleString('en-US');
      byId('stat-holders').textContent = stats.holders.toLocaleString('en-US');
      byId('stat-waiters').textContent = stats.waiters.toLocaleString('en-US');
      byId('stat-sessions').textContent = stats.sessions.toLocaleString('en-US');
      byId('stat-connections').textContent = stats.connections.toLocaleString('en-US');
      byId('stat-token').textContent = stats.lastToken ?? '–';
      byId('stat-grants').textContent = stats.grantsTotal.toLocaleString('en-US');
    }
    const geometry = chartGeometry(this.#model.grantsPerSecond(serverNow), CHART_WIDTH, CHART_HEIGHT);
    byId('stat-rate').textContent = geometry.lastSecond.toLocaleString('en-US');
    byId('stat-peak').textContent = geometry.peak.toLocaleString('en-US');
    const svg = byId('chart');
    const namespace = 'http://www.w3.org/2000/svg';
    const children: Element[] = [];
    const baseline = document.createElementNS(namespace, 'line');
    baseline.setAttribute('x1', '0');
    baseline.setAttribute('x2', String(CHART_WIDTH));
    baseline.setAttribute('y1', String(CHART_HEIGHT - 0.5));
    baseline.setAttribute('y2', String(CHART_HEIGHT - 0.5));
    children.push(baseline);
    for (const bar of geometry.bars) {
      if (bar.height === 0) continue;
      const rect = document.createElementNS(namespace, 'rect');
      rect.setAttribute('x', bar.x.toFixed(1));
      rect.setAttribute('y', bar.y.toFixed(1));
      rect.setAttribute('width', bar.width.toFixed(1));
      rect.setAttribute('height', bar.height.toFixed(1));
      const title = document.createElementNS(namespace, 'title');
      title.textContent = `${bar.count} grants`;
      rect.append(title);
      children.push(rect);
    }
    svg.replaceChildren(...children);
    byId('chart-scale').textContent = `top of chart: ${geometry.scale.toLocaleString('en-US')}/s`;
    svg.dataset.peak = String(geometry.peak);
    svg.dataset.scale = String(geometry.scale);
  }

  #renderRows(serverNow: number): void {
    const view = this.#model.view({ filter: this.#filter.value, sort: this.#sort.value as SortOrder, limit: ROW_LIMIT }, serverNow);
    const admin = this.#model.adminEnabled && this.#adminToken !== undefined;
    const wanted: HTMLTableRowElement[] = [];
    const names: string[] = [];
    const keep = new Set<string>();
    for (const { resource, version } of view.rows) {
      const expanded = this.#expanded.has(resource.name);
      const key = `${version}|${admin}|${expanded}`;
      let cached = this.#rows.get(resource.name);
      if (!cached || cached.key !== key) {
        const row = cached?.row ?? element('tr', { 'data-resource': resource.name });
        row.replaceChildren(...rowCells(resource, { admin, expanded, serverNow }));
        row.dataset.waiting = String(resource.waiting);
        row.dataset.holding = String(resource.holding);
        cached = { row, key };
        this.#rows.set(resource.name, cached);
      }
      keep.add(resource.name);
      wanted.push(cached.row);
      names.push(resource.name);
    }
    for (const name of this.#rows.keys()) if (!keep.has(name)) this.#rows.delete(name);
    // Re-insert only when the order changed, so a row under the pointer stays put.
    if (names.length !== this.#drawnOrder.length || names.some((name, index) => name !== this.#drawnOrder[index])) {
      this.#tbody.replaceChildren(...wanted);
      this.#drawnOrder = names;
    }
    refreshDurations(this.#tbody, serverNow);

    const filtered = this.#filter.value.trim() !== '';
    byId('count').textContent = countText(view, this.#model.stats?.resources, view.total, this.#filter.value);
    const empty = byId('empty');
    empty.hidden = view.rows.length > 0 || !this.#model.synced;
    empty.textContent = filtered ? `No resource in use matches “${this.#filter.value.trim()}”.` : 'No lock is held or awaited right now.';
  }

  #clicked(event: MouseEvent): void {
    const target = event.target instanceof Element ? event.target.closest<HTMLElement>('[data-action]') : null;
    if (!target) return;
    const resource = target.dataset.resource ?? '';
    switch (target.dataset.action) {
      case 'expand':
        this.#expanded.add(resource);
        this.#scheduleRender();
        return;
      case 'collapse':
        this.#expanded.delete(resource);
        this.#scheduleRender();
        return;
      case 'force-release':
        void this.#forceRelease(resource, target.dataset.token, target as HTMLButtonElement);
        return;
    }
  }

  async #forceRelease(resource: string, token: string | undefined, button: HTMLButtonElement): Promise<void> {
    const adminToken = this.#adminToken;
    if (adminToken === undefined) return;
    const holder = token === undefined ? 'every holder' : `token ${token}`;
    if (!confirm(`Force-release ${resource} (${holder})? The holder is told its lock is lost and the next waiter is granted.`)) return;
    button.disabled = true;
    try {
      const tokens = await this.#admin.forceRelease(resource, adminToken, token);
      this.#toast(`Force-released ${resource} (token ${tokens.join(', ')}); the holder was told its lock is lost.`, 'info');
    } catch (error) {
      const code = error instanceof AdminError ? error.code : 'ERROR';
      if (code === 'UNAUTHORIZED') this.#forgetToken();
      this.#toast(`Could not force-release ${resource}: ${code === 'UNAUTHORIZED' ? 'the admin token was refused' : (error as Error).message}`, 'error');
    } finally {
      button.disabled = false;
    }
  }

  #drawAdmin(): void {
    const box = byId('admin');
    if (!this.#model.adminEnabled) {
      box.replaceChildren(element('span', { 'data-admin': 'unavailable' }, 'read-only · the server has no admin token'));
      this.#scheduleRender();
      return;
    }
    if (this.#adminToken === undefined) {
      const input = element('input', { id: 'admin-token', type: 'password', placeholder: 'admin token', autocomplete: 'off' });
      const unlock = element('button', { id: 'admin-unlock', type: 'button' }, 'Enable force-release');
      const use = () => {
        if (input.value === '') return;
        this.#adminToken = input.value;
        sessionStorage.setItem(ADMIN_TOKEN_KEY, input.value);
        this.#drawAdmin();
      };
      unlock.addEventListener('click', use);
      input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') use();
      });
      box.replaceChildren(element('span', { 'data-admin': 'read-only' }, 'read-only'), input, unlock);
    } else {
      const forget = element('button', { id: 'admin-forget', type: 'button', title: 'forget the admin token (this tab keeps it until then)' }, 'Lock');
      forget.addEventListener('click', () => this.#forgetToken());
      box.replaceChildren(element('span', { class: 'pill admin-on', 'data-admin': 'enabled' }, 'admin: force-release enabled'), forget);
    }
    this.#scheduleRender();
  }

  #forgetToken(): void {
    this.#adminToken = undefined;
    sessionStorage.removeItem(ADMIN_TOKEN_KEY);
    this.#admin.close();
    this.#drawAdmin();
  }

  #toast(text: string, kind: 'info' | 'error'): void {
    const toast = byId('toast');
    toast.textContent = text;
    toast.dataset.kind = kind;
    toast.hidden = false;
    clearTimeout(this.#toastTimer);
    this.#toastTimer = setTimeout(() => (toast.hidden = true), 6_000);
  }
}

new DashboardPage().start();
