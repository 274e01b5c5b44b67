/*
 * How a call ends when the application (or a client library driving the stream) stops in ways a
 * plain `for await` does not: right after a terminal event, by an abort while nobody pulls, by an
 * abort before the headers, by dropping the call. And what the application sees stays what it
 * would see without us: the same SDK object from the layer beneath, the same unhandled rejections.
 * docs/TELEMETRY.md §2, §6, §8.
 */
import * as assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import {
  client,
  collectMetrics,
  collectUntil,
  endCount,
  gateway,
  instrumentation,
  instrumentedSpans,
  metric,
  onlySpan,
  points,
  scenario,
  tracerProvider,
  waitFor,
  OPENAI_VERSION,
} from './harness';
import { runFixture } from './hostile-helpers';

type Event = { type: string };
const MAJOR = Number(OPENAI_VERSION.split('.')[0]);

async function theSpan(): Promise<ReadableSpan> {
  await waitFor(() => instrumentedSpans().length > 0, 3000, 'the span');
  return onlySpan();
}

/** Reads a stream until `stopAfter` says so, then leaves the loop by `break`. */
async function readUntil(stream: AsyncIterable<unknown>, stopAfter: (e: Event) => boolean): Promise<Event[]> {
  const seen: Event[] = [];
  for await (const e of stream) {
    seen.push(e as Event);
    if (stopAfter(e as Event)) break;
  }
  return seen;
}

const endMs = (span: ReadableSpan): number => hrTimeToMilliseconds(span.endTime);
const durationMs = (span: ReadableSpan): number => hrTimeToMilliseconds(span.duration);

describe('a stop right after the terminal event keeps what the application was shown', () => {
  it('break after response.completed: OK, stream_completed', async () => {
    const stream = await client().responses.create({ model: 'm', input: 'hi', stream: true });
    const seen = await readUntil(stream, (e) => e.type === 'response.completed');
    assert.equal(seen[seen.length - 1].type, 'response.completed');
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.OK);
    assert.equal(span.attributes['bud.inference.stream_completed'], true);
    assert.equal(span.attributes['error.type'], undefined);
  });

  it('break after response.failed: ERROR with the failure code, stream_completed', async () => {
    const stream = await client().responses.create({ model: 'm', input: 'hi', stream: true }, scenario('fail'));
    const seen = await readUntil(stream, (e) => e.type === 'response.failed');
    assert.equal(seen[seen.length - 1].type, 'response.failed');
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], 'server_error');
    assert.equal(span.attributes['bud.inference.stream_completed'], true);
    assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], ['error']);
  });

  it('a throw inside for-await after response.incomplete (as the Agents SDK does): OK, stream_completed', async () => {
    const stream = await client().responses.create({ model: 'm', input: 'hi', stream: true }, scenario('incomplete'));
    const thrown = await (async () => {
      try {
        for await (const e of stream) {
          if ((e as Event).type === 'response.incomplete') throw new RangeError('the library gives up here');
        }
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(thrown instanceof RangeError);
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.OK);
    assert.equal(span.attributes['bud.inference.stream_completed'], true);
    assert.equal(span.attributes['bud.inference.response.incomplete_reason'], 'max_output_tokens');
  });

  it('a throw inside for-await after response.failed: ERROR, not UNSET', async () => {
    const stream = await client().responses.create({ model: 'm', input: 'hi', stream: true }, scenario('fail'));
    await assert.rejects(async () => {
      for await (const e of stream) {
        if ((e as Event).type === 'response.failed') throw new Error('failed response');
      }
    }, /failed response/);
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], 'server_error');
  });

  it('break right after an SSE error event (openai 5-6 yield it): ERROR with its code', async function () {
    // openai 4 and 7 throw the error event instead of yielding it: covered in stream.test.ts.
    if (MAJOR !== 5 && MAJOR !== 6) this.skip();
    const stream = await client().responses.create({ model: 'm', input: 'hi', stream: true }, scenario('error_event'));
    const seen = await readUntil(stream, (e) => e.type === 'error');
    assert.equal(seen[seen.length - 1].type, 'error');
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], 'rate_limit_exceeded');
    assert.equal(span.attributes['bud.inference.stream_completed'], false);
  });

  it('break before any terminal event stays UNSET, stream_completed false', async () => {
    const stream = await client().responses.create({ model: 'm', input: 'hi', stream: true });
    await readUntil(stream, (e) => e.type === 'response.output_text.delta');
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.attributes['bud.inference.stream_completed'], false);
  });
});

