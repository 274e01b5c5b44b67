/*
 * The one scrubber (src/mapping/content.ts), its rule and its bounds (docs/TELEMETRY.md §8):
 * - secret-looking key names in any case or spelling, at any depth, and ordinary names kept;
 * - inside JSON strings the request or response carries, and the credential parts of URLs;
 * - every content path, `bud.*` and `gen_ai.*` alike;
 * - a total budget for a span's content attributes, with bounded work;
 * - a bound on every string the server controls, on spans, status and metric attributes.
 */
import * as assert from 'node:assert/strict';
import type { AttributeValue } from '@opentelemetry/api';
import { DEFAULT_MAX_CONTENT_TOTAL_LENGTH, resetReportedConfigProblems, resolveConfig } from '../src/config';
import {
  contentBudget,
  contentValue,
  isSecretKey,
  MAX_SERVER_STRING_LENGTH,
  REDACTED,
  redactText,
} from '../src/mapping/content';
import { inputMessages } from '../src/mapping/messages';
import type { HookInfo } from '../src/types';
import { client, collectMetrics, gateway, instrumentation, instrumentedSpans, metric, onlySpan } from './harness';
import { captureDiag, isContentAttribute } from './scrub-helpers';

/** One create call without and one with streaming (the stream read to its end): their two spans. */
async function callBothWays(model: string) {
  for (const stream of [false, true]) {
    const result = await client().responses.create({ model, input: 'x', stream } as never);
    if (stream) for await (const _ of result as unknown as AsyncIterable<unknown>) void _;
  }
  const spans = instrumentedSpans();
  assert.equal(spans.length, 2);
  return spans;
}

function strings(value: AttributeValue | undefined): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

const SECRET_NAMES = [
  'api_key',
  'apiKey',
  'API-KEY',
  'OPENAI_API_KEY',
  'x-api-key',
  'X-Goog-Api-Key',
  'token',
  'Token',
  'access_token',
  'accessToken',
  'refreshToken',
  'refresh-token',
  'id_token',
  'x-amz-security-token',
  'access_tokens',
  'password',
  'PASSWORD',
  'db.password',
  'passwd',
  'passphrase',
  'secret',
  'client_secret',
  'clientSecret',
  'webhook_secret',
  'secrets',
  'aws_secret_access_key',
  'private_key',
  'privateKey',
  'cookie',
  'Cookie',
  'set-cookie',
  'cookies',
  'authorization',
  'Authorization',
  'proxy-authorization',
  'basic_auth',
  'oauth',
  'credentials',
  'credential',
  'headers',
  'extra_headers',
];

const ORDINARY_NAMES = [
  'max_output_tokens',
  'input_tokens',
  'output_tokens',
  'cached_tokens',
  'reasoning_tokens',
  'tokens',
  'token_count',
  'token_type',
  'tokenizer',
  'type',
  'key',
  'keys',
  'author',
  'session_id',
  'password_hint',
  'secret_name',
  'credential_id',
  'content',
  'text',
  'server_url',
  'server_label',
  'url',
  'name',
  'arguments',
];

