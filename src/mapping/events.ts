/*
 * The records of the GenAI events of semconv v1.41.1 (docs/TELEMETRY.md §10), as pure functions of what a
 * call ended with: `gen_ai.client.operation.exception` and
 * `gen_ai.client.inference.operation.details`. Nothing here emits (src/events.ts does), reads the
 * clock or throws on odd input. Content comes from the same builders as the span attributes
 * (messages.ts), so the same cuts, the same scrubber and the same total budget apply
 * (`boundedContent`).
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_TYPE,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_GEN_AI_TOOL_DEFINITIONS,
  EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS,
  EVENT_GEN_AI_CLIENT_OPERATION_EXCEPTION,
} from '../semconv';
import type { Params, ResponseLike } from '../types';
import { isObject } from '../util';
import { contentBudget, contentValue, cutRule, encodeWithin, type ContentBudget, type CutRule, type Json } from './content';
import { ERROR_TYPE_STREAM_TRUNCATED } from './errors';
import { inputMessagesJson, outputMessagesJson, systemInstructionsJson, toolDefinitionsJson } from './messages';
import { conversationId, requestAttributes } from './request';
import { responseAttributes } from './response';

/** An attribute value of a log record: a span attribute value, or structured content. */
export type EventValue = Attributes[string] | Json;
export type EventAttributes = Record<string, EventValue>;

/** What `Logger.emit` is given, less the context (src/events.ts adds the span's). */
export interface EventRecord {
  eventName: string;
  severityNumber: number;
  severityText: string;
  attributes: EventAttributes;
}

/** Log severities (the Logs API's SeverityNumber values) of the two events. */
export const SEVERITY_WARN = 13;
export const SEVERITY_INFO = 9;

/** `exception.message` of a stream that ended without a terminal event. */
export const TRUNCATED_MESSAGE = 'the stream ended without response.completed, response.failed or response.incomplete';

/** The create() params whose attributes the details event carries (no content among them). */
const DETAILS_REQUEST_FIELDS: ReadonlySet<string> = new Set(['model', 'temperature', 'top_p', 'max_output_tokens']);
/** The Response fields whose attributes the details event carries (no content among them). */
const DETAILS_RESPONSE_FIELDS: ReadonlySet<string> = new Set(['id', 'model', 'usage', 'finish_reasons', 'service_tier']);

/** What a failed call failed with: the thrown error, a stream `error` event, a Response's `error`. */
function exceptionType(cause: unknown, failure: string): string {
  if (cause instanceof Error) {
    const name = typeof cause.constructor === 'function' ? cause.constructor.name : '';
    if (name && name !== 'Object') return name;
    if (typeof cause.name === 'string' && cause.name) return cause.name;
  }
  return failure;
}

function exceptionMessage(cause: unknown, failure: string): string {
  const message = isObject(cause) ? cause.message : undefined;
  if (typeof message === 'string' && message) return message;
  return failure === ERROR_TYPE_STREAM_TRUNCATED ? TRUNCATED_MESSAGE : failure;
}

/**
 * `gen_ai.client.operation.exception`: WARN, `exception.type` (the error's class, else the
 * `error.type` code) and `exception.message` (through the content scrubber, cut to
 * `maxContentLength`), the attributes the conventions give it; never a stack. The span's
 * attributes are the span's: the record is emitted in its context.
 */
export function exceptionEvent(failure: string, cause: unknown, maxContentLength: number): EventRecord {
  const attributes: EventAttributes = { [ATTR_EXCEPTION_TYPE]: exceptionType(cause, failure) };
  const message = contentValue(exceptionMessage(cause, failure), maxContentLength);
  if (message !== undefined) attributes[ATTR_EXCEPTION_MESSAGE] = message;
  return { eventName: EVENT_GEN_AI_CLIENT_OPERATION_EXCEPTION, severityNumber: SEVERITY_WARN, severityText: 'WARN', attributes };
}

