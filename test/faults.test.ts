/*
 * Fault injection: whatever breaks around the instrumentation (span processor, exporter, meter,
 * hooks, no provider at all, enable/disable misuse), the application gets the same results and
 * the same errors as without it.
 */
import * as assert from 'node:assert/strict';
import { trace, type Meter, type MeterProvider } from '@opentelemetry/api';
import {
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import { client, instrumentation, instrumentedSpans, meterProvider, scenario, tracerProvider } from './harness';

/** A success, an HTTP failure and a stream: what the application observes of each. */
async function appOutcome(): Promise<unknown[]> {
  const openai = client();
  const ok = await openai.responses.create({ model: 'fault', input: 'hello' });
  const failed = await openai.responses.create({ model: 'fault', input: 'x' }, scenario('status=503')).then(
    () => 'no error',
    (e: unknown) => `${(e as Error).constructor.name}:${(e as { status?: number }).status}`,
  );
  const types: string[] = [];
  for await (const e of await openai.responses.create({ model: 'fault', input: 'hello', stream: true }, scenario('deltas=4'))) {
    types.push((e as { type: string }).type);
  }
  const drop = await (async () => {
    try {
      for await (const _e of await openai.responses.create({ model: 'fault', input: 'x', stream: true }, scenario('drop_after=3'))) {
        /* read */
      }
      return 'no error';
    } catch (e) {
      return (e as Error).constructor.name;
    }
  })();
  return [ok.output_text, ok.status, failed, types, drop];
}

let baseline: unknown[];

const throwing = (where: string) => () => {
  throw new Error(`injected fault in ${where}`);
};

describe('fault injection: the application is unaffected', () => {
  before(async () => {
    instrumentation.disable();
    try {
      baseline = await appOutcome();
    } finally {
      instrumentation.enable();
    }
  });
  afterEach(() => {
    instrumentation.setTracerProvider(tracerProvider);
    instrumentation.setMeterProvider(meterProvider);
    instrumentation.setConfig({});
  });

  it('baseline with the instrumentation working', async () => {
    assert.deepEqual(await appOutcome(), baseline);
    assert.equal(instrumentedSpans().length, 4);
  });

  const processors: Array<[string, Partial<SpanProcessor>]> = [
    ['onStart', { onStart: throwing('onStart') }],
    ['onEnd', { onEnd: throwing('onEnd') }],
  ];
  for (const [where, faulty] of processors) {
    it(`a span processor that throws in ${where}`, async () => {
      const processor: SpanProcessor = {
        onStart: () => undefined,
        onEnd: () => undefined,
        forceFlush: async () => undefined,
        shutdown: async () => undefined,
        ...faulty,
      };
      instrumentation.setTracerProvider(new TracerProvider({ spanProcessors: [processor] }));
      assert.deepEqual(await appOutcome(), baseline);
    });
  }

  it('an exporter that throws', async () => {
    const exporter: SpanExporter = {
      export: (_spans: ReadableSpan[]) => {
        throw new Error('injected exporter fault');
      },
      shutdown: async () => undefined,
    };
    instrumentation.setTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
    assert.deepEqual(await appOutcome(), baseline);
  });

  it('a meter whose instruments throw, and one that cannot create instruments', async () => {
    const instrument = { record: throwing('record'), add: throwing('add') };
    const badInstruments = { getMeter: () => ({ createHistogram: () => instrument, createCounter: () => instrument }) as unknown as Meter };
    instrumentation.setMeterProvider(badInstruments as unknown as MeterProvider);
    instrumentation.setConfig({ pricing: { fault: { input: 1, output: 1 } } });
    assert.deepEqual(await appOutcome(), baseline);
    assert.equal(instrumentedSpans().length, 4, 'spans still end');

    const noInstruments = { getMeter: () => ({ createHistogram: throwing('createHistogram') }) as unknown as Meter };
    assert.doesNotThrow(() => instrumentation.setMeterProvider(noInstruments as unknown as MeterProvider));
    assert.deepEqual(await appOutcome(), baseline);
  });

  it('request and response hooks that throw', async () => {
    instrumentation.setConfig({ requestHook: throwing('requestHook'), responseHook: throwing('responseHook') });
    assert.deepEqual(await appOutcome(), baseline);
    assert.equal(instrumentedSpans().length, 4);
  });

  it('no tracer provider registered at all (the global no-op)', async () => {
    trace.disable();
    instrumentation.setTracerProvider(trace.getTracerProvider());
    assert.deepEqual(await appOutcome(), baseline);
    assert.equal(instrumentedSpans().length, 0);
  });

  it('enabled twice, disabled twice, re-enabled: one span per call, originals restored', async () => {
    const marker = Symbol.for('@budecosystem/instrumentation-responses.wrapper');
    const proto = (OpenAI as unknown as { Responses: { prototype: Record<string, Record<symbol, unknown>> } }).Responses.prototype;
    instrumentation.enable();
    instrumentation.enable();
    assert.deepEqual(await appOutcome(), baseline);
    assert.equal(instrumentedSpans().length, 4, 'not wrapped twice');
    instrumentation.disable();
    instrumentation.disable();
    assert.equal(proto.create[marker], undefined);
    assert.equal(proto.retrieve[marker], undefined);
    assert.deepEqual(await appOutcome(), baseline);
    assert.equal(instrumentedSpans().length, 4, 'no span while disabled');
    instrumentation.enable();
    assert.deepEqual(await appOutcome(), baseline);
    assert.equal(instrumentedSpans().length, 8);
  });
});