describe('the span ends when the terminal event is handed to the application', () => {
  /** Pulls with next() by hand until `type`, then stops: no return(), no further next(). */
  async function pullUntil(iterator: AsyncIterator<unknown>, type: string): Promise<Event[]> {
    const seen: Event[] = [];
    for (;;) {
      const { done, value } = await iterator.next();
      if (done) return seen;
      seen.push(value as Event);
      if ((value as Event).type === type) return seen;
    }
  }

  /** Runs `fn` with the instrumentation on a provider of its own that batches, as in production. */
  async function withBatchingProvider(fn: (shutdown: () => Promise<ReadableSpan[]>) => Promise<void>): Promise<void> {
    // (InMemorySpanExporter forgets its spans when it is shut down.)
    const exported: ReadableSpan[] = [];
    const exporter: SpanExporter = {
      export: (spans, done) => {
        exported.push(...spans);
        done({ code: ExportResultCode.SUCCESS });
      },
      shutdown: async () => {},
    };
    const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter })] });
    instrumentation.setTracerProvider(provider);
    try {
      await fn(async () => {
        await provider.shutdown();
        return exported;
      });
    } finally {
      instrumentation.setTracerProvider(tracerProvider);
    }
  }

  for (const [terminal, model, status, errorType] of [
    ['response.completed', 'm', SpanStatusCode.OK, undefined],
    ['response.incomplete', 'incomplete', SpanStatusCode.OK, undefined],
    ['response.failed', 'fail', SpanStatusCode.ERROR, 'server_error'],
  ] as const) {
    it(`next() by hand until ${terminal}, then a shutdown right away: the span is exported, stream_completed`, async () => {
      await withBatchingProvider(async (shutdown) => {
        const stream = await client().responses.create({ model, input: 'hi', stream: true }, scenario('deltas=3'));
        const iterator = stream[Symbol.asyncIterator]();
        const seen = await pullUntil(iterator, terminal);
        assert.equal(seen[seen.length - 1]?.type, terminal);
        const spans = await shutdown();
        assert.equal(spans.length, 1, 'exported by the shutdown, with no return() and no GC');
        const [span] = spans;
        assert.equal(span.status.code, status);
        assert.equal(span.attributes['error.type'], errorType);
        assert.equal(span.attributes['bud.inference.stream_completed'], true);
        assert.equal(span.attributes['bud.inference.chunks'], seen.length);
      });
    });
  }

  it('a later next(), return() or abort changes nothing', async () => {
    const stream = await client().responses.create({ model: 'm', input: 'hi', stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    const seen = await pullUntil(iterator, 'response.completed');
    const deliveredAt = performance.timeOrigin + performance.now();
    await waitFor(() => instrumentedSpans().length === 1, 2000, 'the span to end at the terminal event');
    const span = onlySpan();
    assert.ok(endMs(span) <= deliveredAt + 1, 'ended when the event was handed over');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await iterator.next()).done, true);
    await iterator.return?.();
    stream.controller.abort();
    await new Promise((r) => setImmediate(r));
    assert.equal(instrumentedSpans().length, 1);
    assert.equal(endCount(span), 1);
    assert.equal(span.status.code, SpanStatusCode.OK);
    assert.equal(span.attributes['bud.inference.chunks'], seen.length);
    assert.equal(endMs(span), endMs(onlySpan()));
  });
});

