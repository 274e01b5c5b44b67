/*
 * The demo's OpenTelemetry setup: the Node SDK with this package's instrumentation, keeping
 * spans and metrics in memory so the demo can print them instead of exporting them.
 */
import { MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
// Imported directly: sdk-node 0.30x (OpenTelemetry JS 3.x) no longer re-exports these namespaces.
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { BudResponsesInstrumentation } from '../src';
import { PACKAGE_NAME } from '../src/version';

/** A metric reader the demo collects from on demand. */
class OnDemandMetricReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export interface DemoTelemetry {
  spans(): ReadableSpan[];
  /** The instrumentation's metrics (cumulative since the start). */
  collectMetrics(): Promise<MetricData[]>;
  shutdown(): Promise<void>;
}

/** Starts the SDK; call before the first `require('openai')`. */
export function startTelemetry(): DemoTelemetry {
  const spanExporter = new InMemorySpanExporter();
  const metricReader = new OnDemandMetricReader();
  const sdk = new NodeSDK({
    serviceName: 'bud-responses-demo',
    autoDetectResources: false,
    instrumentations: [new BudResponsesInstrumentation()],
    spanProcessors: [new SimpleSpanProcessor({ exporter: spanExporter })],
    metricReaders: [metricReader],
    logRecordProcessors: [],
  });
  sdk.start();
  return {
    spans: () => spanExporter.getFinishedSpans(),
    collectMetrics: async () =>
      (await metricReader.collect()).resourceMetrics.scopeMetrics
        .filter((scope) => scope.scope.name === PACKAGE_NAME)
        .flatMap((scope) => scope.metrics),
    shutdown: () => sdk.shutdown(),
  };
}
