/*
 * The test harness, loaded first by mocha (see .mocharc.yml): OpenTelemetry SDK with in-memory
 * exporters, the instrumentation enabled before anything loads `openai`, and helpers to read
 * the finished spans and the collected metrics.
 */
import { context, propagation, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
// @opentelemetry/sdk-trace exists in both OpenTelemetry JS lines (sdk-trace-base is 2.x only).
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { BudResponsesInstrumentation } from '../src';

class TestMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export const spanExporter = new InMemorySpanExporter();
export const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spanExporter })] });
export const metricReader = new TestMetricReader();
export const meterProvider = new MeterProvider({ readers: [metricReader] });

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(
  new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
);

/** The instrumentation under test, enabled before any test file loads `openai`. */
export const instrumentation = new BudResponsesInstrumentation();
instrumentation.setTracerProvider(tracerProvider);
instrumentation.setMeterProvider(meterProvider);

export const testTracer = tracerProvider.getTracer('test');

export function finishedSpans(): ReadableSpan[] {
  return spanExporter.getFinishedSpans();
}

/** The spans made by the instrumentation (not the test's own parents). */
export function instrumentedSpans(): ReadableSpan[] {
  return finishedSpans().filter((s) => instrumentationScope(s) === '@budecosystem/instrumentation-responses');
}

function instrumentationScope(span: ReadableSpan): string | undefined {
  const s = span as ReadableSpan & { instrumentationScope?: { name: string }; instrumentationLibrary?: { name: string } };
  return (s.instrumentationScope ?? s.instrumentationLibrary)?.name;
}

/** The only span the instrumentation made; fails when there is not exactly one. */
export function onlySpan(): ReadableSpan {
  const spans = instrumentedSpans();
  if (spans.length !== 1) {
    throw new Error(`expected exactly one span, got ${spans.length}: ${spans.map((s) => s.name).join(', ')}`);
  }
  return spans[0];
}

/** Resolves when `predicate` holds, polling every few ms; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function collectMetrics(): Promise<MetricData[]> {
  const { resourceMetrics } = await metricReader.collect();
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
}

export function metric(metrics: MetricData[], name: string): MetricData | undefined {
  return metrics.find((m) => m.descriptor.name === name);
}

/** Histogram points of a metric whose attributes include `match`. */
export function points(data: MetricData | undefined, match: Attributes = {}): Array<DataPoint<Histogram | number>> {
  if (!data) return [];
  return (data.dataPoints as Array<DataPoint<Histogram | number>>).filter((p) =>
    Object.entries(match).every(([k, v]) => p.attributes[k] === v),
  );
}

export async function resetTelemetry(): Promise<void> {
  spanExporter.reset();
  // Cumulative metrics: collecting and ignoring is not a reset, so tests compare before/after or
  // filter by a unique model name.
}

export { context, trace };

/* The embedded gateway every test talks to, started once for the whole run. */
import { startGateway, type Gateway } from '../gateway/server';
import OpenAI from 'openai';
import { VERSION } from 'openai/version';

let running: Gateway | undefined;

export function gateway(): Gateway {
  if (!running) throw new Error('gateway not started');
  return running;
}

/** The API key every test client uses: telemetry must never contain it. */
export const API_KEY = 'sk-SENTINEL-API-KEY-0123456789';

/** A real openai client pointed at the embedded gateway, retries off unless asked. */
export function client(options: ConstructorParameters<typeof OpenAI>[0] = {}): OpenAI {
  return new OpenAI({ apiKey: API_KEY, baseURL: `${gateway().url}/v1`, maxRetries: 0, ...options });
}

/** Request options that pick a gateway scenario (see gateway/scenario.ts). */
export function scenario(value: string): { headers: Record<string, string> } {
  return { headers: { 'x-mock-scenario': value } };
}

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    running = await startGateway();
  },
  async afterAll(): Promise<void> {
    await running?.close();
  },
  beforeEach(): void {
    spanExporter.reset();
    running?.reset();
  },
};

/** The installed openai version (the matrix runs the suite on several). */
export const OPENAI_VERSION: string = VERSION;

/**
 * Whether the installed openai has a method or resource, e.g. `responses.compact`,
 * `conversations`, `beta.responses`: tests of a feature a version lacks are skipped there.
 */
export function supports(feature: string): boolean {
  let current: unknown = client();
  for (const key of feature.split('.')) {
    if (current === null || (typeof current !== 'object' && typeof current !== 'function')) return false;
    current = (current as Record<string, unknown>)[key];
  }
  return current !== undefined;
}

/** `retrieve(id, {stream: true})` streams (openai 4.87 ignores `stream` there). */
export function supportsResumedStreams(): boolean {
  const retrieve = (OpenAI as unknown as { Responses: { prototype: { retrieve: { __original?: unknown } } } }).Responses
    .prototype.retrieve;
  return String(retrieve.__original ?? retrieve).includes('stream');
}

/** Forces garbage collection until `done()` holds (mocha runs with --expose-gc). */
export async function collectUntil(done: () => boolean, rounds = 30): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) {
    global.gc!();
    await new Promise((r) => setTimeout(r, 20));
  }
}
