/*
 * Client-side cost from the configured `pricing` (docs/TELEMETRY.md §5): never guessed.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_BUD_COST_CURRENCY,
  ATTR_BUD_COST_INPUT,
  ATTR_BUD_COST_OUTPUT,
  ATTR_BUD_COST_TOTAL,
} from '../attribute-names';
import type { Cost } from '../internal-types';
import type { ModelPrice, ResponseUsage } from '../types';
import { amount, usageCounts } from './numbers';

/**
 * The cost of a call from its usage, or undefined when a count it needs is missing or not a
 * count (numbers.ts: a bad cached count too, since the cached share is then unknown), or when the
 * price of those counts is not a finite amount.
 */
export function computeCost(price: ModelPrice, usage: ResponseUsage | null | undefined): Cost | undefined {
  const counts = usageCounts(usage);
  if (counts.input === undefined || counts.output === undefined || counts.cachedInvalid) return undefined;
  const cached = Math.min(counts.cached ?? 0, counts.input);
  const input = amount(((counts.input - cached) * price.input + cached * (price.cachedInput ?? price.input)) / 1e6);
  const output = amount((counts.output * price.output) / 1e6);
  const total = input === undefined || output === undefined ? undefined : amount(input + output);
  if (total === undefined) return undefined;
  return { input: input as number, output: output as number, total, currency: price.currency ?? 'USD' };
}

export function costAttributes(cost: Cost): Attributes {
  return {
    [ATTR_BUD_COST_INPUT]: cost.input,
    [ATTR_BUD_COST_OUTPUT]: cost.output,
    [ATTR_BUD_COST_TOTAL]: cost.total,
    [ATTR_BUD_COST_CURRENCY]: cost.currency,
  };
}

/** The price of the model that served the call: the response's model first, then the request's. */
export function priceFor(
  pricing: Readonly<Record<string, ModelPrice>> | undefined,
  ...models: Array<string | undefined>
): ModelPrice | undefined {
  if (!pricing) return undefined;
  for (const model of models) {
    if (model !== undefined && Object.prototype.hasOwnProperty.call(pricing, model)) return pricing[model];
  }
  return undefined;
}

