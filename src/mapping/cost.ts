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

/** The cost of a call from its usage, or undefined when usage is missing. */
export function computeCost(price: ModelPrice, usage: ResponseUsage | null | undefined): Cost | undefined {
  if (!usage || typeof usage.input_tokens !== 'number' || typeof usage.output_tokens !== 'number') {
    return undefined;
  }
  const cached = Math.min(usage.input_tokens_details?.cached_tokens ?? 0, usage.input_tokens);
  const input =
    ((usage.input_tokens - cached) * price.input + cached * (price.cachedInput ?? price.input)) / 1e6;
  const output = (usage.output_tokens * price.output) / 1e6;
  return { input, output, total: input + output, currency: price.currency ?? 'USD' };
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

