/*
 * When nothing records (no tracer provider: the API's no-op tracer; no meter provider), a call
 * costs next to nothing: no span is started and no call is followed. What docs/TELEMETRY.md
 * still promises holds: a caller's trace context reaches the gateway in one `traceparent`
 * (docs/TELEMETRY.md §8), the application gets what it gets without us, and a provider registered later
 * is used from the next call on.
 */
import * as assert from 'node:assert/strict';
import { createNoopMeter, ProxyTracer, ProxyTracerProvider, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import * as sinon from 'sinon';
import { traceparentLines } from './headers';
import { client, collectMetrics, context, gateway, instrumentation, instrumentedSpans, meterProvider, metric, points, tracerProvider, waitFor } from './harness';

const NOOP_METER_PROVIDER = { getMeter: () => createNoopMeter() };

/** A caller's remote parent, as an HTTP server extracts it from an incoming request. */
const REMOTE_PARENT = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
};

describe('with the API\'s no-op tracer (no tracer provider) and, unless said, no meter provider', () => {
  let proxy: ProxyTracerProvider;
  let startSpan: sinon.SinonSpy;

  beforeEach(() => {
    proxy = new ProxyTracerProvider();
    instrumentation.setTracerProvider(proxy);
    instrumentation.setMeterProvider(NOOP_METER_PROVIDER);
    startSpan = sinon.spy(ProxyTracer.prototype, 'startSpan');
  });

  afterEach(() => {
    startSpan.restore();
    instrumentation.setTracerProvider(tracerProvider);
    instrumentation.setMeterProvider(meterProvider);
  });

  it('no span is started; the request carries the caller\'s traceparent, once', async () => {
    const parent = trace.setSpanContext(ROOT_CONTEXT, REMOTE_PARENT);
    const result = await context.with(parent, () => client().responses.create({ model: 'm', input: 'x' }));
    assert.equal(result.object, 'response');
    assert.equal(startSpan.callCount, 0, 'startSpan was called');
    const [request] = gateway().requests;
    assert.deepEqual(traceparentLines(request), [`00-${REMOTE_PARENT.traceId}-${REMOTE_PARENT.spanId}-01`]);
  });

  it('at the root: no span, no traceparent, and a stream reads as without us', async () => {
    const stream = await client().responses.create({ model: 'm', input: 'x', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    assert.equal(types.at(-1), 'response.completed');
    assert.equal(startSpan.callCount, 0, 'startSpan was called');
    assert.deepEqual(traceparentLines(gateway().requests[0]), []);
  });

  it('a failing call fails as without us', async () => {
    await assert.rejects(
      client().responses.create({ model: 'm', input: 'x' }, { headers: { 'x-mock-scenario': 'status=400' } }),
      (error: { status?: number }) => error.status === 400,
    );
    assert.equal(startSpan.callCount, 0, 'startSpan was called');
  });

  it('propagateContext: false: the caller\'s traceparent is not added either', async () => {
    instrumentation.setConfig({ propagateContext: false });
    try {
      const parent = trace.setSpanContext(ROOT_CONTEXT, REMOTE_PARENT);
      await context.with(parent, () => client().responses.create({ model: 'm', input: 'x' }));
      assert.deepEqual(traceparentLines(gateway().requests[0]), []);
    } finally {
      instrumentation.setConfig({});
    }
  });

  it('no tracer provider but a meter provider: no span, the metrics are recorded', async () => {
    instrumentation.setMeterProvider(meterProvider);
    const model = `metrics-only-${Date.now()}`;
    await client().responses.create({ model, input: 'x' });
    const [duration] = points(metric(await collectMetrics(), 'gen_ai.client.operation.duration'), { 'gen_ai.request.model': model });
    assert.ok(duration, 'a duration point for the call');
    assert.equal((duration.value as { count: number }).count, 1);
    assert.equal(points(metric(await collectMetrics(), 'gen_ai.client.token.usage'), { 'gen_ai.request.model': model }).length, 2);
    assert.equal(instrumentedSpans().length, 0);
  });

  it('a tracer provider registered later is used from the next call on', async () => {
    await client().responses.create({ model: 'm', input: 'x' });
    assert.equal(instrumentedSpans().length, 0);
    proxy.setDelegate(tracerProvider);
    await client().responses.create({ model: 'm', input: 'x' });
    await waitFor(() => instrumentedSpans().length === 1, 2000, 'the span of the call after the provider came');
    assert.equal(instrumentedSpans()[0].name, 'responses');
  });
});
