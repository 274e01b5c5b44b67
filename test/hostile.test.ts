/*
 * Hostile input never hurts the application or the telemetry (docs/TELEMETRY.md §6, §8): hooks
 * that throw or reject, params whose Proxy traps, getters or `toJSON` throw, usage numbers that
 * are not counts, streams with no terminal event, and never-awaited failures of every traced
 * method. Each case runs against the embedded gateway with the real client, with and without
 * the package where the application's view is what is compared.
 */
import * as assert from 'node:assert/strict';
import { diag, DiagLogLevel, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import {
  assertEachEndedOnce,
  client,
  collectMetrics,
  gateway,
  instrumentation,
  instrumentedSpans,
  metric,
  onlySpan,
  points,
  scenario,
  waitFor,
} from './harness';
import { offThenOn } from './library-helpers';
import { lastLine, rawReply, responseWith, runFixture, type ChildRun } from './hostile-helpers';
import type { ModelPrice } from '../src';

/** Collects `diag` errors while `fn` runs. */
async function withDiagErrors<T>(fn: (errors: string[]) => Promise<T>): Promise<T> {
  const errors: string[] = [];
  const log = (message: string, ...args: unknown[]) => errors.push([message, ...args.map(String)].join(' '));
  diag.setLogger({ error: log, warn: () => undefined, info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.ERROR);
  try {
    return await fn(errors);
  } finally {
    diag.disable();
  }
}

/** Unhandled rejections while `fn` runs (and a few turns after). */
async function unhandledDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}

describe('hooks, sync or async, never hurt the call (docs/TELEMETRY.md §8)', () => {
  afterEach(() => instrumentation.setConfig({}));

  const failing: Array<[string, () => unknown]> = [
    ['throws', () => {
      throw new Error('hook threw');
    }],
    ['is async and throws', async () => {
      throw new Error('hook rejected');
    }],
    ['returns a rejected thenable', () => ({ then: (_: unknown, reject: (e: unknown) => void) => reject(new Error('thenable rejected')) })],
    ['returns an object whose then getter throws', () => ({
      get then() {
        throw new Error('then getter');
      },
    })],
  ];
  for (const [what, hook] of failing) {
    it(`a request and a response hook that ${what}: same result, one span, logged, no unhandled rejection`, async () => {
      const run = async () => {
        const r = await client().responses.create({ model: 'hook-hostile', input: 'hi' });
        const events: string[] = [];
        for await (const e of await client().responses.create({ model: 'hook-hostile', input: 'hi', stream: true })) events.push(e.type);
        return [r.output_text, events];
      };
      const off = await offThenOn(run);
      instrumentation.setConfig({ requestHook: hook as never, responseHook: hook as never });
      await withDiagErrors(async (errors) => {
        const unhandled = await unhandledDuring(async () => {
          assert.deepEqual(await run(), off.off.ok ? off.off.value : undefined);
          await waitFor(() => instrumentedSpans().length === 4, 3000, 'four spans');
        });
        assert.deepEqual(unhandled, [], 'no unhandled rejection');
        assert.equal(errors.filter((e) => /requestHook (threw|rejected)/.test(e)).length, 2, errors.join('\n'));
        assert.equal(errors.filter((e) => /responseHook (threw|rejected)/.test(e)).length, 2, errors.join('\n'));
      });
      assertEachEndedOnce();
    });
  }

  it('the call never waits for a promise a hook returns', async () => {
    const never = () => new Promise<void>(() => undefined);
    instrumentation.setConfig({ requestHook: never, responseHook: never });
    const r = await client().responses.create({ model: 'hook-never', input: 'hi' });
    assert.equal(r.status, 'completed');
    await waitFor(() => instrumentedSpans().length === 1, 2000, 'the span, ended without the hook settling');
    assert.equal(onlySpan().status.code, SpanStatusCode.OK);
  });

  it('an app whose responseHook is async and throws exits 0, as it does without the package (child process)', async () => {
    const [bare, traced] = await Promise.all([runFixture('async-hook.cjs', {}), runFixture('async-hook.cjs', { INSTRUMENTED: '1' })]);
    assert.equal(bare.code, 0, `without the package: ${bare.stdout} ${bare.stderr}`);
    assert.equal(traced.code, 0, `with the package: ${traced.stdout} ${traced.stderr}`);
    assert.deepEqual(lastLine(bare), { result: 'completed', spans: 0 });
    assert.deepEqual(lastLine(traced), { result: 'completed', spans: 1 });
  });
});

/** The five shapes of params that throw when read, and how each is made (fresh per run). */
const THROWING_PARAMS: Array<[string, () => unknown]> = [
  ['a Proxy whose get trap throws', () => new Proxy({ model: 'm', input: 'x' }, { get: () => { throw new Error('get trap'); } })],
  ['a Proxy whose ownKeys trap throws', () => new Proxy({ model: 'm', input: 'x' }, { ownKeys: () => { throw new Error('ownKeys trap'); } })],
  [
    'a Proxy whose getOwnPropertyDescriptor trap throws',
    () => new Proxy({ model: 'm', input: 'x' }, { getOwnPropertyDescriptor: () => { throw new Error('descriptor trap'); } }),
  ],
  ['a getter that throws', () => ({ model: 'm', get input(): string { throw new Error('input getter'); } })],
  ['a toJSON that throws', () => ({ model: 'm', input: 'x', toJSON: () => { throw new Error('toJSON'); } })],
  ['a nested getter that throws', () => ({ model: 'm', input: [{ role: 'user', get content(): string { throw new Error('nested getter'); } }] })],
];

/** Params whose getters succeed on their first read only (the SDK reads each once). */
const SECOND_READ_THROWS: Array<[string, () => unknown]> = [
  ['model', () => {
    let reads = 0;
    return { input: 'x', get model(): string { if (reads++ > 0) throw new Error('model read twice'); return 'second-read'; } };
  }],
  ['input', () => {
    let reads = 0;
    return { model: 'second-read', get input(): string { if (reads++ > 0) throw new Error('input read twice'); return 'x'; } };
  }],
  ['a nested content', () => {
    let reads = 0;
    return { model: 'second-read', input: [{ role: 'user', get content(): string { if (reads++ > 0) throw new Error('content read twice'); return 'x'; } }] };
  }],
];

describe('params that throw when read leave the call as without the package (docs/TELEMETRY.md §8)', () => {
  afterEach(() => instrumentation.setConfig({}));

  for (const captureContent of [false, true]) {
    for (const [what, make] of THROWING_PARAMS) {
      it(`${what} (captureContent ${captureContent}): the SDK's own outcome, one span that ends with it`, async () => {
        instrumentation.setConfig({ captureContent });
        const { off, on } = await offThenOn(() => client().responses.create(make() as never).then((r) => r.status));
        assert.deepEqual(on, off, 'the application sees the same');
        await waitFor(() => instrumentedSpans().length === 1, 3000, 'the one span');
        const span = onlySpan();
        assertEachEndedOnce();
        if (off.ok) {
          assert.equal(span.status.code, SpanStatusCode.OK);
        } else {
          assert.equal(span.status.code, SpanStatusCode.ERROR, 'the SDK error fails the span');
          // A plain Error has no class name of its own: `_OTHER` (docs/TELEMETRY.md §3).
          assert.equal(span.attributes['error.type'], off.error.class === 'Error' ? '_OTHER' : off.error.class);
        }
      });
    }
    for (const [what, make] of SECOND_READ_THROWS) {
      it(`a getter of ${what} that throws on its second read (captureContent ${captureContent}): succeeds as without the package`, async () => {
        instrumentation.setConfig({ captureContent });
        const { off, on } = await offThenOn(() => client().responses.create(make() as never).then((r) => r.status));
        assert.deepEqual(off, { ok: true, value: 'completed' }, 'the bare call succeeds');
        assert.deepEqual(on, off);
        await waitFor(() => instrumentedSpans().length === 1, 3000, 'the one span');
        assert.equal(onlySpan().status.code, SpanStatusCode.OK);
      });
    }
  }

  it('what can be read is still recorded next to what cannot', async () => {
    const params = { model: 'partly-readable', temperature: 0.5, get top_p(): number { throw new Error('top_p'); }, input: 'x' };
    await client().responses.create(params as never).catch(() => undefined);
    await waitFor(() => instrumentedSpans().length === 1, 3000, 'the span');
    const span = onlySpan();
    assert.equal(span.attributes['gen_ai.request.model'], 'partly-readable');
    assert.equal(span.attributes['gen_ai.request.temperature'], 0.5);
    assert.equal(span.attributes['gen_ai.request.top_p'], undefined);
  });

  it('reads no content param with the default capture, and never calls a getter (a Proxy sees the same reads of it)', async () => {
    const reads = async () => {
      const touched: string[] = [];
      const target = { model: 'untouched', input: 'x', instructions: 'be brief', metadata: { a: '1' } };
      const params = new Proxy(target, {
        get(t, key, receiver) {
          touched.push(`get ${String(key)}`);
          return Reflect.get(t, key, receiver);
        },
        getOwnPropertyDescriptor(t, key) {
          touched.push(`descriptor ${String(key)}`);
          return Reflect.getOwnPropertyDescriptor(t, key);
        },
      });
      await client().responses.create(params as never);
      return touched;
    };
    const { off, on } = await offThenOn(reads);
    assert.ok(off.ok && on.ok);
    const count = (list: string[], read: string) => list.filter((r) => r === read).length;
    for (const key of ['input', 'instructions', 'metadata', 'model', 'stream']) {
      assert.equal(count(on.value, `get ${key}`), count(off.value, `get ${key}`), `get ${key}: only the SDK's`);
    }
    for (const key of ['input', 'instructions', 'metadata']) {
      assert.equal(count(on.value, `descriptor ${key}`), count(off.value, `descriptor ${key}`), `descriptor ${key}: only the SDK's`);
    }
    assert.equal(count(on.value, 'descriptor model'), count(off.value, 'descriptor model') + 1, 'model: read once more, no more');
  });
});

describe('usage numbers are recorded and priced only when they are counts (docs/TELEMETRY.md §8)', () => {
  afterEach(() => instrumentation.setConfig({}));

  /** Every point of the token histogram, the cost counter and the duration histogram of `model`. */
  async function metricValues(model: string): Promise<number[]> {
    const metrics = await collectMetrics();
    const values: number[] = [];
    for (const name of ['gen_ai.client.token.usage', 'gen_ai.client.operation.duration', 'bud.inference.cost']) {
      for (const p of points(metric(metrics, name), { 'gen_ai.request.model': model })) {
        const v = p.value as number | { sum?: number; min?: number; max?: number };
        if (typeof v === 'number') values.push(v);
        else values.push(...[v.sum, v.min, v.max].filter((x): x is number => x !== undefined));
      }
    }
    return values;
  }

  function assertNumbersRule(span: ReadableSpan, values: number[]): void {
    for (const [key, value] of Object.entries(span.attributes)) {
      if (!/usage|tokens|cost/.test(key) || typeof value !== 'number') continue;
      assert.ok(Number.isFinite(value) && value >= 0, `${key}=${value}`);
      if (/tokens/.test(key)) assert.ok(Number.isSafeInteger(value), `${key}=${value}`);
    }
    for (const v of values) assert.ok(Number.isFinite(v) && v >= 0, `a metric value ${v}`);
  }

  const cases: Array<{ what: string; usage: unknown; price?: ModelPrice; kept: Record<string, number>; dropped: string[]; cost: boolean }> = [
    {
      what: 'a string cached_tokens',
      usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15, input_tokens_details: { cached_tokens: '5' } },
      kept: { 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5, 'gen_ai.usage.total_tokens': 15 },
      dropped: ['gen_ai.usage.cache_read.input_tokens'],
      cost: false,
    },
    {
      what: 'negative cached tokens',
      usage: { input_tokens: 10, output_tokens: 0, total_tokens: 10, input_tokens_details: { cached_tokens: -100000 } },
      kept: { 'gen_ai.usage.input_tokens': 10 },
      dropped: ['gen_ai.usage.cache_read.input_tokens'],
      cost: false,
    },
    {
      what: '1e308 input tokens',
      usage: { input_tokens: 1e308, output_tokens: 5, total_tokens: 1e308, output_tokens_details: { reasoning_tokens: 2 } },
      kept: { 'gen_ai.usage.output_tokens': 5, 'gen_ai.usage.reasoning.output_tokens': 2 },
      dropped: ['gen_ai.usage.input_tokens', 'gen_ai.usage.total_tokens'],
      cost: false,
    },
    {
      what: 'fractional and negative counts',
      usage: { input_tokens: 2.5, output_tokens: -3, total_tokens: 7, output_tokens_details: { reasoning_tokens: -1 } },
      kept: { 'gen_ai.usage.total_tokens': 7 },
      dropped: ['gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens', 'gen_ai.usage.reasoning.output_tokens'],
      cost: false,
    },
    {
      what: 'a price whose sum overflows',
      usage: { input_tokens: 2, output_tokens: 0, total_tokens: 2, input_tokens_details: { cached_tokens: 1 } },
      price: { input: 1.5e308, cachedInput: 1.5e308, output: 0 },
      kept: { 'gen_ai.usage.input_tokens': 2, 'gen_ai.usage.cache_read.input_tokens': 1 },
      dropped: [],
      cost: false,
    },
    {
      what: 'valid counts (the check above can pass)',
      usage: { input_tokens: 10, output_tokens: 4, total_tokens: 14, input_tokens_details: { cached_tokens: 4 } },
      kept: { 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.cache_read.input_tokens': 4, 'gen_ai.usage.output_tokens': 4 },
      dropped: [],
      cost: true,
    },
  ];
  cases.forEach((c, i) => {
    for (const streaming of [false, true]) {
      it(`${c.what}${streaming ? ' (stream)' : ''}: bad values dropped, the rest kept, no metric gets NaN, Infinity or a negative value`, async () => {
        const model = `numbers-${i}-${streaming ? 's' : 'j'}`;
        instrumentation.setConfig({ pricing: { [model]: c.price ?? { input: 1_000_000, cachedInput: 500_000, output: 2_000_000 } } });
        const response = responseWith(model, c.usage);
        const reply = streaming
          ? rawReply({ sse: `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', sequence_number: 0, response })}\n\n` })
          : rawReply({ json: response });
        if (streaming) {
          for await (const _e of await client().responses.create({ model, input: 'x', stream: true }, reply)) {
            /* read */
          }
        } else {
          await client().responses.create({ model, input: 'x' }, reply);
        }
        await waitFor(() => instrumentedSpans().length === 1, 3000, 'the span');
        const span = onlySpan();
        for (const [key, value] of Object.entries(c.kept)) assert.equal(span.attributes[key], value, key);
        for (const key of c.dropped) assert.equal(span.attributes[key], undefined, key);
        assert.equal(span.attributes['bud.inference.cost.total'] !== undefined, c.cost, 'cost attributes');
        if (c.cost) assert.equal(span.attributes['bud.inference.cost.total'], (6 * 1 + 4 * 0.5 + 4 * 2));
        const values = await metricValues(model);
        assert.ok(values.length > 0, 'the duration at least was recorded');
        assertNumbersRule(span, values);
      });
    }
  });

  it('gateway token headers that are not counts are dropped; counts are kept', async () => {
    const model = 'numbers-headers';
    const headers = {
      'x-tensorzero-input-tokens': '-5',
      'x-tensorzero-output-tokens': '1e400',
      'x-tensorzero-total-tokens': '12.5',
      'x-tensorzero-inference-cost': 'NaN',
      'x-tensorzero-model-latency-ms': '-1',
      'x-tensorzero-prompt-id': 'p1',
    };
    await client().responses.create({ model, input: 'x' }, rawReply({ json: responseWith(model, { input_tokens: 3, output_tokens: 4, total_tokens: 7 }), headers }));
    await waitFor(() => instrumentedSpans().length === 1, 3000, 'the span');
    const span = onlySpan();
    for (const key of ['input_tokens', 'output_tokens', 'total_tokens', 'inference_cost', 'model_latency_ms']) {
      assert.equal(span.attributes[`bud.gateway.${key}`], undefined, key);
    }
    assert.equal(span.attributes['bud.gateway.prompt_id'], 'p1', 'the rest stays');
    gateway().reset();
    await client().responses.create(
      { model, input: 'x' },
      rawReply({ json: responseWith(model, {}), headers: { 'x-tensorzero-input-tokens': '9', 'x-tensorzero-inference-cost': '0.25' } }),
    );
    await waitFor(() => instrumentedSpans().length === 2, 3000, 'the second span');
    const second = instrumentedSpans()[1];
    assert.equal(second.attributes['bud.gateway.input_tokens'], 9);
    assert.equal(second.attributes['bud.gateway.inference_cost'], 0.25);
  });
});

describe('stream_completed is true only when a terminal event reached the application (docs/TELEMETRY.md §6)', () => {
  async function consume(stream: AsyncIterable<unknown>): Promise<number> {
    let n = 0;
    for await (const _e of stream) n++;
    return n;
  }

  it('a stream that ends with no terminal event: false, ERROR stream_truncated', async () => {
    await consume(await client().responses.create({ model: 'm', input: 'x', stream: true }, scenario('end_after=4')));
    await waitFor(() => instrumentedSpans().length === 1, 3000, 'the span');
    const span = onlySpan();
    assert.equal(span.attributes['error.type'], 'stream_truncated');
    assert.equal(span.attributes['bud.inference.stream_completed'], false);
  });

  it('a stream that is only [DONE]: false, ERROR stream_truncated', async () => {
    const n = await consume(await client().responses.create({ model: 'm', input: 'x', stream: true }, rawReply({ sse: 'data: [DONE]\n\n' })));
    assert.equal(n, 0);
    await waitFor(() => instrumentedSpans().length === 1, 3000, 'the span');
    const span = onlySpan();
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], 'stream_truncated');
    assert.equal(span.attributes['bud.inference.stream_completed'], false);
  });

  it('a stream that ends with response.completed: true (the check above can pass)', async () => {
    await consume(await client().responses.create({ model: 'm', input: 'x', stream: true }));
    await waitFor(() => instrumentedSpans().length === 1, 3000, 'the span');
    assert.equal(onlySpan().attributes['bud.inference.stream_completed'], true);
  });
});