describe('the scrubber: one rule for secret key names', () => {
  it('matches secret names whatever their case or spelling', () => {
    const missed = SECRET_NAMES.filter((name) => !isSecretKey(name));
    assert.deepEqual(missed, [], 'every one of these names a credential');
  });

  it('keeps ordinary field names (token counts, type, ids)', () => {
    const removed = ORDINARY_NAMES.filter((name) => isSecretKey(name));
    assert.deepEqual(removed, [], 'none of these is a credential');
  });

  it('removes them at any depth, also in JSON strings and in URLs, and keeps the rest', () => {
    const value = {
      a: [{ b: { c: { OPENAI_API_KEY: 'S1', keep: 1, input_tokens: 7 } } }],
      args: JSON.stringify({ query: 'weather', nested: { refreshToken: 'S2' }, list: [{ password: 'S3' }] }),
      link: 'see https://alice:S4@example.test/x?q=1&access_token=S5#id_token=S6 for more',
    };
    const out = contentValue(value, 10_000) as string;
    assert.ok(!/\bS[1-6]\b/.test(out), out);
    const parsed = JSON.parse(out) as { a: [{ b: { c: Record<string, unknown> } }]; args: string; link: string };
    assert.deepEqual(parsed.a[0].b.c, { keep: 1, input_tokens: 7 });
    assert.deepEqual(JSON.parse(parsed.args), { query: 'weather', nested: {}, list: [{}] }, 'the JSON string stays valid JSON');
    assert.equal(
      parsed.link,
      `see https://${REDACTED}@example.test/x?q=1&access_token=${REDACTED}#id_token=${REDACTED} for more`,
      'the URL keeps everything but its credentials',
    );
  });

  it('redacts `"secret": ...` pairs in JSON text that cannot be parsed (cut or streamed)', () => {
    assert.equal(redactText('{"city": "Paris", "api_key": "S1'), `{"city": "Paris", "api_key": "${REDACTED}"`);
    assert.equal(redactText('{"token":12345,"n":1'), `{"token":"${REDACTED}","n":1`);
  });

  it('redacts pairs whose quotes are escaped (JSON in a JSON string, at any level), keeping the rest intact', () => {
    // Level 1: `{"data":"{\"api_key\":\"S1\"}"}`, one of two values in a row (so not parseable as a whole).
    const level1 = `{"data":""}${JSON.stringify({ data: JSON.stringify({ api_key: 'S1', city: 'Paris' }) })}`;
    assert.equal(redactText(level1), `{"data":""}{"data":"{\\"api_key\\":\\"${REDACTED}\\",\\"city\\":\\"Paris\\"}"}`);
    // Every kind of value, at levels 1 and 2; the input is valid JSON, and so is the result.
    const values: unknown[] = ['S2', 12345, { v: 'S3', w: ['}', '"'] }, ['S4', { x: 'S5' }], true, null];
    for (const value of values) {
      const inner = { note: 'kept', 'X-Api-Key': value, n: 1 };
      const one = JSON.stringify({ a: JSON.stringify(inner) });
      const two = JSON.stringify({ a: JSON.stringify({ b: JSON.stringify(inner), c: 'kept too' }) });
      for (const text of [one, two]) {
        const out = redactText(text);
        assert.ok(!/\bS[2-5]\b/.test(out), out);
        const decoded = JSON.parse(out) as { a: string };
        const level1Value = JSON.parse(decoded.a) as { b?: string; c?: string } & Record<string, unknown>;
        const innerValue = (text === one ? level1Value : JSON.parse(level1Value.b as string)) as Record<string, unknown>;
        assert.deepEqual(innerValue, { note: 'kept', 'X-Api-Key': REDACTED, n: 1 }, out);
        if (text === two) assert.equal(level1Value.c, 'kept too');
      }
    }
    // A URL parameter in JSON in a JSON string: its value ends before the escaped quote, so the JSON stays valid.
    const url = JSON.stringify({ a: JSON.stringify({ u: 'https://h.test/cb#api_key=S7', v: 'https://h.test/p?token=S8' }) });
    const urlOut = redactText(url);
    assert.deepEqual(JSON.parse((JSON.parse(urlOut) as { a: string }).a), {
      u: `https://h.test/cb#api_key=${REDACTED}`,
      v: `https://h.test/p?token=${REDACTED}`,
    });
    // Cut text: the escaped value runs to the cut.
    assert.equal(redactText('{"a":"{\\"password\\": \\"S6'), `{"a":"{\\"password\\": \\"${REDACTED}\\"`);
    // Keys that are not secret, and token counts, are kept.
    const ordinary = JSON.stringify({ a: JSON.stringify({ tokens: 7, token_count: 3, key: 'k' }) });
    assert.equal(redactText(`${ordinary}${ordinary}`), `${ordinary}${ordinary}`);
  });

  it('scrubs each JSON value in a text of several (`{..}{..}`, prose around objects and lists)', () => {
    const scrubbed = (text: string) => contentValue(text, 10_000) as string;
    assert.equal(
      scrubbed(`{"data":""}${JSON.stringify({ data: JSON.stringify({ api_key: 'S1', city: 'Paris' }) })}`),
      '{"data":""}{"data":"{\\"city\\":\\"Paris\\"}"}',
    );
    assert.equal(scrubbed('{"data":{"name":"{\\"api_key\\":[\\"S2\\"]}"}}]'), '{"data":{"name":"{}"}}]');
    assert.equal(
      scrubbed('First {"token": "S3", "a": 1} then [{"password": "S4"}, 2] and {not json} end'),
      'First {"a":1} then [{},2] and {not json} end',
    );
    // A cut object whose secret value is an object found as JSON on its own.
    const cutObject = scrubbed('{"data": "x", "api_key": {"v": "S5"}');
    assert.ok(!cutObject.includes('S5'), cutObject);
    assert.ok(cutObject.startsWith('{"data": "x"'), cutObject);
  });
});

