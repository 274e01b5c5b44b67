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
  diag,
  propagation,
  SpanKind,
  trace,
  type Attributes,
  type Context,
} from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  isWrapped,
} from '@opentelemetry/instrumentation';
import {
  ATTR_BUD_OPERATION,
  ATTR_BUD_STREAM,
  conversationAttributes,
  requestAttributes,
  type Params,
} from './attributes';
import { Call } from './call';
import { resolveConfig, type BudResponsesInstrumentationConfig, type ResolvedConfig } from './config';
import { Instruments } from './metrics';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_SYSTEM,
  ATTR_OPENAI_API_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  GEN_AI_OPERATION_CHAT,
} from './semconv';
import { instrumentStream, isStreamLike } from './stream-wrapper';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** The openai versions with a Responses API that this package hooks. */
export const SUPPORTED_OPENAI_VERSIONS = '>=4.87.0 <8';

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** The parts of the SDK's APIPromise the instrumentation uses; detected by shape. */
interface APIPromiseLike {
  responsePromise: Promise<unknown>;
  parseResponse: AnyFunction;
  asResponse: AnyFunction;
  _thenUnwrap: (transform: (data: unknown) => unknown) => unknown;
}

interface ResponsesPrototype {
  create: AnyFunction;
}

interface ClientLike {
  _client?: { baseURL?: unknown };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isAPIPromiseLike(value: unknown): value is APIPromiseLike {
  return (
    value instanceof Promise &&
    typeof (value as unknown as APIPromiseLike).parseResponse === 'function' &&
    typeof (value as unknown as APIPromiseLike).asResponse === 'function' &&
    typeof (value as unknown as APIPromiseLike)._thenUnwrap === 'function' &&
    (value as unknown as APIPromiseLike).responsePromise instanceof Promise
  );
}

/** `Responses.prototype` of a loaded openai module, CommonJS exports or ESM namespace, any major. */
export function responsesPrototype(moduleExports: unknown): ResponsesPrototype | undefined {
  if (!isObject(moduleExports) && typeof moduleExports !== 'function') return undefined;
  const mod = moduleExports as Record<string, unknown>;
  for (const owner of [mod.OpenAI, mod.default, mod]) {
    const responses = (owner as { Responses?: unknown } | undefined)?.Responses;
    if (typeof responses !== 'function') continue;
    const proto = (responses as { prototype?: ResponsesPrototype }).prototype;
    if (typeof proto?.create === 'function') return proto;
  }
  return undefined;
}

const serverCache = new Map<string, Attributes>();

/** `server.address` and `server.port` of the client's base URL (cached per URL). */
export function serverAttributes(baseURL: unknown): Attributes {
  if (typeof baseURL !== 'string') return {};
  let attributes = serverCache.get(baseURL);
  if (attributes) return attributes;
  attributes = {};
  try {
    const url = new URL(baseURL);
    attributes[ATTR_SERVER_ADDRESS] = url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : url.protocol === 'https:' ? 443 : undefined;
    if (port !== undefined) attributes[ATTR_SERVER_PORT] = port;
  } catch {
    /* not a URL: no server attributes */
  }
  if (serverCache.size > 256) serverCache.clear();
  serverCache.set(baseURL, attributes);
  return attributes;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Request options with the trace context headers added; the application's own headers win. */
function withTraceHeaders(options: unknown, carrier: Record<string, string>): unknown {
  if (options === undefined || options === null) return { headers: carrier };
  if (!isPlainObject(options)) return options;
  const headers = options.headers;
  if (headers === undefined || headers === null) return { ...options, headers: carrier };
  if (isPlainObject(headers)) return { ...options, headers: { ...carrier, ...headers } };
  return options; // a Headers instance or a list: left as the application made it
}

/** The create() arguments with `traceparent`/`baggage` of `ctx` in the request options. */
function injectContext(args: unknown[], ctx: Context): unknown[] {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  if (Object.keys(carrier).length === 0) return args;
  const options = args[1];
  const next =
    isObject(options) && typeof (options as { then?: unknown }).then === 'function'
      ? Promise.resolve(options).then((resolved) => withTraceHeaders(resolved, carrier))
      : withTraceHeaders(options, carrier);
  const out = args.slice();
  out[1] = next;
  return out;
}

export class BudResponsesInstrumentation extends InstrumentationBase<BudResponsesInstrumentationConfig> {
  private resolved!: ResolvedConfig;
  private instruments: Instruments | undefined;

  constructor(config: BudResponsesInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
    this.resolved = resolveConfig(this.getConfig());
  }

  override setConfig(config: BudResponsesInstrumentationConfig = {}): void {
    super.setConfig(config);
    this.resolved = resolveConfig(this.getConfig());
  }

  /** The configuration as the instrumentation reads it (defaults applied, invalid values replaced). */
  get settings(): ResolvedConfig {
    return this.resolved;
  }

  protected override _updateMetricInstruments(): void {
    this.instruments = new Instruments(this.meter);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'openai',
        [SUPPORTED_OPENAI_VERSIONS],
        (moduleExports: unknown) => this.patch(moduleExports),
        (moduleExports: unknown) => this.unpatch(moduleExports),
      ),
    ];
  }

  /** Wraps `Responses.prototype.create` of a loaded openai module. */
  patch<T>(moduleExports: T): T {
    const proto = responsesPrototype(moduleExports);
    if (!proto) {
      this._diag.debug('openai module has no Responses class; not patched');
      return moduleExports;
    }
    if (!isWrapped(proto.create)) {
      this._wrap(proto, 'create', (original) => this.createWrapper(original));
    }
    return moduleExports;
  }

