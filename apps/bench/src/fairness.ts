import { median } from './statistics.js';

/** How evenly one contended resource was shared during a W3 run. */
export interface Fairness {
  /** Longest wait divided by the median wait (1 = every wait alike). */
  maxOverMedianWait: number;
  medianWaitMs: number;
  maxWaitMs: number;
  /** Fewest and most acquisitions any one client made. */
  minAcquisitions: number;
  maxAcquisitions: number;
  /** Total acquisitions divided by the number of clients. */
  equalShare: number;
  /** Every client within ±1 acquisition of the equal share. */
  withinOneOfEqualShare: boolean;
}

/**
 * Fairness of a contended run from every wait (milliseconds from asking to
 * holding, all clients together) and each client's number of acquisitions.
 *
 * A median wait of 0 (possible only when nobody had to wait) makes the
 * ratio 1 when the longest wait is 0 as well, and Infinity otherwise.
 */
export function computeFairness(waitsMs: readonly number[], acquisitionsPerClient: readonly number[]): Fairness {
  if (waitsMs.length === 0) throw new RangeError('fairness needs at least one wait');
  if (acquisitionsPerClient.length === 0) throw new RangeError('fairness needs at least one client');
  const medianWaitMs = median(waitsMs);
  const maxWaitMs = Math.max(...waitsMs);
  const total = acquisitionsPerClient.reduce((sum, count) => sum + count, 0);
  const equalShare = total / acquisitionsPerClient.length;
  const minAcquisitions = Math.min(...acquisitionsPerClient);
  const maxAcquisitions = Math.max(...acquisitionsPerClient);
  // ±1 of a fractional share: with 16 clients and 1,000 acquisitions the
  // share is 62.5, so 62 and 63 are in; 61 is not.
  const withinOneOfEqualShare = acquisitionsPerClient.every((count) => Math.abs(count - equalShare) <= 1);
  let maxOverMedianWait: number;
  if (medianWaitMs > 0) maxOverMedianWait = maxWaitMs / medianWaitMs;
  else maxOverMedianWait = maxWaitMs === 0 ? 1 : Number.POSITIVE_INFINITY;
  return { maxOverMedianWait, medianWaitMs, maxWaitMs, minAcquisitions, maxAcquisitions, equalShare, withinOneOfEqualShare };
}
