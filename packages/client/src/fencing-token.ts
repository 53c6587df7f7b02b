/**
 * Fencing tokens are decimal strings (docs/protocol.md: up to 20 digits, so
 * they outgrow a JavaScript number), and strings compare as text:
 * `'1002' > '205'` is false. Compare them with these, never with `<` or `>`.
 */

/** The token as a bigint. Throws a TypeError for anything that is not a token. */
export function tokenValue(token: string): bigint {
  if (typeof token !== 'string' || !/^[1-9][0-9]{0,19}$/.test(token)) {
    throw new TypeError(`${JSON.stringify(token)} is not a fencing token (a decimal string without leading zeros)`);
  }
  return BigInt(token);
}

/** Negative when `a` was granted before `b`, positive when after, 0 when they are the same token. */
export function compareTokens(a: string, b: string): number {
  const difference = tokenValue(a) - tokenValue(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

/** True when `token` was granted after `than`: what a fenced resource checks before it accepts a write. */
export function isNewerToken(token: string, than: string): boolean {
  return compareTokens(token, than) > 0;
}
