/**
 * The `@example` in src/index.ts's JSDoc (what editors show for the package)
 * is run, and the effects it shows in its `// effects:` comment must be the
 * effects the machine returns.
 *
 * The example's code (every line of its ts block that is not a comment) is
 * written to a temporary module beside this file, so `@baton/core` resolves
 * to this package's sources as in test/readme-example.test.ts, followed by
 * exports of its `effects` and of the documented value.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const source = readFileSync(join(here, '..', 'src', 'index.ts'), 'utf8');

/** The lines of the JSDoc's ts block, without the leading ` * `. */
function exampleLines(): string[] {
  const match = /@example\s*\n((?:\s*\*.*\n)*?)\s*\*\/\n/.exec(source);
  if (!match) throw new Error('src/index.ts has no @example');
  const lines = match[1]!.split('\n').map((line) => line.replace(/^\s*\* ?/, ''));
  const start = lines.indexOf('```ts');
  const end = lines.indexOf('```', start + 1);
  if (start < 0 || end < 0) throw new Error('the @example in src/index.ts has no ```ts block');
  return lines.slice(start + 1, end);
}

const temporary: string[] = [];
afterEach(() => {
  for (const file of temporary.splice(0)) rmSync(file, { force: true });
});

describe('the @example in src/index.ts', () => {
  it('shows the effects the machine returns', async () => {
    const lines = exampleLines();
    const code = lines.filter((line) => !line.startsWith('//'));
    const comment = lines.filter((line) => line.startsWith('//')).map((line) => line.replace(/^\/\/ ?/, ''));
    expect(comment[0], 'the comment starts with "effects:"').toMatch(/^effects:/);
    const documented = comment.join('\n').replace(/^effects:/, '');

    const file = join(here, `.index-example-${randomUUID()}.generated.ts`);
    temporary.push(file);
    writeFileSync(file, `${code.join('\n')}\nexport { effects };\nexport const documented: unknown = ${documented};\n`);
    const module = (await import(pathToFileURL(file).href)) as { effects: unknown; documented: unknown };
    expect(module.effects).toEqual(module.documented);
  });
});
