/*
 * A real OpenTelemetry SDK for an instrumented child: tracer provider with a BatchSpanProcessor,
 * meter provider with a PeriodicExportingMetricReader, the AsyncLocalStorage context manager and
 * the W3C propagators, registered globally the way an application's SDK setup (NodeSDK) does it. Both
 * exporters are no-ops that report success at once; they only count what they were given.
 *
 * Two SDK lines exist: 2.x (the repository's devDependencies, OTel API 1.9) and 3.x
 * (bench/.work, OTel API 1.10, which the official instrumentation 0.22 requires). In 3.x the
 * tracer provider is `TracerProvider` (2.x: `BasicTracerProvider`) and BatchSpanProcessor takes
 * an options object; both are handled here. Modules are typed by the few members used.
 */
import { packageVersion, requireFrom, type ModuleRoot } from './paths';

interface ApiModule {
  context: {
    setGlobalContextManager(manager: unknown): boolean;
    active(): unknown;
    with(context: unknown, fn: () => void): void;
  };
  propagation: { setGlobalPropagator(propagator: unknown): boolean };
  trace: { setGlobalTracerProvider(provider: unknown): boolean };
  metrics: { setGlobalMeterProvider(provider: unknown): boolean };
  /** API 1.10 and later. */
  logs?: { setGlobalLoggerProvider(provider: unknown): unknown };
}

interface Provider {
  forceFlush(): Promise<void>;
}

type Constructor<T> = new (...args: never[]) => T;

interface TraceSdkModule {
  BasicTracerProvider?: new (config: object) => Provider;
  TracerProvider?: new (config: object) => Provider;
  BatchSpanProcessor: new (...args: unknown[]) => unknown;
}

interface MetricsSdkModule {
  MeterProvider: new (config: object) => Provider;
  PeriodicExportingMetricReader: new (config: object) => unknown;
}

interface LogsSdkModule {
  LoggerProvider: new (config: object) => Provider;
  BatchLogRecordProcessor: new (options: object) => unknown;
}

interface CoreModule {
  CompositePropagator: new (config: { propagators: unknown[] }) => unknown;
  W3CTraceContextPropagator: Constructor<unknown>;
  W3CBaggagePropagator: Constructor<unknown>;
}

interface ContextModule {
  AsyncLocalStorageContextManager: new () => { enable(): unknown };
}

export interface Telemetry {
  tracerProvider: unknown;
  meterProvider: unknown;
  /** The LoggerProvider of the configurations with logs (undefined otherwise). */
  loggerProvider: unknown;
  /** Package versions of the SDK line in use. */
  versions: Record<string, string>;
  spansExported(): number;
  /** Spans exported, by instrumentation scope name. */
  spansByScope(): Record<string, number>;
  /** The attribute counts seen on exported spans, by scope and span name (e.g. `ours responses`). */
  attributeCounts(): Record<string, number[]>;
  /** Log records exported (0 without a LoggerProvider). */
  logRecordsExported(): number;
  metricStreamsExported(): number;
  /** Exports whatever is queued (spans and a metric collection). */
  flush(): Promise<void>;
}

type ExportCallback = (result: { code: number }) => void;
const SUCCESS = { code: 0 };

interface SpanLike {
  name?: string;
  attributes?: object;
  instrumentationScope?: { name: string };
  instrumentationLibrary?: { name: string };
}

