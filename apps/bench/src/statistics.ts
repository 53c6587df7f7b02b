/**
 * The few statistics the benchmark reports. Everything here is pure, so the
 * tests pin it down exactly.
 *
 * Percentiles use the nearest-rank method on sorted samples (the value at
 * rank ceil(p/100 * n)), so a reported p99 is always a latency that was
 * actually observed, never an interpolation between two.
 */

/** A median and the spread of repeated measurements of one quantity. */
export interface Summary {
  /** Median of `runs`. */
  median: number;
  /** Smallest and largest of `runs`: the spread reported beside the median. */
  min: number;
  max: number;
  /** One value per repetition, in the order they were measured. */
  runs: number[];
}

/** Sorted copy, ascending; the input is left untouched. */
export function sortedAscending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/**
 * Nearest-rank percentile, `p` in [0, 100]. p = 50 of an even count is the
 * lower middle value; use {@link median} for the usual mean of the two.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of no values');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = sortedAscending(values);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Median: the middle value, or the mean of the two middle values of an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = sortedAscending(values);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Median and min–max of repeated measurements. */
export function summarize(runs: readonly number[]): Summary {
  if (runs.length === 0) throw new RangeError('summary of no runs');
  const sorted = sortedAscending(runs);
  return { median: median(sorted), min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: [...runs] };
}

/**
 * Ratios of two quantities measured side by side, repetition by repetition
 * (`numerator[i] / denominator[i]`), summarised. Pairing by repetition is the
 * point: both numbers of a ratio come from the same minute of the same run.
 */
export function pairedRatios(numerator: readonly number[], denominator: readonly number[]): Summary {
  if (numerator.length !== denominator.length) {
    throw new RangeError(`paired ratios need as many numerators as denominators (${numerator.length} vs ${denominator.length})`);
  }
  return summarize(numerator.map((value, index) => value / denominator[index]!));
}

/** Latency samples of one run reduced to what the report shows. */
export interface LatencySummary {
  count: number;
  median: number;
  p99: number;
  max: number;
}

export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) throw new RangeError('no latency samples');
  const sorted = sortedAscending(samples);
  return { count: sorted.length, median: median(sorted), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]! };
}

/** "12.3 (11.9–13.0)": a summary as the tables show it. */
export function formatSummary(summary: Summary, digits = significantDigits(summary.median)): string {
  const value = formatNumber(summary.median, digits);
  if (summary.runs.length < 2) return value;
  return `${value} (${formatNumber(summary.min, digits)}–${formatNumber(summary.max, digits)})`;
}

/** Decimals that keep about three significant digits, never more than two. */
export function significantDigits(value: number): number {
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return 0;
  if (magnitude >= 10) return 1;
  return 2;
}

/** Thousands separated by commas, fixed decimals. */
export function formatNumber(value: number, digits = significantDigits(value)): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
