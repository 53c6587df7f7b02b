/**
 * lock-client's mapping from resource names to file names: every valid name
 * gets a safe file inside the data directory, distinct names get distinct
 * files, and the mapping reads back.
 */
import { basename, dirname, resolve } from 'node:path';
import { isValidResourceName, MAX_RESOURCE_NAME_LENGTH } from '@baton/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RESOURCE_FILE_NAME_BYTES, resourceFileName, resourceFilePath, resourceForFileName } from '../src/resource-file.js';

/** Valid names of every kind: any code point, the characters that matter to file systems, and the edges. */
const resourceName = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: MAX_RESOURCE_NAME_LENGTH / 4 }).filter(isValidResourceName),
  fc
    .string({ unit: fc.constantFrom('a', 'Z', '0', '_', '-', '.', '/', '\\', ':', '%', '~', ' ', '*', 'é', '😀', '"'), minLength: 1, maxLength: 200 })
    .filter(isValidResourceName),
  fc.constantFrom('.', '..', '...', '.hidden', '-rf', 'orders/42', '../../etc/passwd', 'x'.repeat(MAX_RESOURCE_NAME_LENGTH), '😀'.repeat(MAX_RESOURCE_NAME_LENGTH / 4), '%'.repeat(MAX_RESOURCE_NAME_LENGTH)),
);

describe('resourceFileName', () => {
  it('is a safe, bounded file name for every valid name', () => {
    fc.assert(
      fc.property(resourceName, (resource) => {
        const fileName = resourceFileName(resource);
        expect(fileName).toMatch(/^[A-Za-z0-9_.%~-]+\.txt$/);
        expect(fileName.startsWith('.')).toBe(false);
        expect(Buffer.byteLength(fileName, 'utf8')).toBeLessThanOrEqual(MAX_RESOURCE_FILE_NAME_BYTES);
        expect(MAX_RESOURCE_FILE_NAME_BYTES).toBeLessThan(255);
      }),
      { numRuns: 3000 },
    );
  });

  it('puts every file directly inside the data directory', () => {
    fc.assert(
      fc.property(resourceName, (resource) => {
        const path = resourceFilePath('data', resource);
        expect(dirname(path)).toBe(resolve('data'));
        expect(basename(path)).toBe(resourceFileName(resource));
      }),
      { numRuns: 1000 },
    );
  });

  it('reads back: the name of every file that was not shortened', () => {
    let readBack = 0;
    fc.assert(
      fc.property(resourceName, (resource) => {
        const fileName = resourceFileName(resource);
        if (fileName.includes('~')) {
          expect(resourceForFileName(fileName)).toBeUndefined();
          return;
        }
        readBack++;
        expect(resourceForFileName(fileName)).toBe(resource);
      }),
      { numRuns: 3000 },
    );
    expect(readBack).toBeGreaterThan(1000);
  });

  it('gives distinct names distinct files, shortened or not', () => {
    fc.assert(
      fc.property(resourceName, resourceName, (first, second) => {
        fc.pre(first !== second);
        expect(resourceFileName(first)).not.toBe(resourceFileName(second));
      }),
      { numRuns: 3000 },
    );
    // Names that only differ past the part a shortened file name keeps.
    const long = '/'.repeat(300);
    expect(resourceFileName(`${long}a`)).not.toBe(resourceFileName(`${long}b`));
    // A name that looks like an encoding is encoded itself.
    expect(resourceFileName('%41')).not.toBe(resourceFileName('A'));
  });

  it.each([
    ['file_A', 'file_A.txt'],
    ['counter', 'counter.txt'],
    ['db.users-2', 'db.users-2.txt'],
    ['.', '%2E.txt'],
    ['..', '%2E..txt'],
    ['.hidden', '%2Ehidden.txt'],
    ['orders/42', 'orders%2F42.txt'],
    ['a\\b', 'a%5Cb.txt'],
    ['user:1', 'user%3A1.txt'],
    ['Ü', '%C3%9C.txt'],
    ['%', '%25.txt'],
    ['~', '%7E.txt'],
  ])('%j is kept in %s (names of the old whitelist keep their files)', (resource, fileName) => {
    expect(resourceFileName(resource)).toBe(fileName);
  });

  it('shortens a name whose encoding is too long: a prefix of whole escapes, ~, and the SHA-256 of the name', () => {
    const fileName = resourceFileName('😀'.repeat(MAX_RESOURCE_NAME_LENGTH / 4));
    expect(fileName).toMatch(/^(?:%[0-9A-F]{2})+~[0-9a-f]{64}\.txt$/);
    expect(fileName.length).toBeLessThanOrEqual(MAX_RESOURCE_FILE_NAME_BYTES);
  });

  it.each(['', 'a\u0000b', 'x'.repeat(MAX_RESOURCE_NAME_LENGTH + 1)])('refuses the invalid name %j', (resource) => {
    expect(() => resourceFileName(resource)).toThrow(/resource/);
  });
});

describe('resourceForFileName', () => {
  it.each(['%41.txt', '%2e.txt', 'file_A.txt.mutex', 'file_A', '.txt', '%C3.txt', '%00.txt', 'a/b.txt'])('is undefined for %j, which no name maps to', (fileName) => {
    expect(resourceForFileName(fileName)).toBeUndefined();
  });
});
