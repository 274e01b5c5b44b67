/*
 * Request params to span attributes (docs/TELEMETRY.md §3, §4): one mapper per known param, content
 * params through the one scrubber (content.ts). Pure functions: nothing here touches a span.
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import {
  ATTR_BUD_PROMPT,
  ATTR_BUD_PROMPT_ID,
  ATTR_BUD_PROMPT_VERSION,
  ATTR_BUD_REQUEST_PREFIX,
} from '../attribute-names';
import type { Params, ResponseLike } from '../types';
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_TYPE,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_GEN_AI_TOOL_DEFINITIONS,
  ATTR_OPENAI_REQUEST_SERVICE_TIER,
  GEN_AI_OUTPUT_TYPE_JSON,
  GEN_AI_OUTPUT_TYPE_TEXT,
} from '../semconv';
import { isObject, setIf } from '../util';
import { bounded, boundedString, contentValue, MAX_SERVER_STRING_LENGTH, withShare, type ContentBudget } from './content';
import { inputMessages, systemInstructions, toolDefinitions } from './messages';

/** Longest JSON of a safe param recorded as it is; a longer one goes through the scrubber, bounded. */
const MAX_SAFE_JSON_LENGTH = 1024;

/**
 * A primitive as it is (a string bounded); anything else as JSON (bounded: scrubbed and cut when
 * long). `undefined` when it cannot be encoded.
 */
export function toAttributeValue(value: unknown): AttributeValue | undefined {
  if (typeof value === 'string') return bounded(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value === undefined || value === null || typeof value === 'function' || typeof value === 'symbol') {
    return undefined;
  }
  try {
    const json = JSON.stringify(value);
    if (json === undefined || json.length <= MAX_SAFE_JSON_LENGTH) return json;
  } catch {
    // a cycle or a throwing toJSON: the scrubber copes with both
  }
  return contentValue(value, MAX_SERVER_STRING_LENGTH, { left: MAX_SAFE_JSON_LENGTH });
}

type RequestMapper = (value: unknown, out: Attributes, maxContentLength: number, budget: ContentBudget) => void;

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
  return (value, out, max, budget) => setIf(out, ATTR_BUD_REQUEST_PREFIX + name, contentValue(value, max, budget));
}

/** A content param recorded as `bud.inference.request.{name}` and as its semconv message JSON. */
function alsoSemconv(
  name: string,
  key: string,
  toJson: (params: Params, max: number, budget: ContentBudget) => string | undefined,
): RequestMapper {
  const plain = budContent(name);
  return (value, out, max, budget) => {
    // The two copies share what is left: the first may take half of it.
    withShare(budget, 0.5, (share) => plain(value, out, max, share));
    setIf(out, key, toJson({ [name]: value }, max, budget));
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
  service_tier: (value, out, max, budget) => {
    bud('service_tier')(value, out, max, budget);
    if (typeof value === 'string') out[ATTR_OPENAI_REQUEST_SERVICE_TIER] = bounded(value);
  },
  prompt: (value, out) => {
    if (!isObject(value)) return;
    setIf(out, ATTR_BUD_PROMPT_ID, boundedString(value.id));
    setIf(out, ATTR_BUD_PROMPT_VERSION, boundedString(value.version));
  },
  'prompt.variables': (value, out, max, budget) => setIf(out, ATTR_BUD_PROMPT, contentValue(value, max, budget)),
  input: alsoSemconv('input', ATTR_GEN_AI_INPUT_MESSAGES, inputMessages),
  instructions: alsoSemconv('instructions', ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, systemInstructions),
  tools: alsoSemconv('tools', ATTR_GEN_AI_TOOL_DEFINITIONS, toolDefinitions),
  user: budContent('user'),
  metadata: budContent('metadata'),
  text: budContent('text'),
});

/** The field `prompt.variables` reads the param `prompt` (recorded whole, with its variables). */
const PROMPT = 'prompt';
const PROMPT_VARIABLES = 'prompt.variables';
const TEXT = 'text';

/**
 * Attributes of the request params for the chosen field names, added to `out` (a new object by
 * default); content attributes are charged to `budget` (the span's, see requestShare).
 */
export function requestAttributes(
  params: Params,
  fields: ReadonlySet<string>,
  maxContentLength: number,
  out: Attributes = {},
  budget: ContentBudget = { left: Infinity },
): Attributes {
  // The params' own keys (a handful) rather than every field of the policy.
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (value === undefined) continue;
    if (fields.has(key)) (REQUEST_MAP[key] ?? budContent(key))(value, out, maxContentLength, budget);
    if (key === PROMPT && fields.has(PROMPT_VARIABLES)) REQUEST_MAP[PROMPT_VARIABLES](value, out, maxContentLength, budget);
    // Not content: the kind of output asked for, whatever the field set.
    if (key === TEXT) setIf(out, ATTR_GEN_AI_OUTPUT_TYPE, outputType(value));
  }
  return out;
}

/** `gen_ai.conversation.id`: previous_response_id, else the conversation param, else the response's. */
export function conversationId(params: Params | undefined, response?: ResponseLike): string | undefined {
  const previous = params?.previous_response_id;
  if (typeof previous === 'string' && previous) return bounded(previous);
  const conversation = params?.conversation;
  if (typeof conversation === 'string' && conversation) return bounded(conversation);
  if (isObject(conversation) && typeof conversation.id === 'string') return bounded(conversation.id);
  return boundedString(response?.conversation?.id);
}

/**
 * `gen_ai.output.type` of the output format the param `text` names (`text.format`): `json` for a
 * JSON schema or JSON object, `text` for text; undefined when it names none (or another type).
 */
export function outputType(text: unknown): string | undefined {
  const format = isObject(text) ? text.format : undefined;
  const type = isObject(format) ? format.type : undefined;
  if (type === 'json_schema' || type === 'json_object') return GEN_AI_OUTPUT_TYPE_JSON;
  return type === 'text' ? GEN_AI_OUTPUT_TYPE_TEXT : undefined;
}
