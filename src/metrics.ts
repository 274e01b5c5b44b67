/*
 * The metric instruments of CONTRACT.md §7 and the one function that records a finished call.
 */
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { ATTR_BUD_COST_CURRENCY } from './attribute-names';
import type { Cost } from './internal-types';
import type { ResponseUsage } from './types';
import {
  ATTR_GEN_AI_TOKEN_TYPE,
  DURATION_BUCKETS,
  GEN_AI_TOKEN_TYPE_INPUT,
  GEN_AI_TOKEN_TYPE_OUTPUT,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  TOKEN_BUCKETS,
} from './semconv';

export const METRIC_BUD_INFERENCE_COST = 'bud.inference.cost';

export interface CallMeasurements {
  /** Attributes shared by every instrument (operation, provider, models, server, error.type). */
  attributes: Attributes;
  durationSeconds: number;
  timeToFirstChunkSeconds?: number;
  usage?: ResponseUsage | null;
  cost?: Cost;
}

export class Instruments {
  private readonly duration: Histogram;
  private readonly tokens: Histogram;
  private readonly timeToFirstChunk: Histogram;
  private readonly cost: Counter;

  constructor(meter: Meter) {
    this.duration = meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      description: 'GenAI operation duration.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    });
    this.tokens = meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      description: 'Number of input and output tokens used.',
      unit: '{token}',
      advice: { explicitBucketBoundaries: [...TOKEN_BUCKETS] },
    });
    this.timeToFirstChunk = meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK, {
      description: 'Time from the request to the first chunk of a streamed response.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    });
    // One stream whatever the currency: the currency is an attribute, the unit says so.
    this.cost = meter.createCounter(METRIC_BUD_INFERENCE_COST, {
      description: 'Client-side cost of inference calls, from the configured pricing, in the currency its attribute names.',
      unit: '{currency}',
    });
  }

  record(m: CallMeasurements): void {
    const { attributes } = m;
    this.duration.record(m.durationSeconds, attributes);
    if (m.timeToFirstChunkSeconds !== undefined) this.timeToFirstChunk.record(m.timeToFirstChunkSeconds, attributes);
    if (typeof m.usage?.input_tokens === 'number') {
      this.tokens.record(m.usage.input_tokens, { ...attributes, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_INPUT });
    }
    if (typeof m.usage?.output_tokens === 'number') {
      this.tokens.record(m.usage.output_tokens, { ...attributes, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_OUTPUT });
    }
    if (m.cost) this.cost.add(m.cost.total, { ...attributes, [ATTR_BUD_COST_CURRENCY]: m.cost.currency });
  }
}
