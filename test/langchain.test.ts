/*
 * LangChain's ChatOpenAI (@langchain/openai 1.6) with `useResponsesApi: true`, pointed at the
 * embedded gateway: invoke, stream, a stream aborted mid-way, withStructuredOutput.
 *
 * LangChain reads a stream by racing `next()` against the AbortSignal; on abort it throws its
 * AbortError and never calls `return()` on the SDK stream. docs/TELEMETRY.md §6: the span ends when the
 * signal fires (UNSET, the user's choice), not when the stream is garbage-collected. The tests keep
 * a reference to everything LangChain handed out, so only the abort itself can end the span.
 */
import * as assert from 'node:assert/strict';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { z } from 'zod';
import type * as LangChainOpenAI from '@langchain/openai';
import { API_KEY, gateway, instrumentedSpans, waitFor } from './harness';
import { countInputTokens, FUNCTION_ARGUMENTS, type JsonRecord } from '../gateway/server';
import { assertChildOf, hrNanos, offThenOn, outcome, skipUnlessOpenAI7, underParent, withoutInstrumentation } from './library-helpers';

describe('with @langchain/openai ChatOpenAI (useResponsesApi)', function () {
  let lc: typeof LangChainOpenAI;

  before(async function () {
    // @langchain/openai requires openai 7 (see skipUnlessOpenAI7).
    skipUnlessOpenAI7(this, '@langchain/openai');
    lc = await import('@langchain/openai');
  });

  function chat(model: string): LangChainOpenAI.ChatOpenAI {
    return new lc.ChatOpenAI({
      model,
      apiKey: API_KEY,
      configuration: { baseURL: `${gateway().url}/v1` },
      useResponsesApi: true,
      maxRetries: 0,
    });
  }

  function theOnlySpan(name: string): ReadableSpan {
    const spans = instrumentedSpans();
    assert.deepEqual(spans.map((s) => s.name), [name], 'one span of this package');
    return spans[0];
  }

  function assertTokens(span: ReadableSpan, outputTokens: number): void {
    const body = gateway().requests.filter((r) => r.path === '/v1/responses').at(-1)?.body as JsonRecord;
    const input = countInputTokens(body);
    assert.equal(span.attributes['gen_ai.usage.input_tokens'], input, 'input tokens');
    assert.equal(span.attributes['gen_ai.usage.output_tokens'], outputTokens, 'output tokens');
    assert.equal(span.attributes['gen_ai.usage.total_tokens'], input + outputTokens, 'total tokens');
  }

  async function invoke(model = 'gpt-test'): Promise<{ id: string | undefined; content: unknown; text: string; usage: unknown }> {
    const message = await chat(model).invoke('Hello');
    return { id: message.id, content: message.content, text: message.text, usage: message.usage_metadata };
  }

  it('invoke: one OK span, child of the caller, with tokens and the response id', async () => {
    const { result, parent } = await underParent(() => invoke());
    assert.equal(result.text, 'Echo: Hello');
    const span = theOnlySpan('responses');
    assertChildOf(span, parent);
    assert.equal(span.status.code, SpanStatusCode.OK);
    assert.equal(span.attributes['error.type'], undefined);
    assert.equal(span.attributes['gen_ai.response.id'], result.id);
    assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], ['stop']);
    assertTokens(span, 3);
  });

  it('invoke: the same message with and without the instrumentation', async () => {
    const { off, on } = await offThenOn(() => invoke());
    const strip = (o: typeof on) => (o.ok ? { ...o.value, id: typeof o.value.id } : o);
    assert.ok(on.ok);
    assert.deepEqual(strip(on), strip(off));
  });

  it('invoke of a failing call: the same error with and without; the span is ERROR with the status', async () => {
    const { off, on } = await offThenOn(() => invoke('fail-500'));
    assert.ok(!on.ok);
    assert.equal(on.error.class, 'InternalServerError');
    assert.deepEqual(on, off);
    const span = theOnlySpan('responses');
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], 'InternalServerError');
  });

  async function streamText(model = 'gpt-test'): Promise<{ chunks: number; text: string }> {
    const stream = await chat(model).stream('Hello');
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.text;
    }
    return { chunks, text };
  }

  it('stream: one OK streaming span, stream completed, with tokens', async () => {
    const { result, parent } = await underParent(() => streamText());
    assert.equal(result.text, 'Echo: Hello');
    const span = theOnlySpan('responses.stream');
    assertChildOf(span, parent);
    assert.equal(span.status.code, SpanStatusCode.OK);
    assert.equal(span.attributes['bud.inference.stream_completed'], true);
    assert.equal(span.attributes['error.type'], undefined);
    assertTokens(span, 3);
  });

  it('stream: the same chunks with and without the instrumentation', async () => {
    const { off, on } = await offThenOn(() => streamText());
    assert.ok(on.ok && on.value.chunks > 3);
    assert.deepEqual(on, off);
  });

  describe('stream with a signal aborted mid-stream', () => {
    const SLOW = 'scenario:delay=50,deltas=20';
    /** Everything LangChain handed out, kept alive so that garbage collection cannot end the span. */
    const kept: unknown[] = [];
    afterEach(() => {
      kept.length = 0;
    });

    async function abortedStream(): Promise<{ text: string }> {
      const controller = new AbortController();
      const stream = await chat(SLOW).stream('Hello', { signal: controller.signal });
      kept.push(stream, controller);
      let text = '';
      for await (const chunk of stream) {
        text += chunk.text;
        if (chunk.text !== '') controller.abort();
      }
      return { text };
    }

    it('LangChain throws the same AbortError with and without the instrumentation', async () => {
      const { off, on } = await offThenOn(abortedStream);
      assert.ok(!on.ok);
      assert.equal(on.error.name, 'AbortError');
      assert.deepEqual(on, off);
    });

    it('the span ends at the abort (no return(), no GC): UNSET, stream not completed, no error.type', async () => {
      const result = await outcome(abortedStream);
      assert.ok(!result.ok, 'aborted');
      await waitFor(() => gateway().streamStats[0]?.closedByClient === true, 3000, 'the request to close');
      await waitFor(() => instrumentedSpans().length > 0, 3000, 'the span to end while the stream is still referenced');
      const span = theOnlySpan('responses.stream');
      assert.equal(span.status.code, SpanStatusCode.UNSET, 'status');
      assert.equal(span.attributes['error.type'], undefined, 'error.type');
      assert.equal(span.attributes['bud.inference.stream_completed'], false);
      // The end time is not earlier than the first chunk the span counted.
      const ttftMs = span.attributes['bud.inference.ttft_ms'];
      assert.equal(typeof ttftMs, 'number', 'a first chunk was seen');
      const durationMs = Number(hrNanos(span.endTime) - hrNanos(span.startTime)) / 1e6;
      assert.ok(durationMs >= (ttftMs as number), `duration ${durationMs} ms >= ttft ${String(ttftMs)} ms`);
      assert.equal(kept.length, 2);
    });
  });

  it('withStructuredOutput (json_schema text format): the same object with and without; one OK span', async () => {
    const schema = z.object({ location: z.string(), unit: z.string() });
    const structured = () => chat('gpt-test').withStructuredOutput(schema).invoke('Where?');
    const off = await withoutInstrumentation(() => outcome(structured));
    gateway().reset();
    const { result: on, parent } = await underParent(() => outcome(structured));
    assert.deepEqual(on, { ok: true, value: JSON.parse(FUNCTION_ARGUMENTS) });
    assert.deepEqual(on, off);
    const request = gateway().requests.at(-1)?.body as { text?: { format?: { type?: string } } };
    assert.equal(request.text?.format?.type, 'json_schema', 'LangChain asked for structured output');
    const span = theOnlySpan('responses');
    assertChildOf(span, parent);
    assert.equal(span.status.code, SpanStatusCode.OK);
    assertTokens(span, 3);
  });
});
