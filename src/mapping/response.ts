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
import { bounded, boundedString, contentValue, withShare, type ContentBudget } from './content';
import { finishReasons } from './finish-reasons';
import { outputMessages } from './messages';
import { usageCounts } from './numbers';

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

/** The tool-call list stops before its JSON would pass this length (each string in it is bounded too). */
export const MAX_TOOL_CALLS_LENGTH = 4096;

/**
 * `[{type, name, call_id}]` of the tool calls in the output, never their arguments; every string
 * bounded, the list stopped before its JSON passes MAX_TOOL_CALLS_LENGTH. (Plain loops: see
 * responseAttributes.)
 */
export function toolCalls(response: ResponseLike): Array<{ type: string; name?: string; call_id?: string }> {
  const calls: Array<{ type: string; name?: string; call_id?: string }> = [];
  const output = response.output;
  if (!Array.isArray(output)) return calls;
  // The length of the list's JSON so far: `[]`, and per entry its fields, quotes, keys and commas.
  let length = 2;
  for (const item of output as unknown[]) {
    if (!isToolCall(item)) continue;
    const call: { type: string; name?: string; call_id?: string } = { type: bounded(item.type as string) };
    let size = call.type.length + 12;
    if (typeof item.name === 'string') {
      call.name = bounded(item.name);
      size += call.name.length + 10;
    }
    const id = typeof item.call_id === 'string' ? item.call_id : item.id;
    if (typeof id === 'string') {
      call.call_id = bounded(id);
      size += call.call_id.length + 13;
    }
    // Each string counted as its length: escapes (rare in names and ids) are checked on the JSON.
    if (length + size > MAX_TOOL_CALLS_LENGTH) break;
    length += size;
    calls.push(call);
  }
  return calls;
}

/** The JSON of the tool-call list, within MAX_TOOL_CALLS_LENGTH (entries dropped from the end when escapes made it longer). */
export function toolCallsValue(response: ResponseLike): string | undefined {
  const calls = toolCalls(response);
  while (calls.length) {
    const json = JSON.stringify(calls);
    if (json.length <= MAX_TOOL_CALLS_LENGTH) return json;
    calls.pop();
  }
  return undefined;
}

/** The usage counts that are counts (numbers.ts); any other value is left out, the rest stays. */
export function usageAttributes(usage: ResponseUsage | null | undefined, out: Attributes = {}): Attributes {
  if (!usage) return out;
  const counts = usageCounts(usage);
  setIf(out, ATTR_GEN_AI_USAGE_INPUT_TOKENS, counts.input);
  setIf(out, ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, counts.output);
  setIf(out, ATTR_BUD_USAGE_TOTAL_TOKENS, counts.total);
  setIf(out, ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, counts.cached);
  setIf(out, ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, counts.reasoning);
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
  budget: ContentBudget = { left: Infinity },
): Attributes {
  const { has, other } = planOf(fields);
  const { id, model, status, created_at: created, service_tier: tier } = response;
  if (has.id && typeof id === 'string') out[ATTR_GEN_AI_RESPONSE_ID] = bounded(id);
  if (has.model && typeof model === 'string') out[ATTR_GEN_AI_RESPONSE_MODEL] = bounded(model);
  if (has.status && typeof status === 'string') out[ATTR_BUD_RESPONSE_STATUS] = bounded(status);
  if (has.created_at && typeof created === 'number') out[ATTR_BUD_RESPONSE_CREATED] = created;
  if (has.usage) usageAttributes(response.usage, out);
  if (has.finish_reasons) {
    const reasons = finishReasons(response);
    if (reasons.length) out[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = reasons;
  }
  if (has.service_tier && typeof tier === 'string') out[ATTR_OPENAI_RESPONSE_SERVICE_TIER] = bounded(tier);
  if (has.error && response.error) setIf(out, ATTR_BUD_ERROR_CODE, boundedString(response.error.code));
  if (has.incomplete_details && response.incomplete_details) {
    setIf(out, ATTR_BUD_INCOMPLETE_REASON, boundedString(response.incomplete_details.reason));
  }
  if (has.tool_calls) setIf(out, ATTR_BUD_TOOL_CALLS, toolCallsValue(response));
  // The output and its text are the same content twice: the messages may take half of what is left.
  if (has.output) {
    withShare(budget, has.output_text ? 0.5 : 1, (share) =>
      setIf(out, ATTR_GEN_AI_OUTPUT_MESSAGES, outputMessages(response, maxContentLength, share)),
    );
  }
  if (has.output_text) {
    const text = outputText(response);
    setIf(out, ATTR_BUD_OUTPUT_TEXT, text === undefined ? undefined : contentValue(text, maxContentLength, budget));
  }
  for (const field of other) {
    // The response's own fields only: a name such as `__proto__` or `toString` reads nothing.
    if (!Object.prototype.hasOwnProperty.call(response, field)) continue;
    const value = (response as Record<string, unknown>)[field];
    setIf(out, 'bud.inference.response.' + field, contentValue(value, maxContentLength, budget));
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
  budget: ContentBudget = { left: Infinity },
): Attributes {
  const kind = typeof body.object === 'string' ? body.object : undefined;
  if (kind === 'conversation' || kind === 'conversation.deleted') {
    setIf(out, ATTR_GEN_AI_CONVERSATION_ID, boundedString(body.id));
    return out;
  }
  if (kind !== undefined && kind !== 'response' && !kind.startsWith('response.')) return out;
  return responseAttributes(body, fields, maxContentLength, out, budget);
}
