import * as assert from 'node:assert/strict';
import { contentValue } from '../src/mapping/content';
import { computeCost, priceFor } from '../src/mapping/cost';
import { errorType, errorTypeOfPayload } from '../src/mapping/errors';
import { CONTENT_INPUT_FIELDS, CONTENT_OUTPUT_FIELDS, SAFE_INPUT_FIELDS, SAFE_OUTPUT_FIELDS } from '../src/mapping/fields';
import { finishReasons } from '../src/mapping/finish-reasons';
import { addGatewayAttributes } from '../src/mapping/gateway-headers';
import { conversationId, requestAttributes } from '../src/mapping/request';
import { outputText, responseAttributes, toolCalls } from '../src/mapping/response';
import type { ResponseLike } from '../src/types';

const fullParams = {
  model: 'm1',
  temperature: 0.3,
  top_p: 0.9,
  max_output_tokens: 77,
  stream: true,
  tool_choice: { type: 'function', name: 'get_weather' },
  previous_response_id: 'resp_prev',
  reasoning: { effort: 'low' },
  store: false,
  service_tier: 'flex',
  truncation: 'auto',
  background: true,
  parallel_tool_calls: false,
  max_tool_calls: 3,
  include: ['reasoning.encrypted_content'],
  prompt: { id: 'pmpt_1', version: '2', variables: { city: 'SECRET_CITY' } },
  input: 'SECRET_INPUT',
  instructions: 'SECRET_INSTRUCTIONS',
  tools: [{ type: 'function', name: 'get_weather', description: 'SECRET_TOOL' }],
  user: 'SECRET_USER',
  metadata: { k: 'SECRET_META' },
  text: { format: { type: 'text' } },
};

describe('attributes: request map (docs/TELEMETRY.md §4)', () => {
  it('maps every SAFE param to its attribute', () => {
    const a = requestAttributes(fullParams, new Set(SAFE_INPUT_FIELDS), 100);
    assert.deepEqual(a, {
      'gen_ai.request.model': 'm1',
      'gen_ai.request.temperature': 0.3,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.max_tokens': 77,
      'bud.inference.request.tool_choice': '{"type":"function","name":"get_weather"}',
      'bud.inference.request.reasoning': '{"effort":"low"}',
      'bud.inference.request.store': false,
      'bud.inference.request.service_tier': 'flex',
      'openai.request.service_tier': 'flex',
      'bud.inference.request.truncation': 'auto',
      'bud.inference.request.background': true,
      'bud.inference.request.parallel_tool_calls': false,
      'bud.inference.request.max_tool_calls': 3,
      'bud.inference.request.include': '["reasoning.encrypted_content"]',
      'bud.inference.request.prompt.id': 'pmpt_1',
      'bud.inference.request.prompt.version': '2',
      // Not content: the output type that the (content) param `text` asks for.
      'gen_ai.output.type': 'text',
    });
    assert.ok(!JSON.stringify(a).includes('SECRET'), 'no content in the SAFE set');
  });

  it('a string tool_choice stays a string', () => {
    const a = requestAttributes({ tool_choice: 'auto' }, new Set(['tool_choice']), 100);
    assert.equal(a['bud.inference.request.tool_choice'], 'auto');
  });

  it('maps every CONTENT param, JSON unless a string', () => {
    const a = requestAttributes(fullParams, new Set(CONTENT_INPUT_FIELDS), 1000);
    assert.equal(a['bud.inference.request.input'], 'SECRET_INPUT');
    assert.equal(a['bud.inference.request.instructions'], 'SECRET_INSTRUCTIONS');
    assert.equal(a['bud.inference.request.tools'], JSON.stringify(fullParams.tools));
    assert.equal(a['bud.inference.request.user'], 'SECRET_USER');
    assert.equal(a['bud.inference.request.prompt'], JSON.stringify(fullParams.prompt));
    assert.equal(a['bud.inference.request.metadata'], '{"k":"SECRET_META"}');
    assert.equal(a['bud.inference.request.text'], '{"format":{"type":"text"}}');
  });

  it('records any other listed name as bud.inference.request.{name}', () => {
    const a = requestAttributes({ prompt_cache_key: 'k1', safety_identifier: 'x' }, new Set(['prompt_cache_key']), 10);
    assert.deepEqual(a, { 'bud.inference.request.prompt_cache_key': 'k1' });
  });

  it('truncates content per part and keeps JSON valid', () => {
    const input = [{ role: 'user', content: [{ type: 'input_text', text: 'x'.repeat(50) }] }];
    const a = requestAttributes({ input, instructions: 'y'.repeat(50) }, new Set(['input', 'instructions']), 10);
    const parsed = JSON.parse(a['bud.inference.request.input'] as string);
    assert.equal(parsed[0].content[0].text, 'x'.repeat(10));
    assert.equal(a['bud.inference.request.instructions'], 'y'.repeat(10));
    assert.equal(contentValue({ a: ['abcdef', 1, null] }, 3), '{"a":["abc",1,null]}');
  });

  it('drops values that cannot be encoded instead of throwing', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.doesNotThrow(() => requestAttributes({ metadata: circular, user: () => 1 }, new Set(['metadata', 'user']), 5));
  });
});

