/*
 * Property: whatever the input, no credential reaches telemetry and every span stays within its
 * bounds (docs/TELEMETRY.md §8). Random nested params (input items, tools with MCP `server_url`, headers
 * and authorization, metadata, instructions, text, prompt variables) and random gateway
 * responses (output items, function-call arguments, long ids and names) carry sentinel secrets
 * under secret-looking keys in any spelling, inside JSON strings and in URLs; real calls (the
 * openai client against the embedded gateway, streaming or not) run with every capture option.
 * No sentinel may appear in any exported span attribute, span event, status message, metric
 * attribute, hook info or `diag` message; every span's content attributes stay within the
 * budget and every string the server controls within its bound.
 *
 * Default: a short run (SECRETS_PROPERTY_RUNS=N for a longer one, e.g. 500).
 */
import * as assert from 'node:assert/strict';
import type { AttributeValue } from '@opentelemetry/api';
import fc from 'fast-check';
import { DEFAULT_MAX_CONTENT_TOTAL_LENGTH } from '../src/config';
import { MAX_SERVER_STRING_LENGTH } from '../src/mapping/content';
import { MAX_TOOL_CALLS_LENGTH } from '../src/mapping/response';
import type { BudResponsesInstrumentationConfig } from '../src/types';
import { client, collectMetrics, gateway, instrumentation, instrumentedSpans, spanExporter } from './harness';
import { captureDiag, isContentAttribute } from './scrub-helpers';

const RUNS = Number(process.env.SECRETS_PROPERTY_RUNS) || 100;

/** Every planted secret starts with this; nothing else in a run does. */
const MARK = 'SNTLq';
const sentinel: fc.Arbitrary<string> = fc.stringMatching(/^[A-Za-z0-9]{4,12}$/).map((s) => `${MARK}${s}`);

/** Secret-looking key names in many spellings. */
const secretName = fc.constantFrom(
  'api_key',
  'apiKey',
  'OPENAI_API_KEY',
  'x-api-key',
  'token',
  'access_token',
  'refreshToken',
  'password',
  'passwd',
  'secret',
  'client_secret',
  'cookie',
  'Set-Cookie',
  'authorization',
  'Authorization',
  'private_key',
  'credentials',
  'headers',
  'X-Auth-Token',
  'db.password',
);
const ordinaryName = fc.constantFrom('name', 'value', 'city', 'note', 'type', 'id', 'max_output_tokens', 'tokens', 'data', 'url', 'items');
const plain: fc.Arbitrary<string> = fc.string({ maxLength: 20 }).filter((s) => !s.includes(MARK));

/** A URL whose credentials (user info, secret-named query or fragment parameters) are a sentinel. */
const secretUrl: fc.Arbitrary<string> = fc
  .record({ s: sentinel, key: secretName, where: fc.constantFrom('userinfo', 'query', 'fragment', 'both') })
  .map(({ s, key, where }) => {
    const q = encodeURIComponent(key);
    if (where === 'userinfo') return `https://user:${s}@mcp.example.test/sse?region=eu`;
    if (where === 'query') return `https://mcp.example.test/sse?region=eu&${q}=${s}`;
    if (where === 'fragment') return `https://app.example.test/cb#${q}=${s}&state=1`;
    return `wss://${s}@h.example.test:8443/p?${q}=${s}`;
  });

/** A JSON value whose only sentinels are in secret places (secret keys, URLs, JSON strings of such). */
const carrier: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown; secret: unknown }>((tie) => ({
  // What may sit under a secret key: anything, sentinels included.
  secret: fc.oneof(sentinel, fc.array(sentinel, { maxLength: 2 }), fc.dictionary(ordinaryName, sentinel, { maxKeys: 2 })),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    plain,
    fc.integer(),
    fc.constant(null),
    secretUrl,
    fc.dictionary(secretName, tie('secret'), { minKeys: 1, maxKeys: 2 }),
    fc.dictionary(ordinaryName, tie('value'), { maxKeys: 3 }),
    fc.array(tie('value'), { maxLength: 3 }),
    // JSON text (a tool call's arguments, a tool's output) holding secrets, maybe inside prose.
    fc
      .tuple(fc.dictionary(secretName, tie('secret'), { minKeys: 1, maxKeys: 2 }), fc.dictionary(ordinaryName, tie('value'), { maxKeys: 2 }), fc.boolean())
      .map(([s, o, prose]) => (prose ? `Result: ${JSON.stringify({ ...o, ...s })}` : JSON.stringify({ ...o, ...s }))),
  ),
})).value;

/**
 * Text a person or model writes: plain text, a URL with credentials, JSON text with secrets, or
 * several JSON values in a row or in prose (`{..}{..}`, `see {..} and [..]`: not JSON as a whole).
 */
