/**
 * The grants-per-second chart: one bar per second of the last minute, the
 * newest on the right, scaled to the busiest second (at least 1, so a quiet
 * minute draws flat rather than full-height bars).
 */
export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  count: number;
}

export interface ChartGeometry {
  bars: Bar[];
  /** The count the top of the chart stands for. */
  scale: number;
  peak: number;
  /** The last whole second (the current one is still filling). */
  lastSecond: number;
}

export function chartGeometry(series: readonly number[], width: number, height: number): ChartGeometry {
  const peak = series.reduce((most, count) => Math.max(most, count), 0);
  const scale = niceCeiling(Math.max(1, peak));
  const slot = series.length === 0 ? 0 : width / series.length;
  const gap = slot > 3 ? 1 : 0;
  const bars = series.map((count, index) => {
    const barHeight = count === 0 ? 0 : Math.max(1, (count / scale) * height);
    return { x: index * slot, y: height - barHeight, width: Math.max(0, slot - gap), height: barHeight, count };
  });
  return { bars, scale, peak, lastSecond: series.length >= 2 ? series[series.length - 2]! : (series[0] ?? 0) };
}

/** 1, 2, 5, 10, 20, 50, ...: the smallest at or above `value`. */
export function niceCeiling(value: number): number {
  let magnitude = 1;
  while (magnitude * 10 <= value) magnitude *= 10;
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}