describe('aborts', () => {
  it('an abort while nobody pulls the stream ends the span at the abort, without a GC', async () => {
    const controller = new AbortController();
    const model = `abort-idle-${Date.now()}`;
    const stream = await client().responses.create(
      { model, input: 'hi', stream: true },
      { ...scenario('delay=40,deltas=30'), signal: controller.signal },
    );
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.done, false);
    const firstSeenAt = performance.timeOrigin + performance.now();
    // Stop pulling, abort, and never call next() or return() again.
    controller.abort();
    const abortedAt = performance.timeOrigin + performance.now();
    await waitFor(() => instrumentedSpans().length === 1, 2000, 'the span to end without a GC');
    const span = onlySpan();
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.attributes['error.type'], undefined);
    assert.equal(span.attributes['bud.inference.stream_completed'], false);
    assert.ok(endMs(span) >= firstSeenAt - 1, 'the span does not end before an event it counted');
    assert.ok(endMs(span) <= abortedAt + 50, 'the span ends at the abort');
    const [point] = points(metric(await collectMetrics(), 'gen_ai.client.operation.duration'), {
      'gen_ai.request.model': model,
    });
    const sum = (point.value as { sum: number }).sum;
    assert.ok(Math.abs(sum * 1000 - durationMs(span)) < 2, `duration metric ${sum * 1000} ms ~ span ${durationMs(span)} ms`);
    await waitFor(() => gateway().streamStats.some((s) => s.closedByClient), 2000, 'the server to see the close');
  });

  it('the abort listener goes when the call ends', async () => {
    const stream = await client().responses.create({ model: 'm', input: 'hi', stream: true });
    const signal = stream.controller.signal;
    assert.ok(getEventListeners(signal, 'abort').length >= 1, 'listening while the stream is open');
    const before = getEventListeners(signal, 'abort').length;
    for await (const e of stream) void e;
    await theSpan();
    assert.equal(getEventListeners(signal, 'abort').length, before - 1);
  });

  it('an abort before the headers is the user\'s choice: UNSET, no error.type', async () => {
    const controller = new AbortController();
    const pending = client().responses.create({ model: 'm', input: 'x' }, { ...scenario('hang_headers=2000'), signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const err = await pending.then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.equal((err as Error).constructor.name, 'APIUserAbortError');
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.attributes['error.type'], undefined);
  });
});

describe('calls ended by garbage collection', () => {
  it('a stream dropped mid-way ends no earlier than its last event; the metric agrees with the span', async () => {
    const model = `gc-${Date.now()}`;
    let lastEventAt = 0;
    await (async () => {
      const stream = await client().responses.create({ model, input: 'hi', stream: true }, scenario('delay=5,deltas=30'));
      const iterator = stream[Symbol.asyncIterator]();
      await iterator.next();
      await new Promise((r) => setTimeout(r, 30));
      // The event is seen once this next() is called, not before.
      lastEventAt = performance.timeOrigin + performance.now();
      await iterator.next();
    })();
    await collectUntil(() => instrumentedSpans().length > 0, 'the dropped stream\'s span');
    const span = onlySpan();
    assert.equal(span.attributes['bud.inference.chunks'], 2);
    assert.ok(endMs(span) >= lastEventAt - 2, `end ${endMs(span)} is not before the last event ${lastEventAt}`);
    const [point] = points(metric(await collectMetrics(), 'gen_ai.client.operation.duration'), {
      'gen_ai.request.model': model,
    });
    const sum = (point.value as { sum: number }).sum;
    assert.ok(Math.abs(sum * 1000 - durationMs(span)) < 2, `duration metric ${sum * 1000} ms ~ span ${durationMs(span)} ms`);
  });

  it('responses.parse(): the derived promise alone keeps the call alive until its body', async () => {
    const parsed = client().responses.parse({ model: 'parse-gc', input: 'hi' }, scenario('hang_headers=150'));
    await waitFor(() => gateway().requests.length === 1, 2000, 'the request');
    for (let i = 0; i < 5; i++) {
      global.gc!();
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(instrumentedSpans().length, 0, 'no early end while the application holds the parse() promise');
    const result = await parsed;
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.OK);
    assert.equal(span.attributes['gen_ai.response.id'], result.id);
  });
});

