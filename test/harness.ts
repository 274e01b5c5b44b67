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
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { BudResponsesInstrumentation } from '../src';
import { PACKAGE_NAME } from '../src/version';

class TestMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/**
 * Counts the `end()` calls of every span the instrumentation starts, keyed by span id. The SDK
 * ignores a second `end()` (it logs through `diag` and neither calls `onEnd` again nor exports
 * the span again), so neither the exported spans nor `onEnd` can show a double end: the counter
 * wraps the `end` method of each span in `onStart`, before the instrumentation can call it.
 */
class EndCounter implements SpanProcessor {
  private readonly counts = new Map<string, { name: string; ends: number }>();
  onStart(span: Parameters<SpanProcessor['onStart']>[0]): void {
    if (instrumentationScope(span) !== PACKAGE_NAME) return;
    const entry = { name: span.name, ends: 0 };
    this.counts.set(span.spanContext().spanId, entry);
    const end = span.end;
    span.end = function countedEnd(this: unknown, ...args: Parameters<typeof end>): void {
      entry.ends++;
      end.apply(span, args);
    };
  }
  onEnd(): void {}
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
  /** How many times `end()` was called on the span with this id (undefined: not one of ours). */
  endsOf(spanId: string): number | undefined {
    return this.counts.get(spanId)?.ends;
  }
  /** The instrumentation's spans started since the last reset that were ended more than once. */
  endedTwice(): string[] {
    return [...this.counts].filter(([, e]) => e.ends > 1).map(([id, e]) => `${e.name} (${id}): ${e.ends} end() calls`);
  }
  /** The instrumentation's spans started since the last reset that were not ended exactly once. */
  notEndedOnce(): string[] {
    return [...this.counts].filter(([, e]) => e.ends !== 1).map(([id, e]) => `${e.name} (${id}): ${e.ends} end() calls`);
  }
  reset(): void {
    this.counts.clear();
  }
}

export const spanExporter = new InMemorySpanExporter();
export const endCounter = new EndCounter();
export const tracerProvider = new TracerProvider({
  spanProcessors: [endCounter, new SimpleSpanProcessor({ exporter: spanExporter })],
});
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
  return finishedSpans().filter((s) => instrumentationScope(s) === PACKAGE_NAME);
}

function instrumentationScope(span: object): string | undefined {
  const s = span as { instrumentationScope?: { name: string }; instrumentationLibrary?: { name: string } };
  return (s.instrumentationScope ?? s.instrumentationLibrary)?.name;
}

/** Number of `end()` calls on one of the instrumentation's spans (each must be 1). */
export function endCount(span: ReadableSpan): number | undefined {
  return endCounter.endsOf(span.spanContext().spanId);
}

/** Fails unless every span the instrumentation exported so far was ended exactly once. */
export function assertEachEndedOnce(): void {
  const spans = instrumentedSpans();
  const wrong = spans.filter((s) => endCount(s) !== 1).map((s) => `${s.name}: ${endCount(s)} end() calls`);
  if (wrong.length) throw new Error(`spans not ended exactly once: ${wrong.join('; ')}`);
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
    endCounter.reset();
    running?.reset();
  },
  /** A span ended twice, whenever the second end came during the test, fails the test's hook. */
  afterEach(): void {
    const twice = endCounter.endedTwice();
    if (twice.length) throw new Error(`a span of the instrumentation was ended more than once: ${twice.join('; ')}`);
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

/** Whether the installed openai is at least `version` (plain `major.minor.patch`). */
export function openaiAtLeast(version: string): boolean {
  const have = OPENAI_VERSION.split(/[.-]/).slice(0, 3).map(Number);
  const want = version.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i] > want[i];
  return true;
}

/**
 * Whether the installed openai can resume a stream: `retrieve(id, {stream: true})` streams from
 * 4.104.0 (before, `{stream: true}` is taken as request options and no `?stream=true` is sent;
 * 4.103.0 sends it only with a third, options argument), and `responses.stream({response_id})`
 * resumes through retrieve from 4.103.0 (before, it goes to `create`).
 */
export function supportsResumedStreams(form: 'retrieve' | 'helper'): boolean {
  return openaiAtLeast(form === 'retrieve' ? '4.104.0' : '4.103.0');
}

/**
 * Forces garbage collection until `done()` holds (mocha runs with --expose-gc), yielding to the
 * event loop between rounds so finalization callbacks run; throws, naming `what`, when it still
 * does not hold after `rounds` rounds.
 */
export async function collectUntil(done: () => boolean, what: string, rounds = 50): Promise<void> {
  if (typeof global.gc !== 'function') throw new Error('collectUntil needs node --expose-gc (.mocharc.yml sets it)');
  for (let i = 0; i < rounds; i++) {
    if (done()) return;
    global.gc();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 10));
  }
  if (!done()) throw new Error(`${what}: still not the case after ${rounds} forced garbage collections`);
}
