/**
 * A JSON string literal (quotes included) that is exactly `byteLength` UTF-8
 * bytes long, made of `filler` repeated and topped up with `x`. Size-limit
 * tests need exact byte counts, and a multibyte `filler` proves a transport
 * counts bytes, not characters.
 */
export function messageOfBytes(byteLength: number, filler = 'x'): string {
  if (byteLength < 2) {
    throw new RangeError('a JSON string literal is at least 2 bytes ("")');
  }
  const fillerBytes = Buffer.byteLength(filler, 'utf8');
  const body = byteLength - 2;
  const repeats = Math.floor(body / fillerBytes);
  const text = `"${filler.repeat(repeats)}${'x'.repeat(body - repeats * fillerBytes)}"`;
  return text;
}
