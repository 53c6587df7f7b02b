/**
 * The fuzzer's only source of randomness: a small seeded generator (sfc32)
 * instead of Math.random, so that a run is reproducible from the seed it
 * prints. Every connection draws from its own stream, derived from the run's
 * seed, the transport and the connection's number, so the frames a given
 * connection sends do not depend on how the others happened to interleave.
 * (Values that come from the server — tokens, session secrets — are still
 * whatever the server gave; the choices around them are the seed's.)
 */
import { randomBytes } from 'node:crypto';

/** A fresh seed when none is given: 8 hex digits, short enough to type back as `--seed`. */
export function newSeed(): string {
  return randomBytes(4).toString('hex');
}

/** cyrb128: four 32-bit words from a string, to seed sfc32. */
function hashSeed(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    h1 = h2 ^ Math.imul(h1 ^ code, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ code, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ code, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ code, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

/** The entries and total of each weight table, computed once (the same literal objects are passed again and again). */
const weightTables = new WeakMap<object, { entries: [string, number][]; total: number }>();

/** A seeded pseudo-random stream with the helpers the generator and mutator need. */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: string) {
    [this.#a, this.#b, this.#c, this.#d] = hashSeed(seed);
    // Warm up: the first outputs of sfc32 are correlated with the seed words.
    for (let index = 0; index < 12; index++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    this.#a >>>= 0;
    this.#b >>>= 0;
    this.#c >>>= 0;
    this.#d >>>= 0;
    let t = (this.#a + this.#b) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#d = (this.#d + 1) | 0;
    t = (t + this.#d) | 0;
    this.#c = (this.#c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [min, max] (both included). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element; always one draw, so an empty or changing list does not shift the stream. */
  pick<T>(items: readonly T[]): T {
    const index = Math.floor(this.next() * items.length);
    return items[index]!;
  }

  /** One element of a possibly empty list (one draw either way). */
  maybePick<T>(items: readonly T[]): T | undefined {
    const index = Math.floor(this.next() * items.length);
    return items.length === 0 ? undefined : items[index];
  }

  /** One key by weight: `{ acquire: 30, release: 10 }`. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    let table = weightTables.get(weights);
    if (!table) {
      const entries: [string, number][] = Object.entries<number>(weights);
      table = { entries, total: entries.reduce((sum, [, weight]) => sum + weight, 0) };
      weightTables.set(weights, table);
    }
    const entries = table.entries as [K, number][];
    const total = table.total;
    let point = this.next() * total;
    for (const [key, weight] of entries) {
      point -= weight;
      if (point < 0) return key;
    }
    return entries[entries.length - 1]![0];
  }

  /** A log-uniform integer in [min, max]: small values often, large ones now and then. */
  logInt(min: number, max: number): number {
    const low = Math.log(min);
    const high = Math.log(max + 1);
    return Math.min(max, Math.floor(Math.exp(low + this.next() * (high - low))));
  }
}
