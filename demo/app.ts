/*
 * The demo application: ordinary `openai` calls, each step inside a span of its own so the
 * printed tree shows the instrumentation's spans under the application's. It loads `openai`,
 * so it must be imported after the telemetry has started.
 */
import { SpanStatusCode, trace } from '@opentelemetry/api';
import OpenAI from 'openai';

export interface DemoTarget {
  baseURL: string;
  apiKey: string;
  model: string;
  /** The embedded gateway: scenario-only steps (a forced failure, fixed token counts) run too. */
  embedded: boolean;
}

interface Step {
  title: string;
  embeddedOnly?: boolean;
  run(openai: OpenAI, target: DemoTarget): Promise<string>;
}

const tracer = trace.getTracer('bud-responses-demo');

const WEATHER_TOOL: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
    required: ['location', 'unit'],
    additionalProperties: false,
  },
  strict: true,
};

function quote(text: string, max = 40): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return `"${flat.length > max ? `${flat.slice(0, max - 1)}…` : flat}"`;
}

async function plainCreate(openai: OpenAI, target: DemoTarget): Promise<string> {
  const response = await openai.responses.create({ model: target.model, input: 'Say hello to Bud in five words.' });
  return quote(response.output_text);
}

async function streamedCreate(openai: OpenAI, target: DemoTarget): Promise<string> {
  const stream = await openai.responses.create({ model: target.model, input: 'Stream a short greeting.', stream: true });
  let events = 0;
  let text = '';
  for await (const event of stream) {
    events++;
    if (event.type === 'response.output_text.delta') text += event.delta;
  }
  return `${events} events, ${quote(text)}`;
}

async function cachedAndReasoning(openai: OpenAI, target: DemoTarget): Promise<string> {
  const response = await openai.responses.create({
    model: target.model,
    input: 'Think briefly: what is 17 * 3?',
    reasoning: { effort: 'low' },
    prompt_cache_key: 'bud-demo',
  });
  const usage = response.usage;
  const cached = usage?.input_tokens_details?.cached_tokens ?? 0;
  const reasoning = usage?.output_tokens_details?.reasoning_tokens ?? 0;
  return `input ${usage?.input_tokens} (cached ${cached}), output ${usage?.output_tokens} (reasoning ${reasoning})`;
}

async function toolRoundTrip(openai: OpenAI, target: DemoTarget): Promise<string> {
  const first = await openai.responses.create({
    model: target.model,
    input: 'What is the weather in Paris?',
    tools: [WEATHER_TOOL],
  });
  const call = first.output.find((item) => item.type === 'function_call');
  if (!call) return `no tool call; ${quote(first.output_text)}`;
  const second = await openai.responses.create({
    model: target.model,
    previous_response_id: first.id,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temperature":21,"unit":"celsius"}' }],
    tools: [WEATHER_TOOL],
  });
  return `${call.name}(${call.arguments}) → ${quote(second.output_text, 30)}`;
}

async function failingRequest(openai: OpenAI): Promise<string> {
  try {
    await openai.responses.create({ model: 'fail-500', input: 'This one fails on purpose.' });
    return 'unexpectedly succeeded';
  } catch (error) {
    const status = (error as { status?: number }).status;
    return `caught ${(error as Error).constructor.name}${status ? ` (HTTP ${status})` : ''}`;
  }
}

const STEPS: Step[] = [
  { title: 'plain create', run: plainCreate },
  { title: 'streamed create', run: streamedCreate },
  { title: 'cached + reasoning tokens', embeddedOnly: true, run: cachedAndReasoning },
  { title: 'tool call, then previous_response_id', run: toolRoundTrip },
  { title: 'failing request', embeddedOnly: true, run: (openai) => failingRequest(openai) },
];

/** Runs one step inside its own span; a step that throws is reported, not fatal. */
function runStep(step: Step, openai: OpenAI, target: DemoTarget): Promise<string> {
  return tracer.startActiveSpan(step.title, async (span) => {
    try {
      return await step.run(openai, target);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      return `failed: ${(error as Error).message}`;
    } finally {
      span.end();
    }
  });
}

/** Runs every step that applies to the target, under one root span; returns a line per step. */
export async function runDemo(target: DemoTarget): Promise<string[]> {
  const openai = new OpenAI({ baseURL: target.baseURL, apiKey: target.apiKey, maxRetries: 0 });
  const steps = STEPS.filter((step) => target.embedded || !step.embeddedOnly);
  return tracer.startActiveSpan('demo', async (root) => {
    const lines: string[] = [];
    for (const [index, step] of steps.entries()) {
      const summary = await runStep(step, openai, target);
      lines.push(`  ${index + 1}. ${step.title.padEnd(38)} → ${summary}`);
    }
    root.end();
    return lines;
  });
}