const text: fc.Arbitrary<string> = fc.oneof(
  plain,
  secretUrl.map((u) => `open ${u} now`),
  carrier.map((c) => JSON.stringify({ data: c })),
  fc
    .tuple(fc.array(carrier.map((c) => JSON.stringify([c])), { minLength: 1, maxLength: 3 }), fc.constantFrom('', ' and ', '\n'), plain)
    .map(([values, between, prose]) => `${prose}${values.join(between)}${between}${prose}`),
);
const jsonString: fc.Arbitrary<string> = fc
  .tuple(fc.dictionary(secretName, sentinel, { minKeys: 1, maxKeys: 2 }), fc.dictionary(ordinaryName, carrier, { maxKeys: 2 }))
  .map(([s, o]) => JSON.stringify({ ...o, ...s }));

const inputItem: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ role: fc.constantFrom('user', 'developer', 'assistant'), content: text }),
  fc.record({
    role: fc.constant('user'),
    content: fc.array(
      fc.oneof(
        fc.record({ type: fc.constant('input_text'), text }),
        fc.record({ type: fc.constant('input_image'), image_url: secretUrl }),
        fc.record({ type: fc.constant('input_file'), file_url: secretUrl }),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({ type: fc.constant('function_call'), call_id: fc.constant('call_1'), name: fc.constant('fetch'), arguments: jsonString }),
  fc.record({ type: fc.constant('function_call_output'), call_id: fc.constant('call_1'), output: fc.oneof(jsonString, text) }),
  fc.record({ type: fc.constant('custom_tool_call'), call_id: fc.constant('call_2'), name: fc.constant('sh'), input: jsonString }),
  fc.record({ type: fc.constant('mcp_call'), id: fc.constant('mcp_1'), server_label: fc.constant('s'), name: fc.constant('n'), arguments: jsonString, output: fc.oneof(jsonString, text) }),
  fc.record({ type: fc.constantFrom('future_item', 'item_reference'), payload: carrier }),
);

const tool: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    type: fc.constant('mcp'),
    server_label: fc.constant('wiki'),
    server_url: secretUrl,
    authorization: sentinel,
    headers: fc.dictionary(fc.constantFrom('X-Key', 'Authorization', 'x-trace'), sentinel, { minKeys: 1 }),
    require_approval: fc.constant('never'),
  }),
  fc.record({
    type: fc.constant('function'),
    name: fc.constant('get_weather'),
    description: text,
    parameters: fc.record({ type: fc.constant('object'), properties: fc.dictionary(ordinaryName, carrier, { maxKeys: 2 }) }),
  }),
  fc.record({ type: fc.constant('future_tool'), config: carrier }),
);

const params = fc.record(
  {
    input: fc.oneof(text, fc.array(inputItem, { minLength: 1, maxLength: 5 })),
    instructions: text,
    tools: fc.array(tool, { maxLength: 3 }),
    metadata: fc
      .tuple(fc.dictionary(secretName, sentinel, { maxKeys: 2 }), fc.dictionary(ordinaryName, plain, { maxKeys: 2 }))
      .map(([secrets, ordinary]) => ({ ...ordinary, ...secrets })),
    text: fc.record({ format: fc.record({ type: fc.constant('json_schema'), name: fc.constant('out'), schema: carrier }) }),
    prompt: fc.record({ id: fc.constant('pmpt_1'), variables: fc.dictionary(secretName, sentinel, { minKeys: 1, maxKeys: 2 }) }),
  },
  { requiredKeys: ['input'] },
);

/** What the gateway sends back, laid over its own Response: output items with secrets, long server strings. */
const longString = fc.oneof(fc.string({ maxLength: 8 }), fc.string({ minLength: 300, maxLength: 700 })).filter((s) => !s.includes(MARK));
const outputItem: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    type: fc.constant('function_call'),
    id: fc.constant('fc_1'),
    call_id: longString,
    name: longString,
    status: fc.constant('completed'),
    arguments: jsonString,
  }),
  fc.record({
    type: fc.constant('message'),
    id: fc.constant('msg_1'),
    role: fc.constant('assistant'),
    status: fc.constant('completed'),
    content: fc.tuple(text).map(([t]) => [{ type: 'output_text', text: t, annotations: [], logprobs: [] }]),
  }),
  fc.record({ type: fc.constant('mcp_call'), id: fc.constant('mcp_2'), server_label: fc.constant('s'), name: longString, arguments: jsonString, output: jsonString }),
  fc.record({ type: fc.constant('future_output'), id: fc.constant('fo_1'), data: carrier }),
);
const serverPatch = fc.record(
  { id: longString, model: longString, service_tier: longString, output: fc.array(outputItem, { minLength: 1, maxLength: 3 }) },
  { requiredKeys: ['output'] },
);

