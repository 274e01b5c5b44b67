/*
 * The floor: the least any instrumentation that records a span and the GenAI metrics of a
 * Responses call has to do, written by hand around the same unpatched `create` the real
 * instrumentations wrap. Per call:
 *
 *   - `tracer.startSpan` (CLIENT) with 12 attributes read from the params and the client;
 *   - the span made current: `context.with` around the call;
 *   - W3C trace-context injection into a copy of the request options;
 *   - when the body settles: 8 response attributes in one `setAttributes`, `end()`, and three
 *     histogram records (duration; input and output tokens), each with its attribute set.
 *
 * Streams end at their natural end (the `response.completed` event gives the usage); aborts,
 * early `break` and errors inside a stream are not followed, which a real instrumentation must
 * do. Only the parsed base URL is kept between calls; every attribute object is built per call.
 * It is a reference for the paired measurement
 * (paired.ts), not an instrumentation.
 */
import { context, propagation, SpanKind, trace, SpanStatusCode, type Attributes, type Histogram, type MeterProvider, type Span, type TracerProvider } from '@opentelemetry/api';

export type CreateFunction = (this: unknown, body: Record<string, unknown>, options?: Record<string, unknown>) => PromiseLike<unknown>;

interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  input_tokens_details?: { cached_tokens?: number };
  output_tokens_details?: { reasoning_tokens?: number };
}

interface ResponseLike {
  id?: string;
  model?: string;
  status?: string;
  service_tier?: string;
  usage?: Usage;
}

interface ClientOwner {
  _client?: { baseURL?: string };
}

const servers = new Map<string, { address: string; port: number }>();

/** `server.address` and `server.port` of the client's base URL, parsed once per URL. */
function serverOf(owner: unknown): { address: string; port: number } {
  const baseURL = (owner as ClientOwner | undefined)?._client?.baseURL ?? 'https://api.openai.com/v1';
  let server = servers.get(baseURL);
  if (!server) {
    const url = new URL(baseURL);
    server = { address: url.hostname, port: url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443 };
    servers.set(baseURL, server);
  }
  return server;
}

function startAttributes(params: Record<string, unknown>, server: { address: string; port: number }): Attributes {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.system': 'openai',
    'gen_ai.request.model': params.model as string,
    'gen_ai.request.max_tokens': params.max_output_tokens as number | undefined,
    'gen_ai.request.temperature': params.temperature as number | undefined,
    'gen_ai.request.top_p': params.top_p as number | undefined,
    'gen_ai.request.stream': params.stream === true,
    'gen_ai.output.type': 'text',
    'openai.api.type': 'responses',
    'server.address': server.address,
    'server.port': server.port,
  };
}

/**
 * The response attributes the `floor-wide` variant adds: 6, so that its span carries as many
 * attributes (25) as this package's default non-streaming span on the bench gateway (whose gateway headers add three).
 */
export const FLOOR_WIDE_EXTRA = 6;

function extraAttributes(count: number, response: ResponseLike | undefined): Attributes {
  const out: Attributes = {};
  for (let i = 0; i < count; i++) out[`bench.floor.extra_${i}`] = response?.id;
  return out;
}

function responseAttributes(response: ResponseLike | undefined): Attributes {
  const usage = response?.usage;
  return {
    'gen_ai.response.id': response?.id,
    'gen_ai.response.model': response?.model,
    'gen_ai.response.finish_reasons': [response?.status === 'completed' ? 'stop' : String(response?.status)],
    'gen_ai.usage.input_tokens': usage?.input_tokens,
    'gen_ai.usage.output_tokens': usage?.output_tokens,
    'gen_ai.usage.cache_read.input_tokens': usage?.input_tokens_details?.cached_tokens,
    'gen_ai.usage.reasoning.output_tokens': usage?.output_tokens_details?.reasoning_tokens,
    'openai.response.service_tier': response?.service_tier,
  };
}

interface Instruments {
  duration: Histogram;
  tokens: Histogram;
}

function finish(span: Span, instruments: Instruments, started: number, attributes: Attributes, response: ResponseLike | undefined, error: unknown, extra: number): void {
  if (error === undefined) {
    span.setAttributes(extra > 0 ? { ...responseAttributes(response), ...extraAttributes(extra, response) } : responseAttributes(response));
  } else {
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
  const metric: Attributes = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': attributes['gen_ai.request.model'],
    'gen_ai.response.model': response?.model,
    'server.address': attributes['server.address'],
    'server.port': attributes['server.port'],
    ...(error === undefined ? {} : { 'error.type': 'error' }),
  };
  instruments.duration.record((performance.now() - started) / 1000, metric);
  const usage = response?.usage;
  if (usage?.input_tokens !== undefined) instruments.tokens.record(usage.input_tokens, { ...metric, 'gen_ai.token.type': 'input' });
  if (usage?.output_tokens !== undefined) instruments.tokens.record(usage.output_tokens, { ...metric, 'gen_ai.token.type': 'output' });
}

interface StreamEvent {
  type?: string;
  response?: ResponseLike;
}

/** The stream with its iterator followed: one `.then` per event, the span ends when it is done. */
function followStream(stream: AsyncIterable<unknown>, done: (response: ResponseLike | undefined, error?: unknown) => void): AsyncIterable<unknown> {
  let last: ResponseLike | undefined;
  return {
    [Symbol.asyncIterator]() {
      const inner = stream[Symbol.asyncIterator]();
      return {
        next: () =>
          inner.next().then(
            (result) => {
              if (result.done === true) done(last);
              else if ((result.value as StreamEvent).type === 'response.completed') last = (result.value as StreamEvent).response;
              return result;
            },
            (error: unknown) => {
              done(last, error);
              throw error;
            },
          ),
        return: (value?: unknown) => inner.return?.(value) ?? Promise.resolve({ done: true as const, value }),
      };
    },
  };
}

/** `create` wrapped with the floor's work, recording through the given providers. */
export function floorWrapper(
  original: CreateFunction,
  tracerProvider: TracerProvider,
  meterProvider: MeterProvider,
  options: { extraAttributes?: number } = {},
): CreateFunction {
  const extra = options.extraAttributes ?? 0;
  const tracer = tracerProvider.getTracer(extra > 0 ? 'bench-floor-wide' : 'bench-floor', '0.0.0');
  const meter = meterProvider.getMeter('bench-floor', '0.0.0');
  const instruments: Instruments = {
    duration: meter.createHistogram('gen_ai.client.operation.duration', { unit: 's' }),
    tokens: meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}' }),
  };
  return function floor(this: unknown, body, options) {
    const started = performance.now();
    const attributes = startAttributes(body, serverOf(this));
    const span = tracer.startSpan(`chat ${String(body.model)}`, { kind: SpanKind.CLIENT, attributes });
    const ctx = trace.setSpan(context.active(), span);
    const carrier: Record<string, string> = {};
    propagation.inject(ctx, carrier);
    const headers = { ...(options?.headers as Record<string, string> | undefined), ...carrier };
    const result = context.with(ctx, () => original.call(this, body, { ...options, headers }));
    const end = (response: ResponseLike | undefined, error?: unknown) => finish(span, instruments, started, attributes, response, error, extra);
    if (body.stream === true) {
      return result.then(
        (stream) => followStream(stream as AsyncIterable<unknown>, end),
        (error: unknown) => {
          end(undefined, error);
          throw error;
        },
      );
    }
    result.then(
      (response) => end(response as ResponseLike),
      (error: unknown) => end(undefined, error),
    );
    return result;
  };
}
