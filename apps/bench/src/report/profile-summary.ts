/**
 * What dominates a V8 CPU profile (`node --cpu-prof`, or `pnpm bench
 * --profile`): self time per function and per package, largest first.
 *
 *   node --import tsx apps/bench/src/report/profile-summary.ts <file.cpuprofile> [--top 25]
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  microseconds: number;
  share: number;
}

/** Where a script lives, coarsely: a workspace package, a dependency, node itself. */
export function packageOf(url: string): string {
  if (url === '') return '(native/V8)';
  const workspace = /\/(packages|apps)\/([^/]+)\//.exec(url);
  if (workspace && !url.includes('/node_modules/')) return `${workspace[1]}/${workspace[2]}`;
  const dependency = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1]!;
  if (url.startsWith('node:')) return 'node (lib)';
  return basename(url);
}

/** Self time per function and per package. */
export function summarizeProfile(profile: CpuProfile): { total: number; functions: SelfTime[]; packages: SelfTime[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let total = 0;
  for (const [id, time] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    total += time;
    const where = frame.url ? `${packageOf(frame.url)}:${basename(frame.url)}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + time);
    const pack = frame.url ? packageOf(frame.url) : frame.functionName;
    packages.set(pack, (packages.get(pack) ?? 0) + time);
  }
  const sorted = (map: Map<string, number>) =>
    [...map.entries()].sort((a, b) => b[1] - a[1]).map(([name, microseconds]) => ({ name, microseconds, share: total === 0 ? 0 : microseconds / total }));
  return { total, functions: sorted(functions), packages: sorted(packages) };
}

function main(): void {
  const args = process.argv.slice(2);
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25;
  const files = args.filter((arg, index) => !arg.startsWith('--') && index !== topIndex + 1);
  for (const file of files) {
    const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    process.stdout.write(`\n${file}: ${(summary.total / 1000).toFixed(0)} ms busy (idle excluded)\n`);
    process.stdout.write('  by package:\n');
    for (const entry of summary.packages.slice(0, 12)) process.stdout.write(`    ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.name}\n`);
    process.stdout.write('  by function (self time):\n');
    for (const entry of summary.functions.slice(0, top)) process.stdout.write(`    ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.name}\n`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) main();
