/*
 * Fuzzing (fast-check) of what the package is handed: params (plain or hostile: Proxy traps,
 * getters, `toJSON` that throw), the gateway's JSON and SSE answers (odd bodies, usage numbers
 * that are not counts, streams with or without a terminal event, `[DONE]`, malformed frames),
 * the configuration (capture, pricing, limits) and hooks (sync, async, throwing, never settling).
 * Each case runs without the package and with it; the application must observe the same (result
 * or error class and message, unhandled rejections), every span started must end exactly once,
 * and no span attribute or metric may carry a usage count that is not a count or an amount
 * that is NaN, Infinity or negative (docs/TELEMETRY.md §8). A child-process part compares exit codes.
 *
 * Short by default (part of `npm test`); FUZZ_RUNS=<n> runs n cases in process (and n/20,
 * at least 2, child-process cases), e.g. `FUZZ_RUNS=2000 npx mocha build/test/fuzz.test.js`.
 */
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import * as sinon from 'sinon';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { BudResponsesInstrumentationConfig } from '../src';
import { client, collectMetrics, endCounter, gateway, instrumentation, instrumentedSpans, waitFor } from './harness';
import { rawReply, runFixture } from './hostile-helpers';

const RUNS = Number(process.env.FUZZ_RUNS) > 0 ? Number(process.env.FUZZ_RUNS) : 50;
const CHILD_RUNS = Math.max(2, Math.floor(RUNS / 20));

// ------------------------------------------------------------------------------ arbitraries

/** Values the server may put where a count belongs. */
const countLike: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.nat(100_000) },
  { weight: 1, arbitrary: fc.integer({ min: -1e6, max: -1 }) },
  { weight: 1, arbitrary: fc.constantFrom(1e308, -1e308, 2 ** 53, 0.5, -0) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom('5', 'NaN', '', null, true, {}, []) },
);

const usageArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record(
      {
        input_tokens: countLike,
        output_tokens: countLike,
        total_tokens: countLike,
        input_tokens_details: fc.oneof(fc.record({ cached_tokens: countLike }), fc.constant(null)),
        output_tokens_details: fc.oneof(fc.record({ reasoning_tokens: countLike }), fc.constant(null)),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, 'usage', 42, []) },
);

const MODELS = ['fz-a', 'fz-b'];

const responseArb = fc.record({
  id: fc.oneof(fc.string({ maxLength: 12 }), fc.constant(undefined)),
  model: fc.constantFrom(...MODELS, 42, undefined),
  status: fc.constantFrom('completed', 'failed', 'incomplete', 'in_progress', 'weird', undefined),
  usage: usageArb,
  output: fc.oneof(
    fc.constant([]),
    fc.array(
      fc.record({
        type: fc.constantFrom('message', 'function_call', 'reasoning', 'x_call', 'new_thing'),
        name: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
        content: fc.option(fc.array(fc.record({ type: fc.constantFrom('output_text', 'refusal'), text: fc.string({ maxLength: 8 }) }), { maxLength: 2 }), {
          nil: undefined,
        }),
      }),
      { maxLength: 3 },
    ),
    fc.constantFrom('not a list', null),
  ),
  error: fc.oneof(fc.constant(null), fc.record({ code: fc.oneof(fc.string({ maxLength: 8 }), fc.constant(null)), message: fc.string({ maxLength: 8 }) })),
});

type Body = { kind: 'json'; value: unknown } | { kind: 'sse'; frames: string[] };

