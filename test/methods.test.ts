/*
 * The rest of the Responses surface (docs/TELEMETRY.md §1-§3): retrieve, cancel, delete, compact,
 * inputItems.list, inputTokens.count, conversations.*, beta.responses; background links;
 * resumed streams; the Bud gateway's response headers.
 */
import * as assert from 'node:assert/strict';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import {
  client,
  collectMetrics,
  instrumentation,
  instrumentedSpans,
  metric,
  points,
  scenario,
  supports,
  supportsResumedStreams,
  waitFor,
  gateway,
} from './harness';

function spanNamed(name: string): ReadableSpan {
  const found = instrumentedSpans().filter((s) => s.name === name);
  assert.equal(found.length, 1, `one span named ${name}; got ${instrumentedSpans().map((s) => s.name).join(', ')}`);
  return found[0];
}

describe('other Responses methods', () => {
  afterEach(() => instrumentation.setConfig({}));

  it('retrieve: span responses.retrieve with the response attributes', async () => {
    const openai = client();
    const created = await openai.responses.create({ model: 'm', input: 'x' });
    const got = await openai.responses.retrieve(created.id);
    assert.equal(got.id, created.id);
    const span = spanNamed('responses.retrieve');
    assert.equal(span.status.code, SpanStatusCode.OK);
    assert.equal(span.attributes['bud.inference.operation'], 'retrieve');
    assert.equal(span.attributes['gen_ai.operation.name'], 'retrieve');
    assert.equal(span.attributes['gen_ai.response.id'], created.id);
    assert.equal(span.attributes['gen_ai.response.status'], 'completed');
    assert.equal(span.attributes['gen_ai.usage.input_tokens'], created.usage?.input_tokens);
  });

  it('retrieve of an unknown id: NotFoundError, span ERROR', async () => {
    const err = await client()
      .responses.retrieve('resp_missing')
      .then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
    assert.equal((err as Error).constructor.name, 'NotFoundError');
    const span = spanNamed('responses.retrieve');
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], 'NotFoundError');
  });

  it('cancel', async function () {
    if (!supports('responses.cancel')) return this.skip(); // openai 4.x has no cancel()
    const openai = client();
    const created = await openai.responses.create({ model: 'm', input: 'x', background: true });
    const cancelled = await openai.responses.cancel(created.id);
    assert.equal(cancelled.status, 'cancelled');
    const cancel = spanNamed('responses.cancel');
    assert.equal(cancel.attributes['bud.inference.operation'], 'cancel');
    assert.equal(cancel.attributes['gen_ai.response.id'], created.id);
    assert.equal(cancel.attributes['gen_ai.response.status'], 'cancelled');
  });

  it('delete (del() in openai 4.x)', async () => {
    const openai = client();
    const created = await openai.responses.create({ model: 'm', input: 'x' });
    const responses = openai.responses as unknown as Record<'delete' | 'del', ((id: string) => Promise<unknown>) | undefined>;
    await (responses.delete ?? responses.del)!.call(openai.responses, created.id);
    const del = spanNamed('responses.delete');
    assert.equal(del.attributes['bud.inference.operation'], 'delete');
    assert.equal(del.attributes['gen_ai.response.id'], created.id);
    assert.equal(del.status.code, SpanStatusCode.OK);
  });

  it('compact: span with request model and usage', async function () {
    if (!supports('responses.compact')) return this.skip(); // compact() came with openai 6.10
    const r = await client().responses.compact({ model: 'compact-model', input: 'a long conversation' } as never);
    const span = spanNamed('responses.compact');
    assert.equal(span.attributes['gen_ai.request.model'], 'compact-model');
    assert.equal(span.attributes['gen_ai.usage.input_tokens'], (r as { usage?: { input_tokens: number } }).usage?.input_tokens);
  });

  it('inputItems.list keeps async iteration; one span for the first page', async () => {
    const openai = client();
    const created = await openai.responses.create({ model: 'm', input: 'list me' });
    const items: unknown[] = [];
    for await (const item of openai.responses.inputItems.list(created.id)) items.push(item);
    assert.ok(items.length > 0);
    const span = spanNamed('responses.input_items');
    assert.equal(span.attributes['gen_ai.response.id'], created.id);
    assert.equal(span.status.code, SpanStatusCode.OK);
  });

  it('inputTokens.count', async function () {
    if (!supports('responses.inputTokens')) return this.skip(); // inputTokens came with openai 6.6
    const r = await client().responses.inputTokens.count({ model: 'm', input: 'count these tokens' });
    assert.equal(typeof r.input_tokens, 'number');
    const span = spanNamed('responses.input_tokens');
    assert.equal(span.attributes['bud.inference.operation'], 'input_tokens');
    assert.equal(span.attributes['gen_ai.request.model'], 'm');
  });

  it('retrieve and input_tokens do not count token usage again; create does', async () => {
    const openai = client();
    const created = await openai.responses.create({ model: 'usage-once', input: 'x' });
    await openai.responses.retrieve(created.id);
    await openai.responses.retrieve(created.id);
    const tokens = points(metric(await collectMetrics(), 'gen_ai.client.token.usage'), {
      'gen_ai.token.type': 'input',
      'gen_ai.response.model': created.model,
      'gen_ai.operation.name': 'retrieve',
    });
    assert.equal(tokens.length, 0);
    const duration = points(metric(await collectMetrics(), 'gen_ai.client.operation.duration'), { 'gen_ai.operation.name': 'retrieve' });
    assert.ok(duration.length > 0, 'retrieve has its own duration series');
  });

  it('retrieve({stream: true}) resumes a stream through the stream wrapper', async function () {
    if (!supportsResumedStreams('retrieve')) return this.skip(); // openai <4.104 cannot stream a retrieve this way
    const openai = client();
    const created = await openai.responses.create({ model: 'm', input: 'x' });
    const stream = await openai.responses.retrieve(created.id, { stream: true });
    let n = 0;
    for await (const _e of stream) n++;
    await waitFor(() => instrumentedSpans().length === 2);
    const span = spanNamed('responses.retrieve');
    assert.equal(span.attributes['bud.inference.stream'], true);
    assert.equal(span.attributes['bud.inference.chunks'], n);
    assert.equal(span.attributes['bud.inference.stream_completed'], true);
    assert.equal(span.status.code, SpanStatusCode.OK);
  });

  it('responses.stream({response_id}) resumes through retrieve: one span', async function () {
    if (!supportsResumedStreams('helper')) return this.skip(); // before 4.103, stream({response_id}) calls create
    const openai = client();
    const created = await openai.responses.create({ model: 'm', input: 'x' });
    const final = await openai.responses.stream({ response_id: created.id } as never).finalResponse();
    assert.equal(final.id, created.id);
    await waitFor(() => instrumentedSpans().length === 2);
    assert.equal(spanNamed('responses.retrieve').attributes['bud.inference.stream'], true);
  });

  it('beta.responses is traced too', async function () {
    if (!supports('beta.responses')) return this.skip(); // beta.responses came with openai 6
    const beta = (client() as unknown as { beta: { responses?: OpenAI['responses'] } }).beta.responses;
    assert.ok(beta, 'openai 6+ has beta.responses');
    const r = await beta.create({ model: 'beta-model', input: 'x' });
    const span = spanNamed('responses');
    assert.equal(span.attributes['gen_ai.response.id'], r.id);
  });
});

