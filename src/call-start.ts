/*
 * The start of a traced call: the one read of its arguments, its span (with the attributes a
 * sampler may read at the start, cached per operation, client, model and streaming), the request
 * attributes within the span's content budget, the request hook, and the `Call` that owns the
 * rest. Also remembers background responses, so that a later retrieve links to their create.
 */
import { SpanKind, trace, type Attributes, type Context, type Link, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';
import type { Logger } from '@opentelemetry/api-logs';
import { Call } from './call';
import type { ResolvedConfig } from './config';
import { bounded, contentBudget, withShare, type ContentBudget } from './mapping/content';
import { conversationId as conversationIdOf, requestAttributes } from './mapping/request';
import type { Instruments } from './metrics';
import { CREATE, EVERY_PARAM, type OperationSpec } from './operations';
import { markCall } from './propagation';
import { ATTR_GEN_AI_CONVERSATION_ID, ATTR_GEN_AI_RESPONSE_ID } from './semconv';
import { StartAttributesCache } from './start-attributes';
import type { HookInfo, Params, ResponseLike } from './types';
import { callHook, epochMillis, logger } from './util';

/** The part of a span's content budget (config `maxContentTotalLength`) its request attributes may use; the response's get the rest. */
const REQUEST_SHARE = 0.75;

interface ClientLike {
  _client?: { baseURL?: unknown };
}

/** The OpenAI class of a loaded openai module (CommonJS exports or ESM namespace, any major). */
export

/** Recent background response ids and the span of their create, for links from later calls. */
class RecentResponses {
  private readonly spans = new Map<string, SpanContext>();
  constructor(private readonly limit: number) {}
  remember(id: string, spanContext: SpanContext): void {
    this.spans.delete(id);
    this.spans.set(id, spanContext);
    if (this.spans.size > this.limit) this.spans.delete(this.spans.keys().next().value as string);
  }
  linkTo(id: string | undefined): Link[] | undefined {
    const spanContext = id === undefined ? undefined : this.spans.get(id);
    return spanContext ? [{ context: spanContext }] : undefined;
  }
}

/** How many background response ids are remembered for links (oldest forgotten first). */
export const RECENT_RESPONSES_LIMIT = 1000;

/** What the instrumentation hands over for one call: its config and the providers' live parts. */
export interface StartEnvironment {
  config: ResolvedConfig;
  tracer: Tracer;
  instruments: Instruments | undefined;
  /** The live logger of the GenAI events, if a LoggerProvider is there. */
  eventLogger: Logger | undefined;
}

/** The call (none when nothing records) and the context the SDK runs in. */
export interface StartedCall {
  call: Call | undefined;
  ctx: Context;
}

/** The request's attributes on the span; a failure is logged and leaves the span as it is. */
function recordRequest(
  span: Span,
  params: Params | undefined,
  conversation: string | undefined,
  responseId: string | undefined,
  budget: ContentBudget,
  config: ResolvedConfig,
): void {
  try {
    const attributes: Attributes = {};
    if (conversation !== undefined) attributes[ATTR_GEN_AI_CONVERSATION_ID] = conversation;
    if (responseId !== undefined) attributes[ATTR_GEN_AI_RESPONSE_ID] = bounded(responseId);
    if (params) {
      withShare(budget, REQUEST_SHARE, (share) =>
        requestAttributes(params, config.inputFields, config.maxContentLength, attributes, share),
      );
    }
    span.setAttributes(attributes);
  } catch (err) {
    logger.error('could not record the request attributes', err);
  }
}

/** Starts the calls of one instrumentation instance. */
export class CallStarter {
  private readonly recent = new RecentResponses(RECENT_RESPONSES_LIMIT);
  private readonly startAttributes = new StartAttributesCache();

  /**
   * Starts the span. The attributes a sampler may read are given at the start (cached per
   * operation, client, model and streaming); the rest are built only for a span that records.
   * When nothing records (no recording span, no-op meter), no call is followed at all: the SDK's
   * objects are not touched and only the context (for the trace headers) is set. The arguments
   * go to the SDK unchanged: the trace headers are added when it sends (propagation.ts).
   */
  start(spec: OperationSpec, resource: unknown, args: unknown[], parent: Context, env: StartEnvironment): StartedCall {
    const { config, tracer, instruments, eventLogger } = env;
    const isCreate = spec === CREATE;
    const wantsDetails = eventLogger !== undefined && isCreate && config.emitOperationDetails;
    // The one read of the arguments (operations.ts, params.ts): never throws, never runs their
    // getters; a plain copy, which the details event reads again when the call ends.
    const { params, given, streaming, responseId, conversationId } = spec.read(args, wantsDetails ? EVERY_PARAM : config.inputFields);
    const details = wantsDetails ? { params } : undefined;
    const model = typeof params?.model === 'string' ? params.model : undefined;
    const start = this.startAttributes.get(spec, config, (resource as ClientLike | undefined)?._client?.baseURL, model, streaming);

    // One clock for the span and the duration metric: both start and end at performance.now() times.
    const startedAt = performance.now();
    const span = tracer.startSpan(
      streaming ? start.streamingName : start.plainName,
      // A copy: a tracer may add to the attributes it is given (Sentry's does).
      { kind: SpanKind.CLIENT, attributes: { ...start.span }, links: this.recent.linkTo(responseId), startTime: epochMillis(startedAt) },
      parent,
    );
    try {
      const ctx = markCall(trace.setSpan(parent, span), config.propagateContext);
      const recording = span.isRecording();
      if (!recording && !instruments && !eventLogger) return { call: undefined, ctx };
      const hookInfo: HookInfo | undefined =
        config.requestHook || config.responseHook
          ? {
              operation: spec.operation,
              responseId: responseId === undefined ? undefined : bounded(responseId),
              conversationId: conversationId === undefined ? undefined : bounded(conversationId),
            }
          : undefined;
      let conversationKnown = false;
      // The span's content budget: the request may use REQUEST_SHARE of it, the response the rest.
      const budget: ContentBudget | undefined = recording ? contentBudget(config.maxContentTotalLength) : undefined;
      if (budget) {
        const conversation = params ? conversationIdOf(params) : conversationId ? bounded(conversationId) : undefined;
        conversationKnown = conversation !== undefined;
        recordRequest(span, params, conversation, responseId, budget, config);
        if (config.requestHook && hookInfo) callHook('requestHook', config.requestHook, span, given ?? {}, hookInfo);
      }
      const call = new Call({
        span,
        recording,
        hookInfo,
        startedAt,
        config,
        instruments,
        streaming,
        metricAttributes: start.metric,
        plainName: start.plainName,
        streamingName: start.streamingName,
        generates: isCreate || spec.operation === 'compact',
        conversationKnown,
        contentBudget: budget,
        onResponse: isCreate && params?.background === true ? (r) => this.rememberBackground(r, span.spanContext()) : undefined,
        eventLogger,
        details,
      });
      return { call, ctx };
    } catch (err) {
      // A span that was started ends, whatever failed after its start.
      span.end();
      throw err;
    }
  }

  private rememberBackground(response: ResponseLike, spanContext: SpanContext): void {
    if (typeof response.id === 'string') this.recent.remember(response.id, spanContext);
  }
}
