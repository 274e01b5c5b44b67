/*
 * Streaming: every exit of a stream ends the span exactly once with the right status
 * (docs/TELEMETRY.md §6), the SDK's Stream / APIPromise / ResponseStream keep working, and the
 * application receives exactly what it would uninstrumented.
 */
import * as assert from 'node:assert/strict';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import {
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
  collectUntil,
  endCount,
  OPENAI_VERSION,
} from './harness';
import { capturingConsole } from './console-capture';

const OPENAI_MAJOR = Number(OPENAI_VERSION.split('.')[0]);

type Event = { type: string; [k: string]: unknown };

async function consume(stream: AsyncIterable<unknown>): Promise<Event[]> {
  const events: Event[] = [];
  for await (const e of stream) events.push(e as Event);
  return events;
}

/** Resolves to the error an async function throws. */
async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return assert.fail('expected a rejection');
}

/**
 * The one span of the test, once exported, after checking that `end()` was called on it exactly
 * once (the harness counts the calls; an `end()` coming later still fails the test's afterEach).
 */
async function theSpan(): Promise<ReadableSpan> {
  await waitFor(() => instrumentedSpans().length > 0, 3000, 'the span');
  const span = onlySpan();
  assert.equal(endCount(span), 1, 'end() called exactly once on the span');
  return span;
}

/** Runs the same stream with the instrumentation disabled: what the application would get. */
async function bareEvents(make: () => Promise<AsyncIterable<unknown>>): Promise<Event[]> {
  instrumentation.disable();
  try {
    return await consume(await make());
  } finally {
    instrumentation.enable();
  }
}