describe('the scrubber on every content path (content capture on)', () => {
  afterEach(() => instrumentation.setConfig({}));

  it('function-call arguments and outputs, MCP URLs and metadata keep no credential, in bud.* and gen_ai.* alike', async () => {
    instrumentation.setConfig({ captureContent: true });
    await client().responses.create({
      model: 'scrub-paths',
      input: [
        { role: 'user', content: 'hi' },
        {
          type: 'function_call',
          call_id: 'call_1',
          name: 'fetch',
          arguments: JSON.stringify({ url: 'https://api.test/x', authorization: 'Bearer LEAK-ARGS-AUTH' }),
        },
        {
          type: 'function_call_output',
          call_id: 'call_1',
          output: JSON.stringify({ status: 200, session: { access_token: 'LEAK-OUTPUT-TOKEN' } }),
        },
      ],
      tools: [
        {
          type: 'mcp',
          server_label: 'wiki',
          server_url: 'https://bob:LEAK-USERINFO@mcp.example.test/sse?region=eu&token=LEAK-URL-TOKEN',
          require_approval: 'never',
        },
      ],
      metadata: {
        OPENAI_API_KEY: 'LEAK-META-1',
        token: 'LEAK-META-2',
        password: 'LEAK-META-3',
        client_secret: 'LEAK-META-4',
        note: 'kept-note',
      },
    } as never);
    const attributes = onlySpan().attributes;
    for (const [key, value] of Object.entries(attributes)) {
      for (const text of strings(value as AttributeValue)) assert.ok(!text.includes('LEAK'), `${key} holds a credential: ${text}`);
    }
    // The rest is kept, so the check above looks at recorded values.
    const input = attributes['bud.inference.request.input'] as string;
    assert.ok(input.includes('https://api.test/x'), input);
    assert.ok((attributes['gen_ai.input.messages'] as string).includes('api.test'));
    for (const key of ['bud.inference.request.tools', 'gen_ai.tool.definitions']) {
      assert.ok((attributes[key] as string).includes(`${REDACTED}@mcp.example.test/sse?region=eu&token=${REDACTED}`), `${key}: ${attributes[key]}`);
    }
    assert.deepEqual(JSON.parse(attributes['bud.inference.request.metadata'] as string), { note: 'kept-note' });
  });

  it('credentials in what the server returns (output items, function-call arguments) reach no attribute', async () => {
    instrumentation.setConfig({ captureContent: true });
    gateway().patchResponses({
      output: [
        {
          type: 'function_call',
          id: 'fc_1',
          call_id: 'call_9',
          name: 'login',
          status: 'completed',
          arguments: JSON.stringify({ user: 'ann', password: 'LEAK-SERVER-ARGS' }),
        },
        { type: 'mcp_call', id: 'mcp_1', server_label: 's', name: 'n', arguments: '{"api_key":"LEAK-MCP-ARGS"}', output: '{"cookie":"LEAK-MCP-OUT"}' },
      ],
    });
    const spans = await callBothWays('scrub-server');
    for (const span of spans) {
      const out = span.attributes['gen_ai.output.messages'] as string;
      assert.ok(out.includes('"user":"ann"'), out);
      for (const [key, value] of Object.entries(span.attributes)) {
        for (const text of strings(value as AttributeValue)) assert.ok(!text.includes('LEAK'), `${key} holds a credential: ${text}`);
      }
    }
  });
});

