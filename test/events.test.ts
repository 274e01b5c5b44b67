/*
 * The GenAI events of semconv v1.41.1 (docs/TELEMETRY.md §10) through the Logs API, with the real
 * `@opentelemetry/sdk-logs` and its in-memory exporter: `gen_ai.client.operation.exception` for
 * every failure kind, streaming or not, and the opt-in `gen_ai.client.inference.operation.details`
 * with and without content (its messages validated against the vendored v1.41.1 schemas).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as api from '@opentelemetry/api';
import * as apiLogs from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import Ajv from 'ajv';
import * as sinon from 'sinon';
import type OpenAI from 'openai';
import { API_KEY, client, instrumentation, meterProvider, onlySpan, scenario, spanExporter, tracerProvider, waitFor } from './harness';
import * as eventBuilders from '../src/mapping/events';
import { resetReportedConfigProblems, resolveConfig } from '../src/config';
import { CREATE } from '../src/operations';
import { providerOfHost, StartAttributesCache } from '../src/start-attributes';

const exporter = new InMemoryLogRecordExporter();
const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
/** A provider of API no-op loggers: what an application without a LoggerProvider has. */
const noopProvider = { getLogger: () => apiLogs.createNoopLogger() } as unknown as LoggerProvider;

type Record = ReturnType<InMemoryLogRecordExporter['getFinishedLogRecords']>[number];

const EXCEPTION = 'gen_ai.client.operation.exception';
const DETAILS = 'gen_ai.client.inference.operation.details';

function records(name?: string): Record[] {
  return exporter.getFinishedLogRecords().filter((r) => name === undefined || r.eventName === name);
}

function only(name: string): Record {
  const found = records(name);
  assert.equal(found.length, 1, `expected one ${name}, got ${found.length} (all: ${records().map((r) => r.eventName).join(', ')})`);
  return found[0];
}

/** The record was emitted in the context of the call's (only) span. */
function assertInSpan(record: Record): void {
  const span = onlySpan();
  assert.equal(record.spanContext?.spanId, span.spanContext().spanId);
  assert.equal(record.spanContext?.traceId, span.spanContext().traceId);
}

/** Reads a stream to its end; its error, if any, is the result. */
async function drain(stream: AsyncIterable<unknown>): Promise<unknown> {
  try {
    for await (const event of stream) void event;
    return undefined;
  } catch (err) {
    return err;
  }
}

/** Waits for the span of a call that ended (its events are emitted right after the span ends). */
async function ended(): Promise<void> {
  await waitFor(() => {
    try {
      onlySpan();
      return true;
    } catch {
      return false;
    }
  });
}

function assertException(type: RegExp, errorType: string, message?: RegExp): Record {
  const record = only(EXCEPTION);
  assert.equal(record.severityNumber, 13);
  assert.equal(record.severityText, 'WARN');
  assert.match(String(record.attributes['exception.type']), type);
  assert.equal(onlySpan().attributes['error.type'], errorType);
  assert.equal(typeof record.attributes['exception.message'], 'string');
  if (message) assert.match(String(record.attributes['exception.message']), message);
  // The conventions' attributes, and no stack of the application (the span has the rest).
  assert.deepEqual(Object.keys(record.attributes).sort(), ['exception.message', 'exception.type']);
  assertInSpan(record);
  return record;
}

const closedPort = () => client({ baseURL: 'http://127.0.0.1:9/v1' });

