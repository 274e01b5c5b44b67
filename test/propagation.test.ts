/*
 * Trace headers and argument handling with the plain openai client (docs/TELEMETRY.md §8, §9): one
 * `traceparent` line per request that a W3C propagator extracts into the caller's trace, the
 * SDK's own overloads untouched, `(id, params, options)` signatures, re-entry, two instances,
 * a disabled instance below another wrapper.
 */
import * as assert from 'node:assert/strict';
import * as diagnosticsChannel from 'node:diagnostics_channel';
import { ROOT_CONTEXT, propagation, trace as traceApi } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import { BudResponsesInstrumentation } from '../src';
import { guardHeaders } from '../src/propagation';
import type { RecordedRequest } from '../gateway/server';
import { headerLines, traceparentLines } from './headers';
import {
  client,
  context,
  gateway,
  instrumentation,
  instrumentedSpans,
  OPENAI_VERSION,
  supports,
  testTracer,
  tracerProvider,
} from './harness';

/** What a W3C propagator on the gateway extracts from the request's headers. */
function extracted(request: RecordedRequest): { traceId: string; spanId: string } | undefined {
  const ctx = new W3CTraceContextPropagator().extract(ROOT_CONTEXT, request.headers, {
    get: (carrier, key) => (carrier as Record<string, string | string[] | undefined>)[key],
    keys: (carrier) => Object.keys(carrier as object),
  });
  const sc = traceApi.getSpanContext(ctx);
  return sc ? { traceId: sc.traceId, spanId: sc.spanId } : undefined;
}

/** Runs `fn` under a test parent span; returns its result and the parent's trace id. */
async function underParent<T>(fn: () => Promise<T>): Promise<{ result: T; traceId: string }> {
  const parent = testTracer.startSpan('app');
  try {
    const result = await context.with(traceApi.setSpan(context.active(), parent), fn);
    return { result, traceId: parent.spanContext().traceId };
  } finally {
    parent.end();
  }
}

function spansNamed(name: string): ReadableSpan[] {
  return instrumentedSpans().filter((s) => s.name === name);
}

/** Each request carries exactly one traceparent, from the span of this package named `spanName`. */
function assertOneTraceparentFrom(request: RecordedRequest, spanName: string, traceId: string): void {
  assert.equal(traceparentLines(request).length, 1, `one traceparent line on ${request.method} ${request.path}`);
  const got = extracted(request);
  const spans = spansNamed(spanName);
  assert.equal(spans.length, 1, `one span ${spanName}; got ${instrumentedSpans().map((s) => s.name).join(', ')}`);
  assert.deepEqual(got, { traceId, spanId: spans[0].spanContext().spanId });
}