const ALL_INPUT_FIELDS = ['model', 'input', 'instructions', 'tools', 'metadata', 'text', 'prompt', 'prompt.variables', 'user', 'tool_choice'];
const ALL_OUTPUT_FIELDS = ['id', 'model', 'status', 'usage', 'tool_calls', 'output', 'output_text', 'tools', 'metadata', 'instructions', 'text', 'prompt'];

const captureOption: fc.Arbitrary<BudResponsesInstrumentationConfig> = fc.constantFrom(
  {},
  { captureContent: true },
  { captureContent: true, semconvMode: 'otel' as const },
  { captureInput: ALL_INPUT_FIELDS, captureOutput: ALL_OUTPUT_FIELDS },
  { captureContent: true, maxContentLength: 40, maxContentTotalLength: 3000 },
  { captureInput: ALL_INPUT_FIELDS, captureOutput: ALL_OUTPUT_FIELDS, maxContentTotalLength: 1000 },
);

/** Attributes whose value the server controls, and the bound each keeps. */
function boundOf(key: string): number | undefined {
  if (key === 'bud.inference.response.tool_calls') return MAX_TOOL_CALLS_LENGTH;
  if (
    [
      'gen_ai.response.id',
      'gen_ai.response.model',
      'bud.inference.response.status',
      'openai.response.service_tier',
      'bud.inference.response.error.code',
      'bud.inference.response.incomplete_reason',
      'error.type',
      'gen_ai.conversation.id',
    ].includes(key) ||
    key.startsWith('bud.gateway.')
  ) {
    return MAX_SERVER_STRING_LENGTH;
  }
  return undefined;
}

function strings(value: AttributeValue | undefined): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

describe('property: no planted secret reaches telemetry, and every span keeps its bounds', function () {
  this.timeout(RUNS * 2000 + 20000);
  afterEach(() => instrumentation.setConfig({}));

  it(`${RUNS} random calls (params, gateway responses, streaming or not, every capture option)`, async () => {
    await fc.assert(
      fc.asyncProperty(params, serverPatch, captureOption, fc.boolean(), async (p, patch, option, stream) => {
        spanExporter.reset();
        const hookInfos: string[] = [];
        instrumentation.setConfig({
          ...option,
          requestHook: (_span, _params, info) => hookInfos.push(JSON.stringify(info)),
          responseHook: (_span, _response, info) => hookInfos.push(JSON.stringify(info)),
        });
        gateway().patchResponses(patch as Record<string, unknown>);
        const diag = captureDiag();
        try {
          const result = await client().responses.create({ model: 'prop-secrets', ...p, stream } as never);
          if (stream) for await (const _ of result as unknown as AsyncIterable<unknown>) void _;
        } finally {
          diag.restore();
          gateway().patchResponses(undefined);
        }
        const spans = instrumentedSpans();
        assert.equal(spans.length, 1, 'one span per call');
        const span = spans[0];
        const exported = JSON.stringify({ attributes: span.attributes, events: span.events, status: span.status, name: span.name });
        const metrics = JSON.stringify((await collectMetrics()).map((m) => m.dataPoints.map((d) => d.attributes)));
        for (const [what, textOf] of [
          ['span', exported],
          ['metrics', metrics],
          ['hook info', hookInfos.join('\n')],
          ['diag', diag.messages.join('\n')],
        ] as const) {
          const at = textOf.indexOf(MARK);
          assert.ok(at < 0, `a secret reached the ${what}: …${textOf.slice(Math.max(0, at - 200), at + 40)}`);
        }
        const budget = option.maxContentTotalLength ?? DEFAULT_MAX_CONTENT_TOTAL_LENGTH;
        let content = 0;
        for (const [key, value] of Object.entries(span.attributes)) {
          const texts = strings(value as AttributeValue);
          if (isContentAttribute(key) || key.startsWith('bud.inference.response.') && boundOf(key) === undefined) {
            for (const t of texts) content += t.length;
          }
          const bound = boundOf(key);
          if (bound !== undefined) for (const t of texts) assert.ok(t.length <= bound, `${key} is ${t.length} characters`);
        }
        assert.ok(content <= budget, `the span carries ${content} characters of content (budget ${budget})`);
        assert.ok((span.status.message ?? '').length <= MAX_SERVER_STRING_LENGTH);
      }),
      { numRuns: RUNS, seed: process.env.SECRETS_PROPERTY_SEED ? Number(process.env.SECRETS_PROPERTY_SEED) : undefined },
    );
  });
});
