/*
 * Attribute extraction: the field sets of the safe-field policy and small pure functions that
 * turn request params and a Response into span attributes (CONTRACT.md §3-§5). Nothing here
 * touches a span, a meter or the openai module.
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_GEN_AI_TOOL_DEFINITIONS,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_OPENAI_REQUEST_SERVICE_TIER,
  ATTR_OPENAI_RESPONSE_SERVICE_TIER,
  ERROR_TYPE_OTHER,
} from './semconv';
import { contentValue } from './content';
import { finishReasons } from './finish-reasons';
import { inputMessages, outputMessages, systemInstructions, toolDefinitions } from './messages';

/* Bud's own attribute names. */
export const ATTR_BUD_OPERATION = 'bud.inference.operation';
export const ATTR_BUD_STREAM = 'bud.inference.stream';
export const ATTR_BUD_REQUEST_PREFIX = 'bud.inference.request.';
export const ATTR_BUD_PROMPT_ID = 'bud.inference.request.prompt.id';
export const ATTR_BUD_PROMPT_VERSION = 'bud.inference.request.prompt.version';
export const ATTR_BUD_PROMPT = 'bud.inference.request.prompt';
export const ATTR_BUD_TTFT_MS = 'bud.inference.ttft_ms';
export const ATTR_BUD_CHUNKS = 'bud.inference.chunks';
export const ATTR_BUD_STREAM_COMPLETED = 'bud.inference.stream_completed';
export const ATTR_BUD_RESPONSE_STATUS = 'gen_ai.response.status';
export const ATTR_BUD_RESPONSE_CREATED = 'gen_ai.response.created';
export const ATTR_BUD_USAGE_TOTAL_TOKENS = 'gen_ai.usage.total_tokens';
export const ATTR_BUD_TOOL_CALLS = 'bud.inference.response.tool_calls';
export const ATTR_BUD_ERROR_CODE = 'bud.inference.response.error.code';
export const ATTR_BUD_INCOMPLETE_REASON = 'bud.inference.response.incomplete_reason';
export const ATTR_BUD_OUTPUT_TEXT = 'bud.inference.response.output_text';
export const ATTR_BUD_COST_INPUT = 'bud.inference.cost.input';
export const ATTR_BUD_COST_OUTPUT = 'bud.inference.cost.output';
export const ATTR_BUD_COST_TOTAL = 'bud.inference.cost.total';
export const ATTR_BUD_COST_CURRENCY = 'bud.inference.cost.currency';

/** `error.type` of a stream that ended without `response.completed`, `.failed` or `.incomplete`. */
export const ERROR_TYPE_STREAM_TRUNCATED = 'stream_truncated';

/** create() params recorded by default (`captureInput: true`): no free text. */
export const SAFE_INPUT_FIELDS: readonly string[] = Object.freeze([
  'model',
  'temperature',
  'top_p',
  'max_output_tokens',
  'stream',
  'tool_choice',
  'previous_response_id',
  'reasoning',
  'store',
  'service_tier',
  'truncation',
  'background',
  'parallel_tool_calls',
  'max_tool_calls',
  'include',
  'prompt',
]);

/**
 * create() params that hold content, added to the defaults by `captureContent`.
 * `prompt.variables` stands for the whole `prompt` param (with its variables).
 */
export const CONTENT_INPUT_FIELDS: readonly string[] = Object.freeze([
  'input',
  'instructions',
  'tools',
  'user',
  'prompt.variables',
  'metadata',
  'text',
]);

/** Response fields recorded by default (`captureOutput: true`). */
export const SAFE_OUTPUT_FIELDS: readonly string[] = Object.freeze([
  'id',
  'model',
  'status',
  'created_at',
  'usage',
  'finish_reasons',
  'service_tier',
  'tool_calls',
  'error',
  'incomplete_details',
]);

/** Response fields that hold content, added to the defaults by `captureContent`. */
export const CONTENT_OUTPUT_FIELDS: readonly string[] = Object.freeze(['output_text', 'output']);

/** Loose views of the openai types: the instrumentation must accept every major's shapes. */
export type Params = Readonly<Record<string, unknown>>;
export interface ResponseUsage {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  input_tokens_details?: { cached_tokens?: number } | null;
  output_tokens_details?: { reasoning_tokens?: number } | null;
}
export interface ResponseLike {
  id?: string;
  object?: string;
  model?: string;
  status?: string;
  created_at?: number;
  usage?: ResponseUsage | null;
  service_tier?: string | null;
  output?: unknown;
  output_text?: string;
  error?: { code?: string | null; message?: string } | null;
  incomplete_details?: { reason?: string | null } | null;
  conversation?: { id?: string } | null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A primitive as it is; anything else as JSON. `undefined` when it cannot be encoded. */
export function toAttributeValue(value: unknown): AttributeValue | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value === undefined || value === null || typeof value === 'function' || typeof value === 'symbol') {
    return undefined;
  }
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