describe('trace headers (no HTTP instrumentation in the process)', () => {
  afterEach(() => instrumentation.setConfig({}));

  it('create: one traceparent line, extracted into the caller trace with our span as parent', async () => {
    const { traceId } = await underParent(() => client().responses.create({ model: 'm', input: 'x' }));
    const [request] = gateway().requests;
    assertOneTraceparentFrom(request, 'responses', traceId);
  });

  it('a streamed create carries it too (one line)', async () => {
    const { traceId } = await underParent(async () => {
      const stream = await client().responses.create({ model: 'm', input: 'x', stream: true });
      for await (const _event of stream) void _event;
    });
    assertOneTraceparentFrom(gateway().requests[0], 'responses.stream', traceId);
  });

  it('retrieve(id, { timeout }) and inputItems.list(id, { timeout }): same request as the SDK alone, one span, one traceparent', async () => {
    const openai = client();
    const created = await openai.responses.create({ model: 'm', input: 'x' });
    // What the SDK alone sends for these overloads (openai 7 takes them as request options,
    // openai 5/6 as a query, openai 4 as options through a re-entering overload).
    instrumentation.disable();
    let bare: Array<Record<string, string>>;
    try {
      gateway().requests.length = 0; // keeps the stored responses
      await openai.responses.retrieve(created.id, { timeout: 5000 });
      await openai.responses.inputItems.list(created.id, { timeout: 5000 });
      bare = gateway().requests.map((r) => r.query);
    } finally {
      instrumentation.enable();
    }

    gateway().requests.length = 0;
    const { result: got, traceId } = await underParent(() => openai.responses.retrieve(created.id, { timeout: 5000 }));
    assert.equal(got.id, created.id);
    assertOneTraceparentFrom(gateway().requests[0], 'responses.retrieve', traceId);
    assert.deepEqual(gateway().requests[0].query, bare[0]);

    gateway().requests.length = 0;
    const { result: page, traceId: listTrace } = await underParent(() => openai.responses.inputItems.list(created.id, { timeout: 5000 }));
    assert.ok(page.data.length > 0);
    assertOneTraceparentFrom(gateway().requests[0], 'responses.input_items', listTrace);
    assert.deepEqual(gateway().requests[0].query, bare[1]);
  });

  it('SDK re-entry (openai 4 overloads of list/retrieve): one span per call, never nested', async () => {
    const openai = client();
    const created = await openai.responses.create({ model: 'm', input: 'x' });
    await openai.responses.inputItems.list(created.id, { timeout: 4000 });
    await openai.responses.retrieve(created.id, { timeout: 4000 });
    assert.deepEqual(
      instrumentedSpans().map((s) => s.name).sort(),
      ['responses', 'responses.input_items', 'responses.retrieve'],
    );
  });

  it('beta.responses.delete/cancel (id, params, options): params untouched, one traceparent each', async function () {
    if (!supports('beta.responses')) return this.skip(); // beta.responses came with openai 6
    const openai = client();
    const beta = openai.beta.responses as unknown as {
      cancel(id: string, params?: object, options?: object): Promise<{ status?: string }>;
      delete(id: string, params?: object, options?: object): Promise<unknown>;
    };
    const created = await openai.responses.create({ model: 'm', input: 'x', background: true });
    gateway().requests.length = 0; // keeps the stored responses
    const { result: cancelled, traceId } = await underParent(() => beta.cancel(created.id));
    assert.equal(cancelled.status, 'cancelled');
    assertOneTraceparentFrom(gateway().requests[0], 'responses.cancel', traceId);
    gateway().requests.length = 0; // keeps the stored responses
    const { traceId: deleteTrace } = await underParent(() => beta.delete(created.id, {}, { headers: { 'x-app': 'kept' } }));
    assertOneTraceparentFrom(gateway().requests[0], 'responses.delete', deleteTrace);
    assert.equal(gateway().requests[0].headers['x-app'], 'kept');
  });

  it('a traceparent the application set itself is the only one sent', async () => {
    const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await client().responses.create({ model: 'm', input: 'x' }, { headers: { traceparent: own } });
    assert.deepEqual(traceparentLines(gateway().requests[0]), [own]);
  });

  it('propagateContext: false sends none', async () => {
    instrumentation.setConfig({ propagateContext: false });
    await client().responses.create({ model: 'm', input: 'x' });
    assert.deepEqual(traceparentLines(gateway().requests[0]), []);
    assert.equal(instrumentedSpans().length, 1);
  });
});

describe('trace headers beside a plain undici:request:create subscriber (openai 5+: fetch over undici)', () => {
  interface UndiciRequest {
    headers: unknown;
    addHeader(name: string, value: string): unknown;
  }
  let subscriber: ((message: unknown) => void) | undefined;

  before(function () {
    if (Number(OPENAI_VERSION.split('.')[0]) < 5) this.skip(); // openai 4 sends with node-fetch over http
  });
  afterEach(() => {
    if (subscriber) diagnosticsChannel.unsubscribe('undici:request:create', subscriber);
    subscriber = undefined;
  });

  /** Subscribes after this package did (it follows the channel from its first traced request). */
  function follow(fn: (request: UndiciRequest) => void): void {
    subscriber = (message) => fn((message as { request: UndiciRequest }).request);
    diagnosticsChannel.subscribe('undici:request:create', subscriber);
  }

  it('a subscriber that only reads (a request log): ours is the one traceparent', async () => {
    const seen: string[] = [];
    follow((request) => seen.push(String(request.headers)));
    const { traceId } = await underParent(() => client().responses.create({ model: 'm', input: 'x' }));
    assert.equal(seen.length, 1);
    assertOneTraceparentFrom(gateway().requests[0], 'responses', traceId);
  });

  it('a subscriber that adds its own traceparent and baggage (as an HTTP instrumentation does): only its lines are sent', async () => {
    const theirs = '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01';
    follow((request) => {
      request.addHeader('traceparent', theirs);
      request.addHeader('baggage', 'layer=http');
    });
    const parent = testTracer.startSpan('app');
    const ctx = propagation.setBaggage(
      traceApi.setSpan(context.active(), parent),
      propagation.createBaggage({ tenant: { value: 'bud' } }),
    );
    await context.with(ctx, () => client().responses.create({ model: 'm', input: 'x' }));
    parent.end();
    const [request] = gateway().requests;
    assert.deepEqual(traceparentLines(request), [theirs]);
    assert.deepEqual(headerLines(request, 'baggage'), ['layer=http']);
  });

  it('a subscriber that adds its own on a request the application gave a traceparent: the application\'s lines are not touched', async () => {
    const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const theirs = '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01';
    follow((request) => request.addHeader('traceparent', theirs));
    await client().responses.create({ model: 'm', input: 'x' }, { headers: { traceparent: own } });
    assert.deepEqual(traceparentLines(gateway().requests[0]), [own, theirs]);
  });
});