  unpatch<T>(moduleExports: T): T {
    const proto = responsesPrototype(moduleExports);
    if (proto && isWrapped(proto.create)) this._unwrap(proto, 'create');
    return moduleExports;
  }

  private createWrapper(original: AnyFunction): AnyFunction {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const instrumentation = this;
    return function create(this: unknown, ...args: unknown[]): unknown {
      return instrumentation.traceCreate(this, original, args);
    };
  }

  private traceCreate(resource: unknown, original: AnyFunction, args: unknown[]): unknown {
    let started: { call: Call; ctx: Context; args: unknown[] } | undefined;
    try {
      started = this.startCall(resource, args);
    } catch (err) {
      diag.error('@budecosystem/instrumentation-responses: could not start a span; call not traced', err);
    }
    if (!started) return original.apply(resource, args);
    const { call, ctx } = started;
    let result: unknown;
    try {
      result = context.with(ctx, () => original.apply(resource, started.args));
    } catch (error) {
      call.finish({ kind: 'error', error });
      throw error;
    }
    try {
      return this.observe(result, call);
    } catch (err) {
      diag.error('@budecosystem/instrumentation-responses: could not observe a call', err);
      call.finish({ kind: 'abandoned' });
      return result;
    }
  }

  private startCall(resource: unknown, args: unknown[]): { call: Call; ctx: Context; args: unknown[] } {
    const config = this.resolved;
    const params = isObject(args[0]) ? (args[0] as Params) : undefined;
    const streaming = params?.stream === true;
    const model = typeof params?.model === 'string' ? params.model : undefined;
    const otel = config.semconvMode === 'otel';
    const plainName = otel ? (model ? `${GEN_AI_OPERATION_CHAT} ${model}` : GEN_AI_OPERATION_CHAT) : config.spanName;
    const streamingName = otel ? plainName : `${config.spanName}.stream`;

    const metricAttributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: otel ? GEN_AI_OPERATION_CHAT : 'responses',
      [ATTR_GEN_AI_PROVIDER_NAME]: config.system,
      ...serverAttributes((resource as ClientLike | undefined)?._client?.baseURL),
    };
    if (model) metricAttributes[ATTR_GEN_AI_REQUEST_MODEL] = model;

    const attributes: Attributes = {
      ...metricAttributes,
      [ATTR_GEN_AI_SYSTEM]: config.system,
      [ATTR_BUD_OPERATION]: 'responses',
      [ATTR_OPENAI_API_TYPE]: 'responses',
      [ATTR_BUD_STREAM]: streaming,
      ...conversationAttributes(params),
    };
    if (!otel) delete attributes[ATTR_GEN_AI_REQUEST_MODEL];
    if (streaming) attributes[ATTR_GEN_AI_REQUEST_STREAM] = true;
    if (params) Object.assign(attributes, requestAttributes(params, config.inputFields, config.maxContentLength));

    const parent = context.active();
    const span = this.tracer.startSpan(streaming ? streamingName : plainName, { kind: SpanKind.CLIENT, attributes }, parent);
    if (config.requestHook && params) {
      try {
        config.requestHook(span, params);
      } catch (err) {
        diag.error('@budecosystem/instrumentation-responses: requestHook threw', err);
      }
    }
    const ctx = trace.setSpan(parent, span);
    const call = new Call({
      span,
      config,
      instruments: this.instruments,
      params,
      streaming,
      metricAttributes,
      plainName,
      streamingName,
    });
    return { call, ctx, args: config.propagateContext ? injectContext(args, ctx) : args };
  }

  /**
   * Follows the APIPromise without reading its body and returns what the caller gets: the SDK's
   * own `_thenUnwrap` of it, a real APIPromise whose derived promises (`parse()`, the stream
   * helper) all pass through the transform.
   */
  private observe(result: unknown, call: Call): unknown {
    if (!isAPIPromiseLike(result)) {
      this._diag.debug('responses.create() did not return an APIPromise; span ended without a response');
      call.finish({ kind: 'abandoned' });
      return result;
    }
    result.responsePromise.then(
      () => call.touch(),
      (error: unknown) => call.finish({ kind: 'error', error }),
    );
    // The transform is synchronous, never throws and may run more than once (once per parse).
    const traced = result._thenUnwrap((data: unknown) => {
      try {
        if (isStreamLike(data)) {
          call.setStreaming(true);
          instrumentStream(data, call);
        } else {
          call.setStreaming(false);
          call.finish({ kind: 'response', response: isObject(data) ? data : undefined });
        }
      } catch (err) {
        diag.error('@budecosystem/instrumentation-responses: could not record a response', err);
      }
      return data;
    });
    if (!isAPIPromiseLike(traced)) return traced;
    call.watch(traced);

    // Reading or parsing the body can fail after the headers came: seen where the caller awaits.
    const parseResponse = traced.parseResponse;
    traced.parseResponse = function parseResponseTraced(this: unknown, ...args: unknown[]): unknown {
      call.bodyRequested = true;
      const parsed = parseResponse.apply(this, args);
      Promise.resolve(parsed).catch((error: unknown) => call.finish({ kind: 'error', error }));
      return parsed;
    };

    const asResponse = traced.asResponse;
    traced.asResponse = function asResponseTraced(this: unknown, ...args: unknown[]): unknown {
      return (asResponse.apply(this, args) as Promise<unknown>).then((response) => {
        // Only the raw Response was wanted: its body is the application's to read.
        if (!call.bodyRequested) call.finish({ kind: 'raw' });
        return response;
      });
    };
    return traced;
  }
}
