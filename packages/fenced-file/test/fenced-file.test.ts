import { fork } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FencedFile, StaleTokenError, SymbolicLinkError, withFileMutex } from '../src/index.js';

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'baton-fenced-'));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe('FencedFile', () => {
  it('accepts equal and higher tokens and refuses a lower one, leaving the content as it was', () => {
    const file = new FencedFile(join(directory, 'file_A.txt'));
    expect(file.read()).toBe('');
    file.write('first', '5');
    file.write('again', '5');
    file.write('newer', '9');
    expect(() => file.write('stale', '7')).toThrow(StaleTokenError);
    expect(file.read()).toBe('newer');
    expect(file.latestToken()).toBe(9n);
    expect(readFileSync(join(directory, 'file_A.txt'), 'utf8')).toBe('newer');
  });

  it('compares tokens as integers, beyond 2^53', () => {
    const file = new FencedFile(join(directory, 'big.txt'));
    file.write('a', '18446744073709551000');
    expect(() => file.write('b', '18446744073709550999')).toThrow(/token 18446744073709551000 has already been used/);
    file.write('c', '18446744073709551001');
    expect(file.read()).toBe('c');
  });

  it('runs the check under the mutex right before the compare; a check that throws leaves content and fence as they were', () => {
    const path = join(directory, 'checked.txt');
    const file = new FencedFile(path);
    file.write('kept', '3');
    const seen: boolean[] = [];
    const lost = () => {
      seen.push(existsSync(`${path}.mutex`));
      throw new Error('lock lost');
    };
    expect(() => file.write('late', '4', { check: lost })).toThrow('lock lost');
    expect(() => file.read('5', { check: lost })).toThrow('lock lost');
    expect(() => file.read(undefined, { check: lost })).toThrow('lock lost');
    expect(seen).toEqual([true, true, false]);
    expect(file.read()).toBe('kept');
    expect(file.latestToken()).toBe(3n);
    let checks = 0;
    file.write('next', '4', { check: () => void checks++ });
    expect(file.read('4', { check: () => void checks++ })).toBe('next');
    expect(checks).toBe(2);
  });

  it('refuses a token that is not a decimal string', () => {
    const file = new FencedFile(join(directory, 'x.txt'));
    expect(() => file.write('v', '-1')).toThrow(TypeError);
  });
});

describe('withFileMutex', () => {
  it("breaks the mutex of a process that died holding it", () => {
    const path = join(directory, 'file.txt');
    mkdirSync(`${path}.mutex`);
    writeFileSync(join(`${path}.mutex`, 'owner'), '999999999');
    expect(withFileMutex(path, () => 'taken')).toBe('taken');
  });

  it('keeps concurrent compare-and-write in several processes exact', async () => {
    const path = join(directory, 'counter.txt');
    const script = join(directory, 'worker.mjs');
    const source = new URL('../src/file-mutex.ts', import.meta.url).href;
    writeFileSync(
      script,
      `import { readFileSync, writeFileSync } from 'node:fs';
       const { withFileMutex } = await import(${JSON.stringify(source)});
       for (let i = 0; i < 300; i++) withFileMutex(${JSON.stringify(path)}, () => {
         let n = 0; try { n = Number(readFileSync(${JSON.stringify(path)}, 'utf8')); } catch {}
         writeFileSync(${JSON.stringify(path)}, String(n + 1));
       });`,
    );
    const tsx = new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
    const workers = Array.from({ length: 4 }, () => fork(script, { execArgv: ['--import', tsx] }));
    const codes = await Promise.all(workers.map((worker) => new Promise((resolve) => worker.on('exit', resolve))));
    expect(codes).toEqual([0, 0, 0, 0]);
    expect(readFileSync(path, 'utf8')).toBe('1200');
  });
});

describe('fenced reads', () => {
  it('raise the fence, so a paused holder cannot write back what it read before a newer holder read', () => {
    const file = new FencedFile(join(directory, 'counter.txt'));
    file.write('0', '1');
    const staleValue = Number(file.read('1')); // the old holder reads, then pauses
    const freshValue = Number(file.read('2')); // the new holder reads with a newer token...
    expect(() => file.write(String(staleValue + 1), '1')).toThrow(StaleTokenError); // ...so the old holder's write is refused
    file.write(String(freshValue + 1), '2');
    expect(file.read()).toBe('1');
    expect(() => file.read('1')).toThrow(StaleTokenError);
  });
});

describe('FencedFile and symbolic links', () => {
  /** A file outside the data directory that a planted link points at. */
  function victim(): string {
    const outside = mkdtempSync(join(tmpdir(), 'baton-outside-'));
    const path = join(outside, 'precious.txt');
    writeFileSync(path, 'precious');
    outsideDirectories.push(outside);
    return path;
  }
  const outsideDirectories: string[] = [];
  afterEach(() => {
    for (const outside of outsideDirectories.splice(0)) rmSync(outside, { recursive: true, force: true });
  });

  it('refuses to write through a link planted at the temporary file name, and leaves the file outside untouched', () => {
    const target = victim();
    const path = join(directory, 'file_A.txt');
    const file = new FencedFile(path);
    file.write('before', '1');
    symlinkSync(target, `${path}.${process.pid}.tmp`);
    expect(() => file.write('overwritten?', '2')).toThrow(SymbolicLinkError);
    expect(() => file.write('overwritten?', '2')).toThrow(/is a symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(file.read()).toBe('before');
  });

  it('refuses to read or write through a link planted at the data file name, and leaves the file outside untouched', () => {
    const target = victim();
    const path = join(directory, 'file_B.txt');
    symlinkSync(target, path);
    const file = new FencedFile(path);
    expect(() => file.read()).toThrow(SymbolicLinkError);
    expect(() => file.read('1')).toThrow(SymbolicLinkError);
    expect(() => file.write('overwritten?', '1')).toThrow(SymbolicLinkError);
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
  });

  it('refuses a link planted at the fence file name', () => {
    const target = victim();
    const path = join(directory, 'file_C.txt');
    symlinkSync(target, `${path}.fence`);
    const file = new FencedFile(path);
    expect(() => file.write('x', '1')).toThrow(SymbolicLinkError);
    expect(readFileSync(target, 'utf8')).toBe('precious');
  });

  it('replaces a plain leftover temporary file of its own pid (a crash between create and rename)', () => {
    const path = join(directory, 'file_D.txt');
    writeFileSync(`${path}.${process.pid}.tmp`, 'leftover');
    const file = new FencedFile(path);
    file.write('fresh', '1');
    expect(file.read()).toBe('fresh');
    expect(existsSync(`${path}.${process.pid}.tmp`)).toBe(false);
  });
});