type RequestMapper = (value: unknown, out: Attributes, maxContentLength: number) => void;

function setIf(out: Attributes, key: string, value: AttributeValue | undefined): void {
  if (value !== undefined) out[key] = value;
}

function numberTo(key: string): RequestMapper {
  return (value, out) => {
    if (typeof value === 'number') out[key] = value;
  };
}

/** A safe param (no free text): recorded as it is, or as its JSON. */
function bud(name: string): RequestMapper {
  return (value, out) => setIf(out, ATTR_BUD_REQUEST_PREFIX + name, toAttributeValue(value));
}

/** A content param, or any param named in a list: cut and scrubbed (content.ts). */
function budContent(name: string): RequestMapper {
  return (value, out, max) => setIf(out, ATTR_BUD_REQUEST_PREFIX + name, contentValue(value, max));
}

/** A content param recorded as `bud.inference.request.{name}` and as its semconv message JSON. */
function alsoSemconv(
  name: string,
  key: string,
  toJson: (params: Params, max: number) => string | undefined,
): RequestMapper {
  const plain = budContent(name);
  return (value, out, max) => {
    plain(value, out, max);
    setIf(out, key, toJson({ [name]: value }, max));
  };
}

/** How each known create() param becomes attributes. Unknown names: `bud.inference.request.{name}`. */
export const REQUEST_MAP: Readonly<Record<string, RequestMapper>> = Object.freeze({
  model: (value, out) => setIf(out, ATTR_GEN_AI_REQUEST_MODEL, typeof value === 'string' ? value : undefined),
  temperature: numberTo(ATTR_GEN_AI_REQUEST_TEMPERATURE),
  top_p: numberTo(ATTR_GEN_AI_REQUEST_TOP_P),
  max_output_tokens: numberTo(ATTR_GEN_AI_REQUEST_MAX_TOKENS),
  // stream and previous_response_id are always-on attributes (see baseAttributes).
  stream: () => undefined,
  previous_response_id: () => undefined,
  service_tier: (value, out) => {
    bud('service_tier')(value, out, 0);
    if (typeof value === 'string') out[ATTR_OPENAI_REQUEST_SERVICE_TIER] = value;
  },
  prompt: (value, out) => {
    if (!isObject(value)) return;
    setIf(out, ATTR_BUD_PROMPT_ID, typeof value.id === 'string' ? value.id : undefined);
    setIf(out, ATTR_BUD_PROMPT_VERSION, typeof value.version === 'string' ? value.version : undefined);
  },
  'prompt.variables': (value, out, max) => setIf(out, ATTR_BUD_PROMPT, contentValue(value, max)),
  input: alsoSemconv('input', ATTR_GEN_AI_INPUT_MESSAGES, inputMessages),
  instructions: alsoSemconv('instructions', ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, systemInstructions),
  tools: alsoSemconv('tools', ATTR_GEN_AI_TOOL_DEFINITIONS, toolDefinitions),
  user: budContent('user'),
  metadata: budContent('metadata'),
  text: budContent('text'),
});

/** The param a field name reads: `prompt.variables` reads `prompt`. */
function paramName(field: string): string {
  return field === 'prompt.variables' ? 'prompt' : field;
}

/** Attributes of the request params for the chosen field names. */
export function requestAttributes(
  params: Params,
  fields: ReadonlySet<string>,
  maxContentLength: number,
): Attributes {
  const out: Attributes = {};
  for (const field of fields) {
    const value = params[paramName(field)];
    if (value === undefined) continue;
    const mapper = REQUEST_MAP[field] ?? budContent(field);
    mapper(value, out, maxContentLength);
  }
  return out;
}

/** `gen_ai.conversation.id`: previous_response_id, else the conversation param, else the response's. */
export function conversationId(params: Params | undefined, response?: ResponseLike): string | undefined {
  const previous = params?.previous_response_id;
  if (typeof previous === 'string' && previous) return previous;
  const conversation = params?.conversation;
  if (typeof conversation === 'string' && conversation) return conversation;
  if (isObject(conversation) && typeof conversation.id === 'string') return conversation.id;
  const fromResponse = response?.conversation?.id;
  return typeof fromResponse === 'string' ? fromResponse : undefined;
}

export function conversationAttributes(params: Params | undefined, response?: ResponseLike): Attributes {
  const id = conversationId(params, response);
  return id === undefined ? {} : { [ATTR_GEN_AI_CONVERSATION_ID]: id };
}

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

