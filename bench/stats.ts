/* Order statistics over timing samples. */

/** The q-quantile (0..1) of `values`, linear between order statistics; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] ?? Number.NaN;
  const high = sorted[upper] ?? Number.NaN;
  return low + (high - low) * (position - lower);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

export interface Summary {
  samples: number;
  median: number;
  mean: number;
  p25: number;
  p75: number;
}

export function summarize(values: readonly number[]): Summary {
  return {
    samples: values.length,
    median: median(values),
    mean: mean(values),
    p25: quantile(values, 0.25),
    p75: quantile(values, 0.75),
  };
}

/** A small deterministic PRNG (xorshift32), so a run's orders can be reproduced. */
export function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}
