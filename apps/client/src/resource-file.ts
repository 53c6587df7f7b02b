import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { resourceNameProblem } from '@baton/core';
import { FencedFile } from '@baton/fenced-file';

/**
 * Longest file name lock-client gives a resource's data, in bytes, `.txt`
 * included. File systems allow 255; FencedFile keeps companions beside the
 * file (`.fence`, `.mutex`, `.fence.<pid>.tmp`: at most 18 bytes more), and
 * 200 leaves them room with a margin.
 */
export const MAX_RESOURCE_FILE_NAME_BYTES = 200;

const EXTENSION = '.txt';
/** Marks a shortened file name. It never appears in an encoded name, where `~` itself is written `%7E`. */
const SHORTENED_MARK = '~';
/** A SHA-256 digest in hex: what tells two shortened names apart. */
const DIGEST_HEX_LENGTH = 64;
/** How much of the encoded name a shortened file name keeps, so that the whole stays within the bound. */
const SHORTENED_PREFIX_BYTES = MAX_RESOURCE_FILE_NAME_BYTES - EXTENSION.length - SHORTENED_MARK.length - DIGEST_HEX_LENGTH;
/** The file name of a resource whose name was not shortened: kept bytes and escapes, then the extension. */
const ENCODED_FILE_NAME = /^((?:[A-Za-z0-9_.-]|%[0-9A-F]{2})+)\.txt$/;

/**
 * The file that holds a resource's data: `<data-dir>/<file name>` by
 * {@link resourceFileName}. Resource names are any text (`orders/42`, `..`,
 * `Ünïcode`), so the name is never used as a path as it is.
 */
export function resourceFilePath(dataDirectory: string, resource: string): string {
  return join(resolve(dataDirectory), resourceFileName(resource));
}

/**
 * A resource's file name, safe and distinct for every valid name: each UTF-8
 * byte outside `A-Z a-z 0-9 _ - .` is written `%XX` (upper-case hex), and so
 * is a leading `.`, then `.txt` follows. So no file name holds a path
 * separator, none is `.` or `..` or hidden, and names from the old whitelist
 * (`file_A`, `counter`) keep the file names they always had. The mapping is
 * reversible ({@link resourceForFileName}).
 *
 * A name whose encoding would pass MAX_RESOURCE_FILE_NAME_BYTES (a 512-byte
 * name of escaped bytes is 1,536) is shortened instead: the first bytes of
 * its encoding (never half an escape), `~`, and the SHA-256 of the name in
 * hex. Distinct names still get distinct files (`~` marks the shortened ones,
 * the digest tells them apart), but that file name does not give the
 * resource name back.
 */
export function resourceFileName(resource: string): string {
  const problem = resourceNameProblem(resource);
  if (problem) throw new Error(problem);
  const encoded = percentEncoded(resource);
  if (encoded.length + EXTENSION.length <= MAX_RESOURCE_FILE_NAME_BYTES) return encoded + EXTENSION;
  const digest = createHash('sha256').update(resource, 'utf8').digest('hex');
  return `${wholeEscapesPrefix(encoded, SHORTENED_PREFIX_BYTES)}${SHORTENED_MARK}${digest}${EXTENSION}`;
}

/** The resource a file name from {@link resourceFileName} stands for; undefined for a shortened name or any other file. */
export function resourceForFileName(fileName: string): string | undefined {
  const match = ENCODED_FILE_NAME.exec(fileName);
  if (match === null) return undefined;
  const encoded = match[1]!;
  const bytes: number[] = [];
  for (let index = 0; index < encoded.length; index++) {
    if (encoded[index] === '%') {
      bytes.push(Number.parseInt(encoded.slice(index + 1, index + 3), 16));
      index += 2;
    } else {
      bytes.push(encoded.charCodeAt(index));
    }
  }
  let resource: string;
  try {
    resource = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
  // Only the one canonical spelling maps back: `%41.txt` is not the file of `A`.
  if (resourceNameProblem(resource) !== undefined || resourceFileName(resource) !== fileName) return undefined;
  return resource;
}

function percentEncoded(resource: string): string {
  const bytes = Buffer.from(resource, 'utf8');
  let encoded = '';
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]!;
    const leadingDot = index === 0 && byte === 0x2e;
    encoded += isKept(byte) && !leadingDot ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** `A-Z a-z 0-9 _ - .`: the bytes every file system takes as they are. */
function isKept(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x5f || byte === 0x2d || byte === 0x2e
  );
}

/** At most `length` characters of an encoded name, cut before an escape rather than inside it. */
function wholeEscapesPrefix(encoded: string, length: number): string {
  let end = length;
  if (encoded[end - 1] === '%') end -= 1;
  else if (encoded[end - 2] === '%') end -= 2;
  return encoded.slice(0, end);
}

/**
 * The resource's file, fenced: every write names the lock's token, and a
 * write with a token older than one already written is refused — so a holder
 * that was paused past its lease cannot overwrite its successor's work.
 */
export function resourceFile(path: string): FencedFile {
  return new FencedFile(path);
}

/** The counter in a file: an empty or missing file counts as 0. */
export function parseCounter(path: string, text: string): number {
  const trimmed = text.trim();
  if (trimmed === '') return 0;
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value)) throw new Error(`${path} does not hold a whole number: ${JSON.stringify(trimmed.slice(0, 40))}`);
  return value;
}
