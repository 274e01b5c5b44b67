/*
 * Non-streaming responses.create(), parse() and the APIPromise surface, driven through the real
 * openai client over HTTP against the embedded gateway (docs/TELEMETRY.md §2-§5, §7, §8).
 */
import * as assert from 'node:assert/strict';
import * as diagnostics from 'node:diagnostics_channel';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import OpenAI from 'openai';
import * as sinon from 'sinon';
import {
  API_KEY,
  client,
  collectMetrics,
  context,
  gateway,
  instrumentation,
  metric,
  onlySpan,
  points,
  scenario,
  testTracer,
  trace,
  waitFor,
  instrumentedSpans,
  collectUntil,
} from './harness';

describe('responses.create() (non-streaming)', () => {
  afterEach(() => instrumentation.setConfig({}));

  it('makes one CLIENT span named "responses" with the always-on, request and response attributes', async () => {
    const openai = client();
    const response = await openai.responses.create({
      model: 'model-basic',
      input: 'hello',
      temperature: 0.2,
      top_p: 0.5,
      max_output_tokens: 64,
      store: true,
    });
    const span = onlySpan();
    assert.equal(span.name, 'responses');
    assert.equal(span.kind, SpanKind.CLIENT);
    assert.equal(span.status.code, SpanStatusCode.OK);
    const a = span.attributes;
    assert.equal(a['gen_ai.system'], 'bud');
    assert.equal(a['gen_ai.provider.name'], 'bud');
    assert.equal(a['gen_ai.operation.name'], 'responses');
    assert.equal(a['bud.inference.operation'], 'responses');
    assert.equal(a['openai.api.type'], 'responses');
    assert.equal(a['bud.inference.stream'], false);
    assert.equal(a['gen_ai.request.stream'], undefined);
    assert.equal(a['server.address'], '127.0.0.1');
    assert.equal(a['server.port'], gateway().port);
    assert.equal(a['gen_ai.request.model'], 'model-basic');
    assert.equal(a['gen_ai.request.temperature'], 0.2);
    assert.equal(a['gen_ai.request.top_p'], 0.5);
    assert.equal(a['gen_ai.request.max_tokens'], 64);
    assert.equal(a['bud.inference.request.store'], true);
    assert.equal(a['gen_ai.response.id'], response.id);
    assert.equal(a['gen_ai.response.model'], response.model);
    assert.equal(a['gen_ai.response.status'], 'completed');
    assert.equal(a['gen_ai.response.created'], response.created_at);
    assert.equal(a['gen_ai.usage.input_tokens'], response.usage?.input_tokens);
    assert.equal(a['gen_ai.usage.output_tokens'], response.usage?.output_tokens);
    assert.equal(a['gen_ai.usage.total_tokens'], response.usage?.total_tokens);
    assert.deepEqual(a['gen_ai.response.finish_reasons'], ['stop']);
    assert.equal(a['error.type'], undefined);
    assert.equal(a['bud.inference.response.output_text'], undefined, 'content is off by default');
  });

  it('records cached and reasoning tokens', async () => {
    const openai = client();
    const r = await openai.responses.create({ model: 'model-reason', input: 'think', reasoning: { effort: 'low' } });
    const a = onlySpan().attributes;
    assert.ok((r.usage?.output_tokens_details?.reasoning_tokens ?? 0) > 0, 'gateway reports reasoning tokens');
    assert.equal(a['gen_ai.usage.reasoning.output_tokens'], r.usage?.output_tokens_details?.reasoning_tokens);
    assert.equal(a['gen_ai.usage.cache_read.input_tokens'], r.usage?.input_tokens_details?.cached_tokens);
    assert.equal(a['bud.inference.request.reasoning'], '{"effort":"low"}');
  });

  it('parents the span on the active context and sends traceparent with the request', async () => {
    const openai = client();
    const parent = testTracer.startSpan('parent');
    await context.with(trace.setSpan(context.active(), parent), () =>
      openai.responses.create({ model: 'm', input: 'x' }),
    );
    parent.end();
    const span = onlySpan();
    assert.equal(span.parentSpanContext?.spanId ?? (span as unknown as { parentSpanId?: string }).parentSpanId, parent.spanContext().spanId);
    assert.equal(span.spanContext().traceId, parent.spanContext().traceId);
    const sent = gateway().requests.find((r) => r.path.startsWith('/v1/responses'));
    assert.equal(sent?.headers.traceparent, `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  });

  it('the span is the active context while the SDK sends the request (an HTTP span would be its child)', async () => {
    const activeAtSend: Array<string | undefined> = [];
    const onRequest = () => activeAtSend.push(trace.getSpan(context.active())?.spanContext().spanId);
    // undici (openai 5+, global fetch) and node:http (openai 4, node-fetch) announce each request.
    const channels = ['undici:request:create', 'http.client.request.start'].filter((name) => diagnostics.channel(name));
    channels.forEach((name) => diagnostics.subscribe(name, onRequest));
    try {
      await client().responses.create({ model: 'm', input: 'x' });
    } finally {
      channels.forEach((name) => diagnostics.unsubscribe(name, onRequest));
    }
    assert.ok(activeAtSend.length >= 1, 'the request was seen');
    assert.equal(activeAtSend[0], onlySpan().spanContext().spanId);
  });

  it('keeps a traceparent the application set itself', async () => {
    const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await client().responses.create({ model: 'm', input: 'x' }, { headers: { traceparent: own } });
    assert.equal(gateway().requests[0].headers.traceparent, own);
  });

  it('propagateContext: false sends no traceparent', async () => {
    instrumentation.setConfig({ propagateContext: false });
    await client().responses.create({ model: 'm', input: 'x' });
    assert.equal(gateway().requests[0].headers.traceparent, undefined);
    assert.equal(onlySpan().status.code, SpanStatusCode.OK);
  });

  it('gen_ai.conversation.id comes from previous_response_id', async () => {
    const openai = client();
    const first = await openai.responses.create({ model: 'm', input: 'one' });
    const second = await openai.responses.create({ model: 'm', input: 'two', previous_response_id: first.id });
    const spans = instrumentedSpans();
    assert.equal(spans.length, 2);
    assert.equal(spans[0].attributes['gen_ai.conversation.id'], undefined);
    assert.equal(spans[1].attributes['gen_ai.conversation.id'], first.id);
    assert.equal(second.previous_response_id, first.id);
  });

  it('withResponse() keeps working and makes one span', async () => {
    const { data, response, request_id } = await client()
      .responses.create({ model: 'm', input: 'x' })
      .withResponse();
    assert.equal(data.object, 'response');
    assert.equal(response.status, 200);
    assert.match(String(request_id), /^req_/);
    assert.equal(onlySpan().attributes['gen_ai.response.id'], data.id);
  });

  it('asResponse() alone ends the span and leaves the body to the application', async () => {
    const raw = await client().responses.create({ model: 'm', input: 'x' }).asResponse();
    const body = (await raw.json()) as { object: string };
    assert.equal(body.object, 'response');
    const span = onlySpan();
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.attributes['gen_ai.request.model'], 'm');
  });

  it('responses.parse() works (no "Body is unusable") and makes exactly one span', async () => {
    const parsed = await client().responses.parse({ model: 'm', input: 'give me text' });
    assert.equal(parsed.object, 'response');
    assert.equal(parsed.output_parsed, null);
    assert.equal(onlySpan().name, 'responses');
    assert.equal(onlySpan().status.code, SpanStatusCode.OK);
  });

  it('output text, input and instructions are recorded only with captureContent', async () => {
    instrumentation.setConfig({ captureContent: true, maxContentLength: 1000 });
    const r = await client().responses.create({ model: 'm', input: 'hi there', instructions: 'be brief' });
    const a = onlySpan().attributes;
    // The gateway echoes the input. openai 4.87 does not fill output_text; the instrumentation
    // reads the text from the output items then.
    assert.equal(a['bud.inference.response.output_text'], 'Echo: hi there');
    assert.deepEqual(
      r.output.map((item) => (item.type === 'message' ? item.content.map((c) => (c.type === 'output_text' ? c.text : '')).join('') : '')),
      ['Echo: hi there'],
    );
    assert.equal(a['bud.inference.request.input'], 'hi there');
    assert.equal(a['bud.inference.request.instructions'], 'be brief');
    assert.deepEqual(JSON.parse(a['gen_ai.input.messages'] as string), [
      { role: 'user', parts: [{ type: 'text', content: 'hi there' }] },
    ]);
    assert.deepEqual(JSON.parse(a['gen_ai.system_instructions'] as string), [{ type: 'text', content: 'be brief' }]);
    const output = JSON.parse(a['gen_ai.output.messages'] as string) as Array<{ parts: Array<{ content: string }> }>;
    assert.equal(output[0].parts.map((p) => p.content).join(''), 'Echo: hi there');
  });

  it('captureInput: false and captureOutput: a list', async () => {
    instrumentation.setConfig({ captureInput: false, captureOutput: ['id'] });
    const r = await client().responses.create({ model: 'm', input: 'x', temperature: 1 });
    const a = onlySpan().attributes;
    assert.equal(a['gen_ai.request.model'], undefined);
    assert.equal(a['gen_ai.request.temperature'], undefined);
    assert.equal(a['gen_ai.response.id'], r.id);
    assert.equal(a['gen_ai.response.model'], undefined);
    assert.equal(a['gen_ai.usage.input_tokens'], undefined);
    assert.equal(a['gen_ai.provider.name'], 'bud', 'always-on attributes stay');
  });

  it('spanName and system config', async () => {
    instrumentation.setConfig({ spanName: 'llm', system: 'openai' });
    await client().responses.create({ model: 'm', input: 'x' });
    const span = onlySpan();
    assert.equal(span.name, 'llm');
    assert.equal(span.attributes['gen_ai.system'], 'openai');
    assert.equal(span.attributes['gen_ai.provider.name'], 'openai');
  });

  it('semconv mode: span "chat {model}", operation chat, request model always on', async () => {
    instrumentation.setConfig({ semconvMode: 'otel', captureInput: false });
    await client().responses.create({ model: 'gpt-x', input: 'x' });
    const span = onlySpan();
    assert.equal(span.name, 'chat gpt-x');
    assert.equal(span.attributes['gen_ai.operation.name'], 'chat');
    assert.equal(span.attributes['gen_ai.request.model'], 'gpt-x');
  });

  it('requestHook and responseHook get the span, params and response; a throwing hook is contained', async () => {
    const requestHook = sinon.spy((span: { setAttribute: (k: string, v: string) => void }) => {
      span.setAttribute('app.request', 'seen');
      throw new Error('hook bug');
    });
    const responseHook = sinon.spy(() => {
      throw new Error('hook bug');
    });
    instrumentation.setConfig({ requestHook, responseHook });
    const r = await client().responses.create({ model: 'm', input: 'x' });
    sinon.assert.calledOnce(requestHook);
    assert.equal((requestHook.firstCall.args as unknown[])[1] && ((requestHook.firstCall.args as unknown[])[1] as { model: string }).model, 'm');
    sinon.assert.calledOnce(responseHook);
    assert.equal(((responseHook.firstCall.args as unknown[])[1] as { id: string }).id, r.id);
    assert.equal(onlySpan().attributes['app.request'], 'seen');
  });

  it('pricing adds cost attributes and the cost metric; no pricing, no cost', async () => {
    instrumentation.setConfig({ pricing: { 'priced-model': { input: 3, cachedInput: 1, output: 15, currency: 'EUR' } } });
    const r = await client().responses.create({ model: 'priced-model', input: 'hello there' });
    const a = onlySpan().attributes;
    const usage = r.usage!;
    const cached = usage.input_tokens_details?.cached_tokens ?? 0;
    const expectedInput = ((usage.input_tokens - cached) * 3 + cached * 1) / 1e6;
    const expectedOutput = (usage.output_tokens * 15) / 1e6;
    assert.ok(Math.abs((a['bud.inference.cost.input'] as number) - expectedInput) < 1e-12);
    assert.ok(Math.abs((a['bud.inference.cost.output'] as number) - expectedOutput) < 1e-12);
    assert.equal(a['bud.inference.cost.currency'], 'EUR');
    const cost = points(metric(await collectMetrics(), 'bud.inference.cost'), { 'gen_ai.request.model': 'priced-model' });
    assert.equal(cost.length, 1);
    assert.ok(Math.abs((cost[0].value as number) - (expectedInput + expectedOutput)) < 1e-12);

    instrumentation.setConfig({});
    await client().responses.create({ model: 'priced-model', input: 'again' });
    const spans = instrumentedSpans();
    assert.equal(spans[1].attributes['bud.inference.cost.total'], undefined);
  });

  it('records duration and token usage metrics with the contract attributes', async () => {
    const r = await client().responses.create({ model: 'metrics-model', input: 'count me' });
    const metrics = await collectMetrics();
    const duration = points(metric(metrics, 'gen_ai.client.operation.duration'), { 'gen_ai.request.model': 'metrics-model' });
    assert.equal(duration.length, 1);
    assert.deepEqual(duration[0].attributes, {
      'gen_ai.operation.name': 'responses',
      'gen_ai.provider.name': 'bud',
      'gen_ai.request.model': 'metrics-model',
      'gen_ai.response.model': r.model,
      'server.address': '127.0.0.1',
      'server.port': gateway().port,
    });
    const d = metric(metrics, 'gen_ai.client.operation.duration')!;
    assert.equal(d.descriptor.unit, 's');
    const tokens = metric(metrics, 'gen_ai.client.token.usage')!;
    assert.equal(tokens.descriptor.unit, '{token}');
    const input = points(tokens, { 'gen_ai.request.model': 'metrics-model', 'gen_ai.token.type': 'input' });
    const output = points(tokens, { 'gen_ai.request.model': 'metrics-model', 'gen_ai.token.type': 'output' });
    assert.equal((input[0].value as { sum: number }).sum, r.usage?.input_tokens);
    assert.equal((output[0].value as { sum: number }).sum, r.usage?.output_tokens);
    const boundaries = (duration[0].value as { buckets: { boundaries: number[] } }).buckets.boundaries;
    assert.equal(boundaries[0], 0.01);
    assert.equal(boundaries[boundaries.length - 1], 81.92);
    const tokenBoundaries = (input[0].value as { buckets: { boundaries: number[] } }).buckets.boundaries;
    assert.equal(tokenBoundaries[tokenBoundaries.length - 1], 67108864);
  });

  it('a background create returns queued and the span is OK with that status', async () => {
    const r = await client().responses.create({ model: 'm', input: 'x', background: true });
    assert.equal(r.status, 'queued');
    const a = onlySpan().attributes;
    assert.equal(a['gen_ai.response.status'], 'queued');
    assert.equal(a['bud.inference.request.background'], true);
    assert.equal(onlySpan().status.code, SpanStatusCode.OK);
  });
});

describe('responses.create() failures', () => {
  /** Runs `fn` with the instrumentation enabled and disabled and returns both rejections. */
  async function bothWays(fn: () => Promise<unknown>): Promise<[unknown, unknown]> {
    const traced = await fn().then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    instrumentation.disable();
    try {
      const bare = await fn().then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
      return [traced, bare];
    } finally {
      instrumentation.enable();
    }
  }

  const httpCases: Array<[number, string]> = [
    [400, 'BadRequestError'],
    [401, 'AuthenticationError'],
    [404, 'NotFoundError'],
    [429, 'RateLimitError'],
    [500, 'InternalServerError'],
    [503, 'InternalServerError'],
  ];
  for (const [status, name] of httpCases) {
    it(`HTTP ${status}: the app gets the same ${name}; the span is ERROR with error.type`, async () => {
      const [traced, bare] = await bothWays(() =>
        client().responses.create({ model: 'm', input: 'x' }, scenario(`status=${status}`)),
      );
      assert.equal((traced as Error).constructor, (bare as Error).constructor);
      assert.equal((traced as Error).constructor.name, name);
      assert.equal((traced as { status: number }).status, status);
      const span = onlySpan();
      assert.equal(span.status.code, SpanStatusCode.ERROR);
      assert.equal(span.attributes['error.type'], name);
    });
  }

  it('a Bud error body {"error": "..."} still gives the same error class', async () => {
    const [traced, bare] = await bothWays(() =>
      client().responses.create({ model: 'm', input: 'x' }, scenario('status=502,error_body=upstream%20down')),
    );
    assert.equal((traced as Error).constructor, (bare as Error).constructor);
    assert.equal(onlySpan().attributes['error.type'], 'InternalServerError');
  });

  it('connection refused: APIConnectionError, span ERROR', async () => {
    const openai = new OpenAI({ apiKey: API_KEY, baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 });
    const err = await openai.responses.create({ model: 'm', input: 'x' }).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.equal((err as Error).constructor.name, 'APIConnectionError');
    const span = onlySpan();
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], 'APIConnectionError');
    assert.equal(span.attributes['server.port'], 9);
  });

  it('retries happen inside one span', async () => {
    const err = await client({ maxRetries: 2 })
      .responses.create({ model: 'm', input: 'x' }, scenario('status=429'))
      .then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
    assert.equal((err as Error).constructor.name, 'RateLimitError');
    assert.equal(gateway().requests.length, 3);
    assert.equal(onlySpan().attributes['error.type'], 'RateLimitError');
  });

  it('a failed Response (HTTP 200, status failed) is ERROR with the error code', async () => {
    const r = await client().responses.create({ model: 'm', input: 'x' }, scenario('fail'));
    assert.equal(r.status, 'failed');
    const span = onlySpan();
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], 'server_error');
    assert.equal(span.attributes['bud.inference.response.error.code'], 'server_error');
    assert.deepEqual(span.attributes['gen_ai.response.finish_reasons'], ['error']);
  });

  it('an incomplete Response records the reason and finish reason length', async () => {
    const r = await client().responses.create({ model: 'm', input: 'x' }, scenario('incomplete'));
    assert.equal(r.status, 'incomplete');
    const a = onlySpan().attributes;
    assert.equal(a['bud.inference.response.incomplete_reason'], 'max_output_tokens');
    assert.deepEqual(a['gen_ai.response.finish_reasons'], ['length']);
  });

});

describe('calls the application drops', () => {
  it('a never-awaited APIPromise ends its span when it is garbage collected', async () => {
    assert.equal(typeof global.gc, 'function', 'mocha runs with --expose-gc (.mocharc.yml)');
    (() => {
      void client().responses.create({ model: 'dropped', input: 'x' });
    })();
    await waitFor(() => gateway().requests.length === 1, 3000, 'the request');
    await collectUntil(() => instrumentedSpans().length > 0, 'the span of the dropped APIPromise');
    const span = onlySpan();
    assert.equal(span.attributes['gen_ai.request.model'], 'dropped');
    assert.equal(span.status.code, SpanStatusCode.UNSET);
  });

  it('only a call nobody consumes by its headers is handed to the garbage collector\'s registry', async () => {
    const spy = sinon.spy(FinalizationRegistry.prototype, 'register');
    // Other registries (undici's, for response bodies) register too: count the calls' own.
    const ours = () => spy.getCalls().filter((c) => typeof (c.args[1] as { onHolderCollected?: unknown } | undefined)?.onHolderCollected === 'function');
    try {
      await client().responses.create({ model: 'awaited', input: 'x' });
      await client().responses.create({ model: 'awaited', input: 'x' }).withResponse();
      await client().responses.create({ model: 'awaited', input: 'x' }).asResponse();
      assert.equal(ours().length, 0, 'an awaited call was registered');
      const later = client().responses.create({ model: 'awaited-later', input: 'x' }, scenario('hang_headers=30'));
      assert.equal(ours().length, 0, 'registered before its headers came');
      await waitFor(() => ours().length === 1, 3000, 'the registration once the headers came');
      assert.equal(ours()[0].args[0], later);
      const response = await later;
      assert.equal(response.model, 'awaited-later');
      await waitFor(() => instrumentedSpans().length === 4, 2000, 'four spans');
    } finally {
      spy.restore();
    }
  });
});

describe('enable() / disable()', () => {
  it('disable() restores the original create; enable() patches it again', async () => {
    const proto = (OpenAI as unknown as { Responses: { prototype: { create: unknown } } }).Responses.prototype;
    const patched = proto.create;
    instrumentation.disable();
    let original: unknown;
    try {
      original = proto.create;
      assert.notEqual(original, patched, 'disable() puts another function back');
      const r = await client().responses.create({ model: 'm', input: 'x' });
      assert.equal(r.status, 'completed');
      assert.equal(instrumentedSpans().length, 0);
    } finally {
      instrumentation.enable();
    }
    assert.notEqual(proto.create, original, 'enable() patches it again');
    await client().responses.create({ model: 'm', input: 'x' });
    assert.equal(instrumentedSpans().length, 1);
  });
});