/** Every traced method (test/fixtures/hostile/never-awaited.cjs names them). */
const METHODS = [
  'create',
  'create-stream',
  'retrieve',
  'cancel',
  'delete',
  'del',
  'compact',
  'inputItems.list',
  'inputTokens.count',
  'conversations.create',
  'conversations.retrieve',
  'conversations.update',
  'conversations.delete',
  'conversations.items.create',
  'conversations.items.retrieve',
  'conversations.items.list',
  'conversations.items.delete',
];

/** The methods also run alone, under Node's default mode, to compare exit codes. */
const EXIT_CODE_METHODS = ['create', 'inputItems.list', 'conversations.items.list'];

describe('a never-awaited failing call surfaces as without the package, for every traced method (child processes)', () => {
  let all: { bare: ChildRun; traced: ChildRun };
  let alone: Record<string, { bare: ChildRun; traced: ChildRun }>;
  before(async function () {
    this.timeout(120_000);
    const pair = (env: Record<string, string>) =>
      Promise.all([runFixture('never-awaited.cjs', env), runFixture('never-awaited.cjs', { ...env, INSTRUMENTED: '1' })]).then(([bare, traced]) => ({ bare, traced }));
    const [everyMethod, ...each] = await Promise.all([pair({ METHOD: 'all' }), ...EXIT_CODE_METHODS.map((method) => pair({ METHOD: method }))]);
    all = everyMethod;
    alone = Object.fromEntries(EXIT_CODE_METHODS.map((method, i) => [method, each[i]]));
  });

  for (const method of METHODS) {
    it(`unhandled-rejection parity: ${method}`, function () {
      const methods = (run: ChildRun) => (lastLine(run).methods ?? {}) as Record<string, { missing?: boolean; unhandled: unknown; spans: Array<{ status: number; errorType: string }> }>;
      const bare = methods(all.bare)[method];
      assert.ok(bare, `without the package: ${all.bare.stdout} ${all.bare.stderr}`);
      if (bare.missing) this.skip();
      const traced = methods(all.traced)[method];
      assert.ok(traced, `with the package: ${all.traced.stdout} ${all.traced.stderr}`);
      assert.ok(bare.unhandled, 'without the package the failure is an unhandled rejection');
      assert.deepEqual(traced.unhandled, bare.unhandled, 'with the package too: the same error');
      assert.equal(traced.spans.length, 1, 'one span');
      assert.equal(traced.spans[0].status, SpanStatusCode.ERROR);
      assert.equal(traced.spans[0].errorType, (bare.unhandled as { class: string }).class);
    });
  }

  for (const method of EXIT_CODE_METHODS) {
    it(`under Node's default mode, the same exit code and error: ${method}`, function () {
      const { bare, traced } = alone[method];
      if (lastLine(bare).missing) this.skip();
      assert.equal(bare.code, 1, `without the package the process exits 1: ${bare.stdout} ${bare.stderr}`);
      assert.equal(traced.code, 1, `with the package too: ${traced.stdout} ${traced.stderr}`);
      assert.deepEqual(lastLine(traced).unhandled, lastLine(bare).unhandled);
    });
  }
});