export function usageAttributes(usage: ResponseUsage | null | undefined): Attributes {
  const out: Attributes = {};
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
  usage: (response, out) => Object.assign(out, usageAttributes(response.usage)),
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

/** Attributes of a Response for the chosen field names. */
export function responseAttributes(
  response: ResponseLike,
  fields: ReadonlySet<string>,
  maxContentLength: number,
): Attributes {
  const out: Attributes = {};
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

/** Per-million-token prices of one model. */
export interface ModelPrice {
  /** Price of one million uncached input tokens. */
  input: number;
  /** Price of one million output tokens (reasoning tokens included). */
  output: number;
  /** Price of one million cached input tokens; defaults to `input`. */
  cachedInput?: number;
  /** ISO currency code; defaults to `USD`. */
  currency?: string;
}

export interface Cost {
  input: number;
  output: number;
  total: number;
  currency: string;
}

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

/** `error.type` of a failure: the error class, the HTTP status, an error code, or `_OTHER`. */
export function errorType(error: unknown): string {
  if (isObject(error)) {
    const name = typeof error.constructor === 'function' ? error.constructor.name : '';
    if (name && name !== 'Error' && name !== 'APIError' && name !== 'Object') return name;
    if (typeof error.status === 'number') return String(error.status);
    if (typeof error.code === 'string' && error.code) return error.code;
    if (name === 'APIError') return name;
    if (typeof error.name === 'string' && error.name && error.name !== 'Error') return error.name;
  }
  return ERROR_TYPE_OTHER;
}

/** `error.type` of a Response that failed, or of a stream `error` event. */
export function errorTypeOfPayload(payload: { code?: unknown; error?: unknown } | null | undefined): string {
  if (!payload) return ERROR_TYPE_OTHER;
  if (typeof payload.code === 'string' && payload.code) return payload.code;
  const nested = payload.error;
  if (isObject(nested) && typeof nested.code === 'string' && nested.code) return nested.code;
  return ERROR_TYPE_OTHER;
}

/** Headers of the Bud gateway's responses and the attributes they become. */
export const GATEWAY_HEADERS: Readonly<Record<string, { attribute: string; numeric: boolean }>> = Object.freeze({
  'x-tensorzero-inference-cost': { attribute: 'bud.gateway.inference_cost', numeric: true },
  'x-tensorzero-model-latency-ms': { attribute: 'bud.gateway.model_latency_ms', numeric: true },
  'x-tensorzero-input-tokens': { attribute: 'bud.gateway.input_tokens', numeric: true },
  'x-tensorzero-output-tokens': { attribute: 'bud.gateway.output_tokens', numeric: true },
  'x-tensorzero-total-tokens': { attribute: 'bud.gateway.total_tokens', numeric: true },
  'x-tensorzero-prompt-id': { attribute: 'bud.gateway.prompt_id', numeric: false },
  'x-tensorzero-prompt-version': { attribute: 'bud.gateway.prompt_version', numeric: false },
  'x-tensorzero-project-id': { attribute: 'bud.gateway.project_id', numeric: false },
});
const GATEWAY_HEADER_NAMES = Object.keys(GATEWAY_HEADERS);

/** The Bud gateway's signals from a fetch `Headers` (or anything with `get`), read without consuming anything. */
export function gatewayHeaderAttributes(headers: { get(name: string): string | null } | undefined): Attributes {
  const out: Attributes = {};
  if (!headers || typeof headers.get !== 'function') return out;
  for (const name of GATEWAY_HEADER_NAMES) {
    const raw = headers.get(name);
    if (raw === null || raw === undefined || raw === '') continue;
    const { attribute, numeric } = GATEWAY_HEADERS[name];
    if (!numeric) {
      out[attribute] = raw;
      continue;
    }
    const value = Number(raw);
    if (Number.isFinite(value)) out[attribute] = value;
  }
  return out;
}

/**
 * Attributes of the body of any traced method: a Response (or a deleted / compacted one) gets
 * the response map; a conversation gets its id; anything else nothing.
 */
export function bodyAttributes(body: ResponseLike, fields: ReadonlySet<string>, maxContentLength: number): Attributes {
  const kind = typeof body.object === 'string' ? body.object : undefined;
  if (kind === 'conversation' || kind === 'conversation.deleted') {
    return typeof body.id === 'string' ? { [ATTR_GEN_AI_CONVERSATION_ID]: body.id } : {};
  }
  if (kind !== undefined && kind !== 'response' && !kind.startsWith('response.')) return {};
  return responseAttributes(body, fields, maxContentLength);
}
