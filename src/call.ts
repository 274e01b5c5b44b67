/*
 * One traced call: its span, what was learnt while it ran, and `finish()`, the one place where
 * a span ends and a call's metrics are recorded, for streaming and non-streaming calls alike.
 */
import { SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import { ATTR_BUD_CHUNKS, ATTR_BUD_STREAM, ATTR_BUD_STREAM_COMPLETED, ATTR_BUD_TTFT_MS } from './attribute-names';
import { emitCallEvents } from './events';
import { computeCost, costAttributes, priceFor } from './mapping/cost';
import { ERROR_TYPE_STREAM_TRUNCATED, errorType, errorTypeOfPayload } from './mapping/errors';
import { addGatewayAttributes, gatewayHeaderAttributes } from './mapping/gateway-headers';
import type { Cost } from './internal-types';
import { boundedString, type ContentBudget } from './mapping/content';
import { conversationId } from './mapping/request';
import { bodyAttributes } from './mapping/response';
import type { HookInfo, Params, ResponseLike } from './types';
import type { Logger } from '@opentelemetry/api-logs';
import { HolderWatch } from './holders';
import { callHook, epochMillis, logger } from './util';
import type { ResolvedConfig } from './config';
import type { Instruments } from './metrics';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
} from './semconv';

/** How a call ended. */
export type Outcome =
  /** A non-streaming call resolved with this body. */
  | { kind: 'response'; response: ResponseLike | undefined }
  /** A stream reached its natural end, or its terminal event reached the application. */
  | { kind: 'stream-end' }
  /** The application stopped early: `break`, `return()`, abort. Not a failure. */
  | { kind: 'cancelled' }
  /** The request, the body or the stream threw. */
  | { kind: 'error'; error: unknown }
  /** Only the raw HTTP response was asked for (`asResponse()`): the body is the application's. */
  | { kind: 'raw' }
  /** The application dropped the call (never awaited, stream never read) and it was collected. */
  | { kind: 'abandoned' };

/** An abort of the application's own making (its signal, `controller.abort()`), as the SDK reports it. */
function isUserAbort(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const name = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return name === 'APIUserAbortError' || (error as { name?: unknown }).name === 'AbortError';
}

export interface CallSetup {
  span: Span;
  /** `span.isRecording()` at the start: a span that records nothing gets no attributes built. */
  recording: boolean;
  /** `performance.now()` when the call started: the span's start time too. */
  startedAt: number;
  /** What the hooks are told about the call (built only when a hook is configured). */
  hookInfo: HookInfo | undefined;
  config: ResolvedConfig;
  instruments: Instruments | undefined;
  streaming: boolean;
  /** Attributes of every metric point: operation, provider, request model, server. */
  metricAttributes: Attributes;
  /** Span name for the streaming variant, used when the SDK's decision differs from `params.stream`. */
  streamingName: string;
  plainName: string;
  /** `gen_ai.conversation.id` was known from the arguments (else the response's is used). */
  conversationKnown: boolean;
  /**
   * The call generates a response (create, compact): its usage is counted by the token metric and
   * a `failed` body fails the span. Methods that read back or manage a stored response (retrieve,
   * cancel, ...) succeed when the SDK call succeeds, whatever the stored response's status.
   */
  generates: boolean;
  /** Told the final response of the call, if any. */
  onResponse?: (response: ResponseLike) => void;
  /** The live logger of the GenAI events (none: no LoggerProvider, nothing is built). */
  eventLogger?: Logger;
  /** The details event is asked for (create, `emitOperationDetails`), with the params read once at the start. */
  details?: { params: Params | undefined };
  /** What is left of the span's content budget after the request's attributes (recording spans only). */
  contentBudget?: ContentBudget;
}

export class Call {
  readonly span: Span;
  private readonly setup: CallSetup;
  /** `performance.now()` at the start, and of the last thing seen (the end of an abandoned call). */
  private readonly startedAt: number;
  private lastSeenAt: number;
  private streaming: boolean;
  /** The body was asked for (the application awaited the call or read its stream). */
  private bodyRequested = false;
  /** The Response of a terminal stream event, or of `response.created` until one comes. */
  private response: ResponseLike | undefined;
  /** The terminal event (`response.completed/failed/incomplete`) was seen. */
  private terminal = false;
  /** A stream `error` event. */
  private streamError: { code?: unknown } | undefined;
  private events = 0;
  private firstEventAt: number | undefined;
  /** The stream's abort signal and the listener that ends the call when it fires. */
  private abortSignal: AbortSignal | undefined;
  private abortListener: (() => void) | undefined;
  /** The Bud gateway's header attributes, set on the span when it ends. */
  private gateway: Attributes | undefined;
  /** Follows the garbage collection of what holds the call (see watch()). */
  private readonly holders = new HolderWatch(() => this.finish({ kind: 'abandoned' }));
  private ended = false;