describe('streaming responses.create()', () => {
  it('natural end: span "responses.stream", OK, chunks, TTFT, usage from response.completed', async () => {
    const openai = client();
    const events = await consume(await openai.responses.create({ model: 'stream-model', input: 'hi', stream: true }));
    const completed = events[events.length - 1] as Event & { response: { id: string; model: string; usage: { input_tokens: number; output_tokens: number } } };
    assert.equal(completed.type, 'response.completed');
    const span = await theSpan();
    assert.equal(span.name, 'responses.stream');
    assert.equal(span.status.code, SpanStatusCode.OK);
    const a = span.attributes;
    assert.equal(a['bud.inference.stream'], true);
    assert.equal(a['gen_ai.request.stream'], true);
    assert.equal(a['bud.inference.chunks'], events.length);
    assert.equal(a['bud.inference.stream_completed'], true);
    assert.equal(typeof a['bud.inference.ttft_ms'], 'number');
    assert.ok((a['bud.inference.ttft_ms'] as number) >= 0);
    assert.equal(a['gen_ai.response.time_to_first_chunk'], (a['bud.inference.ttft_ms'] as number) / 1000);
    assert.equal(a['gen_ai.response.id'], completed.response.id);
    assert.equal(a['gen_ai.response.model'], completed.response.model);
    assert.equal(a['gen_ai.usage.input_tokens'], completed.response.usage.input_tokens);
    assert.equal(a['gen_ai.usage.output_tokens'], completed.response.usage.output_tokens);
    assert.deepEqual(a['gen_ai.response.finish_reasons'], ['stop']);
    assert.equal(gateway().streamStats[0].finished, true);

    const ttfc = points(metric(await collectMetrics(), 'gen_ai.client.operation.time_to_first_chunk'), {
      'gen_ai.request.model': 'stream-model',
    });
    assert.equal(ttfc.length, 1);
    assert.equal((ttfc[0].value as { count: number }).count, 1);
  });

  it('streaming and non-streaming spans carry the same response attributes', async () => {
    const openai = client();
    await openai.responses.create({ model: 'same', input: 'q' });
    await consume(await openai.responses.create({ model: 'same', input: 'q', stream: true }));
    await waitFor(() => instrumentedSpans().length === 2);
    const [plain, streamed] = instrumentedSpans();
    const keys = (s: ReadableSpan) =>
      Object.keys(s.attributes)
        .filter((k) => !k.startsWith('bud.inference.ttft') && !k.startsWith('bud.gateway.') && !['bud.inference.chunks', 'bud.inference.stream_completed', 'gen_ai.request.stream', 'gen_ai.response.time_to_first_chunk'].includes(k))
        .sort();
    assert.deepEqual(keys(streamed), keys(plain));
  });

  it('the application receives exactly the events it would uninstrumented (unknown types included)', async () => {
    const make = () =>
      client().responses.create({ model: 'm', input: 'same input', stream: true }, scenario('unknown_events,deltas=5'));
    const traced = await consume(await make());
    const bare = await bareEvents(make);
    const shape = (evs: Event[]) => evs.map((e) => `${e.type}:${(e as { delta?: string }).delta ?? ''}`);
    assert.deepEqual(shape(traced), shape(bare));
    assert.ok(traced.some((e) => e.type === 'response.future_thing'));
    assert.equal((await theSpan()).attributes['bud.inference.chunks'], traced.length);
  });

  it('break: span ends UNSET, not completed, and the HTTP request is cancelled', async () => {
    const stream = await client().responses.create(
      { model: 'm', input: 'x', stream: true },
      scenario('deltas=50,delay=20'),
    );
    let n = 0;
    for await (const _event of stream) {
      if (++n === 2) break;
    }
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.attributes['bud.inference.stream_completed'], false);
    assert.equal(span.attributes['bud.inference.chunks'], 2);
    assert.equal(span.attributes['error.type'], undefined);
    await waitFor(() => gateway().streamStats[0]?.closedByClient === true, 3000, 'the server to see the close');
    assert.ok(gateway().streamStats[0].eventsWritten < 20, `server wrote ${gateway().streamStats[0].eventsWritten} events`);
  });

  it('controller.abort(): span ends UNSET', async () => {
    const stream = await client().responses.create({ model: 'm', input: 'x', stream: true }, scenario('deltas=50,delay=10'));
    let n = 0;
    for await (const _event of stream) {
      if (++n === 3) stream.controller.abort();
    }
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.attributes['bud.inference.stream_completed'], false);
  });

  it('an AbortSignal in the request options: span ends UNSET', async () => {
    const ac = new AbortController();
    const stream = await client().responses.create(
      { model: 'm', input: 'x', stream: true },
      { ...scenario('deltas=50,delay=10'), signal: ac.signal },
    );
    let n = 0;
    for await (const _event of stream) {
      if (++n === 3) ac.abort();
    }
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.attributes['bud.inference.stream_completed'], false);
  });

  it('HTTP error on a streaming request: same error, span ERROR', async () => {
    const err = await rejection(() =>
      client().responses.create({ model: 'm', input: 'x', stream: true }, scenario('status=500')),
    );
    assert.equal((err as Error).constructor.name, 'InternalServerError');
    const span = await theSpan();
    assert.equal(span.name, 'responses.stream');
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], 'InternalServerError');
  });

  it('mid-stream connection drop: the app gets the error, span ERROR, no unhandled rejection', async () => {
    const stream = await client().responses.create({ model: 'm', input: 'x', stream: true }, scenario('drop_after=3'));
    const got: Event[] = [];
    const err = await rejection(async () => {
      for await (const e of stream) got.push(e as unknown as Event);
    });
    assert.ok(err instanceof Error);
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    // openai 5+ (undici): a TypeError ('terminated'); openai 4 (node-fetch): a plain Error with
    // the code ERR_STREAM_PREMATURE_CLOSE, so error.type is that code.
    if (OPENAI_MAJOR === 4) {
      assert.equal((err as { code?: unknown }).code, 'ERR_STREAM_PREMATURE_CLOSE');
      assert.equal(span.attributes['error.type'], 'ERR_STREAM_PREMATURE_CLOSE');
    } else {
      assert.equal((err as Error).constructor, TypeError);
      assert.equal(span.attributes['error.type'], 'TypeError');
    }
    assert.equal(span.attributes['bud.inference.chunks'], got.length);
    assert.equal(span.attributes['bud.inference.stream_completed'], false);
  });

  it('response.failed: span ERROR with the error code, usage still recorded', async () => {
    const events = await consume(await client().responses.create({ model: 'm', input: 'x', stream: true }, scenario('fail')));
    assert.equal(events[events.length - 1].type, 'response.failed');
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], 'server_error');
    assert.equal(span.attributes['gen_ai.response.status'], 'failed');
    assert.equal(typeof span.attributes['gen_ai.usage.input_tokens'], 'number');
  });

  it('response.incomplete: finish reason length, incomplete reason', async () => {
    await consume(await client().responses.create({ model: 'm', input: 'x', stream: true }, scenario('incomplete')));
    const span = await theSpan();
    assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], ['length']);
    assert.equal(span.attributes['bud.inference.response.incomplete_reason'], 'max_output_tokens');
    assert.equal(span.attributes['bud.inference.stream_completed'], true);
  });

  it('an SSE error event: the app sees what the SDK gives it; span ERROR with the event code', async () => {
    const make = () => client().responses.create({ model: 'm', input: 'x', stream: true }, scenario('error_event'));
    let err: unknown;
    try {
      await consume(await make());
    } catch (e) {
      err = e;
    }
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    // openai 7 throws an APIError with the event's code; 4 throws an APIError built from the
    // event's `error` field, which a Responses error event does not have (no code, no status);
    // 5 and 6 yield the error event to the application and throw nothing.
    if (OPENAI_MAJOR === 7) {
      assert.equal((err as Error).constructor.name, 'APIError');
      assert.equal((err as { code?: string }).code, 'rate_limit_exceeded');
      assert.equal(span.attributes['error.type'], 'rate_limit_exceeded');
    } else if (OPENAI_MAJOR === 4) {
      assert.equal((err as Error).constructor.name, 'APIError');
      assert.equal((err as { code?: string }).code, undefined);
      assert.equal(span.attributes['error.type'], 'APIError');
    } else {
      assert.equal(err, undefined);
      assert.equal(span.attributes['error.type'], 'rate_limit_exceeded');
    }
  });

  it('a stream that ends with no terminal event (Bud upstream failure): ERROR stream_truncated', async () => {
    const events = await consume(await client().responses.create({ model: 'm', input: 'x', stream: true }, scenario('end_after=4')));
    assert.equal(events.length, 4);
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], 'stream_truncated');
  });

  it('malformed JSON the client rejects: same SyntaxError, span ERROR', async () => {
    // The SDK logs the frame it could not parse (console in openai 4, the client's logger after).
    const { result: err, lines } = await capturingConsole(['error'], (logger) =>
      rejection(async () =>
        consume(await client({ logger } as never).responses.create({ model: 'm', input: 'x', stream: true }, scenario('malformed'))),
      ),
    );
    assert.equal(lines[0], 'Could not parse message into JSON:');
    assert.equal((err as Error).constructor, SyntaxError);
    const span = await theSpan();
    assert.equal(span.attributes['error.type'], 'SyntaxError');
  });

  it('a tool call stream records finish reason tool_call and the call names, never arguments', async () => {
    await consume(await client().responses.create({ model: 'm', input: 'x', stream: true }, scenario('tool_call')));
    const a = (await theSpan()).attributes;
    assert.deepEqual(a['gen_ai.response.finish_reasons'], ['tool_call']);
    const calls = JSON.parse(a['bud.inference.response.tool_calls'] as string) as Array<{ type: string; name: string; call_id: string }>;
    assert.equal(calls[0].type, 'function_call');
    assert.equal(typeof calls[0].name, 'string');
    assert.ok(!String(a['bud.inference.response.tool_calls']).includes('arguments'));
  });

  it('tee(): both branches get every event, one span ends when the source ends', async () => {
    const stream = await client().responses.create({ model: 'm', input: 'x', stream: true }, scenario('deltas=4'));
    const [left, right] = stream.tee();
    const [a, b] = await Promise.all([consume(left), consume(right)]);
    assert.deepEqual(a, b);
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.OK);
    assert.equal(span.attributes['bud.inference.chunks'], a.length);
  });

  it('tee() and both branches stop early: span UNSET', async () => {
    await (async () => {
      const stream = await client().responses.create({ model: 'm', input: 'x', stream: true }, scenario('deltas=50,delay=10'));
      const [left, right] = stream.tee();
      for await (const _e of left) break;
      for await (const _e of right) break;
    })();
    // openai 7 cancels the source when both branches stop; 4-6 leave it open, and the span ends
    // when the dropped branches are collected.
    await collectUntil(() => instrumentedSpans().length > 0, 'the span of the dropped tee branches');
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.attributes['bud.inference.stream_completed'], false);
  });

  it('toReadableStream(): reading it to the end ends the span OK', async () => {
    const stream = await client().responses.create({ model: 'm', input: 'x', stream: true });
    const reader = stream.toReadableStream().getReader();
    let chunks = 0;
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
      chunks++;
    }
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.OK);
    assert.equal(span.attributes['bud.inference.chunks'], chunks);
  });

  it('withResponse() on a streaming create gives the Stream and the Response', async () => {
    const { data, response } = await client().responses.create({ model: 'm', input: 'x', stream: true }).withResponse();
    assert.equal(response.headers.get('content-type')?.startsWith('text/event-stream'), true);
    assert.equal(typeof data.controller.abort, 'function');
    const events = await consume(data);
    const span = await theSpan();
    assert.equal(span.attributes['bud.inference.chunks'], events.length);
    assert.equal(span.status.code, SpanStatusCode.OK);
  });

  it('a stream that is never read ends its span when the Stream is garbage collected', async () => {
    assert.equal(typeof global.gc, 'function', 'mocha runs with --expose-gc (.mocharc.yml)');
    await (async () => {
      const stream = await client().responses.create({ model: 'unread', input: 'x', stream: true }, scenario('deltas=2'));
      assert.equal(typeof stream.controller, 'object');
    })();
    await collectUntil(() => instrumentedSpans().length > 0, 'the span of the unread, dropped Stream');
    const span = await theSpan();
    assert.equal(span.attributes['gen_ai.request.model'], 'unread');
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.attributes['bud.inference.stream_completed'], false);
    assert.equal(span.attributes['bud.inference.chunks'], 0);
  });

  it('a stream being read is not ended by GC of the Stream object', async () => {
    const iterator = (await client().responses.create({ model: 'm', input: 'x', stream: true }, scenario('deltas=6,delay=10')))[
      Symbol.asyncIterator
    ]();
    let n = 0;
    for (;;) {
      const { done } = await iterator.next();
      if (done) break;
      if (++n % 3 === 0) global.gc!();
    }
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.OK);
    assert.equal(span.attributes['bud.inference.stream_completed'], true);
  });
});

describe('responses.stream() helper', () => {
  it('one span; finalResponse() and on(...) keep working', async () => {
    const deltas: string[] = [];
    const runner = client().responses.stream({ model: 'helper', input: 'x' });
    runner.on('response.output_text.delta', (e: { delta: string }) => deltas.push(e.delta));
    const final = await runner.finalResponse();
    assert.equal(final.status, 'completed');
    assert.ok(deltas.length > 0);
    const span = await theSpan();
    assert.equal(span.name, 'responses.stream');
    assert.equal(span.status.code, SpanStatusCode.OK);
    assert.equal(span.attributes['gen_ai.response.id'], final.id);
  });

  it('abort() on the helper: span UNSET', async () => {
    const runner = client().responses.stream({ model: 'helper', input: 'x' }, scenario('deltas=50,delay=10'));
    let n = 0;
    const err = await rejection(async () => {
      for await (const _e of runner) {
        if (++n === 3) runner.abort();
      }
    });
    assert.equal((err as Error).constructor.name, 'APIUserAbortError', 'the helper reports its own abort');
    const span = await theSpan();
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.attributes['bud.inference.stream_completed'], false);
  });
});
