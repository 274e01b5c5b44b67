/*
 * BudResponsesInstrumentation: hooks the `openai` module (CommonJS and ESM) and traces every
 * `responses.create()` call, which `responses.stream()` and `responses.parse()` also go through.
 *
 * The caller gets the SDK's own objects back. The APIPromise is observed through its
 * `responsePromise` (failures before the body) and its `parseResponse` (the body, parsed once,
 * when the application asks for it); a streamed body is the SDK's `Stream` with an instrumented
 * `iterator` (see stream-wrapper.ts). Every path ends in `Call.finish()`.
 */
import {
  context,
  createNoopMeter,
  diag,
  ProxyTracer,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Link,
  type MeterProvider,
  type Span,
  type SpanContext,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { Call } from './call';
import { readOptions, resolveConfig, type ResolvedConfig } from './config';
import { EventLoggers } from './events';
import { bounded, contentBudget, withShare, type ContentBudget } from './mapping/content';
import { conversationId as conversationIdOf, requestAttributes } from './mapping/request';
import { Instruments } from './metrics';
import { CREATE, EVERY_PARAM, ownerPrototype, PATCH_TARGETS, type OperationSpec } from './operations';
import {
  addConstructionHook,
  PatchRegistry,
  removeConstructionHook,
  skipSuperseded,
  type AnyFunction,
  type WrapperState,
} from './patching';
import { deliverPendingProblems, reportOnce } from './problems';
import { inTracedCall, markCall, prepareRequestWrapper } from './propagation';
import { ATTR_GEN_AI_CONVERSATION_ID, ATTR_GEN_AI_RESPONSE_ID } from './semconv';
import { StartAttributesCache } from './start-attributes';
import { instrumentStream, isStreamLike } from './stream-wrapper';
import { hooklessEnvironment, UnseenOpenAIHint } from './unseen-hint';
import type { BudResponsesInstrumentationConfig, HookInfo, OpenAIModuleLike, Params, ResponseLike } from './types';
import { callHook, epochMillis, isObject, logger } from './util';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** The class of the API's no-op meter (what `this.meter` is with no meter provider). */
const NOOP_METER_CLASS = createNoopMeter().constructor as new () => unknown;
/** The class of the API's no-op tracer (what a proxy tracer uses while no provider is registered). */
const NOOP_TRACER_CLASS = new ProxyTracerProvider().getDelegate().getTracer('noop').constructor as new () => unknown;

/**
 * Whether every span of `tracer` is a non-recording span carrying its parent's span context:
 * the API's no-op tracer, or a proxy tracer whose provider has no delegate yet. A tracer of
 * another API copy is not recognised (its calls take the full path).
 */
export function isNoopTracer(tracer: Tracer): boolean {
  if (tracer instanceof NOOP_TRACER_CLASS) return true;
  if (!(tracer instanceof ProxyTracer)) return false;
  const proxy = tracer as unknown as { _delegate?: Tracer; _getTracer?: () => Tracer };
  // A delegate, once the proxy has one, stays: no lookup needed then.
  if (proxy._delegate !== undefined) return proxy._delegate instanceof NOOP_TRACER_CLASS;
  // The proxy's own lookup (it keeps the delegate once its provider has one).
  return typeof proxy._getTracer === 'function' && proxy._getTracer() instanceof NOOP_TRACER_CLASS;
}

/** The part of a span's content budget (config `maxContentTotalLength`) its request attributes may use; the response's get the rest. */
const REQUEST_SHARE = 0.75;

/** The openai versions with a Responses API that this package hooks. */
export const SUPPORTED_OPENAI_VERSIONS = '>=4.87.0 <8';
/** Every openai version outside SUPPORTED_OPENAI_VERSIONS: reported when loaded, never patched. */
export const UNSUPPORTED_OPENAI_VERSIONS: readonly string[] = Object.freeze(['<4.87.0', '>=8']);

/** The warning for an openai copy the module hooks saw but do not patch. */
export function unsupportedOpenAIMessage(version: string | undefined): string {
  return (
    `openai ${version ?? '(unknown version)'} is outside the supported range ${SUPPORTED_OPENAI_VERSIONS}: ` +
    'it is not instrumented, its calls make no spans or metrics. Use an openai in that range, or a release ' +
    'of this package that supports that version.'
  );
}

/** The parts of the SDK's APIPromise the instrumentation uses; detected by shape. */
interface APIPromiseLike {
  responsePromise: Promise<unknown>;
  parseResponse: AnyFunction;
  asResponse: AnyFunction;
  _thenUnwrap?: AnyFunction;
}

interface ClientLike {
  _client?: { baseURL?: unknown };
}

function isAPIPromiseLike(value: unknown): value is APIPromiseLike {
  return (
    value instanceof Promise &&
    typeof (value as unknown as APIPromiseLike).parseResponse === 'function' &&
    typeof (value as unknown as APIPromiseLike).asResponse === 'function' &&
    (value as unknown as APIPromiseLike).responsePromise instanceof Promise
  );
}

/** The OpenAI class of a loaded openai module (CommonJS exports or ESM namespace, any major). */
export function openAIClass(moduleExports: unknown): unknown {
  if (!isObject(moduleExports) && typeof moduleExports !== 'function') return undefined;
  const mod = moduleExports as Record<string, unknown>;
  for (const candidate of [mod.OpenAI, mod.default, mod]) {
    if (ownerPrototype(candidate, 'Responses')) return candidate;
  }
  return undefined;
}


/** The module-like object whose `OpenAI` class `patch()` finds, or undefined. */
function manualTarget(target: unknown): object | undefined {
  if (openAIClass(target)) return target as object;
  // A client instance: its class has the resources as static members.
  const ctor = isObject(target) ? (target as { constructor?: unknown }).constructor : undefined;
  if (typeof ctor === 'function' && ctor !== Object && openAIClass(ctor)) return ctor;
  return undefined;
}

function describeTarget(target: unknown): string {
  if (target === null) return 'null';
  if (typeof target === 'function') return `a function${target.name ? ` named ${target.name}` : ''} with no Responses resource`;
  if (isObject(target)) return `an object with no Responses resource (keys: ${Object.keys(target).slice(0, 5).join(', ') || 'none'})`;
  return typeof target;
}

/** Prototypes and method names of the traced methods the loaded version has (own methods only). */
function presentTargets(moduleExports: unknown): Array<{ proto: Record<string, unknown>; method: string; spec: OperationSpec }> {
  const cls = openAIClass(moduleExports);
  if (!cls) return [];
  const out: Array<{ proto: Record<string, unknown>; method: string; spec: OperationSpec }> = [];
  for (const { owner, method, spec } of PATCH_TARGETS) {
    const proto = ownerPrototype(cls, owner);
    if (proto && Object.prototype.hasOwnProperty.call(proto, method) && typeof proto[method] === 'function') {
      out.push({ proto, method, spec });
    }
  }
  return out;
}

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


/** The prototype in the chain of `cls.prototype` that owns `method` (the SDK's base client in 4.x). */
function methodOwner(cls: unknown, method: string): Record<string, unknown> | undefined {
  let proto: unknown = typeof cls === 'function' ? (cls as { prototype?: unknown }).prototype : undefined;
  for (let i = 0; i < 8 && isObject(proto) && proto !== Object.prototype; i++) {
    if (Object.prototype.hasOwnProperty.call(proto, method)) {
      return typeof proto[method] === 'function' ? proto : undefined;
    }
    proto = Object.getPrototypeOf(proto);
  }
  return undefined;
}

/**
 * The SDK's request, followed without touching the body: the headers feed the call, a failure
 * (HTTP, connection, abort, after the retries) ends it. Returns a promise that settles exactly
 * like the request, for the consumers of the APIPromise to read instead of the request itself:
 * a failure that no consumer reads then still surfaces as an unhandled rejection, as without us.
 */
function followRequest(request: Promise<unknown>, call: Call, afterHeaders?: () => void): Promise<unknown> {
  return request.then(
    (props: unknown) => {
      call.onHeaders(props);
      afterHeaders?.();
      return props;
    },
    (error: unknown) => {
      call.finish({ kind: 'error', error });
      throw error;
    },
  );
}

/** The methods of a PagePromise through which the application asks for the page (or its Response). */
const PAGE_CONSUMERS = ['then', 'catch', 'finally', 'withResponse', '_thenUnwrap', 'asResponse', 'parse'] as const;

/** Replaces `promise[name]` (if a function) by a wrapper that first sets `asked.page`. */
function markConsumption(promise: Record<string, unknown>, name: string, asked: { page: boolean }): void {
  const method = promise[name];
  if (typeof method !== 'function') return;
  promise[name] = function consumed(this: unknown, ...args: unknown[]): unknown {
    asked.page = true;
    return (method as AnyFunction).apply(this, args);
  };
}

/** Records a parsed body: a Stream gets the stream wrapper, anything else ends the call. */
function onBody(call: Call, data: unknown): void {
  try {
    if (isStreamLike(data)) {
      call.setStreaming(true);
      instrumentStream(data, call);
    } else {
      call.setStreaming(false);
      call.finish({ kind: 'response', response: isObject(data) ? data : undefined });
    }
  } catch (err) {
    logger.error('could not record a response', err);
  }
}

/**
 * Whether the application awaited an APIPromise or asked for its body: every `then`, `catch`,
 * `finally` and `withResponse()` goes through the SDK's `parse()`, which keeps its promise in
 * `parsedPromise` (majors 4-7). A version without that field is simply watched by the registry.
 */
function isBeingConsumed(promise: object): boolean {
  return (promise as { parsedPromise?: unknown }).parsedPromise !== undefined;
}

/**
 * Observes an APIPromise through three of its own fields, which every consumer goes through:
 * - `responsePromise` becomes `observed` (the request, followed), read by `then`, `parse()`,
 *   `asResponse()`;
 * - `parseResponse` (the body step) reports the body, or its failure, to the call;
 * - `_thenUnwrap` (how `responses.parse()` and the stream helper derive their promise) sees the
 *   parsed body before the transform, and the derived promise is observed the same way (openai
 *   7.59+ gives it its own copy of the body step, so the parent's `parseResponse` is not enough).
 * Until the application asks for the body, only garbage collection of every such promise can
 * tell that it dropped the call.
 */
function observeInPlace(promise: APIPromiseLike, call: Call, observed: Promise<unknown>): void {
  promise.responsePromise = observed;
  const parseResponse = promise.parseResponse;
  promise.parseResponse = function parseResponseTraced(this: unknown, ...args: unknown[]): unknown {
    call.onBodyRequested();
    let parsed: unknown;
    try {
      parsed = parseResponse.apply(this, args);
    } catch (error) {
      call.finish({ kind: 'error', error });
      throw error;
    }
    return Promise.resolve(parsed).then(
      (data: unknown) => {
        onBody(call, data);
        return data;
      },
      (error: unknown) => {
        call.finish({ kind: 'error', error });
        throw error;
      },
    );
  };
  const thenUnwrap = promise._thenUnwrap;
  if (typeof thenUnwrap === 'function') {
    promise._thenUnwrap = function thenUnwrapTraced(this: unknown, transform: unknown, ...rest: unknown[]): unknown {
      const traced =
        typeof transform === 'function'
          ? function transformTraced(this: unknown, data: unknown, ...more: unknown[]): unknown {
              onBody(call, data);
              return (transform as AnyFunction).call(this, data, ...more);
            }
          : transform;
      const derived = thenUnwrap.call(this, traced, ...rest);
      if (derived !== promise && isAPIPromiseLike(derived)) observeInPlace(derived, call, observed);
      return derived;
    };
  }
  if (!call.hasBodyRequest) call.watch(promise, isBeingConsumed);
}

export class BudResponsesInstrumentation extends InstrumentationBase<BudResponsesInstrumentationConfig> {
  private resolved!: ResolvedConfig;
  private instruments: Instruments | undefined;
  private readonly recent = new RecentResponses(RECENT_RESPONSES_LIMIT);
  private readonly startAttributes = new StartAttributesCache();
  /** The logger of the GenAI events, when a LoggerProvider is there (see events.ts). */
  private readonly eventLoggers = new EventLoggers(PACKAGE_NAME, PACKAGE_VERSION);
  /** The targets of `manuallyInstrument()`, patched again by `enable()`, unpatched by `disable()`. */
  private manualTargets: Set<object> | undefined;
  private readonly hint: UnseenOpenAIHint;
  /** Every site this instance patched, in every openai copy (undefined while the base constructor runs). */
  private readonly patches: PatchRegistry = new PatchRegistry(
    this,
    () => this.resolved.supersedeOpenAIInstrumentation,
    () => this.retake(),
  );
  /** Responses prototypes with the construction hook (see patching.ts). */
  private readonly hooked = new Set<object>();
  private readonly retake = (): void => {
    if (this.isEnabled()) this.patches.retakeAll();
  };

  constructor(config: BudResponsesInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
    this.resolved = resolveConfig(this.getConfig());
    this.hint = new UnseenOpenAIHint({
      report: (message) => diag.warn(message),
      environment: hooklessEnvironment(typeof module === 'object' ? module : undefined),
    });
    if (this.isEnabled()) this.hint.start();
  }

  override setConfig(config: BudResponsesInstrumentationConfig = {}): void {
    // The base class copies the options with a spread: a getter that throws would escape there.
    super.setConfig(typeof config === 'object' && config !== null ? readOptions(config, 'config') : {});
    this.resolved = resolveConfig(this.getConfig());
    deliverPendingProblems();
  }

  // The Node SDK hands its providers over in start(), after its constructor installed the diag
  // logger that OTEL_LOG_LEVEL asks for: problems found before that are logged then.
  override setTracerProvider(tracerProvider: TracerProvider): void {
    super.setTracerProvider(tracerProvider);
    deliverPendingProblems();
  }

  override setMeterProvider(meterProvider: MeterProvider): void {
    super.setMeterProvider(meterProvider);
    deliverPendingProblems();
  }

  override setLoggerProvider(loggerProvider: Parameters<InstrumentationBase['setLoggerProvider']>[0]): void {
    super.setLoggerProvider(loggerProvider);
    // Undefined while the base constructor runs.
    this.eventLoggers?.reset();
  }

  protected override _updateMetricInstruments(): void {
    try {
      // No meter provider: nothing to record, and no call needs following for metrics.
      this.instruments = this.meter instanceof NOOP_METER_CLASS ? undefined : new Instruments(this.meter);
    } catch (err) {
      this.instruments = undefined;
      logger.error('could not create metric instruments; no metrics', err);
    }
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'openai',
        [SUPPORTED_OPENAI_VERSIONS],
        (moduleExports: unknown) => {
          this.hint.seen();
          return this.patch(moduleExports);
        },
        (moduleExports: unknown) => this.unpatch(moduleExports),
      ),
      // Never patches: says why a copy outside the range makes no spans (openai 8 on release day).
      new InstrumentationNodeModuleDefinition('openai', [...UNSUPPORTED_OPENAI_VERSIONS], (moduleExports: unknown, version?: string) => {
        reportOnce(unsupportedOpenAIMessage(version));
        return moduleExports;
      }),
    ];
  }

  /**
   * Instruments an `openai` copy that the module hooks cannot see: in a bundled application
   * (esbuild, webpack, ...), under Bun or under Deno. `target` is the `openai` module (ESM
   * namespace or CommonJS exports), the `OpenAI` class, or a client made by it. Same spans,
   * attributes and metrics as the hooked path; calling it again, or on a copy the hooks already
   * patched, changes nothing; `disable()` undoes it (and `enable()` redoes it). A wrong argument
   * is reported through `diag`, never thrown.
   */
  manuallyInstrument(target: OpenAIModuleLike): void {
    try {
      const moduleLike = manualTarget(target);
      if (moduleLike === undefined) {
        logger.error('manuallyInstrument() needs the openai module, its OpenAI class or ' +
            `an OpenAI client (openai ${SUPPORTED_OPENAI_VERSIONS}); got ${describeTarget(target)}. Nothing was instrumented.`,
        );
        return;
      }
      this.hint.seen();
      this.manualTargets ??= new Set();
      this.manualTargets.add(moduleLike);
      if (this.isEnabled()) this.patch(moduleLike);
      else this._diag.debug('manuallyInstrument() on a disabled instrumentation: patched when enable() is called');
    } catch (err) {
      logger.error('manuallyInstrument() failed; openai is not instrumented', err);
    }
  }

  override enable(): void {
    super.enable();
    // The base class re-patches only the openai copy loaded last; this re-patches every copy.
    // (Undefined while the base constructor calls enable(): nothing is patched yet then.)
    this.patches?.rewrapAll();
    // Targets given to manuallyInstrument() while this instance was disabled.
    for (const target of this.manualTargets ?? []) this.patch(target);
    if (this.patches) queueMicrotask(this.retake);
    this.hint?.start();
    deliverPendingProblems();
  }

  override disable(): void {
    super.disable();
    this.patches?.unwrapAll();
    this.hint?.stop();
  }

  /**
   * Wraps every traced method the loaded openai module has, and the client's `prepareRequest`
   * (trace headers, see propagation.ts). Once per copy, whatever calls this; wrappers of other
   * instrumentations are left in the chain.
   */
  private patch<T>(moduleExports: T): T {
    deliverPendingProblems();
    try {
      const targets = presentTargets(moduleExports);
      if (targets.length === 0) this._diag.debug('openai module has no Responses class; not patched');
      for (const { proto, method, spec } of targets) {
        const retake = method === 'create' && proto === ownerPrototype(openAIClass(moduleExports), 'Responses');
        this.patches.wrap(proto, method, (state) => this.wrapperFor(spec, state, proto, method), retake);
        if (retake && !this.hooked.has(proto)) {
          this.hooked.add(proto);
          addConstructionHook(proto, this.retake);
        }
      }
      const client = methodOwner(openAIClass(moduleExports), 'prepareRequest');
      if (targets.length > 0 && client) {
        this.patches.wrap(client, 'prepareRequest', (state) =>
          prepareRequestWrapper(state, (err) => logger.error('could not add the trace headers', err)),
        );
      }
      // Another instrumentation patching the same module right after this one: see retakeAll().
      queueMicrotask(this.retake);
    } catch (err) {
      logger.error('could not patch openai', err);
    }
    return moduleExports;
  }

  /** Removes this instance's wrappers from one openai copy (`disable()` removes them from all). */
  private unpatch<T>(moduleExports: T): T {
    try {
      const cls = openAIClass(moduleExports);
      for (const { proto } of presentTargets(moduleExports)) {
        this.patches.unwrapPrototype(proto);
        if (this.hooked.delete(proto)) removeConstructionHook(proto, this.retake);
      }
      const client = methodOwner(cls, 'prepareRequest');
      if (client) this.patches.unwrapPrototype(client);
    } catch (err) {
      logger.error('could not unpatch openai', err);
    }
    return moduleExports;
  }

  private wrapperFor(spec: OperationSpec, state: WrapperState, proto: Record<string, unknown>, method: string): AnyFunction {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const instrumentation = this;
    const traced = function traced(this: unknown, ...args: unknown[]): unknown {
      // Disabled, or inside a call already traced (another instance above this one, or the SDK
      // re-entering its own public method): the call passes through untraced.
      if (!instrumentation.isEnabled()) return state.inner.apply(this, args);
      const active = context.active();
      if (inTracedCall(active)) return state.inner.apply(this, args);
      const supersede = instrumentation.resolved.supersedeOpenAIInstrumentation;
      if (supersede && proto[method] !== traced) instrumentation.retake();
      const original = supersede ? skipSuperseded(state.inner) : state.inner;
      return instrumentation.traceCall(spec, this, original, args, active);
    };
    return traced;
  }

  /** `parent`: the context active when the method was called. */
  private traceCall(spec: OperationSpec, resource: unknown, original: AnyFunction, args: unknown[], parent: Context): unknown {
    let started: { call: Call | undefined; ctx: Context } | undefined;
    try {
      started = this.recordsNothing() ? this.untracedContext(parent) : this.startCall(spec, resource, args, parent);
    } catch (err) {
      logger.error('could not start a span; call not traced', err);
    }
    if (!started) return original.apply(resource, args);
    const { call, ctx } = started;
    if (!call) return context.with(ctx, () => original.apply(resource, args));
    let result: unknown;
    try {
      result = context.with(ctx, () => original.apply(resource, args));
    } catch (error) {
      call.finish({ kind: 'error', error });
      throw error;
    }
    try {
      return spec.list ? this.observeList(result, call) : this.observe(result, call);
    } catch (err) {
      logger.error('could not observe a call', err);
      call.finish({ kind: 'abandoned' });
      return result;
    }
  }

  /** Nothing records: no tracer provider (the API's no-op tracer), no meter provider, no LoggerProvider. */
  private recordsNothing(): boolean {
    return this.instruments === undefined && isNoopTracer(this.tracer) && this.eventLoggers.get(this.logger) === undefined;
  }

  /**
   * The context of a call when nothing records. A no-op tracer's span would only carry its
   * parent's span context, so the parent context, marked for the trace headers, is all the call
   * needs; at the root there is nothing to propagate either, and the call runs as it is.
   */
  private untracedContext(parent: Context): { call: undefined; ctx: Context } | undefined {
    return parent === ROOT_CONTEXT ? undefined : { call: undefined, ctx: markCall(parent, this.resolved.propagateContext) };
  }

  /**
   * Starts the span. The attributes a sampler may read are given at the start (cached per
   * operation, client, model and streaming); the rest are built only for a span that records.
   * When nothing records (no recording span, no-op meter), no call is followed at all: the SDK's
   * objects are not touched and only the context (for the trace headers) is set. The arguments
   * go to the SDK unchanged: the trace headers are added when it sends (propagation.ts).
   */
  private startCall(spec: OperationSpec, resource: unknown, args: unknown[], parent: Context): { call: Call | undefined; ctx: Context } {
    const config = this.resolved;
    const eventLogger = this.eventLoggers.get(this.logger);
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
    const span = this.tracer.startSpan(
      streaming ? start.streamingName : start.plainName,
      // A copy: a tracer may add to the attributes it is given (Sentry's does).
      { kind: SpanKind.CLIENT, attributes: { ...start.span }, links: this.recent.linkTo(responseId), startTime: epochMillis(startedAt) },
      parent,
    );
    try {
      const ctx = markCall(trace.setSpan(parent, span), config.propagateContext);
      const recording = span.isRecording();
      if (!recording && !this.instruments && !eventLogger) return { call: undefined, ctx };
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
        this.recordRequest(span, params, conversation, responseId, budget);
        if (config.requestHook && hookInfo) callHook('requestHook', config.requestHook, span, given ?? {}, hookInfo);
      }
      const call = new Call({
        span,
        recording,
        hookInfo,
        startedAt,
        config,
        instruments: this.instruments,
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

  /** The request's attributes on the span; a failure is logged and leaves the span as it is. */
  private recordRequest(
    span: Span,
    params: Params | undefined,
    conversation: string | undefined,
    responseId: string | undefined,
    budget: ContentBudget,
  ): void {
    try {
      const attributes: Attributes = {};
      if (conversation !== undefined) attributes[ATTR_GEN_AI_CONVERSATION_ID] = conversation;
      if (responseId !== undefined) attributes[ATTR_GEN_AI_RESPONSE_ID] = bounded(responseId);
      const config = this.resolved;
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

  private rememberBackground(response: ResponseLike, spanContext: SpanContext): void {
    if (typeof response.id === 'string') this.recent.remember(response.id, spanContext);
  }

  /** A list method: its PagePromise stays the caller's (async iteration); the span ends with the first page's headers. */
  private observeList(result: unknown, call: Call): unknown {
    if (!isObject(result) || !(result.responsePromise instanceof Promise)) {
      call.finish({ kind: 'abandoned' });
      return result;
    }
    const observed = followRequest(result.responsePromise, call, () => call.finish({ kind: 'response', response: undefined }));
    if (Object.prototype.hasOwnProperty.call(result, 'then')) {
      // openai 7.59+ settles the page through a private twin that reads the request itself: the
      // application's handlers are attached there, not to `observed`. A failure is handed on as
      // an unhandled rejection only when the application never asked for the page, as the
      // request alone would be without us.
      const asked = { page: false };
      for (const name of PAGE_CONSUMERS) markConsumption(result, name, asked);
      observed.catch((error: unknown) => {
        if (!asked.page) throw error;
      });
    } else {
      result.responsePromise = observed;
    }
    return result;
  }

  /**
   * Observes the APIPromise in place and returns that same object, so that whatever the SDK or a
   * wrapper beneath us handed back is what the caller gets, and its consumption still reaches
   * that layer's hooks. See observeInPlace.
   */
  private observe(result: unknown, call: Call): unknown {
    if (!isAPIPromiseLike(result)) {
      this._diag.debug('the openai method did not return an APIPromise; span ended without a response');
      call.finish({ kind: 'abandoned' });
      return result;
    }
    observeInPlace(result, call, followRequest(result.responsePromise, call));
    const asResponse = result.asResponse;
    result.asResponse = function asResponseTraced(this: unknown, ...args: unknown[]): unknown {
      // The Response (or the body too) is on its way to the application: nothing to watch.
      call.unwatch();
      return (asResponse.apply(this, args) as Promise<unknown>).then((response) => {
        // Only the raw Response was wanted: its body is the application's to read.
        if (!call.hasBodyRequest) call.finish({ kind: 'raw' });
        return response;
      });
    };
    return result;
  }
}
