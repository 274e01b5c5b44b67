/*
 * The OpenAI Agents SDK (@openai/agents) driving the Responses API through a real openai client
 * against the embedded gateway: one agent with one function tool, so a run is a real tool round
 * trip (a `function_call` answer, then a text answer after the `function_call_output`).
 *
 * What the span must say follows docs/TELEMETRY.md §2/§6: the Agents SDK reads streams its own way (it
 * throws inside its `for await` right after a `response.failed` / `response.incomplete` event, so
 * the stream is closed with `return()` and no further `next()`), and what the application was
 * shown decides the status. The SDK's results (final output, events, thrown errors) must be the
 * same with and without the instrumentation (docs/TELEMETRY.md §8).
 */
import * as assert from 'node:assert/strict';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { z } from 'zod';
import type * as AgentsModule from '@openai/agents';
import { client, gateway, instrumentedSpans, waitFor } from './harness';
import { capturingConsole } from './console-capture';
import { countInputTokens, FUNCTION_ARGUMENTS, type JsonRecord } from '../gateway/server';
import { assertChildOf, offThenOn, skipUnlessOpenAI7, underParent, type Outcome } from './library-helpers';

type Agents = typeof AgentsModule;

const QUESTION = 'What is the weather in Paris?';
/** What the tool returns for FUNCTION_ARGUMENTS, and so what the gateway echoes in the final answer. */
const TOOL_RESULT = 'Sunny in Paris, 21 celsius';
const FINAL_TEXT = `Echo: ${TOOL_RESULT}`;

