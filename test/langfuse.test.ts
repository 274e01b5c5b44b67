/*
 * Beside Langfuse's `observeOpenAI` client wrapper (@langfuse/openai 5.11), in this process:
 * Langfuse's tracer provider is pointed at the harness's in-memory one, so its generation spans
 * and ours land in the same exporter. docs/TELEMETRY.md §9: the other vendor's wrapper stays in the
 * chain; its generation spans are the same with and without this package, ours still appear,
 * and the application sees the same results.
 */
import * as assert from 'node:assert/strict';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type * as LangfuseOpenAI from '@langfuse/openai';
import type * as LangfuseTracing from '@langfuse/tracing';
import { client, finishedSpans, instrumentedSpans, tracerProvider } from './harness';
import { FUNCTION_ARGUMENTS } from '../gateway/server';
import { offThenOn, skipUnlessOpenAI7 } from './library-helpers';

/** Langfuse's tracer name (LANGFUSE_TRACER_NAME of @langfuse/core). */
const LANGFUSE_SCOPE = 'langfuse-sdk';

const WEATHER_FORMAT = {
  type: 'json_schema' as const,
  name: 'weather',
  strict: true,
  schema: {
    type: 'object',
    properties: { location: { type: 'string' }, unit: { type: 'string' } },
    required: ['location', 'unit'],
    additionalProperties: false,
  },
};

function scopeOf(span: ReadableSpan): string | undefined {
  const s = span as ReadableSpan & { instrumentationScope?: { name: string }; instrumentationLibrary?: { name: string } };
  return (s.instrumentationScope ?? s.instrumentationLibrary)?.name;
}

/** What can be compared of a Langfuse generation span across runs (ids and times differ). */
function generationShape(span: ReadableSpan): { name: string; status: number; keys: string[]; usage: unknown; output: unknown } {
  return {
    name: span.name,
    status: span.status.code,
    keys: Object.keys(span.attributes).sort(),
    usage: span.attributes['langfuse.observation.usage_details'],
    // Item ids differ between two runs.
    output: String(span.attributes['langfuse.observation.output']).replace(/\b(msg|resp|fc|rs)_[0-9a-f]+/g, '$1_<id>'),
  };
}

describe('beside @langfuse/openai observeOpenAI', function () {
  let langfuse: typeof LangfuseOpenAI;
  let tracing: typeof LangfuseTracing;

  before(async function () {
    // Measured with openai 7 only, as the other library tests (see skipUnlessOpenAI7).
    skipUnlessOpenAI7(this, '@langfuse/openai');
    langfuse = await import('@langfuse/openai');
    tracing = await import('@langfuse/tracing');
    tracing.setLangfuseTracerProvider(tracerProvider);
  });

  after(() => {
    tracing?.setLangfuseTracerProvider(null);
  });

  /** A create, a streamed create and a parse through the Langfuse-wrapped client. */
  async function app(): Promise<{ created: string; streamed: string; events: string[]; parsed: unknown; generations: ReturnType<typeof generationShape>[] }> {
    const openai = langfuse.observeOpenAI(client(), { generationName: 'bud-test-generation' });
    const before = finishedSpans().length;
    const created = await openai.responses.create({ model: 'gpt-test', input: 'hello' });
    const stream = await openai.responses.create({ model: 'gpt-test', input: 'stream me', stream: true });
    const events: string[] = [];
    let streamed = '';
    for await (const event of stream) {
      events.push(event.type);
      if (event.type === 'response.output_text.delta') streamed += event.delta;
    }
    const parsed = await openai.responses.parse({ model: 'gpt-test', input: 'weather as JSON', text: { format: WEATHER_FORMAT } });
    const generations = finishedSpans()
      .slice(before)
      .filter((s) => scopeOf(s) === LANGFUSE_SCOPE)
      .map(generationShape);
    return { created: created.output_text, streamed, events, parsed: parsed.output_parsed, generations };
  }

  it('its generation spans and the app results are the same with and without us; ours appear once per call', async () => {
    const { off, on } = await offThenOn(app);
    assert.ok(off.ok, `without us: ${JSON.stringify(off)}`);
    assert.ok(on.ok, `with us: ${JSON.stringify(on)}`);
    assert.equal(on.value.created, 'Echo: hello');
    assert.equal(on.value.streamed, 'Echo: stream me');
    assert.deepEqual(on.value.parsed, JSON.parse(FUNCTION_ARGUMENTS));
    assert.deepEqual(
      off.value.generations.map((g) => g.name),
      ['bud-test-generation', 'bud-test-generation', 'bud-test-generation'],
      'Langfuse makes one generation per call without us',
    );
    assert.deepEqual(on.value, off.value, 'results and generation spans with us');

    const ours = instrumentedSpans();
    assert.deepEqual(ours.map((s) => s.name).sort(), ['responses', 'responses', 'responses.stream']);
  });
});