/** The messages of a call, structured (not JSON strings), each as the span attributes build them. */
export interface EventContent {
  [ATTR_GEN_AI_INPUT_MESSAGES]?: Json;
  [ATTR_GEN_AI_SYSTEM_INSTRUCTIONS]?: Json;
  [ATTR_GEN_AI_TOOL_DEFINITIONS]?: Json;
  [ATTR_GEN_AI_OUTPUT_MESSAGES]?: Json;
}

/** A non-empty list from `build`, or undefined (nothing, or it failed: one value must not cost the others). */
function listOf(build: () => Json[] | undefined): Json[] | undefined {
  try {
    const list = build();
    return list && list.length ? list : undefined;
  } catch {
    return undefined;
  }
}

type ContentBuilder<T> = (source: T, rule: CutRule) => Json[] | undefined;

/**
 * THE place where the total content budget applies to event content: each value is built by the
 * same builder as its span attribute (per-part cuts, the scrubber), within what is left of the
 * event's budget, and checked by its encoded length (`encodeWithin`, as on spans); it is carried
 * structured, parsed back from that bounded encoding.
 */
function boundedContent<T>(source: T, build: ContentBuilder<T>, maxContentLength: number, budget: ContentBudget): Json | undefined {
  const text = encodeWithin(budget, (share) => listOf(() => build(source, cutRule(maxContentLength, share))));
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/** The structured messages of the call's params and response, scrubbed, cut and within `maxContentTotalLength`. */
export function eventContent(
  params: Params | undefined,
  response: ResponseLike | undefined,
  maxContentLength: number,
  maxContentTotalLength: number,
): EventContent {
  const content: EventContent = {};
  const budget = contentBudget(maxContentTotalLength);
  const set = <T>(key: keyof EventContent, source: T, build: ContentBuilder<T>) => {
    const value = boundedContent(source, build, maxContentLength, budget);
    if (value !== undefined) content[key] = value;
  };
  if (params) {
    set(ATTR_GEN_AI_INPUT_MESSAGES, params, inputMessagesJson);
    set(ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, params, systemInstructionsJson);
    set(ATTR_GEN_AI_TOOL_DEFINITIONS, params, toolDefinitionsJson);
  }
  if (response) set(ATTR_GEN_AI_OUTPUT_MESSAGES, response, outputMessagesJson);
  return content;
}

export interface DetailsInput {
  /** The call's start attributes: operation, provider, request model, server. */
  base: Readonly<Attributes>;
  params: Params | undefined;
  response: ResponseLike | undefined;
  /** `error.type`, when the call failed. */
  failure: string | undefined;
  streaming: boolean;
  /** Content capture for events is on. */
  content: boolean;
  maxContentLength: number;
  /** The most characters of content the event carries, all values together. */
  maxContentTotalLength: number;
}

/**
 * `gen_ai.client.inference.operation.details`: the attributes of the inference span (operation,
 * provider, models, request parameters, output type, conversation and response ids, usage,
 * finish reasons, server, `error.type`) and, with content capture for events, the messages.
 */
export function detailsEvent(input: DetailsInput): EventRecord {
  const { params, response, maxContentLength } = input;
  const attributes: EventAttributes = { ...input.base };
  if (params) requestAttributes(params, DETAILS_REQUEST_FIELDS, maxContentLength, attributes as Attributes);
  if (input.streaming) attributes[ATTR_GEN_AI_REQUEST_STREAM] = true;
  const conversation = conversationId(params, isObject(response) ? response : undefined);
  if (conversation !== undefined) attributes[ATTR_GEN_AI_CONVERSATION_ID] = conversation;
  if (isObject(response)) responseAttributes(response, DETAILS_RESPONSE_FIELDS, maxContentLength, attributes as Attributes);
  if (input.failure !== undefined) attributes[ATTR_ERROR_TYPE] = input.failure;
  if (input.content) Object.assign(attributes, eventContent(params, isObject(response) ? response : undefined, maxContentLength, input.maxContentTotalLength));
  return {
    eventName: EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS,
    severityNumber: SEVERITY_INFO,
    severityText: 'INFO',
    attributes,
  };
}
