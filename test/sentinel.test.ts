/*
 * With the default configuration no attribute, event, status or metric holds input text,
 * instructions, tool definitions, output text, tool arguments, or the API key (docs/TELEMETRY.md §4, §8).
 */
import * as assert from 'node:assert/strict';
import { outputText } from '../src/mapping/response';
import { API_KEY, client, collectMetrics, finishedSpans, instrumentation, scenario, waitFor, instrumentedSpans } from './harness';

const SENTINELS = {
  input: 'SENTINEL_INPUT_7f3a',
  instructions: 'SENTINEL_INSTRUCTIONS_91bc',
  tool: 'SENTINEL_TOOL_DESCRIPTION_55de',
  metadata: 'SENTINEL_METADATA_0a0a',
  user: 'SENTINEL_USER_c3c3',
  variable: 'SENTINEL_PROMPT_VARIABLE_e1e1',
};

function telemetryText(spans: unknown, metrics: unknown): string {
  return JSON.stringify({ spans, metrics });
}

describe('no content and no secrets by default', () => {
  beforeEach(() => instrumentation.setConfig({}));

  it('covers create, stream, tool call, failure and parse', async () => {
    const openai = client();
    const params = {
      model: 'sentinel-model',
      input: `What is the weather? ${SENTINELS.input}`,
      instructions: SENTINELS.instructions,
      tools: [
        {
          type: 'function' as const,
          name: 'get_weather',
          description: SENTINELS.tool,
          parameters: { type: 'object', properties: { location: { type: 'string' } } },
          strict: false,
        },
      ],
      metadata: { note: SENTINELS.metadata },
      user: SENTINELS.user,
      prompt: { id: 'pmpt_sentinel', variables: { city: SENTINELS.variable } },
    };
    const plain = await openai.responses.create(params);
    assert.ok(JSON.stringify(plain.output).includes('function_call'), 'the gateway made a tool call');
    const text = await openai.responses.create({ ...params, tools: undefined });
    assert.ok(outputText(text)?.includes(SENTINELS.input), 'the output echoes the input sentinel');
    for await (const _e of await openai.responses.create({ ...params, tools: undefined, stream: true })) {
      /* consume */
    }
    await openai.responses.parse({ ...params, tools: undefined });
    await openai.responses.create(params, scenario('status=400')).catch(() => undefined);
    await waitFor(() => instrumentedSpans().length === 5);

    const spans = finishedSpans().map((s) => ({
      name: s.name,
      attributes: s.attributes,
      events: s.events,
      status: s.status,
      links: s.links,
    }));
    const metrics = await collectMetrics();
    const all = telemetryText(spans, metrics);
    for (const [what, sentinel] of Object.entries(SENTINELS)) {
      assert.ok(!all.includes(sentinel), `${what} leaked into telemetry`);
    }
    assert.ok(!all.includes('Paris'), 'tool call arguments leaked');
    assert.ok(!all.includes(API_KEY), 'API key leaked');
    assert.ok(!all.toLowerCase().includes('authorization'), 'a request header leaked');
    assert.ok(all.includes('pmpt_sentinel'), 'the safe prompt id is recorded (the check can see attributes)');
  });

  it('with captureContent the same calls do record content (the check above can fail)', async () => {
    instrumentation.setConfig({ captureContent: true });
    await client().responses.create({ model: 'm', input: SENTINELS.input, instructions: SENTINELS.instructions });
    const all = telemetryText(finishedSpans().map((s) => s.attributes), []);
    assert.ok(all.includes(SENTINELS.input));
    assert.ok(all.includes(SENTINELS.instructions));
    assert.ok(!all.includes(API_KEY), 'the API key is never recorded, content on or off');
  });
});
