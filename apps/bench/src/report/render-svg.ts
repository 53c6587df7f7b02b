/**
 * The chart of a run, hand-written SVG (no dependencies, readable in a
 * browser and on GitHub): one panel of the targets, then one panel per
 * workload with every system side by side.
 *
 * The targets panel puts every target on one axis by its headroom, the
 * measured ratio divided by the goal (turned round for "at most" goals), on a
 * log scale: a bar to the right of the line at 1 is a target met, to the
 * left a target missed, and its length says by how much.
 */
import type { BenchResults, TargetResult } from '../results.js';
import { formatNumber } from '../statistics.js';
import { systemLabel } from '../systems/system-ids.js';
import { DURABLE_FLOOR_LABEL, goalText, medianText } from './render-markdown.js';

export interface BarRow {
  label: string;
  value: number;
  /** Shown after the bar. */
  text: string;
  color: string;
}

export interface Panel {
  title: string;
  rows: BarRow[];
  scale: 'linear' | 'log';
  /** Log panels: bars start at this value (1 for headroom) and diverge from it. */
  origin?: number;
}

const WIDTH = 960;
const LABEL_WIDTH = 300;
const BAR_AREA = 420;
const ROW_HEIGHT = 22;
const PANEL_GAP = 28;
const TITLE_HEIGHT = 26;

export const COLORS = {
  met: '#2e7d32',
  missed: '#c62828',
  unknown: '#9e9e9e',
  baton: '#1565c0',
  raw: '#78909c',
  redis: '#d84315',
  etcd: '#6a1b9a',
};

/** Escape text for SVG content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * How comfortably a target is met: measured ÷ goal for "at least" goals,
 * goal ÷ measured for "at most" goals, so that ≥ 1 always means met.
 * Undefined when the target was not measured as a number.
 */
export function headroom(target: TargetResult): number | undefined {
  if (target.passed !== undefined || !target.measured) return undefined;
  const value = target.measured.median;
  if (value <= 0) return target.direction === 'at-most' ? Number.POSITIVE_INFINITY : 0;
  return target.direction === 'at-least' ? value / target.goal : target.goal / value;
}

function systemColor(system: string): string {
  if (system.startsWith('baton')) return COLORS.baton;
  if (system.startsWith('raw')) return COLORS.raw;
  if (system.startsWith('redis')) return COLORS.redis;
  return COLORS.etcd;
}

/** The panels of a run (panels without rows are left out). */
export function chartPanels(results: BenchResults): Panel[] {
  const panels: Panel[] = [];
  const targetRows: BarRow[] = [];
  for (const target of results.targets) {
    const value = headroom(target);
    if (target.passed !== undefined) {
      const note = (target.note ?? '').split(';')[0]!;
      targetRows.push({ label: target.short, value: 1, text: `${target.passed ? 'met' : 'MISSED'}: ${note}${(target.note ?? '').includes(';') ? ' …' : ''}`, color: target.passed ? COLORS.met : COLORS.missed });
      continue;
    }
    if (value === undefined) {
      targetRows.push({ label: target.short, value: 1, text: 'not measured', color: COLORS.unknown });
      continue;
    }
    targetRows.push({ label: target.short, value, text: `${medianText(target)} (goal ${goalText(target)})`, color: target.met ? COLORS.met : COLORS.missed });
  }
  if (targetRows.length > 0) panels.push({ title: 'Targets: headroom (right of the line = met; bar length = how far, log scale)', rows: targetRows, scale: 'log', origin: 1 });

  if (results.w1) {
    const rows = Object.entries(results.w1.systems).map(([system, result]) => ({
      label: systemLabel(system),
      value: result.pairMedianUs.median,
      text: `${formatNumber(result.pairMedianUs.median, 0)} µs`,
      color: systemColor(system),
    }));
    const floor = results.w1.durableWrite;
    if (floor) rows.push({ label: DURABLE_FLOOR_LABEL, value: floor.twoFsyncsUs.median, text: `${formatNumber(floor.twoFsyncsUs.median, 0)} µs`, color: COLORS.raw });
    panels.push({ title: 'W1: µs per sequential acquire + release (median; shorter is better)', scale: 'linear', rows });
  }
  for (const variant of results.w2?.variants ?? []) {
    panels.push({
      title: `W2: pairs/s, ${results.w2!.clients} clients in ${variant.processes} process${variant.processes > 1 ? 'es' : ''} (longer is better)`,
      scale: 'linear',
      rows: Object.entries(variant.systems).map(([system, result]) => ({
        label: systemLabel(system),
        value: result.pairsPerSecond.median,
        text: formatNumber(result.pairsPerSecond.median, 0),
        color: systemColor(system),
      })),
    });
  }
  if (results.w3) {
    panels.push({
      title: `W3: hand-offs/s, ${results.w3.clients} clients on one resource (longer is better)`,
      scale: 'linear',
      rows: Object.entries(results.w3.systems).map(([system, result]) => ({
        label: systemLabel(system),
        value: result.handoffsPerSecond.median,
        text: `${formatNumber(result.handoffsPerSecond.median, 0)} (max/median wait ${formatNumber(result.maxOverMedianWait.median, 1)})`,
        color: systemColor(system),
      })),
    });
  }
  return panels.filter((panel) => panel.rows.length > 0);
}

