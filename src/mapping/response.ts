/*
 * A Response (or any traced method's body) to span attributes (CONTRACT §5). Pure functions.
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

/** `[{type, name, call_id}]` of the tool calls in the output, never their arguments. */
export function toolCalls(response: ResponseLike): Array<{ type: string; name?: string; call_id?: string }> {
  if (!Array.isArray(response.output)) return [];
  return response.output.filter(isToolCall).map((item) => {
    const call: { type: string; name?: string; call_id?: string } = { type: item.type as string };
    if (typeof item.name === 'string') call.name = item.name;
    const id = typeof item.call_id === 'string' ? item.call_id : item.id;
    if (typeof id === 'string') call.call_id = id;
    return call;
  });
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

type ResponseMapper = (response: ResponseLike, out: Attributes, maxContentLength: number) => void;

function stringField(key: string, read: (r: ResponseLike) => unknown): ResponseMapper {
  return (response, out) => {
    const value = read(response);
    if (typeof value === 'string') out[key] = value;
  };
}

/** How each output field name becomes attributes. Unknown names: `bud.inference.response.{name}`. */
export const RESPONSE_MAP: Readonly<Record<string, ResponseMapper>> = Object.freeze({
  id: stringField(ATTR_GEN_AI_RESPONSE_ID, (r) => r.id),
  model: stringField(ATTR_GEN_AI_RESPONSE_MODEL, (r) => r.model),
  status: stringField(ATTR_BUD_RESPONSE_STATUS, (r) => r.status),
  service_tier: stringField(ATTR_OPENAI_RESPONSE_SERVICE_TIER, (r) => r.service_tier),
  error: stringField(ATTR_BUD_ERROR_CODE, (r) => r.error?.code),
  incomplete_details: stringField(ATTR_BUD_INCOMPLETE_REASON, (r) => r.incomplete_details?.reason),
  created_at: (response, out) => {
    if (typeof response.created_at === 'number') out[ATTR_BUD_RESPONSE_CREATED] = response.created_at;
  },
  usage: (response, out) => usageAttributes(response.usage, out),
  finish_reasons: (response, out) => {
    const reasons = finishReasons(response);
    if (reasons.length) out[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = reasons;
  },
  tool_calls: (response, out) => {
    const calls = toolCalls(response);
    if (calls.length) out[ATTR_BUD_TOOL_CALLS] = JSON.stringify(calls);
  },
  output: (response, out, max) => setIf(out, ATTR_GEN_AI_OUTPUT_MESSAGES, outputMessages(response, max)),
  output_text: (response, out, max) => {
    const text = outputText(response);
    setIf(out, ATTR_BUD_OUTPUT_TEXT, text === undefined ? undefined : contentValue(text, max));
  },
});

/** Attributes of a Response for the chosen field names, added to `out` (a new object by default). */
export function responseAttributes(
  response: ResponseLike,
  fields: ReadonlySet<string>,
  maxContentLength: number,
  out: Attributes = {},
): Attributes {
  for (const field of fields) {
    const mapper = RESPONSE_MAP[field];
    if (mapper) {
      mapper(response, out, maxContentLength);
    } else {
      const value = (response as Record<string, unknown>)[field];
      setIf(out, 'bud.inference.response.' + field, contentValue(value, maxContentLength));
    }
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
