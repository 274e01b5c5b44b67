/*
 * The records of the GenAI events of semconv v1.41.1 (CONTRACT §10), as pure functions of what a
 * call ended with: `gen_ai.client.operation.exception` and
 * `gen_ai.client.inference.operation.details`. Nothing here emits (src/events.ts does), reads the
 * clock or throws on odd input. Content comes from the same builders as the span attributes
 * (messages.ts), so the same cuts and the same scrubber apply, and then passes
 * `boundEventContent`, where the per-span total budget applies.
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
import { contentValue, type Json } from './content';
import { ERROR_TYPE_STREAM_TRUNCATED } from './errors';
import { inputMessageList, outputMessageList, systemInstructionList, toolDefinitionList } from './messages';
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

/**
 * THE place where the per-span total content budget (CONTRACT §8) applies to event content:
 * every content value of an event passes here once, after the per-part cuts of messages.ts,
 * and whatever this returns is all the event carries. (No total budget exists yet: the values
 * pass unchanged.)
 */
export function boundEventContent(content: EventContent): EventContent {
  return content;
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

/** The structured messages of the call's params and response, bounded. */
export function eventContent(params: Params | undefined, response: ResponseLike | undefined, maxContentLength: number): EventContent {
  const content: EventContent = {};
  const set = (key: keyof EventContent, value: Json[] | undefined) => {
    if (value !== undefined) content[key] = value;
  };
  if (params) {
    set(ATTR_GEN_AI_INPUT_MESSAGES, listOf(() => inputMessageList(params, maxContentLength) as unknown as Json[]));
    set(ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, listOf(() => systemInstructionList(params, maxContentLength)));
    set(ATTR_GEN_AI_TOOL_DEFINITIONS, listOf(() => toolDefinitionList(params, maxContentLength)));
  }
  if (response) set(ATTR_GEN_AI_OUTPUT_MESSAGES, listOf(() => outputMessageList(response, maxContentLength) as unknown as Json[]));
  return boundEventContent(content);
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
  if (input.content) Object.assign(attributes, eventContent(params, isObject(response) ? response : undefined, maxContentLength));
  return {
    eventName: EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS,
    severityNumber: SEVERITY_INFO,
    severityText: 'INFO',
    attributes,
  };
}