describe('with @openai/agents (Agents SDK 0.20, Responses model)', function () {
  let agents: Agents;
  let toolCalls: string[] = [];

  before(async function () {
    // @openai/agents requires openai 7 (see skipUnlessOpenAI7).
    skipUnlessOpenAI7(this, '@openai/agents');
    agents = await import('@openai/agents');
    // The Agents SDK's own trace export would try to reach api.openai.com: off.
    agents.setTracingDisabled(true);
    agents.setDefaultOpenAIClient(client() as unknown as Parameters<Agents['setDefaultOpenAIClient']>[0]);
    agents.setOpenAIAPI('responses');
  });

  beforeEach(() => {
    toolCalls = [];
  });

  function weatherAgent(model: string): AgentsModule.Agent {
    const getWeather = agents.tool({
      name: 'get_weather',
      description: 'The weather of a city',
      parameters: z.object({ location: z.string(), unit: z.string() }),
      execute: async ({ location, unit }) => {
        toolCalls.push(JSON.stringify({ location, unit }));
        return `Sunny in ${location}, 21 ${unit}`;
      },
    });
    return new agents.Agent({ name: 'Weather', instructions: 'Answer with the tool.', model, tools: [getWeather] });
  }

  function byStart(spans: ReadableSpan[]): ReadableSpan[] {
    return [...spans].sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  }

  /** Token attributes equal the usage the gateway computed for the request it received. */
  function assertTokens(span: ReadableSpan, requestIndex: number, outputTokens: number): void {
    const body = gateway().requests.filter((r) => r.path === '/v1/responses')[requestIndex]?.body as JsonRecord;
    const input = countInputTokens(body);
    assert.equal(span.attributes['gen_ai.usage.input_tokens'], input, `${span.name}: input tokens`);
    assert.equal(span.attributes['gen_ai.usage.output_tokens'], outputTokens, `${span.name}: output tokens`);
    assert.equal(span.attributes['gen_ai.usage.total_tokens'], input + outputTokens, `${span.name}: total tokens`);
  }

  /** The token usage the Agents SDK read from each response. */
  function usageOf(responses: Array<{ usage: { inputTokens: number; outputTokens: number; totalTokens: number } }>): string[] {
    return responses.map((r) => `${r.usage.inputTokens}+${r.usage.outputTokens}=${r.usage.totalTokens}`);
  }

  describe('plain run (tool round trip)', () => {
    async function plainRun(): Promise<{ finalOutput: unknown; responseIds: Array<string | undefined>; tools: string[]; usage: string[] }> {
      const result = await agents.run(weatherAgent('gpt-test'), QUESTION);
      return {
        finalOutput: result.finalOutput,
        responseIds: result.rawResponses.map((r) => r.responseId),
        tools: toolCalls.splice(0),
        usage: usageOf(result.rawResponses),
      };
    }

    it('makes one OK span per Responses call, children of the caller, with tokens', async () => {
      const { result, parent } = await underParent(plainRun);
      assert.equal(result.finalOutput, FINAL_TEXT);
      assert.deepEqual(result.tools, [FUNCTION_ARGUMENTS]);
      assert.equal(gateway().requests.length, 2, 'two Responses calls');

      const spans = byStart(instrumentedSpans());
      assert.deepEqual(spans.map((s) => s.name), ['responses', 'responses']);
      spans.forEach((s) => assertChildOf(s, parent));
      spans.forEach((s) => assert.equal(s.status.code, SpanStatusCode.OK, `${s.name}: status`));
      spans.forEach((s) => assert.equal(s.attributes['error.type'], undefined));
      assert.deepEqual(spans[0].attributes['gen_ai.response.finish_reasons'], ['tool_call']);
      assert.deepEqual(spans[1].attributes['gen_ai.response.finish_reasons'], ['stop']);
      assert.deepEqual(
        spans.map((s) => s.attributes['gen_ai.response.id']),
        result.responseIds,
        'the response ids the Agents SDK saw',
      );
      // Default scenario: 3 deltas, so 3 output tokens for the function call and for the text.
      assertTokens(spans[0], 0, 3);
      assertTokens(spans[1], 1, 3);
    });

    it('the run gives the same result with and without the instrumentation', async () => {
      const { off, on } = await offThenOn(plainRun);
      assert.equal(on.ok && on.value.finalOutput, FINAL_TEXT);
      const strip = (o: Outcome<{ finalOutput: unknown; tools: string[]; usage: string[] }>) =>
        o.ok ? { finalOutput: o.value.finalOutput, tools: o.value.tools, usage: o.value.usage } : o;
      assert.deepEqual(strip(on), strip(off));
    });
  });

  describe('streamed run', () => {
    interface StreamedResult {
      finalOutput: unknown;
      events: string[];
      /** The text deltas, as the SDK passed them on. */
      text: string;
      usage: string[];
      cancelled: boolean;
      error: string | null;
      tools: string[];
    }

    /** A streamed run read to its end; `abortAtFirstText` aborts the signal at the first text delta. */
    async function streamedRun(model: string, abortAtFirstText = false): Promise<StreamedResult> {
      const controller = new AbortController();
      // Without "weather" the gateway answers with text at once (one Responses call).
      const input = abortAtFirstText ? 'Hello there' : QUESTION;
      const result = await agents.run(weatherAgent(model), input, { stream: true, signal: controller.signal });
      const events: string[] = [];
      let text = '';
      for await (const event of result) {
        if (event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta') text += event.data.delta;
        const detail =
          event.type === 'raw_model_stream_event'
            ? event.data.type
            : event.type === 'run_item_stream_event'
              ? event.name
              : event.agent.name;
        events.push(`${event.type}:${detail}`);
        if (abortAtFirstText && event.type === 'raw_model_stream_event' && event.data.type === 'output_text_delta') {
          controller.abort();
        }
      }
      await result.completed;
      return {
        finalOutput: result.finalOutput,
        events,
        text,
        usage: usageOf(result.rawResponses),
        cancelled: result.cancelled,
        error: result.error === null ? null : String(result.error),
        tools: toolCalls.splice(0),
      };
    }

    it('makes one OK streaming span per Responses call, stream completed, with tokens', async () => {
      const { result, parent } = await underParent(() => streamedRun('gpt-test'));
      assert.equal(result.finalOutput, FINAL_TEXT);
      const spans = byStart(instrumentedSpans());
      assert.deepEqual(spans.map((s) => s.name), ['responses.stream', 'responses.stream']);
      spans.forEach((s) => assertChildOf(s, parent));
      for (const s of spans) {
        assert.equal(s.status.code, SpanStatusCode.OK, `${s.name}: status`);
        assert.equal(s.attributes['bud.inference.stream_completed'], true);
        assert.equal(s.attributes['error.type'], undefined);
      }
      assert.deepEqual(spans[0].attributes['gen_ai.response.finish_reasons'], ['tool_call']);
      assert.deepEqual(spans[1].attributes['gen_ai.response.finish_reasons'], ['stop']);
      assertTokens(spans[0], 0, 3);
      assertTokens(spans[1], 1, 3);
    });

    it('the streamed run gives the same events and result with and without the instrumentation', async () => {
      const { off, on } = await offThenOn(() => streamedRun('gpt-test'));
      assert.ok(on.ok && on.value.events.length > 10, 'events were streamed');
      assert.deepEqual(on, off);
    });

    it('a streamed response.failed: the SDK throws right after the event; the span is ERROR with the code', async () => {
      const { off, on } = await offThenOn(() => streamedRun('fail'));
      assert.deepEqual(on, off, 'the same error with and without the instrumentation');
      assert.ok(!on.ok);
      assert.equal(on.error.class, 'ModelBehaviorError');
      assert.match(on.error.message, /response\.failed/);

      const spans = instrumentedSpans();
      assert.equal(spans.length, 1);
      const span = spans[0];
      assert.equal(span.name, 'responses.stream');
      assert.equal(span.status.code, SpanStatusCode.ERROR, 'status');
      assert.equal(span.attributes['error.type'], 'server_error', 'error.type');
      assert.equal(span.attributes['bud.inference.stream_completed'], true, 'the terminal event reached the SDK');
      assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], ['error']);
    });

    it('a streamed response.incomplete: the SDK throws right after the event; the span is OK', async () => {
      const { off, on } = await offThenOn(() => streamedRun('incomplete'));
      assert.deepEqual(on, off, 'the same error with and without the instrumentation');
      assert.ok(!on.ok);
      assert.equal(on.error.class, 'ModelBehaviorError');
      assert.match(on.error.message, /response\.incomplete/);

      const spans = instrumentedSpans();
      assert.equal(spans.length, 1);
      const span = spans[0];
      assert.equal(span.status.code, SpanStatusCode.OK, 'status');
      assert.equal(span.attributes['error.type'], undefined, 'error.type');
      assert.equal(span.attributes['bud.inference.stream_completed'], true, 'the terminal event reached the SDK');
      assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], ['length']);
    });

    it('an abort mid-stream: the request is closed, the span ends UNSET, stream not completed', async () => {
      const model = 'scenario:delay=50,deltas=20';
      // Reading finalOutput of a cancelled run makes the SDK warn, once per run (off and on).
      const { result: { off, on }, lines } = await capturingConsole(['warn'], () => offThenOn(() => streamedRun(model, true)));
      assert.deepEqual(lines, ['Accessed finalOutput before agent run is completed.', 'Accessed finalOutput before agent run is completed.']);
      assert.ok(on.ok && on.value.cancelled, 'the run reports itself cancelled');
      assert.deepEqual(on, off, 'the same result with and without the instrumentation');
      await waitFor(() => gateway().streamStats.length === 1 && gateway().streamStats[0].closedByClient, 3000, 'the close');

      await waitFor(() => instrumentedSpans().length > 0, 3000, 'the span');
      const spans = instrumentedSpans();
      assert.equal(spans.length, 1);
      const span = spans[0];
      assert.equal(span.status.code, SpanStatusCode.UNSET, 'status');
      assert.equal(span.attributes['error.type'], undefined, 'error.type');
      assert.equal(span.attributes['bud.inference.stream_completed'], false);
    });
  });

  it('an abort while waiting for the headers (a stop button): UNSET, no error.type, same APIUserAbortError', async () => {
    async function abortedRun(): Promise<unknown> {
      const controller = new AbortController();
      const before = gateway().requests.length;
      const run = agents.run(weatherAgent('scenario:hang_headers=5000'), QUESTION, { signal: controller.signal });
      await waitFor(() => gateway().requests.length > before, 3000, 'the request');
      controller.abort();
      return run;
    }
    const { off, on } = await offThenOn(abortedRun);
    assert.deepEqual(on, off, 'the same error with and without the instrumentation');
    assert.ok(!on.ok);
    assert.equal(on.error.class, 'APIUserAbortError');

    await waitFor(() => instrumentedSpans().length > 0, 3000, 'the span');
    const spans = instrumentedSpans();
    assert.equal(spans.length, 1);
    assert.equal(spans[0].name, 'responses');
    assert.equal(spans[0].status.code, SpanStatusCode.UNSET, 'status: the user stopped it');
    assert.equal(spans[0].attributes['error.type'], undefined, 'error.type');
  });
});