describe('GenAI events (Logs API)', () => {
  beforeEach(() => exporter.reset());
  afterEach(() => instrumentation.setConfig({}));
  // The other test files run with no LoggerProvider.
  after(() => instrumentation.setLoggerProvider(noopProvider));

  describe('the global LoggerProvider', () => {
    /** Where the global provider is registered: the logs API of @opentelemetry/api (1.10+, OTel 3.x), else api-logs'. */
    const logsApi = ((api as unknown as { logs?: typeof apiLogs.logs }).logs ?? apiLogs.logs);

    after(() => {
      logsApi.disable();
      instrumentation.setLoggerProvider(loggerProvider);
    });

    it('a failing call emits its exception event through the global provider', async () => {
      logsApi.setGlobalLoggerProvider(loggerProvider);
      await assert.rejects(client().responses.create({ model: 'm', input: 'hi' }, scenario('status=500')));
      assertException(/InternalServerError/, 'InternalServerError', /500/);
    });
  });

  describe('gen_ai.client.operation.exception', () => {
    before(() => instrumentation.setLoggerProvider(loggerProvider));

    it('a successful call emits nothing (the details event is opt-in)', async () => {
      await client().responses.create({ model: 'm', input: 'hi' });
      const stream = await client().responses.create({ model: 'm', input: 'hi', stream: true });
      await drain(stream);
      assert.deepEqual(records(), []);
    });

    it('HTTP error, not streaming', async () => {
      await assert.rejects(client().responses.create({ model: 'm', input: 'hi' }, scenario('status=429')));
      assertException(/RateLimitError/, 'RateLimitError', /429/);
    });

    it('HTTP error, streaming', async () => {
      await assert.rejects(client().responses.create({ model: 'm', input: 'hi', stream: true }, scenario('status=500')));
      assertException(/InternalServerError/, 'InternalServerError');
    });

    it('connection error, not streaming and streaming', async () => {
      await assert.rejects(closedPort().responses.create({ model: 'm', input: 'hi' }));
      assertException(/APIConnectionError/, 'APIConnectionError');
      exporter.reset();
      spanExporter.reset();
      await assert.rejects(closedPort().responses.create({ model: 'm', input: 'hi', stream: true }));
      assertException(/APIConnectionError/, 'APIConnectionError');
    });

    it('response.failed: a failed Response, not streaming', async () => {
      await client().responses.create({ model: 'm', input: 'hi' }, scenario('fail'));
      assertException(/server_error/, 'server_error');
    });

    it('response.failed: the terminal event of a stream', async () => {
      await drain(await client().responses.create({ model: 'm', input: 'hi', stream: true }, scenario('fail')));
      await ended();
      assertException(/server_error/, 'server_error');
    });

    it('an `error` event in a stream', async () => {
      await drain(await client().responses.create({ model: 'm', input: 'hi', stream: true }, scenario('error_event')));
      await ended();
      // openai 4 and 7 throw an APIError (4's without the code), 5 and 6 yield the event.
      const errorType = String(onlySpan().attributes['error.type']);
      assert.ok(['rate_limit_exceeded', 'APIError'].includes(errorType), errorType);
      assertException(/APIError|rate_limit_exceeded/, errorType);
    });

    it('a stream that ends with no terminal event (truncated)', async () => {
      await drain(await client().responses.create({ model: 'm', input: 'hi', stream: true }, scenario('end_after=2')));
      await ended();
      assertException(/stream_truncated/, 'stream_truncated', /without response\.completed/);
    });

    it('a stream whose connection drops mid-way', async () => {
      const error = await drain(await client().responses.create({ model: 'm', input: 'hi', stream: true }, scenario('drop_after=3')));
      assert.ok(error, 'the application sees the failure');
      await ended();
      const record = only(EXCEPTION);
      assert.ok(onlySpan().attributes['error.type']);
      assert.equal(typeof record.attributes['exception.type'], 'string');
      assertInSpan(record);
    });

    it('other methods: a failing retrieve', async () => {
      await assert.rejects(client().responses.retrieve('resp_missing', {}, scenario('status=500')));
      assertException(/InternalServerError/, 'InternalServerError');
      assert.equal(onlySpan().attributes['gen_ai.operation.name'], 'retrieve');
    });

    it('with no tracer or meter provider, a LoggerProvider still gets the exception event (in the caller\'s trace)', async () => {
      instrumentation.setTracerProvider(new api.ProxyTracerProvider());
      instrumentation.setMeterProvider({ getMeter: () => api.createNoopMeter() });
      try {
        const parent = api.trace.setSpanContext(api.ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true });
        await assert.rejects(api.context.with(parent, () => client().responses.create({ model: 'm', input: 'hi' }, scenario('status=500'))));
        await waitFor(() => records(EXCEPTION).length > 0);
        const record = only(EXCEPTION);
        assert.equal(record.spanContext?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
        assert.equal(record.attributes['exception.type'], 'InternalServerError');
      } finally {
        instrumentation.setTracerProvider(tracerProvider);
        instrumentation.setMeterProvider(meterProvider);
      }
    });

    it('an early break is no failure: no event', async () => {
      const stream = await client().responses.create({ model: 'm', input: 'hi', stream: true }, scenario('deltas=6'));
      for await (const event of stream) if ((event as { type: string }).type === 'response.output_text.delta') break;
      await ended();
      assert.deepEqual(records(), []);
    });
  });

  describe('gen_ai.client.inference.operation.details', () => {
    before(() => instrumentation.setLoggerProvider(loggerProvider));

    const CONTENT_KEYS = ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions', 'gen_ai.tool.definitions'];

    function assertInferenceAttributes(record: Record, streaming: boolean): void {
      const a = record.attributes;
      assert.equal(a['gen_ai.operation.name'], 'responses');
      assert.equal(a['gen_ai.provider.name'], 'bud');
      assert.equal(a['gen_ai.request.model'], 'm');
      assert.equal(a['gen_ai.request.temperature'], 0.5);
      assert.equal(a['gen_ai.output.type'], 'json');
      assert.equal(a['server.address'], '127.0.0.1');
      assert.equal(typeof a['server.port'], 'number');
      const span = onlySpan().attributes;
      for (const key of ['gen_ai.response.id', 'gen_ai.response.model', 'gen_ai.usage.input_tokens', 'gen_ai.usage.output_tokens']) {
        assert.notEqual(a[key], undefined, key);
        assert.equal(a[key], span[key], key);
      }
      assert.deepEqual(a['gen_ai.response.finish_reasons'], ['stop']);
      assert.equal(a['gen_ai.request.stream'], streaming ? true : undefined);
      assert.equal(record.severityNumber, 9);
      assertInSpan(record);
    }

    const params = { model: 'm', input: 'hi', temperature: 0.5, text: { format: { type: 'json_object' as const } } };

    it('off by default; on by config: exactly one per create call, not streaming', async () => {
      await client().responses.create(params);
      assert.deepEqual(records(), []);
      spanExporter.reset();
      instrumentation.setConfig({ emitOperationDetails: true });
      await client().responses.create(params);
      const record = only(DETAILS);
      assertInferenceAttributes(record, false);
      for (const key of CONTENT_KEYS) assert.equal(record.attributes[key], undefined, `${key} without content capture`);
      assert.equal(records().length, 1);
    });

    it('exactly one per create call, streaming', async () => {
      instrumentation.setConfig({ emitOperationDetails: true });
      await drain(await client().responses.create({ ...params, stream: true }));
      await ended();
      assertInferenceAttributes(only(DETAILS), true);
    });

    it('a failed call: the details event has error.type, and the exception event comes too', async () => {
      instrumentation.setConfig({ emitOperationDetails: true });
      await drain(await client().responses.create({ ...params, stream: true }, scenario('fail')));
      await ended();
      assert.equal(only(DETAILS).attributes['error.type'], 'server_error');
      only(EXCEPTION);
    });

    it('responses.stream() and responses.parse() are create calls: one each', async () => {
      instrumentation.setConfig({ emitOperationDetails: true });
      const helper = client().responses.stream({ model: 'm', input: 'hi' });
      await helper.finalResponse();
      await ended();
      only(DETAILS);
    });

    it('other methods get none', async () => {
      instrumentation.setConfig({ emitOperationDetails: true });
      const created = await client().responses.create({ model: 'm', input: 'hi' });
      exporter.reset();
      spanExporter.reset();
      await client().responses.retrieve(created.id);
      assert.deepEqual(records(), []);
    });

    it('with content capture: structured messages that match the v1.41.1 schemas', async () => {
      instrumentation.setConfig({ emitOperationDetails: true, captureContent: true });
      await client().responses.create({
        model: 'm',
        instructions: 'Be brief.',
        input: [
          { role: 'user', content: 'weather in Paris?' },
          { type: 'function_call', call_id: 'c1', name: 'get_weather', arguments: '{"location":"Paris"}' },
          { type: 'function_call_output', call_id: 'c1', output: '{"temp":21}' },
        ],
        tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} }, strict: false }],
      });
      const a = only(DETAILS).attributes;
      for (const key of CONTENT_KEYS) assert.ok(Array.isArray(a[key]), `${key} is an array, not a JSON string: ${typeof a[key]}`);
      validate('input', a['gen_ai.input.messages']);
      validate('output', a['gen_ai.output.messages']);
      validate('system', a['gen_ai.system_instructions']);
      validate('tools', a['gen_ai.tool.definitions']);
      // The same mapping as the span's attributes.
      const span = onlySpan().attributes;
      for (const key of CONTENT_KEYS) assert.deepEqual(a[key], JSON.parse(String(span[key])), key);
    });

    it('content on events only (EVENT_ONLY): none on the span; and the event is on by default then', async () => {
      instrumentation.setConfig({ captureContent: 'event_only' as 'EVENT_ONLY' });
      await client().responses.create({ model: 'm', input: 'hello there', instructions: 'x' });
      const a = only(DETAILS).attributes;
      assert.deepEqual(a['gen_ai.input.messages'], [{ role: 'user', parts: [{ type: 'text', content: 'hello there' }] }]);
      const span = onlySpan().attributes;
      for (const key of CONTENT_KEYS) assert.equal(span[key], undefined, `${key} not on the span`);
    });

    it('content on spans only (SPAN_ONLY): the details event (asked for) carries none', async () => {
      instrumentation.setConfig({ captureContent: 'SPAN_ONLY', emitOperationDetails: true });
      await client().responses.create({ model: 'm', input: 'hello there' });
      const a = only(DETAILS).attributes;
      for (const key of CONTENT_KEYS) assert.equal(a[key], undefined, key);
      assert.equal(typeof onlySpan().attributes['gen_ai.input.messages'], 'string');
    });

    it('content is cut by maxContentLength, as on spans', async () => {
      instrumentation.setConfig({ emitOperationDetails: true, captureContent: true, maxContentLength: 4 });
      await client().responses.create({ model: 'm', input: 'abcdefgh' });
      const a = only(DETAILS).attributes;
      assert.deepEqual(a['gen_ai.input.messages'], [{ role: 'user', parts: [{ type: 'text', content: 'abcd' }] }]);
    });

    it('no credential in any event (planted in content, tools and an error body)', async () => {
      instrumentation.setConfig({ emitOperationDetails: true, captureContent: true });
      const planted = {
        model: 'm',
        input: [
          { role: 'user' as const, content: 'hi' },
          { type: 'function_call' as const, call_id: 'c1', name: 'f', arguments: JSON.stringify({ api_key: API_KEY, ok: true }) },
        ],
        tools: [{ type: 'mcp' as const, server_label: 'srv', server_url: 'https://mcp.example', headers: { Authorization: `Bearer ${API_KEY}` } }],
      } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming;
      await client().responses.create(planted);
      await assert.rejects(client().responses.create(planted, scenario('status=401')));
      assert.equal(records(DETAILS).length, 2);
      assert.equal(records(EXCEPTION).length, 1);
      const all = JSON.stringify(records().map((r) => ({ body: r.body, attributes: r.attributes })));
      assert.ok(all.includes('"arguments":{"ok":true}'), 'the planted content itself is recorded');
      assert.ok(!all.includes(API_KEY), 'the planted credential is not');
      assert.ok(!/authorization/i.test(all));
    });
  });

  describe('cost: nothing is built', () => {
    let sandbox: sinon.SinonSandbox;
    beforeEach(() => {
      sandbox = sinon.createSandbox();
      sandbox.spy(eventBuilders, 'exceptionEvent');
      sandbox.spy(eventBuilders, 'detailsEvent');
    });
    afterEach(() => {
      sandbox.restore();
      instrumentation.setLoggerProvider(loggerProvider);
    });

    const built = () => (eventBuilders.exceptionEvent as sinon.SinonSpy).callCount + (eventBuilders.detailsEvent as sinon.SinonSpy).callCount;

    it('the spies see the builders (the checks below can fail)', async () => {
      instrumentation.setLoggerProvider(loggerProvider);
      await assert.rejects(client().responses.create({ model: 'm', input: 'hi' }, scenario('status=500')));
      assert.equal(built(), 1);
    });

    it('without a LoggerProvider (the API no-op), even for failures and with the details event on', async () => {
      instrumentation.setLoggerProvider(noopProvider);
      instrumentation.setConfig({ emitOperationDetails: true, captureContent: true });
      await assert.rejects(client().responses.create({ model: 'm', input: 'hi' }, scenario('status=500')));
      await client().responses.create({ model: 'm', input: 'hi' });
      assert.equal(built(), 0);
      assert.deepEqual(records(), []);
    });

    it('with a LoggerProvider and the details event off, a successful call builds nothing', async () => {
      instrumentation.setLoggerProvider(loggerProvider);
      await client().responses.create({ model: 'm', input: 'hi' });
      await drain(await client().responses.create({ model: 'm', input: 'hi', stream: true }));
      assert.equal(built(), 0);
    });
  });
});

