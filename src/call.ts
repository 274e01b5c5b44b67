/*
 * One traced call: its span, what was learnt while it ran, and `finish()`, the one place where
 * a span ends and a call's metrics are recorded, for streaming and non-streaming calls alike.
 */
import { diag, SpanStatusCode, type Attributes, type Span, type TimeInput } from '@opentelemetry/api';
import {
  ATTR_BUD_CHUNKS,
  ATTR_BUD_STREAM,
  ATTR_BUD_STREAM_COMPLETED,
  ATTR_BUD_TTFT_MS,
  ERROR_TYPE_STREAM_TRUNCATED,
  bodyAttributes,
  computeCost,
  conversationId,
  gatewayHeaderAttributes,
  costAttributes,
  errorType,
  errorTypeOfPayload,
  priceFor,
  type Params,
  type ResponseLike,
} from './attributes';
import type { ResolvedConfig } from './config';
import type { Instruments } from './metrics';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
} from './semconv';

/** How a call ended. */
export type Outcome =
  /** A non-streaming call resolved with this body. */
  | { kind: 'response'; response: ResponseLike | undefined }
  /** A stream reached its natural end. */
  | { kind: 'stream-end' }
  /** The application stopped early: `break`, `return()`, abort. Not a failure. */
  | { kind: 'cancelled' }
  /** The request, the body or the stream threw. */
  | { kind: 'error'; error: unknown }
  /** Only the raw HTTP response was asked for (`asResponse()`): the body is the application's. */
  | { kind: 'raw' }
  /** The application dropped the call (never awaited, stream never read) and it was collected. */
  | { kind: 'abandoned' };

/** Ends calls whose APIPromise or Stream the application dropped without finishing them. */
const abandoned = new FinalizationRegistry<Call>((call) => call.finish({ kind: 'abandoned' }));

export interface CallSetup {
  span: Span;
  config: ResolvedConfig;
  instruments: Instruments | undefined;
  params: Params | undefined;
  streaming: boolean;
  /** Attributes of every metric point: operation, provider, request model, server. */
  metricAttributes: Attributes;
  /** Span name for the streaming variant, used when the SDK's decision differs from `params.stream`. */
  streamingName: string;
  plainName: string;
  /** `gen_ai.conversation.id` was known from the arguments (else the response's is used). */
  conversationKnown: boolean;
  /** Whether the token usage metric counts this call's usage (create, compact; not re-reads of a response). */
  recordsUsage: boolean;
  /** Told the final response of the call, if any. */
  onResponse?: (response: ResponseLike) => void;
}

export class Call {
  readonly span: Span;
  private readonly setup: CallSetup;
  private readonly startedAt = performance.now();
  /** Wall-clock time of the last thing seen, the end time of an abandoned call. */
  private lastSeen: TimeInput = Date.now();
  streaming: boolean;
  /** The body was asked for (the application awaited the call or read its stream). */
  bodyRequested = false;
  /** The Response of a terminal stream event, or of `response.created` until one comes. */
  response: ResponseLike | undefined;
  /** The terminal event (`response.completed/failed/incomplete`) was seen. */
  terminal = false;
  /** A stream `error` event. */
  streamError: { code?: unknown } | undefined;
  events = 0;
  firstEventAt: number | undefined;
  private ended = false;

  constructor(setup: CallSetup) {
    this.setup = setup;
    this.span = setup.span;
    this.streaming = setup.streaming;
  }

  /** Ends the call with `finish({kind: 'abandoned'})` once `holder` is garbage, unless it ended before. */
  watch(holder: object): void {
    abandoned.unregister(this);
    abandoned.register(holder, this, this);
  }

  /** The application holds nothing that tells whether it dropped the call: stop watching. */
  unwatch(): void {
    abandoned.unregister(this);
  }

  /** The response headers came: the Bud gateway's signals are read from them (nothing is consumed). */
  onHeaders(props: unknown): void {
    this.lastSeen = Date.now();
    try {
      const headers = (props as { response?: { headers?: { get(name: string): string | null } } } | undefined)
        ?.response?.headers;
      const attributes = gatewayHeaderAttributes(headers);
      if (Object.keys(attributes).length > 0) this.span.setAttributes(attributes);
    } catch (err) {
      diag.debug('@budecosystem/instrumentation-responses: could not read response headers', err);
    }
  }

  /** The SDK decided whether the call streams; rename the span if `params.stream` said otherwise. */
  setStreaming(streaming: boolean): void {
    if (streaming === this.streaming) return;
    this.streaming = streaming;
    this.span.updateName(streaming ? this.setup.streamingName : this.setup.plainName);
    this.span.setAttribute(ATTR_BUD_STREAM, streaming);
    if (streaming) this.span.setAttribute(ATTR_GEN_AI_REQUEST_STREAM, true);
  }