function renderPanel(panel: Panel, top: number): { svg: string; height: number } {
  const parts: string[] = [];
  const x0 = LABEL_WIDTH;
  parts.push(`<text x="8" y="${top + 17}" class="title">${escapeXml(panel.title)}</text>`);
  const barsTop = top + TITLE_HEIGHT;
  let position: (value: number) => number;
  let origin: number;
  if (panel.scale === 'log') {
    const values = panel.rows.map((row) => row.value).filter((value) => Number.isFinite(value) && value > 0);
    const span = Math.max(2, ...values.map((value) => Math.max(value, 1 / value)));
    const limit = Math.min(1_000, span * 1.15);
    const low = Math.log10(1 / limit);
    const high = Math.log10(limit);
    position = (value) => {
      const clamped = Math.min(limit, Math.max(1 / limit, Number.isFinite(value) && value > 0 ? value : 1 / limit));
      return x0 + ((Math.log10(clamped) - low) / (high - low)) * BAR_AREA;
    };
    origin = position(panel.origin ?? 1);
  } else {
    const max = Math.max(...panel.rows.map((row) => row.value), 1e-9);
    position = (value) => x0 + (Math.max(0, value) / max) * BAR_AREA;
    origin = x0;
  }
  panel.rows.forEach((row, index) => {
    const y = barsTop + index * ROW_HEIGHT;
    const end = position(row.value);
    const left = Math.min(origin, end);
    const width = Math.max(1, Math.abs(end - origin));
    parts.push(`<text x="${x0 - 8}" y="${y + 15}" class="label" text-anchor="end">${escapeXml(row.label)}</text>`);
    parts.push(`<rect x="${left.toFixed(1)}" y="${y + 3}" width="${width.toFixed(1)}" height="${ROW_HEIGHT - 6}" fill="${row.color}"><title>${escapeXml(`${row.label}: ${row.text}`)}</title></rect>`);
    parts.push(`<text x="${(Math.max(origin, end) + 6).toFixed(1)}" y="${y + 15}" class="value">${escapeXml(row.text)}</text>`);
  });
  const bottom = barsTop + panel.rows.length * ROW_HEIGHT;
  if (panel.scale === 'log') {
    parts.push(`<line x1="${origin.toFixed(1)}" y1="${barsTop - 2}" x2="${origin.toFixed(1)}" y2="${bottom + 2}" class="reference"/>`);
    parts.push(`<text x="${origin.toFixed(1)}" y="${bottom + 14}" class="axis" text-anchor="middle">1 = goal</text>`);
  } else {
    parts.push(`<line x1="${x0}" y1="${barsTop - 2}" x2="${x0}" y2="${bottom + 2}" class="axisline"/>`);
  }
  return { svg: parts.join('\n'), height: bottom - top + (panel.scale === 'log' ? 18 : 4) };
}

/** The whole chart as an SVG document. */
export function renderSvg(results: BenchResults): string {
  const panels = chartPanels(results);
  const body: string[] = [];
  let top = 44;
  for (const panel of panels) {
    const rendered = renderPanel(panel, top);
    body.push(rendered.svg);
    top += rendered.height + PANEL_GAP;
  }
  const height = Math.max(80, top);
  const subtitle = `${results.mode} run, ${results.repetitions} repetition${results.repetitions > 1 ? 's' : ''}, ${results.startedAt.replace(/\.\d+Z$/, 'Z')}; ${results.machine.cpus} CPUs, Node ${results.machine.node}; medians; ratios within this run`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.title{font-size:14px;font-weight:bold;fill:#222}.label{font-size:12px;fill:#333}.value{font-size:11px;fill:#444}.axis{font-size:10px;fill:#666}.reference{stroke:#222;stroke-width:1.5;stroke-dasharray:4 3}.axisline{stroke:#999;stroke-width:1}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="8" y="20" font-size="17" font-weight="bold" fill="#111">Baton vs Redis, etcd and the raw wire limit</text>`,
    `<text x="8" y="36" font-size="11" fill="#555">${escapeXml(subtitle)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
