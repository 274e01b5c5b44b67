/*
 * The calls a child times. Every variant runs exactly the same code; only what was loaded
 * before `openai` (nothing, ours, or the official instrumentation) differs.
 *
 *   create     non-streaming `responses.create()` over loopback to the embedded gateway
 *   stream     `create({stream: true})` with 200 text deltas (208 events), fully consumed
 *   synthetic  `create({stream: true})` answered in-process by a synthetic `Stream` of 10,000
 *              pre-built events (no network, no SSE parsing), fully consumed
 */
import { buildResponse, buildStreamEvents } from '../gateway/builders';
import type { WorkloadName } from './protocol';

export interface ResponsesAPI {
  create(body: Record<string, unknown>, options?: Record<string, unknown>): PromiseLike<unknown>;
}

export interface Client {
  responses: ResponsesAPI;
  post: (path: string, options?: unknown) => unknown;
}

/** The parts of a loaded `openai` package the benchmark uses (openai 6 and 7 alike). */
export interface OpenAIPackage {
  version: string;
  OpenAI: (new (options: Record<string, unknown>) => Client) & { Responses: { prototype: { create: unknown } } };
  APIPromise: new (client: Client, responsePromise: Promise<unknown>, parse: () => unknown) => PromiseLike<unknown>;
  Stream: new (iterator: () => AsyncIterator<unknown>, controller: AbortController) => AsyncIterable<unknown>;
}

/** One call of a workload; resolves with the number of stream events it consumed. */
export type Call = () => Promise<number>;

const API_KEY = 'sk-bench-0000';
export const STREAM_DELTAS = 200;
export const HEAP_STREAM_DELTAS = 5;
export const SYNTHETIC_EVENTS = 10_000;
/** Events around the deltas: created, in_progress, item/part added and done, text done, completed. */
const FRAMING_EVENTS = 8;

/** A small realistic request; a fresh copy per call, as an application would build it. */
function requestBody(stream: boolean): Record<string, unknown> {
  return {
    model: 'gpt-bench',
    input: 'Summarise the benchmark in one short sentence.',
    instructions: 'Be brief.',
    max_output_tokens: 256,
    temperature: 0.2,
    ...(stream ? { stream: true } : {}),
  };
}

async function consume(stream: unknown): Promise<number> {
  let events = 0;
  for await (const _event of stream as AsyncIterable<unknown>) events++;
  return events;
}

export function gatewayClient(pkg: OpenAIPackage, gatewayUrl: string): Client {
  return new pkg.OpenAI({ apiKey: API_KEY, baseURL: `${gatewayUrl}/v1`, maxRetries: 0 });
}

/** `responses.create` bound to a client: as loaded (a method call) or a given function (A/B). */
export type Create = (body: Record<string, unknown>, options?: Record<string, unknown>) => PromiseLike<unknown>;
export type CreateFunction = (this: unknown, body: Record<string, unknown>, options?: Record<string, unknown>) => PromiseLike<unknown>;

export function bind(client: Client, fn: CreateFunction | undefined): Create {
  if (!fn) return (body, options) => client.responses.create(body, options);
  return (body, options) => fn.call(client.responses, body, options);
}

export function createCall(create: Create): Call {
  return async () => {
    await create(requestBody(false));
    return 0;
  };
}

export function streamCall(create: Create, deltas: number): Call {
  const options = { headers: { 'x-mock-scenario': `deltas=${deltas}` } };
  return async () => consume(await create(requestBody(true), options));
}

/** The events of one streamed response with `total` events in all (the gateway's own builders). */
export function syntheticEvents(total: number): readonly unknown[] {
  const deltas = Math.max(1, total - FRAMING_EVENTS);
  const response = buildResponse(requestBody(true), { id: 'resp_synthetic', createdAt: 0, deltas });
  return Object.freeze(buildStreamEvents(response, { deltas }));
}

async function* replay(events: readonly unknown[]): AsyncGenerator<unknown> {
  for (const event of events) yield event;
}

/**
 * A client whose HTTP layer is replaced: `post()` returns the SDK's own APIPromise resolving to
 * the SDK's own `Stream` over pre-built events. `responses.create()` (patched or not) runs
 * unchanged on top, so an instrumentation sees exactly what it sees for a network stream.
 */
export function syntheticClient(pkg: OpenAIPackage, events: readonly unknown[]): Client {
  const client = new pkg.OpenAI({ apiKey: API_KEY, baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 });
  const response = new Response(null, { status: 200, headers: { 'x-request-id': 'req_synthetic' } });
  client.post = (_path: string, options?: unknown) => {
    const controller = new AbortController();
    const props = { response, options, controller, requestLogID: 'log_synthetic', retryOfRequestLogID: undefined, startTime: 0 };
    return new pkg.APIPromise(client, Promise.resolve(props), () => new pkg.Stream(() => replay(events), controller));
  };
  return client;
}

export function syntheticCall(create: Create): Call {
  return async () => consume(await create(requestBody(true)));
}

export interface WorkloadSet {
  calls: Record<WorkloadName, Call>;
  /** The same workloads through the unpatched create, when the child is patched. */
  original?: Record<WorkloadName, Call>;
  /** Streamed calls with a few deltas, for the heap measurement. */
  smallStream: Call;
}

function workloadCalls(network: Client, synthetic: Client, fn: CreateFunction | undefined): Record<WorkloadName, Call> {
  return {
    create: createCall(bind(network, fn)),
    stream: streamCall(bind(network, fn), STREAM_DELTAS),
    synthetic: syntheticCall(bind(synthetic, fn)),
  };
}

/** `original`: the unpatched create of a patched child, for the in-process A/B comparison. */
export function makeWorkloads(pkg: OpenAIPackage, gatewayUrl: string, events: readonly unknown[], original?: CreateFunction): WorkloadSet {
  const network = gatewayClient(pkg, gatewayUrl);
  const synthetic = syntheticClient(pkg, events);
  return {
    calls: workloadCalls(network, synthetic, undefined),
    ...(original ? { original: workloadCalls(network, synthetic, original) } : {}),
    smallStream: streamCall(bind(network, undefined), HEAP_STREAM_DELTAS),
  };
}
