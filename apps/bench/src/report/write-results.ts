import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResults } from '../results.js';
import { evaluateChecks, evaluateTargets } from '../targets.js';
import { renderMarkdown } from './render-markdown.js';
import { renderSvg } from './render-svg.js';

/** `2026-11-25T07-53-56Z`: the start time, safe in a file name. */
export function timestampName(isoTime: string): string {
  return isoTime.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** Write <timestamp>.json/.md/.svg (and latest.* when asked) into `directory`; returns the paths written. */
export function writeResults(results: BenchResults, directory: string, writeLatest: boolean): string[] {
  mkdirSync(directory, { recursive: true });
  const base = join(directory, timestampName(results.startedAt));
  const files = {
    json: `${base}.json`,
    md: `${base}.md`,
    svg: `${base}.svg`,
  };
  writeFileSync(files.json, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(files.md, renderMarkdown(results));
  writeFileSync(files.svg, renderSvg(results));
  const written = Object.values(files);
  if (writeLatest) {
    for (const [extension, file] of Object.entries(files)) {
      const latest = join(directory, `latest.${extension}`);
      copyFileSync(file, latest);
      written.push(latest);
    }
  }
  return written;
}

/** Draw the tables and chart of an earlier results file again (targets re-evaluated from its numbers), beside it. */
export function renderAgain(file: string): string[] {
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  results.targets = evaluateTargets(results);
  results.checks = evaluateChecks(results);
  const base = file.replace(/\.json$/, '');
  writeFileSync(`${base}.md`, renderMarkdown(results));
  writeFileSync(`${base}.svg`, renderSvg(results));
  return [`${base}.md`, `${base}.svg`];
}
