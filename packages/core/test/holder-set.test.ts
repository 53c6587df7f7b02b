import { describe, expect, it } from 'vitest';
import { HolderSet } from '../src/holder-set.js';

const holder = (token: string) => ({ token });

describe('HolderSet', () => {
  it('holds one holder without a Map, and finds it by token only', () => {
    const set = new HolderSet<{ token: string }>();
    expect(set.size).toBe(0);
    const first = holder('7');
    set.add(first);
    expect(set.size).toBe(1);
    expect(set.get('7')).toBe(first);
    expect(set.get('8')).toBeUndefined();
    expect(set.delete('8')).toBe(false);
    expect(set.delete('7')).toBe(true);
    expect(set.size).toBe(0);
    expect(set.toArray()).toEqual([]);
  });

  it('keeps grant order as holders join and leave, through the switch to a Map and back', () => {
    const set = new HolderSet<{ token: string }>();
    set.add(holder('1'));
    set.add(holder('2'));
    set.add(holder('3'));
    expect(set.toArray().map((entry) => entry.token)).toEqual(['1', '2', '3']);
    expect(set.delete('1')).toBe(true);
    set.add(holder('4'));
    expect(set.toArray().map((entry) => entry.token)).toEqual(['2', '3', '4']);
    expect(set.get('3')?.token).toBe('3');
    for (const token of ['2', '3', '4']) expect(set.delete(token)).toBe(true);
    expect(set.size).toBe(0);
    set.add(holder('5'));
    expect(set.toArray().map((entry) => entry.token)).toEqual(['5']);
    expect(set.size).toBe(1);
  });
});