  constructor(setup: CallSetup) {
    this.setup = setup;
    this.span = setup.span;
    this.startedAt = this.lastSeenAt = setup.startedAt;
    this.streaming = setup.streaming;
  }

  /**
   * Ends the call with `finish({kind: 'abandoned'})` once every watched holder (the APIPromise,
   * promises derived from it, the Stream, its iterator) is garbage, unless it ended before; see
   * `HolderWatch.watch` for what `consumed` tells.
   */
  watch(holder: object, consumed?: (holder: object) => boolean): void {
    if (this.ended) return;
    this.holders.watch(holder, consumed);
  }

  /** The application holds nothing that tells whether it dropped the call: stop watching. */
  unwatch(): void {
    this.holders.unwatch();
  }

  /** Whether the application asked for the body (awaited the call, parsed it or read its stream). */
  get hasBodyRequest(): boolean {
    return this.bodyRequested;
  }

  /** The application asked for the body: from now on the body's own outcome ends the call. */
  onBodyRequested(): void {
    this.bodyRequested = true;
    this.unwatch();
  }

  /** The response headers came: the Bud gateway's signals are read from them (nothing is consumed). */
  onHeaders(props: unknown): void {
    this.lastSeenAt = performance.now();
    this.holders.onHeaders(this.ended || this.bodyRequested);
    if (!this.setup.recording) return;
    try {
      const headers = (props as { response?: { headers?: { get(name: string): string | null } } } | undefined)
        ?.response?.headers;
      this.gateway = gatewayHeaderAttributes(headers);
    } catch (err) {
      logger.debug('could not read response headers', err);
    }
  }

  /**
   * One stream event reached the application: count, time of the first, terminal and error
   * events. A terminal event ends the call: the application has its answer, whatever it does
   * next (a later `next()`, `return()` or abort finds the call ended and changes nothing).
   */
  onEvent(event: unknown): void {
    if (this.ended) return;
    const now = performance.now();
    this.lastSeenAt = now;
    if (this.events++ === 0) this.firstEventAt = now;
    if (typeof event !== 'object' || event === null) return;
    switch ((event as { type?: unknown }).type) {
      case 'response.completed':
      case 'response.failed':
      case 'response.incomplete':
        this.response = (event as { response?: ResponseLike }).response;
        this.terminal = true;
        this.finish({ kind: 'stream-end' }, now);
        break;
      case 'response.created':
        if (!this.terminal) this.response = (event as { response?: ResponseLike }).response;
        break;
      case 'error':
        this.streamError = event as { code?: unknown };
        break;
      default:
        break;
    }
  }

  /**
   * Ends the call when `signal` aborts, even if nobody pulls the stream again (clients that race
   * `next()` against their signal never call `return()`). The listener goes when the call ends.
   */
  endOnAbort(signal: AbortSignal | undefined): void {
    if (!signal || this.ended || this.abortSignal) return;
    if (signal.aborted) return;
    const listener = () => {
      const abortedAt = performance.now();
      // The SDK also aborts its controller while it unwinds a failed or finished stream; those
      // exits reach the iterator within the same turn, so wait for them before calling it a cancel.
      setImmediate(() => this.finish({ kind: 'cancelled' }, abortedAt));
    };
    this.abortSignal = signal;
    this.abortListener = listener;
    signal.addEventListener('abort', listener, { once: true });
  }

  /** The SDK decided whether the call streams; rename the span if `params.stream` said otherwise. */
  setStreaming(streaming: boolean): void {
    if (streaming === this.streaming || this.ended) return;
    this.streaming = streaming;
    this.span.updateName(streaming ? this.setup.streamingName : this.setup.plainName);
    this.span.setAttribute(ATTR_BUD_STREAM, streaming);
    if (streaming) this.span.setAttribute(ATTR_GEN_AI_REQUEST_STREAM, true);
  }

  /**
   * Ends the span exactly once, with the status and attributes the outcome implies, and records
   * metrics. `at` (a `performance.now()` time) is when the outcome happened, if not now.
   */
  finish(outcome: Outcome, at?: number): void {
    if (this.ended) return;
    this.ended = true;
    this.unwatch();
    if (this.abortListener) this.abortSignal?.removeEventListener('abort', this.abortListener);
    this.abortSignal = undefined;
    this.abortListener = undefined;
    try {
      // A terminal event reached the application (which ends the call there: see onEvent). A
      // stream that ended without one (nothing but `[DONE]`, or cut by the server) is not
      // complete, whatever ended it.
      const completed = this.terminal;
      const endAt = at ?? (outcome.kind === 'abandoned' ? this.lastSeenAt : performance.now());
      this.end(this.settle(outcome), endAt, completed);
    } catch (err) {
      logger.error('failed to finish a span', err);
      try {
        this.span.end();
      } catch {
        /* the span is the SDK's; nothing more to do */
      }
    }
  }

