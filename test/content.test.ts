/*
 * Every path that records content goes through the one scrubber (src/content.ts): with content
 * capture on, credentials (an MCP tool's `authorization`, header maps, API keys) reach no
 * attribute, and truncation keeps surrogate pairs whole and JSON valid, on `bud.*` and `gen_ai.*`
 * alike (docs/TELEMETRY.md §4, §5, §8).
 */
import * as assert from 'node:assert/strict';
import type { AttributeValue } from '@opentelemetry/api';
import { client, instrumentation, onlySpan, API_KEY } from './harness';

const SECRETS = ['SECRET-MCP-AUTHORIZATION', 'SECRET-HEADER-VALUE', 'SECRET-METADATA-KEY', API_KEY];
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Each emoji is two UTF-16 units: an odd limit falls inside a pair. */
const EMOJI_TEXT = 'a' + '\u{1F600}'.repeat(40);
const LIMIT = 6;

function strings(value: AttributeValue): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

describe('captured content: one scrubber for every path', () => {
  afterEach(() => instrumentation.setConfig({}));

  it('no credential, no broken surrogate pair and valid JSON in any attribute', async () => {
    instrumentation.setConfig({ captureContent: true, maxContentLength: LIMIT });
    await client().responses.create({
      model: 'scrub-model',
      input: [{ role: 'user', content: [{ type: 'input_text', text: EMOJI_TEXT }] }],
      instructions: EMOJI_TEXT,
      user: EMOJI_TEXT,
      metadata: { note: EMOJI_TEXT, headers: { 'x-api-key': 'SECRET-METADATA-KEY' } },
      tools: [
        {
          type: 'mcp',
          server_label: 'wiki',
          server_url: 'https://mcp.example.test/sse',
          authorization: 'SECRET-MCP-AUTHORIZATION',
          headers: { Authorization: 'Bearer SECRET-HEADER-VALUE' },
          require_approval: 'never',
        },
      ],
    } as never);
    const attributes = onlySpan().attributes;
    for (const key of [
      'bud.inference.request.input',
      'gen_ai.input.messages',
      'bud.inference.request.instructions',
      'gen_ai.system_instructions',
      'bud.inference.request.tools',
      'gen_ai.tool.definitions',
      'bud.inference.request.user',
      'bud.inference.request.metadata',
      'bud.inference.response.output_text',
      'gen_ai.output.messages',
    ]) {
      assert.ok(attributes[key] !== undefined, `${key} is recorded with content capture on`);
    }
    for (const [key, value] of Object.entries(attributes)) {
      for (const text of strings(value as AttributeValue)) {
        for (const secret of SECRETS) assert.ok(!text.includes(secret), `${key} holds a credential: ${text}`);
        assert.ok(!LONE_SURROGATE.test(text), `${key} has a broken surrogate pair: ${JSON.stringify(text)}`);
        if (text.startsWith('{') || text.startsWith('[')) assert.doesNotThrow(() => JSON.parse(text), `${key} is valid JSON`);
      }
    }
    // The MCP tool is still described, only without its credentials.
    const tools = JSON.parse(attributes['bud.inference.request.tools'] as string) as Array<Record<string, unknown>>;
    assert.equal(tools[0].server_label, 'wiki');
    assert.equal(tools[0].authorization, undefined);
    assert.equal(tools[0].headers, undefined);
    assert.equal(attributes['bud.inference.request.user'], 'a\u{1F600}\u{1F600}', 'cut before the pair, not inside it');
  });

  it('a param named in a list but absent from the attribute map is cut too', async () => {
    instrumentation.setConfig({ captureInput: ['model', 'prompt_cache_key'], maxContentLength: LIMIT });
    await client().responses.create({ model: 'm', input: 'hi', prompt_cache_key: 'k'.repeat(100) } as never);
    assert.equal(onlySpan().attributes['bud.inference.request.prompt_cache_key'], 'k'.repeat(LIMIT));
  });
});
