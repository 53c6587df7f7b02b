import { describe, expect, it } from 'vitest';
import { goalText, measuredText, rawCounterpart, renderMarkdown, table } from '../src/report/render-markdown.js';
import { chartPanels, escapeXml, headroom, renderSvg } from '../src/report/render-svg.js';
import { timestampName } from '../src/report/write-results.js';
import { evaluateChecks, evaluateTargets } from '../src/targets.js';
import { sampleResults } from './fixtures.js';

function evaluated() {
  const results = sampleResults();
  results.targets = evaluateTargets(results);
  results.checks = evaluateChecks(results);
  return results;
}

describe('the Markdown report', () => {
  const markdown = renderMarkdown(evaluated());

  it('has a section per workload and the targets first', () => {
    const headings = markdown.split('\n').filter((line) => line.startsWith('## ')).map((line) => line.slice(3, 12).trim());
    expect(headings).toEqual(['Targets', 'W1: one c', 'W2: 64 cl', 'W3: 16 cl', 'W4: scale', 'Correctne']);
  });

  it('shows medians with their spread and ratios to the raw limit', () => {
    expect(markdown).toMatch(/\| Baton tcp\s+\|\s+100 \(90–110\) \|/);
    expect(markdown).toContain('2.00 (1.80–2.20)×');
  });

  it('names each target met or missed with its goal', () => {
    expect(markdown).toMatch(/W1 tcp: Baton ÷ raw two-round-trip limit \(µs per pair\)\s+\|\s+≤ 1\.25×\s+\|\s+2\.00 \(1\.80–2\.20\)×\s+\|\s+\*\*missed\*\*/);
    expect(markdown).toMatch(/server memory per held lock.*< 1,024 B\s+\|\s+900 B\s+\|\s+\*\*met\*\*/);
  });

  it('says which peers were skipped and why', () => {
    const results = evaluated();
    results.skipped.push({ system: 'etcd', reason: 'etcd is not installed' });
    expect(renderMarkdown(results)).toContain('- **Skipped etcd**: etcd is not installed');
  });

  it('warns when the machine was busy', () => {
    const results = evaluated();
    results.machine.busyShareAtStart = 0.6;
    expect(renderMarkdown(results)).toContain('Other programs kept 60% of the CPUs busy');
  });

  it('escapes pipes and line feeds inside cells', () => {
    expect(table([['a', 'b'], ['x|y', 'one\ntwo']])).toContain('x\\|y');
    expect(table([['a', 'b'], ['x|y', 'one\ntwo']])).toContain('one two');
  });

  it('compares each system with the raw echo of its own wire', () => {
    expect(rawCounterpart('baton-zmq')).toBe('raw-zmq');
    expect(rawCounterpart('redis')).toBe('raw-tcp');
    expect(rawCounterpart('raw-ws')).toBeUndefined();
  });

  it('formats goals and measurements by kind', () => {
    const targets = new Map(evaluated().targets.map((target) => [target.id, target]));
    expect(goalText(targets.get('w2-1p-tcp-vs-etcd')!)).toBe('≥ 20.00×');
    expect(goalText(targets.get('w4-memory')!)).toBe('< 1,024 B');
    expect(goalText(targets.get('w3-tcp-equal-share')!)).toBe('±1');
    expect(measuredText(targets.get('w4-sessions')!)).toBe('0 trouble event(s)');
  });
});

describe('the SVG chart', () => {
  const results = evaluated();
  const svg = renderSvg(results);

  it('is one SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<svg/g)).toHaveLength(1);
  });

  it('has a panel for the targets and one per workload and variant', () => {
    expect(chartPanels(results).map((panel) => panel.title.slice(0, 8))).toEqual(['Targets:', 'W1: µs p', 'W2: pair', 'W2: pair', 'W3: hand']);
  });

  it('draws a met target to the right of the goal line and a missed one to its left', () => {
    const targets = new Map(results.targets.map((target) => [target.id, target]));
    expect(headroom(targets.get('w1-tcp-vs-raw')!)).toBeCloseTo(1.25 / 2);
    expect(headroom(targets.get('w2-1p-tcp-vs-etcd')!)).toBeCloseTo(31 / 20);
    expect(headroom(targets.get('w3-tcp-equal-share')!)).toBeUndefined();
    const panel = chartPanels(results)[0]!;
    const missed = panel.rows.find((row) => row.label === 'W1 tcp latency ÷ raw limit')!;
    expect(missed.value).toBeLessThan(1);
    expect(missed.color).toBe('#c62828');
  });

  it('escapes text', () => {
    expect(escapeXml('a < b & "c" > d')).toBe('a &lt; b &amp; &quot;c&quot; &gt; d');
    const tricky = evaluated();
    tricky.w1!.systems['<script>'] = tricky.w1!.systems['baton-tcp']!;
    expect(renderSvg(tricky)).not.toContain('<script>');
  });
});

describe('file names', () => {
  it('are the start time without colons or milliseconds', () => {
    expect(timestampName('2026-11-25T08:00:12.345Z')).toBe('2026-11-25T08-00-12Z');
  });
});