describe('attributes: conversation id (docs/TELEMETRY.md §3)', () => {
  it('prefers previous_response_id, then the conversation param, then the response', () => {
    assert.equal(conversationId({ previous_response_id: 'resp_a', conversation: 'conv_b' }), 'resp_a');
    assert.equal(conversationId({ conversation: 'conv_b' }), 'conv_b');
    assert.equal(conversationId({ conversation: { id: 'conv_c' } }), 'conv_c');
    assert.equal(conversationId({}, { conversation: { id: 'conv_d' } }), 'conv_d');
    assert.equal(conversationId({}), undefined);
  });
});

const response = {
  id: 'resp_1',
  object: 'response',
  model: 'm1-2026',
  status: 'completed',
  created_at: 1760000000,
  service_tier: 'default',
  usage: {
    input_tokens: 100,
    input_tokens_details: { cached_tokens: 40 },
    output_tokens: 30,
    output_tokens_details: { reasoning_tokens: 12 },
    total_tokens: 130,
  },
  output: [
    { type: 'reasoning', id: 'rs_1', summary: [] },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello ' }, { type: 'output_text', text: 'world' }] },
    { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"SECRET"}' },
    { type: 'web_search_call', id: 'ws_1', status: 'completed' },
  ],
  error: null,
  incomplete_details: null,
};