  /**
   * What the application was shown decides: an abort is the user's choice, not a failure, and
   * once a terminal or `error` event reached the application, stopping afterwards keeps that
   * event's outcome.
   */
  private settle(outcome: Outcome): Outcome {
    if (outcome.kind === 'error' && isUserAbort(outcome.error)) outcome = { kind: 'cancelled' };
    if (outcome.kind === 'cancelled' && (this.terminal || this.streamError)) return { kind: 'stream-end' };
    return outcome;
  }

  private end(outcome: Outcome, endAt: number, completed: boolean): void {
    const span = this.span;
    if (outcome.kind === 'response') this.response = outcome.response;
    const response = this.response;
    if (response && typeof response === 'object') this.notifyResponse(response);
    const cost = this.cost(response);
    const ttftSeconds =
      this.streaming && this.firstEventAt !== undefined ? (this.firstEventAt - this.startedAt) / 1000 : undefined;
    const failure = this.failure(outcome, response);
    // A span that records nothing (sampled out, no tracer provider) gets no attributes built.
    if (this.setup.recording) this.record(outcome, response, cost, ttftSeconds, failure, completed);
    // Epoch milliseconds of a `performance.now()` time: the span and the duration metric share one clock.
    span.end(epochMillis(endAt));

    try {
      this.setup.instruments?.record({
        base: this.setup.metricAttributes,
        responseModel: boundedString(response?.model),
        failure,
        durationSeconds: (endAt - this.startedAt) / 1000,
        timeToFirstChunkSeconds: ttftSeconds,
        usage: this.setup.generates ? response?.usage : undefined,
        cost,
      });
    } catch (err) {
      logger.error('failed to record metrics', err);
    }
    const { eventLogger, details } = this.setup;
    if (eventLogger && (failure !== undefined || details)) {
      const cause = outcome.kind === 'error' ? outcome.error : (this.streamError ?? response?.error);
      const { metricAttributes: base, config } = this.setup;
      const streaming = this.streaming;
      emitCallEvents(eventLogger, { span, base, details: !!details, params: details?.params, response, failure, cause, streaming, config });
    }
  }

  /** Sets the span's response attributes and status, then calls the response hook. */
  private record(
    outcome: Outcome,
    response: ResponseLike | undefined,
    cost: Cost | undefined,
    ttftSeconds: number | undefined,
    failure: string | undefined,
    completed: boolean,
  ): void {
    const { config } = this.setup;
    const span = this.span;
    const attributes: Attributes = {};
    if (response && typeof response === 'object') {
      bodyAttributes(response, config.outputFields, config.maxContentLength, attributes, this.setup.contentBudget);
      if (!this.setup.conversationKnown) {
        const id = conversationId(undefined, response);
        if (id !== undefined) attributes[ATTR_GEN_AI_CONVERSATION_ID] = id;
      }
    }
    if (this.gateway) addGatewayAttributes(this.gateway, response?.usage, attributes);
    if (cost) Object.assign(attributes, costAttributes(cost));
    if (this.streaming) {
      attributes[ATTR_BUD_CHUNKS] = this.events;
      attributes[ATTR_BUD_STREAM_COMPLETED] = completed;
      if (ttftSeconds !== undefined) {
        attributes[ATTR_BUD_TTFT_MS] = ttftSeconds * 1000;
        attributes[ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = ttftSeconds;
      }
    }
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
    if (config.responseHook && response && this.setup.hookInfo) {
      callHook('responseHook', config.responseHook, span, response, this.setup.hookInfo);
    }
  }

  private notifyResponse(response: ResponseLike): void {
    if (!this.setup.onResponse) return;
    try {
      this.setup.onResponse(response);
    } catch (err) {
      logger.debug('response listener failed', err);
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
        return this.setup.generates && response?.status === 'failed' ? errorTypeOfPayload(response.error) : undefined;
      default:
        return undefined;
    }
  }

  private cost(response: ResponseLike | undefined) {
    const { pricing } = this.setup.config;
    if (!pricing || !response || !this.setup.generates) return undefined;
    const requestModel = this.setup.metricAttributes[ATTR_GEN_AI_REQUEST_MODEL];
    const price = priceFor(pricing, response.model, typeof requestModel === 'string' ? requestModel : undefined);
    return price ? computeCost(price, response.usage) : undefined;
  }

}
