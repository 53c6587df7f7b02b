import { describe, expect, it } from 'vitest';
import { compareTokens, connect, isNewerToken, tokenValue } from '../src/index.js';

describe('fencing tokens', () => {
  it('compare by value, not as text', () => {
    expect('1002' > '205').toBe(false); // the trap
    expect(compareTokens('1002', '205')).toBe(1);
    expect(compareTokens('205', '1002')).toBe(-1);
    expect(compareTokens('7', '7')).toBe(0);
    expect(isNewerToken('1002', '205')).toBe(true);
    expect(isNewerToken('99999999999999999999', '99999999999999999998')).toBe(true);
    expect(tokenValue('18446744073709551616')).toBe(18446744073709551616n);
  });

  it('refuse what is not a token', () => {
    for (const bad of ['', '0', '012', '1.5', '-1', ' 1', '123456789012345678901']) expect(() => tokenValue(bad)).toThrow(TypeError);
    expect(() => tokenValue(5 as unknown as string)).toThrow(TypeError);
  });
});

describe('connect from plain JavaScript', () => {
  it('says what is missing instead of failing inside', async () => {
    await expect(connect('tcp://127.0.0.1:5555', {} as never)).rejects.toThrow(/options.transport is required/);
    await expect(connect('tcp://127.0.0.1:5555', undefined as never)).rejects.toThrow(/options must be an object/);
    await expect(connect(5555 as never, {} as never)).rejects.toThrow(/url must be a string/);
    await expect(connect('tcp://127.0.0.1:5555', { transport: {} } as never)).rejects.toThrow(/must be a Baton transport/);
  });
});
