/*
 * The metric instruments of docs/TELEMETRY.md §7 and the one function that records a finished call.
 */
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { ATTR_BUD_COST_CURRENCY } from './attribute-names';
import type { Cost } from './internal-types';
import { amount, usageCounts } from './mapping/numbers';
import type { ResponseUsage } from './types';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_RESPONSE_MODEL,
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
  /** The call's attributes known at its start (operation, provider, request model, server): a shared object. */
  base: Readonly<Attributes>;
  responseModel?: string;
  /** `error.type`, on failure. */
  failure?: string;
  durationSeconds: number;
  timeToFirstChunkSeconds?: number;
  usage?: ResponseUsage | null;
  cost?: Cost;
}

/** The attribute sets of one (base, response model, error type): every point's, and the token points'. */
interface AttributeSets {
  call: Attributes;
  input: Attributes;
  output: Attributes;
}

/** Distinct (response model, error type) pairs kept per base before that cache starts over. */
const SETS_PER_BASE = 64;

export class Instruments {
  /** Built once per combination and reused: no object spread per call. */
  private readonly sets = new WeakMap<object, Map<string, AttributeSets>>();
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

  /** The sets of the previous call, and what they were for: most calls repeat them. */
  private last: { base: object; responseModel: string | undefined; failure: string | undefined; sets: AttributeSets } | undefined;

  private attributeSets(base: Readonly<Attributes>, responseModel: string | undefined, failure: string | undefined): AttributeSets {
    const last = this.last;
    if (last && last.base === base && last.responseModel === responseModel && last.failure === failure) return last.sets;
    let byKey = this.sets.get(base);
    if (!byKey) {
      byKey = new Map();
      this.sets.set(base, byKey);
    }
    const key = `${responseModel ?? ''}\u0000${responseModel === undefined ? 0 : 1}\u0000${failure ?? ''}`;
    let sets = byKey.get(key);
    if (!sets) {
      const call: Attributes = { ...base };
      if (responseModel !== undefined) call[ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
      if (failure) call[ATTR_ERROR_TYPE] = failure;
      sets = {
        call,
        input: { ...call, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_INPUT },
        output: { ...call, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_OUTPUT },
      };
      if (byKey.size >= SETS_PER_BASE) byKey.clear();
      byKey.set(key, sets);
    }
    this.last = { base, responseModel, failure, sets };
    return sets;
  }

  /** Records a finished call. Only counts and finite non-negative amounts (numbers.ts) reach an instrument. */
  record(m: CallMeasurements): void {
    const sets = this.attributeSets(m.base, m.responseModel, m.failure);
    const duration = amount(m.durationSeconds);
    if (duration !== undefined) this.duration.record(duration, sets.call);
    const ttft = amount(m.timeToFirstChunkSeconds);
    if (ttft !== undefined) this.timeToFirstChunk.record(ttft, sets.call);
    if (m.usage) {
      const counts = usageCounts(m.usage);
      if (counts.input !== undefined) this.tokens.record(counts.input, sets.input);
      if (counts.output !== undefined) this.tokens.record(counts.output, sets.output);
    }
    const cost = amount(m.cost?.total);
    if (cost !== undefined) this.cost.add(cost, { ...sets.call, [ATTR_BUD_COST_CURRENCY]: m.cost?.currency ?? 'USD' });
  }
}
