/*
 * BudResponsesInstrumentation: hooks the `openai` module (CommonJS and ESM) and traces every
 * `responses.create()` call, which `responses.stream()` and `responses.parse()` also go through.
 *
 * This class owns the patching (every openai copy, hooked or given to `manuallyInstrument()`),
 * the providers and the config; a call starts in call-start.ts, the SDK's objects it returns are
 * followed in observe.ts (the APIPromise through its `responsePromise` and `parseResponse`, a
 * streamed body through stream-wrapper.ts), and every path ends in `Call.finish()`.
 */
import {
  context,
  createNoopMeter,
  diag,
  ProxyTracer,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Context,
  type MeterProvider,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { CallStarter, type StartedCall } from './call-start';
import { readOptions, resolveConfig, type ResolvedConfig } from './config';
import { EventLoggers } from './events';
import { Instruments } from './metrics';
import { observeAPIPromise, observeList } from './observe';
import { ownerPrototype, PATCH_TARGETS, type OperationSpec } from './operations';
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
import { hooklessEnvironment, UnseenOpenAIHint } from './unseen-hint';
import type { BudResponsesInstrumentationConfig, OpenAIModuleLike } from './types';
import { isObject, logger } from './util';
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

function openAIClass(moduleExports: unknown): unknown {
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

export class BudResponsesInstrumentation extends InstrumentationBase<BudResponsesInstrumentationConfig> {
  private resolved!: ResolvedConfig;
  private instruments: Instruments | undefined;
  private readonly starter = new CallStarter();
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
    let started: StartedCall | undefined;
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
      return spec.list ? observeList(result, call) : observeAPIPromise(result, call);
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
  private untracedContext(parent: Context): StartedCall | undefined {
    return parent === ROOT_CONTEXT ? undefined : { call: undefined, ctx: markCall(parent, this.resolved.propagateContext) };
  }

  /** Starts the call's span and its `Call` (call-start.ts) with this instance's config and providers. */
  private startCall(spec: OperationSpec, resource: unknown, args: unknown[], parent: Context): StartedCall {
    return this.starter.start(spec, resource, args, parent, {
      config: this.resolved,
      tracer: this.tracer,
      instruments: this.instruments,
      eventLogger: this.eventLoggers.get(this.logger),
    });
  }


}