describe('reading back a stored response', () => {
  it('retrieve of a response whose status is failed is an OK retrieve', async () => {
    const openai = client();
    const created = await openai.responses.create({ model: 'm', input: 'x', store: true }, scenario('fail'));
    assert.equal(created.status, 'failed');
    await waitFor(() => instrumentedSpans().length === 1);
    const read = await openai.responses.retrieve(created.id);
    assert.equal(read.status, 'failed');
    await waitFor(() => instrumentedSpans().length === 2);
    const span = instrumentedSpans()[1];
    assert.equal(span.name, 'responses.retrieve');
    assert.notEqual(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], undefined);
    assert.equal(span.attributes['gen_ai.response.status'], 'failed');
  });
});

describe('the caller gets what the layer beneath returned', () => {
  /** A wrapper installed beneath us that hooks the APIPromise it returns, as vendor SDKs do. */
  function innerWrapper(proto: { create: (...args: unknown[]) => unknown }) {
    const original = proto.create;
    const returned: unknown[] = [];
    let consumed = 0;
    proto.create = function (this: unknown, ...args: unknown[]) {
      const p = original.apply(this, args) as Promise<unknown>;
      returned.push(p);
      const then = p.then;
      Object.defineProperty(p, 'then', {
        configurable: true,
        writable: true,
        value(this: Promise<unknown>, ...a: Parameters<Promise<unknown>['then']>) {
          consumed++;
          return then.apply(this, a);
        },
      });
      return p;
    };
    return { returned, consumed: () => consumed, restore: () => (proto.create = original) };
  }

  it('create() returns the inner object, whose own hooks see the consumption', async () => {
    const proto = (OpenAI as unknown as { Responses: { prototype: { create: (...args: unknown[]) => unknown } } }).Responses
      .prototype;
    instrumentation.disable();
    const inner = innerWrapper(proto);
    instrumentation.enable();
    try {
      const p = client().responses.create({ model: 'm', input: 'hi' });
      assert.equal(p, inner.returned[0], 'the caller holds the object the inner layer returned');
      const r = await p;
      assert.equal(r.object, 'response');
      assert.ok(inner.consumed() >= 1, 'the inner layer saw the await');
      assert.equal((await theSpan()).status.code, SpanStatusCode.OK);
    } finally {
      instrumentation.disable();
      inner.restore();
      instrumentation.enable();
    }
  });
});

describe('unhandled rejections are the application\'s', () => {
  const run = (instrumented: boolean) => runFixture('lifecycle/never-awaited.cjs', { INSTRUMENTED: instrumented ? '1' : '' });

  it('a failing call the application never awaits surfaces as it would without us, and its span ends ERROR', async () => {
    const [bare, traced] = await Promise.all([run(false), run(true)]);
    const bareReport = JSON.parse(bare.stdout.trim().split('\n').pop() ?? '{}');
    const tracedReport = JSON.parse(traced.stdout.trim().split('\n').pop() ?? '{}');
    assert.equal(bareReport.unhandled, 'InternalServerError', `without us: ${bare.stdout} ${bare.stderr}`);
    assert.equal(tracedReport.unhandled, 'InternalServerError', `with us: ${traced.stdout} ${traced.stderr}`);
    assert.deepEqual(tracedReport.spans, [{ name: 'responses', status: SpanStatusCode.ERROR, errorType: 'InternalServerError' }]);
  });
});