const eventFrame = (type: string, data: Record<string, unknown>, seq: number) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq, ...data })}\n\n`;

/** An SSE body: some events, maybe a terminal one, maybe `[DONE]` or a malformed frame. */
const sseArb: fc.Arbitrary<Body> = fc
  .record({
    middle: fc.array(
      fc.oneof(
        { weight: 4, arbitrary: fc.string({ maxLength: 6 }).map((delta) => ({ type: 'response.output_text.delta', data: { delta } })) },
        { weight: 1, arbitrary: fc.constant({ type: 'response.future_thing', data: {} }) },
        { weight: 1, arbitrary: fc.constant({ type: 'error', data: { code: 'rate_limit_exceeded', message: 'slow' } }) },
      ),
      { maxLength: 5 },
    ),
    terminal: fc.constantFrom('response.completed', 'response.failed', 'response.incomplete', 'none'),
    response: responseArb,
    tail: fc.constantFrom('', 'data: [DONE]\n\n', 'event: response.output_text.delta\ndata: {not json\n\n'),
    onlyDone: fc.boolean(),
  })
  .map(({ middle, terminal, response, tail, onlyDone }): Body => {
    if (onlyDone) return { kind: 'sse', frames: ['data: [DONE]\n\n'] };
    const frames = [eventFrame('response.created', { response: { ...response, status: 'in_progress' } }, 0)];
    middle.forEach((e, i) => frames.push(eventFrame(e.type, e.data, i + 1)));
    if (terminal !== 'none') frames.push(eventFrame(terminal, { response }, middle.length + 1));
    if (tail) frames.push(tail);
    return { kind: 'sse', frames };
  });

const jsonArb: fc.Arbitrary<Body> = fc.oneof(
  { weight: 4, arbitrary: responseArb.map((r): Body => ({ kind: 'json', value: { object: 'response', created_at: 1, ...r } })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value): Body => ({ kind: 'json', value })) },
);

/** Gateway headers, numeric ones with odd values. */
const headersArb = fc.option(
  fc.record(
    {
      'x-tensorzero-input-tokens': fc.constantFrom('3', '-5', '1e400', '12.5', 'abc', '9007199254740993'),
      'x-tensorzero-inference-cost': fc.constantFrom('0.25', 'NaN', '-1', 'Infinity'),
      'x-tensorzero-model-latency-ms': fc.constantFrom('12', '-3', '1e999'),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

type Shape = 'plain' | 'get-throws' | 'ownkeys-throws' | 'descriptor-throws' | 'getter-throws' | 'tojson-throws' | 'second-read' | 'frozen';

/** The params object of a shape, made fresh for each run (a second-read getter counts its reads). */
function makeParams(base: Record<string, unknown>, shape: Shape): unknown {
  const boom = () => {
    throw new Error(`fuzz ${shape}`);
  };
  switch (shape) {
    case 'plain':
      return { ...base };
    case 'frozen':
      return Object.freeze({ ...base });
    case 'get-throws':
      return new Proxy({ ...base }, { get: boom });
    case 'ownkeys-throws':
      return new Proxy({ ...base }, { ownKeys: boom });
    case 'descriptor-throws':
      return new Proxy({ ...base }, { getOwnPropertyDescriptor: boom });
    case 'getter-throws':
      return Object.defineProperty({ ...base }, 'instructions', { get: boom, enumerable: true });
    case 'tojson-throws':
      return { ...base, toJSON: boom };
    case 'second-read': {
      let reads = 0;
      const { model, ...rest } = base;
      return Object.defineProperty({ ...rest }, 'model', {
        get: () => (reads++ > 0 ? boom() : model),
        enumerable: true,
      });
    }
  }
}

const paramsArb = fc.record({
  base: fc.record(
    {
      model: fc.constantFrom(...MODELS),
      input: fc.oneof(
        fc.string({ maxLength: 10 }),
        fc.array(fc.record({ role: fc.constantFrom('user', 'system', 'assistant'), content: fc.string({ maxLength: 10 }) }), { maxLength: 3 }),
      ),
      temperature: fc.oneof(fc.double({ noNaN: false }), fc.constant('hot')),
      metadata: fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
      tool_choice: fc.constantFrom('auto', 'none', { type: 'function', name: 'f' }),
      store: fc.boolean(),
    },
    { requiredKeys: ['model', 'input'] },
  ),
  shape: fc.constantFrom<Shape>('plain', 'plain', 'frozen', 'get-throws', 'ownkeys-throws', 'descriptor-throws', 'getter-throws', 'tojson-throws', 'second-read'),
});

type HookKind = 'none' | 'sync' | 'throws' | 'rejects' | 'never' | 'thenable-throws';

function hook(kind: HookKind): (() => unknown) | undefined {
  switch (kind) {
    case 'none':
      return undefined;
    case 'sync':
      return () => 42;
    case 'throws':
      return () => {
        throw new Error('fuzz hook');
      };
    case 'rejects':
      return async () => {
        throw new Error('fuzz hook rejected');
      };
    case 'never':
      return () => new Promise(() => undefined);
    case 'thenable-throws':
      return () => ({ then: () => { throw new Error('fuzz then'); } });
  }
}

const hookArb = fc.constantFrom<HookKind>('none', 'sync', 'throws', 'rejects', 'never', 'thenable-throws');

const configArb = fc.record({
  captureContent: fc.oneof(fc.boolean(), fc.constant('yes')),
  maxContentLength: fc.oneof(fc.constant(undefined), fc.constantFrom(1, 5, 100, Infinity, -1, 0.5, 'big')),
  price: fc.oneof(
    fc.constant(undefined),
    fc.record({ input: fc.double({ min: 0, max: 1e308, noNaN: true }), output: fc.double({ min: 0, max: 1e308, noNaN: true }), cachedInput: fc.option(fc.double({ min: 0, max: 1e308, noNaN: true }), { nil: undefined }) }),
    fc.constant({ input: -1, output: 'x' }),
  ),
  requestHook: hookArb,
  responseHook: hookArb,
  throwingGetter: fc.boolean(),
});

type ConfigCase = typeof configArb extends fc.Arbitrary<infer T> ? T : never;

function configOf(c: ConfigCase): BudResponsesInstrumentationConfig {
  const config: Record<string, unknown> = {
    captureContent: c.captureContent,
    maxContentLength: c.maxContentLength,
    requestHook: hook(c.requestHook),
    responseHook: hook(c.responseHook),
    pricing: c.price ? Object.fromEntries(MODELS.map((m) => [m, c.price])) : undefined,
  };
  if (c.throwingGetter) {
    Object.defineProperty(config, 'spanName', { enumerable: true, get: () => { throw new Error('fuzz config getter'); } });
  }
  return config as BudResponsesInstrumentationConfig;
}

// ------------------------------------------------------------------------------ running

interface Observed {
  ok: boolean;
  value?: unknown;
  error?: { class: string; message: string };
  unhandled: number;
}

/** What the application observes of one call: its result (or streamed events), or its error. */
async function observe(params: unknown, body: Body, headers: Record<string, string> | undefined, streaming: boolean): Promise<Observed> {
  const unhandled: unknown[] = [];
  const listener = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', listener);
  const options = body.kind === 'json' ? rawReply({ json: body.value, headers }) : rawReply({ sse: body.frames.join(''), headers });
  let out: Omit<Observed, 'unhandled'>;
  try {
    const result: unknown = await client().responses.create(params as never, options);
    if (streaming && result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      const events: unknown[] = [];
      try {
        for await (const e of result as AsyncIterable<unknown>) events.push(e);
        out = { ok: true, value: events };
      } catch (e) {
        out = { ok: false, value: events, error: errorOf(e) };
      }
    } else {
      out = { ok: true, value: JSON.parse(JSON.stringify(result ?? null)) };
    }
  } catch (e) {
    out = { ok: false, error: errorOf(e) };
  }
  await new Promise((r) => setTimeout(r, 5));
  process.off('unhandledRejection', listener);
  return { ...out, unhandled: unhandled.length };
}

function errorOf(e: unknown): { class: string; message: string } {
  const err = e as Error;
  return { class: err?.constructor?.name ?? typeof e, message: String(err?.message) };
}

const TOKEN_ATTRIBUTE = /tokens$/;
const AMOUNT_ATTRIBUTE = /(^bud\.inference\.cost\.(input|output|total)$)|(^bud\.gateway\.(inference_cost|model_latency_ms)$)|ttft_ms$|time_to_first_chunk$/;

/** docs/TELEMETRY.md §8: counts are counts, amounts finite and non-negative, on spans and metrics. */
function assertNumbers(spans: ReadableSpan[]): void {
  for (const span of spans) {
    for (const [key, value] of Object.entries(span.attributes)) {
      if (TOKEN_ATTRIBUTE.test(key)) assert.ok(Number.isSafeInteger(value) && (value as number) >= 0, `${span.name} ${key}=${String(value)}`);
      if (AMOUNT_ATTRIBUTE.test(key)) assert.ok(typeof value === 'number' && value >= 0 && value < Infinity, `${span.name} ${key}=${String(value)}`);
    }
  }
}

async function assertMetricNumbers(): Promise<void> {
  for (const m of await collectMetrics()) {
    for (const p of m.dataPoints as Array<{ value: unknown }>) {
      const v = p.value as number | { sum?: number; min?: number; max?: number; count: number };
      const values = typeof v === 'number' ? [v] : [v.sum, v.min, v.max].filter((x) => x !== undefined);
      for (const x of values) assert.ok(typeof x === 'number' && x >= 0 && x < Infinity, `${m.descriptor.name}: ${String(x)}`);
    }
  }
}

describe(`fuzz: with and without the package, the application observes the same (fast-check, ${RUNS} runs)`, () => {
  afterEach(() => instrumentation.setConfig({}));
  // The SDK logs the malformed SSE frames it skips; not the test's output.
  let consoleError: sinon.SinonStub;
  beforeEach(() => (consoleError = sinon.stub(console, 'error')));
  afterEach(() => consoleError.restore());

  it('over params, JSON and SSE answers, gateway headers, config and hooks', async function () {
    this.timeout(Math.max(60_000, RUNS * 2_000));
    await fc.assert(
      fc.asyncProperty(paramsArb, fc.boolean(), jsonArb, sseArb, headersArb, configArb, async (p, streaming, json, sse, headers, c) => {
        const base = { ...p.base, stream: streaming };
        const body = streaming ? sse : json;
        instrumentation.disable();
        const off = await observe(makeParams(base, p.shape), body, headers, streaming);
        instrumentation.enable();
        gateway().reset();
        endCounter.reset();
        instrumentation.setConfig(configOf(c));
        const started = instrumentedSpans().length;
        const on = await observe(makeParams(base, p.shape), body, headers, streaming);
        instrumentation.setConfig({});
        assert.deepEqual(on, off, 'the application observes the same');
        await waitFor(() => endCounter.notEndedOnce().length === 0, 2000, 'every started span to end').catch(() => undefined);
        assert.deepEqual(endCounter.notEndedOnce(), [], 'every span started ended exactly once');
        assertNumbers(instrumentedSpans().slice(started));
      }),
      { numRuns: RUNS },
    );
    await assertMetricNumbers();
  });

  it(`over hooks and never-awaited failures, in child processes (${CHILD_RUNS} runs): the same exit code and unhandled rejection`, async function () {
    this.timeout(CHILD_RUNS * 20_000);
    await fc.assert(
      fc.asyncProperty(
        fc.record({ hook: fc.constantFrom('throws', 'rejects', 'thenable-throws', 'never'), awaited: fc.boolean(), fail: fc.boolean(), stream: fc.boolean() }),
        async (kase) => {
          const env = { CASE: JSON.stringify(kase) };
          const [bare, traced] = await Promise.all([runFixture('fuzz-app.cjs', env), runFixture('fuzz-app.cjs', { ...env, INSTRUMENTED: '1' })]);
          assert.equal(traced.code, bare.code, `exit code for ${env.CASE}: ${bare.stderr} / ${traced.stderr}`);
          const line = (out: string) => out.trim().split('\n').pop();
          assert.equal(line(traced.stdout), line(bare.stdout), 'what the application printed');
        },
      ),
      { numRuns: CHILD_RUNS },
    );
  });
});