/** The sum of the lengths of a span's content attributes. */
function contentLength(attributes: Record<string, unknown>): number {
  let total = 0;
  for (const [key, value] of Object.entries(attributes)) {
    if (isContentAttribute(key)) for (const s of strings(value as AttributeValue)) total += s.length;
  }
  return total;
}

describe('the content budget of a span (maxContentTotalLength)', () => {
  afterEach(() => {
    instrumentation.setConfig({});
    resetReportedConfigProblems();
  });

  const manyParts = (n: number, size: number) =>
    Array.from({ length: n }, (_, i) => ({ role: 'user', content: [{ type: 'input_text', text: `${i}:`.padEnd(size, 'x') }] }));

  it('2,000 parts of 10 KB give at most the default budget, as valid JSON', async () => {
    instrumentation.setConfig({ captureContent: true });
    await client().responses.create({ model: 'budget', input: manyParts(2000, 10_000), instructions: 'y'.repeat(50_000) } as never);
    const attributes = onlySpan().attributes;
    const total = contentLength(attributes);
    assert.ok(total <= DEFAULT_MAX_CONTENT_TOTAL_LENGTH, `content attributes hold ${total} characters`);
    assert.ok(total > DEFAULT_MAX_CONTENT_TOTAL_LENGTH / 2, `the budget is used (${total})`);
    for (const key of ['bud.inference.request.input', 'gen_ai.input.messages', 'gen_ai.output.messages']) {
      assert.ok(typeof attributes[key] === 'string', `${key} is recorded`);
      assert.doesNotThrow(() => JSON.parse(attributes[key] as string), `${key} is valid JSON`);
    }
  });

  it('a configured budget holds, and the response keeps its share after a huge request', async () => {
    instrumentation.setConfig({ captureContent: true, maxContentTotalLength: 20_000 });
    await client().responses.create({ model: 'budget', input: manyParts(300, 1000) } as never);
    const attributes = onlySpan().attributes;
    assert.ok(contentLength(attributes) <= 20_000, `content attributes hold ${contentLength(attributes)} characters`);
    assert.ok(typeof attributes['gen_ai.output.messages'] === 'string', 'the output is still recorded');
    assert.ok(typeof attributes['bud.inference.response.output_text'] === 'string');
  });

  it('an invalid maxContentTotalLength is reported and replaced by the default', () => {
    const diag = captureDiag();
    try {
      assert.equal(resolveConfig({ maxContentTotalLength: -5 }).maxContentTotalLength, DEFAULT_MAX_CONTENT_TOTAL_LENGTH);
      assert.equal(resolveConfig({ maxContentTotalLength: 5000 }).maxContentTotalLength, 5000);
    } finally {
      diag.restore();
    }
    assert.ok(diag.messages.some((m) => m.includes('maxContentTotalLength must be a positive integer')), diag.messages.join('\n'));
  });

  it('bounded work: a 20 MB input is never walked whole', () => {
    let reads = 0;
    const parts = Array.from({ length: 2000 }, () => ({
      role: 'user',
      get content() {
        reads++;
        return 'z'.repeat(10_000);
      },
    }));
    const budget = contentBudget(10_000);
    const value = contentValue(parts, 16_384, budget) as string;
    assert.ok(value.length <= 10_000);
    assert.ok(reads < 10, `the scrubber read ${reads} of 2000 parts for a 10,000-character budget`);
    reads = 0;
    const messages = inputMessages({ input: parts }, 16_384, contentBudget(10_000));
    assert.ok(messages !== undefined && messages.length <= 10_000);
    assert.ok(reads < 10, `the semconv mapper read ${reads} of 2000 parts`);
  });
});

