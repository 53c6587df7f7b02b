/**
 * The embedding example in README.md is real code, and this file keeps it so.
 *
 * The ts block after the `<!-- readme-example: ... -->` marker is written to a
 * temporary module beside this file and imported, so `@baton/core` resolves
 * (through the `@baton/source` condition) to this package's sources, just as
 * it resolves for a program that depends on the package. The example checks
 * itself and throws when the machine does not do what the README says; here
 * we also compare what it prints with the README's output block and
 * type-check it as a user's compiler would.
 *
 * Last, the example is run against deliberately broken machines: each one
 * must make it throw, so its checks cannot quietly stop checking anything.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterEach, describe, expect, it, vi } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, '..');
const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');

/** The body of the fenced block that directly follows `marker`. */
function fencedBlockAfter(marker: RegExp, language: string): string {
  const match = new RegExp(`${marker.source}\\s*\`\`\`${language}\\n([\\s\\S]*?)\\n\`\`\`(?:\\n|$)`).exec(readme);
  if (!match) throw new Error(`README.md has no \`\`\`${language} block right after ${marker.source}`);
  return match[1]!;
}

const example = fencedBlockAfter(/<!-- readme-example:[^>]*-->/, 'ts');
const printed = fencedBlockAfter(/<!-- readme-example-output -->/, 'text');

/** Temporary modules next to this file (git-ignored by packages/core/.gitignore), removed after each test. */
const temporary: string[] = [];

function writeModule(kind: string, source: string): string {
  const file = join(here, `.readme-example-${randomUUID()}.${kind}.generated.ts`);
  temporary.push(file);
  writeFileSync(file, source);
  return file;
}

afterEach(() => {
  for (const file of temporary.splice(0)) rmSync(file, { force: true });
  vi.restoreAllMocks();
});

/** Import a module and return what it printed with console.log. */
async function run(file: string): Promise<string[]> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  await import(pathToFileURL(file).href);
  return lines;
}

describe('the README example', () => {
  it('imports @baton/core and nothing else', () => {
    const specifiers = [...example.matchAll(/\bfrom\s+'([^']+)'/g)].map((match) => match[1]);
    expect(specifiers.length).toBeGreaterThan(0);
    expect(new Set(specifiers)).toEqual(new Set(['@baton/core']));
  });

  it('runs, passes its own checks and prints what the README shows', async () => {
    const lines = await run(writeModule('example', example));
    expect(lines.join('\n')).toBe(printed);
  });

  it('type-checks under the package compiler settings', () => {
    const file = writeModule('typecheck', example);
    const config = ts.getParsedCommandLineOfConfigFile(join(packageRoot, 'tsconfig.json'), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    });
    if (!config) throw new Error('cannot read tsconfig.json');
    const program = ts.createProgram([file], { ...config.options, noEmit: true });
    const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const where = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start) : undefined;
      const at = where ? `README example line ${where.line + 1}: ` : '';
      return at + ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    });
    expect(problems).toEqual([]);
  });

  // Each entry breaks the machine in one way the example's text describes; the example must notice.
  const breakages: Record<string, string> = {
    'the queued effect goes missing': `
      override handle(input: Input, now: number): Effect[] {
        return super.handle(input, now).filter((effect) => effect.type !== 'queued');
      }`,
    'effects come out in another order': `
      override handle(input: Input, now: number): Effect[] {
        return super.handle(input, now).reverse();
      }`,
    'the next deadline is announced one millisecond late': `
      override nextDeadline(): number | undefined {
        const next = super.nextDeadline();
        return next === undefined ? undefined : next + 1;
      }`,
    'lock-delay is ignored': `
      override handle(input: Input, now: number): Effect[] {
        return super.handle(input.type === 'acquire' ? { ...input, lockDelayMs: 0 } : input, now);
      }`,
    'a restarted machine ignores firstToken': `
      constructor(options: LockMachineOptions = {}) {
        super({ ...options, firstToken: 1n });
      }`,
  };

  it.each(Object.entries(breakages))('fails its own checks when %s', async (_name, body) => {
    const shim = writeModule(
      'broken-core',
      `import { LockMachine as Real } from '@baton/core';
import type { Effect, Input, LockMachineOptions } from '@baton/core';
export * from '@baton/core';
export class LockMachine extends Real {${body}
}
`,
    );
    const broken = example.replaceAll(`from '@baton/core'`, `from './${shim.slice(here.length + 1).replace(/\.ts$/, '.js')}'`);
    expect(broken).not.toContain('@baton/core');
    await expect(run(writeModule('example-on-broken-core', broken))).rejects.toThrow(/README example is wrong/);
  });
});