describe('background responses: retrieve spans link to the create span', () => {
  it('links every later retrieve of the same id to the create span', async () => {
    const openai = client();
    const created = await openai.responses.create({ model: 'm', input: 'x', background: true });
    await openai.responses.retrieve(created.id);
    await openai.responses.retrieve(created.id);
    const createSpan = spanNamed('responses');
    const retrieves = instrumentedSpans().filter((s) => s.name === 'responses.retrieve');
    assert.equal(retrieves.length, 2);
    for (const r of retrieves) {
      assert.equal(r.links.length, 1);
      assert.equal(r.links[0].context.spanId, createSpan.spanContext().spanId);
      assert.equal(r.links[0].context.traceId, createSpan.spanContext().traceId);
    }
  });

  it('a foreground create is not remembered (no link)', async () => {
    const openai = client();
    const created = await openai.responses.create({ model: 'm', input: 'x' });
    await openai.responses.retrieve(created.id);
    assert.equal(spanNamed('responses.retrieve').links.length, 0);
  });
});

describe('conversations', () => {
  it('create, retrieve, update, items.create/list/retrieve/delete, delete', async function () {
    if (!supports('conversations')) return this.skip(); // conversations came with openai 5.15
    const openai = client();
    const conv = await openai.conversations.create({ metadata: { topic: 'demo' } });
    await openai.conversations.retrieve(conv.id);
    await openai.conversations.update(conv.id, { metadata: { topic: 'changed' } });
    const added = await openai.conversations.items.create(conv.id, {
      items: [{ type: 'message', role: 'user', content: 'hello' }],
    });
    const listed: unknown[] = [];
    for await (const it of openai.conversations.items.list(conv.id)) listed.push(it);
    const itemId = (added.data[0] as { id: string }).id;
    await openai.conversations.items.retrieve(itemId, { conversation_id: conv.id });
    await openai.conversations.items.delete(itemId, { conversation_id: conv.id });
    await openai.conversations.delete(conv.id);
    const names = instrumentedSpans().map((s) => s.name);
    assert.deepEqual(names, [
      'conversations.create',
      'conversations.retrieve',
      'conversations.update',
      'conversations.items.create',
      'conversations.items.list',
      'conversations.items.retrieve',
      'conversations.items.delete',
      'conversations.delete',
    ]);
    for (const span of instrumentedSpans()) {
      assert.equal(span.attributes['gen_ai.conversation.id'], conv.id, span.name);
      assert.equal(span.attributes['bud.inference.operation'], span.name);
      assert.equal(span.status.code, SpanStatusCode.OK, span.name);
    }
  });

  it('a retrieve takes gen_ai.conversation.id from the response', async function () {
    if (!supports('conversations')) return this.skip(); // conversations came with openai 5.15
    const openai = client();
    const conv = await openai.conversations.create({});
    const created = await openai.responses.create({ model: 'm', input: 'x', conversation: conv.id });
    await openai.responses.retrieve(created.id);
    assert.equal(spanNamed('responses.retrieve').attributes['gen_ai.conversation.id'], conv.id);
  });

  it('a create with a conversation param carries its id', async function () {
    if (!supports('conversations')) return this.skip(); // conversations came with openai 5.15
    const openai = client();
    const conv = await openai.conversations.create({});
    await openai.responses.create({ model: 'm', input: 'x', conversation: conv.id });
    assert.equal(spanNamed('responses').attributes['gen_ai.conversation.id'], conv.id);
  });
});

