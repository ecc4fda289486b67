/** Small statistics over arrays of numbers (no mutation of the input). */

export function percentile(values, p) {
  if (values.length === 0) {
    return Number.NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

export const median = (values) => percentile(values, 50);

/** `{ min, median, max }` of a series, rounded to `digits`. */
export function spread(values, digits = 3) {
  const round = (value) => Number(value.toFixed(digits));
  return { min: round(Math.min(...values)), median: round(median(values)), max: round(Math.max(...values)), n: values.length };
}

/** `{ median, p90, p99, min, max }` of durations (p99 means something from about 100 values). */
export function durations(values, digits = 1) {
  const round = (value) => Number(value.toFixed(digits));
  return {
    n: values.length,
    median: round(median(values)),
    p90: round(percentile(values, 90)),
    p99: round(percentile(values, 99)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
  };
}