describe('attributes: response map (docs/TELEMETRY.md §5)', () => {
  it('maps every SAFE field', () => {
    const a = responseAttributes(response, new Set(SAFE_OUTPUT_FIELDS), 100);
    assert.deepEqual(a, {
      'gen_ai.response.id': 'resp_1',
      'gen_ai.response.model': 'm1-2026',
      'gen_ai.response.status': 'completed',
      'gen_ai.response.created': 1760000000,
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.usage.total_tokens': 130,
      'gen_ai.usage.cache_read.input_tokens': 40,
      'gen_ai.usage.reasoning.output_tokens': 12,
      'gen_ai.response.finish_reasons': ['tool_call'],
      'openai.response.service_tier': 'default',
      'bud.inference.response.tool_calls': JSON.stringify([
        { type: 'function_call', name: 'get_weather', call_id: 'call_1' },
        { type: 'web_search_call', call_id: 'ws_1' },
      ]),
    });
    assert.ok(!JSON.stringify(a).includes('SECRET'), 'tool arguments never recorded');
  });

  it('output_text is CONTENT, computed from the output when the event has none', () => {
    assert.equal(outputText(response), 'Hello world');
    assert.equal(outputText({ output_text: 'given' }), 'given');
    const a = responseAttributes(response, new Set(CONTENT_OUTPUT_FIELDS), 5);
    assert.equal(a['bud.inference.response.output_text'], 'Hello');
    const messages = JSON.parse(a['gen_ai.output.messages'] as string) as Array<{ role: string; parts: Array<{ type: string }>; finish_reason: string }>;
    assert.equal(messages[0].role, 'assistant');
    assert.deepEqual(
      messages[0].parts.map((p) => p.type),
      ['reasoning', 'text', 'text', 'tool_call', 'server_tool_call', 'server_tool_call_response'],
    );
    assert.equal(messages[0].finish_reason, 'tool_call');
  });

  it('finish reasons follow status, incomplete_details and output', () => {
    assert.deepEqual(finishReasons({ status: 'completed', output: [] }), ['stop']);
    assert.deepEqual(finishReasons(response), ['tool_call']);
    assert.deepEqual(finishReasons({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }), ['length']);
    assert.deepEqual(finishReasons({ status: 'incomplete', incomplete_details: { reason: 'content_filter' } }), ['content_filter']);
    assert.deepEqual(finishReasons({ status: 'failed' }), ['error']);
    assert.deepEqual(finishReasons({ status: 'queued' }), []);
    // Server-side tools ran inside the response: it still finished with stop.
    assert.deepEqual(finishReasons({ status: 'completed', output: [{ type: 'web_search_call', id: 'ws' }] }), ['stop']);
  });

  it('error code and incomplete reason', () => {
    const failed = { status: 'failed', error: { code: 'server_error', message: 'boom' } };
    assert.deepEqual(responseAttributes(failed, new Set(['error']), 10), { 'bud.inference.response.error.code': 'server_error' });
    const incomplete = { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
    assert.deepEqual(responseAttributes(incomplete, new Set(['incomplete_details']), 10), {
      'bud.inference.response.incomplete_reason': 'max_output_tokens',
    });
  });

  it('other output field names: the response\'s own fields, JSON with each part cut; names of Object.prototype read nothing', () => {
    const response = { id: 'r', reasoning: { effort: 'low' }, constructor: 'own', note: 'x'.repeat(30) } as unknown as ResponseLike;
    const fields = new Set(['reasoning', 'constructor', 'note', '__proto__', 'toString', 'hasOwnProperty', 'missing']);
    assert.deepEqual(responseAttributes(response, fields, 10), {
      'bud.inference.response.reasoning': '{"effort":"low"}',
      'bud.inference.response.constructor': 'own',
      'bud.inference.response.note': 'xxxxxxxxxx',
    });
  });

  it('tool calls list type, name and call id only', () => {
    assert.deepEqual(toolCalls({ output: [{ type: 'mcp_call', id: 'mcp_1', name: 'search', arguments: '{}' }] }), [
      { type: 'mcp_call', name: 'search', call_id: 'mcp_1' },
    ]);
    assert.deepEqual(toolCalls({ output: 'not a list' }), []);
  });
});

describe('attributes: cost (seed 004)', () => {
  const price = { input: 2, cachedInput: 0.5, output: 8, currency: 'EUR' };
  it('prices uncached, cached and output tokens per million', () => {
    const cost = computeCost(price, response.usage);
    assert.ok(cost);
    assert.equal(cost.currency, 'EUR');
    assert.ok(Math.abs(cost.input - (60 * 2 + 40 * 0.5) / 1e6) < 1e-15);
    assert.ok(Math.abs(cost.output - (30 * 8) / 1e6) < 1e-15);
    assert.ok(Math.abs(cost.total - cost.input - cost.output) < 1e-15);
  });
  it('no usage, no cost; cached price defaults to the input price; USD by default', () => {
    assert.equal(computeCost(price, undefined), undefined);
    const cost = computeCost({ input: 1, output: 1 }, { input_tokens: 10, output_tokens: 0, input_tokens_details: { cached_tokens: 5 } });
    assert.deepEqual(cost, { input: 10 / 1e6, output: 0, total: 10 / 1e6, currency: 'USD' });
  });
  it('looks up the response model first, then the request model, never guesses', () => {
    const pricing = { a: { input: 1, output: 1 }, b: { input: 2, output: 2 } };
    assert.equal(priceFor(pricing, 'b', 'a'), pricing.b);
    assert.equal(priceFor(pricing, 'b-2026', 'a'), pricing.a);
    assert.equal(priceFor(pricing, 'a-mini'), undefined);
    assert.equal(priceFor(pricing, 'toString'), undefined);
  });
});

describe('attributes: error.type', () => {
  class RateLimitError extends Error {}
  class APIError extends Error {
    constructor(public status?: number, public code?: string) {
      super('x');
    }
  }
  it('class name, then HTTP status, then code, then _OTHER', () => {
    assert.equal(errorType(new RateLimitError('x')), 'RateLimitError');
    assert.equal(errorType(new APIError(418)), '418');
    assert.equal(errorType(new APIError(undefined, 'server_error')), 'server_error');
    assert.equal(errorType(new APIError()), 'APIError');
    assert.equal(errorType(new TypeError('terminated')), 'TypeError');
    assert.equal(errorType(new Error('x')), '_OTHER');
    assert.equal(errorType('a string'), '_OTHER');
    assert.equal(errorTypeOfPayload({ code: 'rate_limit_exceeded' }), 'rate_limit_exceeded');
    assert.equal(errorTypeOfPayload({ error: { code: 'server_error' } }), 'server_error');
    assert.equal(errorTypeOfPayload(null), '_OTHER');
  });
});

describe('gateway token headers', () => {
  it('are kept only where they differ from the usage', () => {
    const gateway = { 'bud.gateway.input_tokens': 5, 'bud.gateway.output_tokens': 9, 'bud.gateway.project_id': 'p' };
    assert.deepEqual(addGatewayAttributes(gateway, { input_tokens: 5, output_tokens: 7 }, { 'gen_ai.usage.input_tokens': 5 }), {
      'gen_ai.usage.input_tokens': 5,
      'bud.gateway.output_tokens': 9,
      'bud.gateway.project_id': 'p',
    });
    assert.deepEqual(addGatewayAttributes(gateway, undefined, {}), gateway);
  });
});