  /** Ends the span exactly once, with the status and attributes the outcome implies, and records metrics. */
  finish(outcome: Outcome): void {
    if (this.ended) return;
    this.ended = true;
    abandoned.unregister(this);
    try {
      this.end(outcome);
    } catch (err) {
      diag.error('@budecosystem/instrumentation-responses: failed to finish a span', err);
      try {
        this.span.end();
      } catch {
        /* the span is the SDK's; nothing more to do */
      }
    }
  }

  private end(outcome: Outcome): void {
    const { config } = this.setup;
    const span = this.span;
    const now = performance.now();
    if (outcome.kind === 'response') this.response = outcome.response;
    const response = this.response;
    const attributes: Attributes = {};

    if (response && typeof response === 'object') {
      Object.assign(attributes, bodyAttributes(response, config.outputFields, config.maxContentLength));
      this.notifyResponse(response);
      if (!this.setup.conversationKnown) {
        const id = conversationId(undefined, response);
        if (id !== undefined) attributes[ATTR_GEN_AI_CONVERSATION_ID] = id;
      }
    }
    const cost = this.cost(response);
    if (cost) Object.assign(attributes, costAttributes(cost));

    let ttftSeconds: number | undefined;
    if (this.streaming) {
      attributes[ATTR_BUD_CHUNKS] = this.events;
      attributes[ATTR_BUD_STREAM_COMPLETED] = outcome.kind === 'stream-end';
      if (this.firstEventAt !== undefined) {
        const ms = this.firstEventAt - this.startedAt;
        ttftSeconds = ms / 1000;
        attributes[ATTR_BUD_TTFT_MS] = ms;
        attributes[ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = ttftSeconds;
      }
    }

    const failure = this.failure(outcome, response);
    if (failure) {
      attributes[ATTR_ERROR_TYPE] = failure;
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure });
      if (outcome.kind === 'error' && outcome.error instanceof Error) {
        span.recordException({ name: failure, message: failure });
      }
    } else if (outcome.kind === 'response' || outcome.kind === 'stream-end') {
      span.setStatus({ code: SpanStatusCode.OK });
    }
    span.setAttributes(attributes);

    if (config.responseHook && response) {
      try {
        config.responseHook(span, response);
      } catch (err) {
        diag.error('@budecosystem/instrumentation-responses: responseHook threw', err);
      }
    }
    span.end(outcome.kind === 'abandoned' ? this.lastSeen : undefined);

    try {
      this.setup.instruments?.record({
        attributes: this.metricAttributes(response, failure),
        durationSeconds: (now - this.startedAt) / 1000,
        timeToFirstChunkSeconds: ttftSeconds,
        usage: this.setup.recordsUsage ? response?.usage : undefined,
        cost,
      });
    } catch (err) {
      diag.error('@budecosystem/instrumentation-responses: failed to record metrics', err);
    }
  }

  private notifyResponse(response: ResponseLike): void {
    if (!this.setup.onResponse) return;
    try {
      this.setup.onResponse(response);
    } catch (err) {
      diag.debug('@budecosystem/instrumentation-responses: response listener failed', err);
    }
  }

  /** `error.type` when the outcome is a failure, else undefined. */
  private failure(outcome: Outcome, response: ResponseLike | undefined): string | undefined {
    switch (outcome.kind) {
      case 'error':
        return errorType(outcome.error);
      case 'stream-end':
        if (this.streamError) return errorTypeOfPayload(this.streamError);
        if (!this.terminal) return ERROR_TYPE_STREAM_TRUNCATED;
        return response?.status === 'failed' ? errorTypeOfPayload(response.error) : undefined;
      case 'response':
        return response?.status === 'failed' ? errorTypeOfPayload(response.error) : undefined;
      default:
        return undefined;
    }
  }

  private cost(response: ResponseLike | undefined) {
    const { pricing } = this.setup.config;
    if (!pricing || !response || !this.setup.recordsUsage) return undefined;
    const requestModel = this.setup.metricAttributes[ATTR_GEN_AI_REQUEST_MODEL];
    const price = priceFor(pricing, response.model, typeof requestModel === 'string' ? requestModel : undefined);
    return price ? computeCost(price, response.usage) : undefined;
  }

  private metricAttributes(response: ResponseLike | undefined, failure: string | undefined): Attributes {
    const attributes: Attributes = { ...this.setup.metricAttributes };
    if (typeof response?.model === 'string') attributes[ATTR_GEN_AI_RESPONSE_MODEL] = response.model;
    if (failure) attributes[ATTR_ERROR_TYPE] = failure;
    return attributes;
  }
}