describe('the guard on an undici request\'s headers', () => {
  const ours = { traceparent: '00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-1111111111111111-01', baggage: 'tenant=bud' };
  const theirs = '00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-2222222222222222-01';

  it('a [name, value, ...] list (undici 6+): our lines go once a second traceparent is added, not before', () => {
    const request: { headers: unknown } = { headers: ['traceparent', ours.traceparent, 'accept', '*/*', 'baggage', ours.baggage] };
    guardHeaders(request, ours);
    assert.deepEqual(request.headers, ['traceparent', ours.traceparent, 'accept', '*/*', 'baggage', ours.baggage]);
    (request.headers as string[]).push('traceparent', theirs, 'baggage', ours.baggage);
    assert.deepEqual(request.headers, ['accept', '*/*', 'traceparent', theirs, 'baggage', ours.baggage]);
    assert.equal(Object.getOwnPropertyDescriptor(request, 'headers')?.get, undefined, 'a plain value again');
  });

  it('a "name: value\\r\\n" string (undici 5): the same', () => {
    const request: { headers: unknown } = { headers: `traceparent: ${ours.traceparent}\r\nbaggage: ${ours.baggage}\r\n` };
    guardHeaders(request, ours);
    request.headers = `${String(request.headers)}x-other: 1\r\n`;
    assert.equal(request.headers, `traceparent: ${ours.traceparent}\r\nbaggage: ${ours.baggage}\r\nx-other: 1\r\n`);
    request.headers = `${String(request.headers)}traceparent: ${theirs}\r\nbaggage: ${ours.baggage}\r\n`;
    assert.equal(request.headers, `x-other: 1\r\ntraceparent: ${theirs}\r\nbaggage: ${ours.baggage}\r\n`);
  });
});

describe('patching: instances, disable, other wrappers', () => {
  const proto = (OpenAI as unknown as { Responses: { prototype: Record<string, unknown> } }).Responses.prototype;

  it('two instances: one span per call; disabling the second keeps the first', async () => {
    const second = new BudResponsesInstrumentation();
    second.setTracerProvider(tracerProvider);
    second.manuallyInstrument(OpenAI);
    try {
      await client().responses.create({ model: 'm', input: 'two instances' });
      assert.equal(instrumentedSpans().length, 1, 'one span, not one per instance');
      assert.equal(traceparentLines(gateway().requests[0]).length, 1);
    } finally {
      second.disable();
    }
    await client().responses.create({ model: 'm', input: 'after the second is disabled' });
    assert.equal(instrumentedSpans().length, 2, 'the first instance still traces');
  });

  it('a disabled instance whose wrapper sits below another wrapper records nothing; enable() traces again', async () => {
    const ours = proto.create as (...args: unknown[]) => unknown;
    assert.ok((ours as unknown as Record<symbol, unknown>)[Symbol.for('@budecosystem/instrumentation-responses.wrapper')]);
    // An application (or vendor) wrapper put over ours, which disable() must leave in place.
    let vendorCalls = 0;
    const vendor = function vendorCreate(this: unknown, ...args: unknown[]): unknown {
      vendorCalls++;
      return ours.apply(this, args);
    };
    proto.create = vendor;
    try {
      instrumentation.disable();
      await client().responses.create({ model: 'm', input: 'disabled' });
      assert.equal(proto.create, vendor, 'the other wrapper stays');
      assert.equal(vendorCalls, 1);
      assert.equal(instrumentedSpans().length, 0, 'nothing recorded while disabled');
      instrumentation.enable();
      await client().responses.create({ model: 'm', input: 'enabled again' });
      assert.equal(vendorCalls, 2, 'the other wrapper still in the chain');
      assert.equal(instrumentedSpans().length, 1);
    } finally {
      instrumentation.enable();
      proto.create = ours;
    }
  });
});
