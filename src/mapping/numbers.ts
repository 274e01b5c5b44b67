/*
 * Numbers the server sends (usage counts, gateway headers), checked before they are recorded or
 * priced (docs/TELEMETRY.md §8): the one place that says what a usable count or amount is. A value that
 * fails is dropped where it would have been used; the rest of the span stays.
 */
import type { ResponseUsage } from '../types';

/**
 * `value` when it is a token count: a non-negative integer no larger than
 * `Number.MAX_SAFE_INTEGER` (so that sums, prices and histogram totals stay finite and exact);
 * else undefined. A numeric string, a negative count, `1e308`, NaN or Infinity is not a count.
 */
export function count(value: unknown): number | undefined {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined;
}

/** `value` when it is a finite non-negative number (a cost, a duration, a latency); else undefined. */
export function amount(value: unknown): number | undefined {
  return typeof value === 'number' && value >= 0 && value < Infinity ? value : undefined;
}

/** The usage counts of a response, each checked with `count()`. */
export interface Counts {
  input?: number;
  output?: number;
  total?: number;
  cached?: number;
  reasoning?: number;
  /** The response has a `cached_tokens` field that is not a count (the cached share is unknown). */
  cachedInvalid: boolean;
}

/** Reads `usage` (of any shape) into checked counts. */
export function usageCounts(usage: ResponseUsage | null | undefined): Counts {
  if (typeof usage !== 'object' || usage === null) return { cachedInvalid: false };
  const details = usage.input_tokens_details;
  const rawCached = typeof details === 'object' && details !== null ? details.cached_tokens : undefined;
  const cached = count(rawCached);
  const output = usage.output_tokens_details;
  return {
    input: count(usage.input_tokens),
    output: count(usage.output_tokens),
    total: count(usage.total_tokens),
    cached,
    reasoning: typeof output === 'object' && output !== null ? count(output.reasoning_tokens) : undefined,
    cachedInvalid: rawCached !== undefined && rawCached !== null && cached === undefined,
  };
}
