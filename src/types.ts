/*
 * The public types: the configuration, the hooks and the shapes they are handed. Documented
 * where declared. A leaf: imports nothing of this package.
 */
import type { Span } from '@opentelemetry/api';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

/** Request params of any traced method. */
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

/** `true`: the safe fields (plus content ones with `captureContent`); `false`: none; a list: exactly those. */
export type CaptureSetting = boolean | readonly string[];

export type SemconvMode = 'bud' | 'otel';

/**
 * Where message content goes, as `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` names it
 * (any case): nowhere, on spans, on the `gen_ai.client.inference.operation.details` event, or both.
 */
export type ContentCaptureMode = 'NO_CONTENT' | 'SPAN_ONLY' | 'EVENT_ONLY' | 'SPAN_AND_EVENT';

/** What a hook is told about the call, for every traced method. */
export interface HookInfo {
  /** `bud.inference.operation`: `responses` (create, stream, parse), `retrieve`, `cancel`, `conversations.create`, ... */
  operation: string;
  /** The response the method names (retrieve, cancel, delete, input items), if any. */
  responseId?: string;
  /** The conversation the method names (conversations.*), if any. */
  conversationId?: string;
}

/**
 * Called before the request is sent, with the span, the request params (`{}` for a method that
 * sends none, e.g. retrieve or delete) and what the call is. It may be `async`: a throw or a
 * rejected promise is caught and logged through `diag`, and the call never waits for the promise.
 */
export type RequestHookFunction = (span: Span, params: Params, info: HookInfo) => unknown;
/**
 * Called with the span and the final Response (for streams: the terminal event's response), or
 * the body of another method, before the span ends (what a promise it returns does later is not
 * on the span). It may be `async`: a throw or a rejected promise is caught and logged through
 * `diag`, and the call never waits for the promise.
 */
export type ResponseHookFunction = (span: Span, response: ResponseLike, info: HookInfo) => unknown;

export interface BudResponsesInstrumentationConfig extends InstrumentationConfig {
  /** Which create() params to record. Default `true` (the safe fields). */
  captureInput?: CaptureSetting;
  /** Which Response fields to record. Default `true` (the safe fields). */
  captureOutput?: CaptureSetting;
  /**
   * Adds the content fields (input, instructions, tools, output text, ...) to the default sets.
   * `true`: on spans, and on the details event when it is emitted; a mode word places it (any
   * case). Default: env `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` (the same words), else `false`.
   */
  captureContent?: boolean | ContentCaptureMode;
  /** The name the official OpenTelemetry openai instrumentation uses for `captureContent`; either turns it on. */
  captureMessageContent?: boolean;
  /** Base span name. Default `responses`; streaming spans append `.stream`. */
  spanName?: string;
  /**
   * Value of `gen_ai.system` and `gen_ai.provider.name`. Default: by the client's endpoint,
   * `openai` for api.openai.com, `azure.ai.openai` for Azure OpenAI hosts, else `bud`.
   */
  system?: string;
  /** `otel` names spans `chat {model}` with operation `chat`. Default: `bud`, or `otel` when
   * env `OTEL_SEMCONV_STABILITY_OPT_IN` contains `gen_ai_latest_experimental`. */
  semconvMode?: SemconvMode;
  /** Longest string kept in a content attribute, per part. Default 16384. */
  maxContentLength?: number;
  /**
   * Most characters a span carries in all its content attributes together (input, instructions,
   * tools, output, ...; the request's may use three quarters of it). Default 131072.
   */
  maxContentTotalLength?: number;
  requestHook?: RequestHookFunction;
  responseHook?: ResponseHookFunction;
  /** Inject `traceparent`/`baggage` into the request headers. Default `true`. */
  propagateContext?: boolean;
  /** Per-million-token prices by model name; enables the cost attributes and metric. */
  pricing?: Readonly<Record<string, ModelPrice>>;
  /**
   * Skip the `Responses.create` wrapper of `@opentelemetry/instrumentation-openai` (one GenAI
   * span per Responses call, this package's; the SDK objects as with openai alone). Default `true`.
   */
  supersedeOpenAIInstrumentation?: boolean;
  /**
   * Emit one `gen_ai.client.inference.operation.details` log record per create call (needs a
   * LoggerProvider). Default: env `OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT`, else `true` when
   * content capture is `EVENT_ONLY` or `SPAN_AND_EVENT`, else `false`.
   */
  emitOperationDetails?: boolean;
}


/**
 * What `manuallyInstrument()` takes: the `openai` module (`import * as openai from 'openai'`,
 * `require('openai')`), its `OpenAI` class, or a client made by that class.
 */
export type OpenAIModuleLike = object;