class CountingSpanExporter {
  count = 0;
  readonly byScope: Record<string, number> = {};
  readonly attributeCounts = new Map<string, Set<number>>();
  export(spans: readonly SpanLike[], done: ExportCallback): void {
    this.count += spans.length;
    for (const span of spans) {
      const scope = (span.instrumentationScope ?? span.instrumentationLibrary)?.name ?? '?';
      this.byScope[scope] = (this.byScope[scope] ?? 0) + 1;
      const key = `${scope} ${span.name ?? '?'}`;
      let counts = this.attributeCounts.get(key);
      if (!counts) this.attributeCounts.set(key, (counts = new Set()));
      counts.add(Object.keys(span.attributes ?? {}).length);
    }
    done(SUCCESS);
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

class CountingLogExporter {
  count = 0;
  export(records: readonly unknown[], done: ExportCallback): void {
    this.count += records.length;
    done(SUCCESS);
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

interface ResourceMetricsLike {
  scopeMetrics: Array<{ metrics: unknown[] }>;
}

class CountingMetricExporter {
  streams = 0;
  export(metrics: ResourceMetricsLike, done: ExportCallback): void {
    this.streams = metrics.scopeMetrics.reduce((n, scope) => n + scope.metrics.length, 0);
    done(SUCCESS);
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

const SDK_PACKAGES: Record<ModuleRoot, { trace: string; names: string[] }> = {
  main: {
    trace: '@opentelemetry/sdk-trace-base',
    names: ['@opentelemetry/api', '@opentelemetry/sdk-trace-base', '@opentelemetry/sdk-metrics', '@opentelemetry/core'],
  },
  work: {
    trace: '@opentelemetry/sdk-trace',
    names: ['@opentelemetry/api', '@opentelemetry/sdk-trace', '@opentelemetry/sdk-metrics', '@opentelemetry/core'],
  },
};

function versionsOf(root: ModuleRoot): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of SDK_PACKAGES[root].names) out[name] = packageVersion(root, name) ?? 'missing';
  return out;
}

function makeTracerProvider(root: ModuleRoot, exporter: CountingSpanExporter): Provider {
  const sdk = requireFrom(root)(SDK_PACKAGES[root].trace) as TraceSdkModule;
  const Ctor = sdk.BasicTracerProvider ?? sdk.TracerProvider;
  if (!Ctor) throw new Error(`${SDK_PACKAGES[root].trace} has no tracer provider`);
  const major = Number((packageVersion(root, SDK_PACKAGES[root].trace) ?? '0').split('.')[0]);
  const processor = major >= 3 ? new sdk.BatchSpanProcessor({ exporter }) : new sdk.BatchSpanProcessor(exporter);
  return new Ctor({ spanProcessors: [processor] });
}

function makeMeterProvider(root: ModuleRoot, exporter: CountingMetricExporter): Provider {
  const sdk = requireFrom(root)('@opentelemetry/sdk-metrics') as MetricsSdkModule;
  // The default 60 s interval: a collection rarely lands inside a measured batch.
  const reader = new sdk.PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  return new sdk.MeterProvider({ readers: [reader] });
}

function registerContext(root: ModuleRoot, api: ApiModule): void {
  const req = requireFrom(root);
  const { AsyncLocalStorageContextManager } = req('@opentelemetry/context-async-hooks') as ContextModule;
  const core = req('@opentelemetry/core') as CoreModule;
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(
    new core.CompositePropagator({ propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()] }),
  );
  // Node 20's AsyncLocalStorage installs its promise hook on first use, after which every promise
  // in the process costs more. In an application the first traced request does that; here it is
  // done up front so the SDK-only control and the instrumented variants run in the same state.
  api.context.with(api.context.active(), () => undefined);
}

/**
 * A LoggerProvider with a BatchLogRecordProcessor and a counting exporter, registered globally
 * (the official instrumentation emits log records through the global one). bench/.work only:
 * the logs API is part of `@opentelemetry/api` from 1.10.
 */
function makeLoggerProvider(root: ModuleRoot, api: ApiModule, exporter: CountingLogExporter): Provider {
  if (!api.logs) throw new Error(`@opentelemetry/api in ${root} has no logs API`);
  const sdk = requireFrom(root)('@opentelemetry/sdk-logs') as LogsSdkModule;
  const provider = new sdk.LoggerProvider({ processors: [new sdk.BatchLogRecordProcessor({ exporter })] });
  api.logs.setGlobalLoggerProvider(provider);
  return provider;
}

export interface TelemetryOptions {
  /** Also set up and register a LoggerProvider (bench/.work's SDK line only). */
  logs?: boolean;
}

/** Sets up and registers the SDK of one line; call before the instrumentation and `openai` load. */
export function setUpTelemetry(root: ModuleRoot, options: TelemetryOptions = {}): Telemetry {
  const api = requireFrom(root)('@opentelemetry/api') as ApiModule;
  registerContext(root, api);
  const spans = new CountingSpanExporter();
  const metrics = new CountingMetricExporter();
  const logRecords = new CountingLogExporter();
  const tracerProvider = makeTracerProvider(root, spans);
  const meterProvider = makeMeterProvider(root, metrics);
  const loggerProvider = options.logs === true ? makeLoggerProvider(root, api, logRecords) : undefined;
  api.trace.setGlobalTracerProvider(tracerProvider);
  api.metrics.setGlobalMeterProvider(meterProvider);
  const versions = versionsOf(root);
  if (loggerProvider) versions['@opentelemetry/sdk-logs'] = packageVersion(root, '@opentelemetry/sdk-logs') ?? 'missing';
  return {
    tracerProvider,
    meterProvider,
    loggerProvider,
    versions,
    spansExported: () => spans.count,
    spansByScope: () => ({ ...spans.byScope }),
    attributeCounts: () => Object.fromEntries([...spans.attributeCounts].map(([key, counts]) => [key, [...counts].sort((a, b) => a - b)])),
    logRecordsExported: () => logRecords.count,
    metricStreamsExported: () => metrics.streams,
    flush: async () => {
      await tracerProvider.forceFlush();
      await meterProvider.forceFlush();
      await loggerProvider?.forceFlush();
    },
  };
}