describe('strings the server controls are bounded (content capture or not)', () => {
  const huge = (c: string) => c.repeat(200_000);

  it('ids, model, status, error code, tool names and call ids, status message and metric attributes', async () => {
    gateway().patchResponses({
      id: huge('i'),
      model: huge('m'),
      status: 'failed',
      service_tier: huge('t'),
      error: { code: huge('e'), message: 'boom' },
      incomplete_details: { reason: huge('r') },
      output: [
        ...Array.from({ length: 3 }, (_, i) => ({ type: 'function_call', id: `fc_${i}`, call_id: huge('c'), name: huge('n'), arguments: '{}' })),
        ...Array.from({ length: 500 }, (_, i) => ({ type: 'function_call', id: `fc_x${i}`, call_id: `call_${i}`, name: 'f', arguments: '{}' })),
      ],
    });
    const spans = await callBothWays('bounds');
    for (const span of spans) {
      for (const [key, value] of Object.entries(span.attributes)) {
        const limit = key === 'bud.inference.response.tool_calls' ? 4096 : MAX_SERVER_STRING_LENGTH;
        for (const text of strings(value as AttributeValue)) assert.ok(text.length <= limit, `${key} is ${text.length} characters`);
      }
      assert.equal(span.attributes['gen_ai.response.model'], 'm'.repeat(MAX_SERVER_STRING_LENGTH));
      assert.equal(span.attributes['error.type'], 'e'.repeat(MAX_SERVER_STRING_LENGTH));
      assert.ok((span.status.message ?? '').length <= MAX_SERVER_STRING_LENGTH);
      for (const event of span.events) assert.ok(JSON.stringify(event.attributes ?? {}).length < 2 * MAX_SERVER_STRING_LENGTH + 100);
      assert.ok(JSON.parse(span.attributes['bud.inference.response.tool_calls'] as string).length > 0, 'some tool calls are listed');
    }
    const metrics = await collectMetrics();
    for (const name of ['gen_ai.client.operation.duration', 'gen_ai.client.token.usage']) {
      for (const point of metric(metrics, name)?.dataPoints ?? []) {
        for (const [key, value] of Object.entries(point.attributes)) {
          assert.ok(String(value).length <= MAX_SERVER_STRING_LENGTH, `${name} ${key} is ${String(value).length} characters`);
        }
      }
    }
  });

  it('ids the application names (retrieve) are bounded on the span and in hook info', async () => {
    const infos: HookInfo[] = [];
    instrumentation.setConfig({ requestHook: (_span, _params, info) => infos.push(info) });
    try {
      await client().responses.retrieve('r'.repeat(5000)).catch(() => undefined);
    } finally {
      instrumentation.setConfig({});
    }
    const span = onlySpan();
    assert.equal(span.attributes['gen_ai.response.id'], 'r'.repeat(MAX_SERVER_STRING_LENGTH));
    assert.equal(infos.length, 1);
    assert.equal(infos[0].responseId, 'r'.repeat(MAX_SERVER_STRING_LENGTH));
  });
});

describe('content budget: units', () => {
  it('contentValue charges the budget and stops at it', () => {
    const budget = contentBudget(100);
    const first = contentValue({ a: 'x'.repeat(80) }, 1000, budget) as string;
    assert.ok(first.length <= 100);
    assert.equal(budget.left, 100 - first.length);
    const second = contentValue({ b: 'y'.repeat(80) }, 1000, budget);
    assert.ok(second === undefined || (second as string).length <= 100 - first.length, String(second));
  });
});