describe('event and content switches', () => {
  const ENV_CONTENT = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';
  const ENV_EMIT = 'OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT';
  let saved: Array<[string, string | undefined]>;
  let warn: sinon.SinonSpy;
  beforeEach(() => {
    saved = [ENV_CONTENT, ENV_EMIT].map((k) => [k, process.env[k]]);
    resetReportedConfigProblems();
    warn = sinon.spy();
    api.diag.setLogger({ warn, error: () => {}, info: () => {}, debug: () => {}, verbose: () => {} }, api.DiagLogLevel.WARN);
  });
  afterEach(() => {
    api.diag.disable();
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  function env(content: string | undefined, emit?: string): void {
    for (const [k, v] of [[ENV_CONTENT, content], [ENV_EMIT, emit]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const placement = (config: Parameters<typeof resolveConfig>[0] = {}) => {
    const c = resolveConfig(config);
    return { span: c.inputFields.has('input') && c.outputFields.has('output'), event: c.eventContent, details: c.emitOperationDetails };
  };

  it('defaults: no content anywhere, no details event', () => {
    env(undefined);
    assert.deepEqual(placement(), { span: false, event: false, details: false });
    sinon.assert.notCalled(warn);
  });

  it('the content words of the environment, any case; the details event follows EVENT_ONLY / SPAN_AND_EVENT unless set', () => {
    const cases: Array<[string, ReturnType<typeof placement>]> = [
      ['true', { span: true, event: true, details: false }],
      ['FALSE', { span: false, event: false, details: false }],
      ['no_content', { span: false, event: false, details: false }],
      ['SPAN_ONLY', { span: true, event: false, details: false }],
      ['Event_Only', { span: false, event: true, details: true }],
      ['span_and_event', { span: true, event: true, details: true }],
    ];
    for (const [word, expected] of cases) {
      env(word);
      assert.deepEqual(placement(), expected, word);
    }
    env('EVENT_ONLY', 'false');
    assert.equal(placement().details, false, 'OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT wins over the default');
    env(undefined, 'TRUE');
    assert.deepEqual(placement(), { span: false, event: false, details: true });
    sinon.assert.notCalled(warn);
  });

  it('config wins over the environment', () => {
    env('SPAN_AND_EVENT', 'true');
    assert.deepEqual(placement({ captureContent: false, emitOperationDetails: false }), { span: false, event: false, details: false });
    env('NO_content', 'false');
    assert.deepEqual(placement({ captureContent: 'SPAN_AND_EVENT' }), { span: true, event: true, details: false }, 'an explicit EMIT_EVENT wins over the default');
    env('NO_content');
    assert.deepEqual(placement({ captureContent: 'SPAN_AND_EVENT' }), { span: true, event: true, details: true });
    assert.deepEqual(placement({ captureContent: 'EVENT_ONLY', emitOperationDetails: false }), { span: false, event: true, details: false });
    assert.deepEqual(placement({ captureContent: true, emitOperationDetails: true }), { span: true, event: true, details: true });
  });

  it('invalid values are reported through diag and ignored', () => {
    env('sometimes', 'maybe');
    assert.deepEqual(placement(), { span: false, event: false, details: false });
    assert.deepEqual(placement({ captureContent: 'ALL' as never, emitOperationDetails: 'yes' as never }), { span: false, event: false, details: false });
    const messages = warn.getCalls().map((c) => String(c.args[0]));
    for (const re of [/OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="sometimes"/, /OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT="maybe"/, /captureContent must be one of/, /emitOperationDetails must be a boolean/]) {
      assert.ok(messages.some((m) => re.test(m)), `${re}: ${messages.join(' | ')}`);
    }
  });
});

describe('gen_ai.provider.name by endpoint, gen_ai.output.type', () => {
  it('openai for OpenAI hosts, azure.ai.openai for Azure OpenAI hosts, else bud', () => {
    const cases: Array<[string | undefined, string]> = [
      ['api.openai.com', 'openai'],
      ['API.OpenAI.com', 'openai'],
      ['eu.api.openai.com', 'openai'],
      ['my-res.openai.azure.com', 'azure.ai.openai'],
      ['my-res.cognitiveservices.azure.com', 'azure.ai.openai'],
      ['example-resource.azure.openai.com', 'azure.ai.openai'],
      ['gov.openai.azure.us', 'azure.ai.openai'],
      ['gateway.bud.studio', 'bud'],
      ['api.openai.com.evil.example', 'bud'],
      ['notapi.openai.com', 'bud'],
      ['127.0.0.1', 'bud'],
      [undefined, 'bud'],
    ];
    for (const [host, provider] of cases) assert.equal(providerOfHost(host), provider, String(host));
  });

  it('on span and metric start attributes, cached per client; config system overrides', () => {
    const cache = new StartAttributesCache();
    const config = resolveConfig({});
    const openai = cache.get(CREATE, config, 'https://api.openai.com/v1', 'gpt', false);
    assert.equal(openai.span['gen_ai.provider.name'], 'openai');
    assert.equal(openai.span['gen_ai.system'], 'openai');
    assert.equal(openai.metric['gen_ai.provider.name'], 'openai');
    assert.equal(cache.get(CREATE, config, 'https://api.openai.com/v1', 'gpt', false), openai, 'cached');
    const azure = cache.get(CREATE, config, 'https://res.openai.azure.com/openai', 'gpt', false);
    assert.equal(azure.metric['gen_ai.provider.name'], 'azure.ai.openai');
    assert.equal(cache.get(CREATE, config, 'http://127.0.0.1:8080/v1', 'gpt', false).span['gen_ai.provider.name'], 'bud');
    const own = resolveConfig({ system: 'acme' });
    const overridden = cache.get(CREATE, own, 'https://api.openai.com/v1', 'gpt', false);
    assert.equal(overridden.span['gen_ai.provider.name'], 'acme');
    assert.equal(overridden.span['gen_ai.system'], 'acme');
    assert.equal(overridden.metric['gen_ai.provider.name'], 'acme');
  });

  const outputTypes: Array<[string, object | undefined, string | undefined]> = [
    ['json_schema', { format: { type: 'json_schema', name: 'w', schema: { type: 'object', properties: {} } } }, 'json'],
    ['json_object', { format: { type: 'json_object' } }, 'json'],
    ['text', { format: { type: 'text' } }, 'text'],
    ['no format', { verbosity: 'low' }, undefined],
    ['no text param', undefined, undefined],
  ];
  for (const [name, text, expected] of outputTypes) {
    it(`gen_ai.output.type from text.format: ${name} -> ${String(expected)} (default capture, no content)`, async () => {
      const params = { model: 'm', input: 'hi', ...(text ? { text } : {}) } as OpenAI.Responses.ResponseCreateParamsNonStreaming;
      await client().responses.create(params);
      const a = onlySpan().attributes;
      assert.equal(a['gen_ai.output.type'], expected);
      assert.equal(a['bud.inference.request.text'], undefined, 'the text param itself is content');
    });
  }
});

/* ---------- the v1.41.1 schemas ---------- */

const schemaDir = path.join(__dirname, '..', '..', 'test', 'fixtures', 'semconv-v1.41.1');
const ajv = new Ajv({ strict: true, allErrors: true });
ajv.addFormat('binary', true);
const schemaOf = { input: 'gen-ai-input-messages.json', output: 'gen-ai-output-messages.json', system: 'gen-ai-system-instructions.json', tools: 'gen-ai-tool-definitions.json' };
for (const [key, file] of Object.entries(schemaOf)) ajv.addSchema(JSON.parse(fs.readFileSync(path.join(schemaDir, file), 'utf8')), key);

function validate(key: keyof typeof schemaOf, value: unknown): void {
  const check = ajv.getSchema(key);
  assert.ok(check, key);
  assert.ok(check(value), `${key}: ${ajv.errorsText(check.errors)}\n${JSON.stringify(value)}`);
}
