/*
 * A Response (or any traced method's body) to span attributes (docs/TELEMETRY.md §5). Pure functions.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_BUD_ERROR_CODE,
  ATTR_BUD_INCOMPLETE_REASON,
  ATTR_BUD_OUTPUT_TEXT,
  ATTR_BUD_RESPONSE_CREATED,
  ATTR_BUD_RESPONSE_STATUS,
  ATTR_BUD_TOOL_CALLS,
  ATTR_BUD_USAGE_TOTAL_TOKENS,
} from '../attribute-names';
import type { ResponseLike, ResponseUsage } from '../types';
import {
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_OPENAI_RESPONSE_SERVICE_TIER,
} from '../semconv';
import { isObject, setIf } from '../util';
import { contentValue } from './content';
import { finishReasons } from './finish-reasons';
import { outputMessages } from './messages';

/** The text of every `output_text` part of the output, as `response.output_text` would be. */
export function outputText(response: ResponseLike): string | undefined {
  if (typeof response.output_text === 'string') return response.output_text;
  if (!Array.isArray(response.output)) return undefined;
  const texts: string[] = [];
  for (const item of response.output) {
    if (!isObject(item) || item.type !== 'message' || !Array.isArray(item.content)) continue;
    for (const part of item.content) {
      if (isObject(part) && part.type === 'output_text' && typeof part.text === 'string') texts.push(part.text);
    }
  }
  return texts.length ? texts.join('') : undefined;
}

/** Output items that are tool calls: `function_call`, `web_search_call`, `mcp_call`, ... */
function isToolCall(item: unknown): item is Record<string, unknown> {
  return isObject(item) && typeof item.type === 'string' && item.type.endsWith('_call');
}

/** `[{type, name, call_id}]` of the tool calls in the output, never their arguments. (Plain loops: see responseAttributes.) */
export function toolCalls(response: ResponseLike): Array<{ type: string; name?: string; call_id?: string }> {
  const calls: Array<{ type: string; name?: string; call_id?: string }> = [];
  const output = response.output;
  if (!Array.isArray(output)) return calls;
  for (const item of output as unknown[]) {
    if (!isToolCall(item)) continue;
    const call: { type: string; name?: string; call_id?: string } = { type: item.type as string };
    if (typeof item.name === 'string') call.name = item.name;
    const id = typeof item.call_id === 'string' ? item.call_id : item.id;
    if (typeof id === 'string') call.call_id = id;
    calls.push(call);
  }
  return calls;
}

export function usageAttributes(usage: ResponseUsage | null | undefined, out: Attributes = {}): Attributes {
  if (!usage) return out;
  if (typeof usage.input_tokens === 'number') out[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = usage.input_tokens;
  if (typeof usage.output_tokens === 'number') out[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output_tokens;
  if (typeof usage.total_tokens === 'number') out[ATTR_BUD_USAGE_TOTAL_TOKENS] = usage.total_tokens;
  const cached = usage.input_tokens_details?.cached_tokens;
  if (typeof cached === 'number') out[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cached;
  const reasoning = usage.output_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number') out[ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = reasoning;
  return out;
}

/** The output field names with their own attributes (docs/TELEMETRY.md §5); any other name is `bud.inference.response.{name}`. */
export const KNOWN_OUTPUT_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'model',
  'status',
  'service_tier',
  'error',
  'incomplete_details',
  'created_at',
  'usage',
  'finish_reasons',
  'tool_calls',
  'output',
  'output_text',
]);

/** What a field set asks for, read once per set: flags for the known names, and the other names. */
interface FieldPlan {
  readonly has: Readonly<Record<string, boolean>>;
  readonly other: readonly string[];
}

const plans = new WeakMap<ReadonlySet<string>, FieldPlan>();

function planOf(fields: ReadonlySet<string>): FieldPlan {
  let plan = plans.get(fields);
  if (!plan) {
    const has: Record<string, boolean> = {};
    for (const field of KNOWN_OUTPUT_FIELDS) has[field] = fields.has(field);
    plan = { has, other: [...fields].filter((field) => !KNOWN_OUTPUT_FIELDS.has(field)) };
    plans.set(fields, plan);
  }
  return plan;
}

/**
 * Attributes of a Response for the chosen field names, added to `out` (a new object by default).
 * Straight-line code, field by field, with the field set read once per set (planOf): it runs at
 * the end of every call, and calls after an idle wait pay for every extra function they run.
 */
export function responseAttributes(
  response: ResponseLike,
  fields: ReadonlySet<string>,
  maxContentLength: number,
  out: Attributes = {},
): Attributes {
  const { has, other } = planOf(fields);
  const { id, model, status, created_at: created, service_tier: tier } = response;
  if (has.id && typeof id === 'string') out[ATTR_GEN_AI_RESPONSE_ID] = id;
  if (has.model && typeof model === 'string') out[ATTR_GEN_AI_RESPONSE_MODEL] = model;
  if (has.status && typeof status === 'string') out[ATTR_BUD_RESPONSE_STATUS] = status;
  if (has.created_at && typeof created === 'number') out[ATTR_BUD_RESPONSE_CREATED] = created;
  if (has.usage) usageAttributes(response.usage, out);
  if (has.finish_reasons) {
    const reasons = finishReasons(response);
    if (reasons.length) out[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = reasons;
  }
  if (has.service_tier && typeof tier === 'string') out[ATTR_OPENAI_RESPONSE_SERVICE_TIER] = tier;
  if (has.error && response.error) {
    const code = response.error.code;
    if (typeof code === 'string') out[ATTR_BUD_ERROR_CODE] = code;
  }
  if (has.incomplete_details && response.incomplete_details) {
    const reason = response.incomplete_details.reason;
    if (typeof reason === 'string') out[ATTR_BUD_INCOMPLETE_REASON] = reason;
  }
  if (has.tool_calls) {
    const calls = toolCalls(response);
    if (calls.length) out[ATTR_BUD_TOOL_CALLS] = JSON.stringify(calls);
  }
  if (has.output) setIf(out, ATTR_GEN_AI_OUTPUT_MESSAGES, outputMessages(response, maxContentLength));
  if (has.output_text) {
    const text = outputText(response);
    setIf(out, ATTR_BUD_OUTPUT_TEXT, text === undefined ? undefined : contentValue(text, maxContentLength));
  }
  for (const field of other) {
    // The response's own fields only: a name such as `__proto__` or `toString` reads nothing.
    if (!Object.prototype.hasOwnProperty.call(response, field)) continue;
    const value = (response as Record<string, unknown>)[field];
    setIf(out, 'bud.inference.response.' + field, contentValue(value, maxContentLength));
  }
  return out;
}

/**
 * Attributes of the body of any traced method: a Response (or a deleted / compacted one) gets
 * the response map; a conversation gets its id; anything else nothing.
 */
export function bodyAttributes(
  body: ResponseLike,
  fields: ReadonlySet<string>,
  maxContentLength: number,
  out: Attributes = {},
): Attributes {
  const kind = typeof body.object === 'string' ? body.object : undefined;
  if (kind === 'conversation' || kind === 'conversation.deleted') {
    if (typeof body.id === 'string') out[ATTR_GEN_AI_CONVERSATION_ID] = body.id;
    return out;
  }
  if (kind !== undefined && kind !== 'response' && !kind.startsWith('response.')) return out;
  return responseAttributes(body, fields, maxContentLength, out);
}