describe('Bud gateway response headers', () => {
  it('become bud.gateway.* attributes and the app still reads the same body and headers', async () => {
    const { data, response } = await client()
      .responses.create({ model: 'm', input: 'x', prompt: { id: 'pmpt_1', version: '3' } } as never)
      .withResponse();
    const a = spanNamed('responses').attributes;
    assert.equal(a['bud.gateway.inference_cost'], Number(response.headers.get('x-tensorzero-inference-cost')));
    assert.equal(a['bud.gateway.model_latency_ms'], Number(response.headers.get('x-tensorzero-model-latency-ms')));
    // The gateway's token counts equal the usage here: recorded once, as gen_ai.usage.*.
    assert.equal(response.headers.get('x-tensorzero-input-tokens'), String(data.usage?.input_tokens));
    assert.equal(a['gen_ai.usage.input_tokens'], data.usage?.input_tokens);
    assert.equal(a['bud.gateway.input_tokens'], undefined);
    assert.equal(a['bud.gateway.output_tokens'], undefined);
    assert.equal(a['bud.gateway.total_tokens'], undefined);
    assert.equal(a['bud.gateway.project_id'], response.headers.get('x-tensorzero-project-id'));
    assert.equal(a['bud.gateway.prompt_id'], 'pmpt_1');
    assert.equal(a['bud.gateway.prompt_version'], '3');
  });

  it('the body is read once, by the SDK: the app gets the parsed error body and the parsed response', async () => {
    const err = (await client()
      .responses.create({ model: 'm', input: 'x' }, scenario('status=500'))
      .then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      )) as Error & { status?: number; error?: unknown; code?: unknown };
    assert.equal(gateway().requests.length, 1, 'one request');
    assert.equal(err.constructor.name, 'InternalServerError');
    assert.equal(err.status, 500);
    assert.equal(err.code, 'server_error');
    assert.deepEqual(err.error, {
      message: 'The server had an error while processing your request (mock 500).',
      type: 'server_error',
      param: null,
      code: 'server_error',
    });
    assert.equal(spanNamed('responses').status.code, SpanStatusCode.ERROR);

    // A body read by the instrumentation too would leave the SDK a used body ("Body is unusable").
    const parsed = await client().responses.parse({ model: 'm', input: 'read once' });
    const { data } = await client().responses.create({ model: 'm', input: 'read once' }).withResponse();
    for (const r of [parsed, data]) {
      assert.deepEqual(
        r.output.map((item) => (item.type === 'message' ? item.content.map((c) => (c.type === 'output_text' ? c.text : '')).join('') : '')),
        ['Echo: read once'],
      );
    }
    assert.equal(gateway().requests.length, 3, 'one request per call');
    assert.deepEqual(
      instrumentedSpans().map((s) => s.attributes['gen_ai.response.id']),
      [undefined, parsed.id, data.id],
    );
  });
});
