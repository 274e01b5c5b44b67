/*
 * The Bud gateway's response headers and the `bud.gateway.*` attributes they become.
 */
import type { Attributes } from '@opentelemetry/api';
import type { ResponseUsage } from '../types';
import { bounded } from './content';
import { amount, count } from './numbers';

/** Headers of the Bud gateway's responses and the attributes they become. */
/** `numeric`: recorded as a number, if it is one (numbers.ts: `count` for token counts, else `amount`). */
export const GATEWAY_HEADERS: Readonly<Record<string, { attribute: string; numeric: boolean; count?: boolean }>> = Object.freeze({
  'x-tensorzero-inference-cost': { attribute: 'bud.gateway.inference_cost', numeric: true },
  'x-tensorzero-model-latency-ms': { attribute: 'bud.gateway.model_latency_ms', numeric: true },
  'x-tensorzero-input-tokens': { attribute: 'bud.gateway.input_tokens', numeric: true, count: true },
  'x-tensorzero-output-tokens': { attribute: 'bud.gateway.output_tokens', numeric: true, count: true },
  'x-tensorzero-total-tokens': { attribute: 'bud.gateway.total_tokens', numeric: true, count: true },
  'x-tensorzero-prompt-id': { attribute: 'bud.gateway.prompt_id', numeric: false },
  'x-tensorzero-prompt-version': { attribute: 'bud.gateway.prompt_version', numeric: false },
  'x-tensorzero-project-id': { attribute: 'bud.gateway.project_id', numeric: false },
});
const GATEWAY_HEADER_NAMES = Object.keys(GATEWAY_HEADERS);

function setHeader(out: Attributes, name: string, raw: string | null | undefined): void {
  const spec = GATEWAY_HEADERS[name];
  if (raw === null || raw === undefined || raw === '') return;
  if (!spec.numeric) {
    out[spec.attribute] = bounded(raw);
    return;
  }
  const value = spec.count ? count(Number(raw)) : amount(Number(raw));
  if (value !== undefined) out[spec.attribute] = value;
}

/**
 * The Bud gateway's signals from a fetch `Headers` (or anything with `get`), read without
 * consuming anything. (One `get` per known name costs less than walking the headers, measured
 * on calls made after an idle wait, as real calls are.)
 */
export function gatewayHeaderAttributes(headers: { get(name: string): string | null } | undefined): Attributes {
  const out: Attributes = {};
  if (!headers || typeof headers.get !== 'function') return out;
  for (const name of GATEWAY_HEADER_NAMES) setHeader(out, name, headers.get(name));
  return out;
}

/** The gateway's token counts, and the usage field each would repeat. */
const REPEATS: Readonly<Record<string, keyof ResponseUsage>> = {
  'bud.gateway.input_tokens': 'input_tokens',
  'bud.gateway.output_tokens': 'output_tokens',
  'bud.gateway.total_tokens': 'total_tokens',
};

/** Adds to `out` the entries of `gateway` except the token counts that equal the usage's (they only repeat `gen_ai.usage.*`). */
export function addGatewayAttributes(gateway: Attributes, usage: ResponseUsage | null | undefined, out: Attributes): Attributes {
  for (const key in gateway) {
    const field = usage ? REPEATS[key] : undefined;
    if (field === undefined || gateway[key] !== count(usage?.[field])) out[key] = gateway[key];
  }
  return out;
}
