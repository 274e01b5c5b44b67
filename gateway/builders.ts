/**
 * Pure, deterministic builders for Responses API objects and stream events.
 * The gateway uses them to answer requests; tests can use them to compute the
 * values they expect (given the same request, id, timestamp and options).
 */
import { randomBytes } from 'node:crypto';

export type JsonRecord = Record<string, unknown>;
export type ResponseStatus = 'completed' | 'failed' | 'in_progress' | 'cancelled' | 'queued' | 'incomplete';
export type Outcome = 'completed' | 'failed' | 'incomplete';
export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface OutputTextPart {
  type: 'output_text';
  annotations: unknown[];
  logprobs: unknown[];
  text: string;
}
export interface MessageItem {
  id: string;
  type: 'message';
  status: ItemStatus;
  content: OutputTextPart[];
  role: 'assistant';
}
export interface FunctionCallItem {
  id: string;
  type: 'function_call';
  status: ItemStatus;
  arguments: string;
  call_id: string;
  name: string;
}
export interface ReasoningItem {
  id: string;
  type: 'reasoning';
  summary: unknown[];
}
export type OutputItem = MessageItem | FunctionCallItem | ReasoningItem;

export interface Usage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  background: boolean;
  completed_at: number | null;
  conversation?: { id: string };
  error: { code: string; message: string } | null;
  incomplete_details: { reason: string } | null;
  instructions: unknown;
  max_output_tokens: number | null;
  max_tool_calls: number | null;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  prompt: { id: string; variables: unknown; version: string | null } | null;
  prompt_cache_key: string | null;
  reasoning: { effort: string | null; summary: string | null };
  safety_identifier: string | null;
  service_tier: string;
  store: boolean;
  temperature: number;
  text: unknown;
  tool_choice: unknown;
  tools: unknown[];
  top_logprobs: number;
  top_p: number;
  truncation: string;
  usage: Usage | null;
  user?: string;
  metadata: JsonRecord;
}

export interface StreamEvent {
  type: string;
  sequence_number: number;
  [key: string]: unknown;
}

export interface BuildResponseOptions {
  id: string;
  /** Epoch seconds. */
  createdAt: number;
  /** Number of deltas the reply is split into (default 3). */
  deltas?: number | undefined;
  outcome?: Outcome | undefined;
  /** Force a function call (scenario `tool_call`). */
  forceToolCall?: boolean | undefined;
  /** Prompt-cache hit: `cached_tokens` > 0. */
  cacheHit?: boolean | undefined;
  /** Tokens carried over from `previous_response_id` (added to input_tokens). */
  contextTokens?: number | undefined;
}

export interface BuildStreamOptions {
  /** Must equal the `deltas` used for buildResponse (default 3). */
  deltas?: number | undefined;
  /** Interleave `response.future_thing` events. */
  unknownEvents?: boolean | undefined;
  /** Emit an `error` event after this many events and stop (null = default cut point). */
  errorEventAfter?: number | null | undefined;
}

export const DEFAULT_DELTAS = 3;
export const REASONING_TOKENS = 16;
export const FUNCTION_ARGUMENTS = '{"location":"Paris","unit":"celsius"}';
export const DEFAULT_FUNCTION_NAME = 'get_weather';
export const UNKNOWN_EVENT_TYPE = 'response.future_thing';
/** USD per token, used for `x-tensorzero-inference-cost`. */
export const INPUT_TOKEN_PRICE = 0.0000025;
export const OUTPUT_TOKEN_PRICE = 0.00001;
export const FAILURE_MESSAGE = 'The model failed to generate a response (mock server_error).';
export const STREAM_ERROR_MESSAGE = 'Rate limit reached for requests (mock error event).';

// ---------------------------------------------------------------- small utils

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/** `prefix_<hex>` with `bytes` random bytes. */
export function newId(prefix: string, bytes = 24): string {
  return `${prefix}_${randomBytes(bytes).toString('hex')}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The hex part of an id such as `resp_abc` → `abc` (used to derive item ids). */
function idSuffix(id: string): string {
  const underscore = id.indexOf('_');
  return underscore < 0 ? id : id.slice(underscore + 1);
}

// ------------------------------------------------------------ text extraction

/** Text of a message `content`: a string or an array of parts with `text`. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isRecord(part) ? (str(part.text) ?? '') : ''))
    .filter((text) => text !== '')
    .join(' ');
}

function itemText(item: unknown): string {
  if (typeof item === 'string') return item;
  if (!isRecord(item)) return '';
  if (item.type === 'function_call_output') return contentText(item.output);
  if (item.type === 'function_call') return str(item.arguments) ?? '';
  return contentText(item.content);
}

export interface LastTurn {
  kind: 'user' | 'tool_output' | 'none';
  text: string;
}

/** The last user message or function_call_output of `input`. */
export function lastTurn(input: unknown): LastTurn {
  if (typeof input === 'string') return { kind: 'user', text: input };
  if (!Array.isArray(input)) return { kind: 'none', text: '' };
  for (let i = input.length - 1; i >= 0; i--) {
    const item: unknown = input[i];
    if (!isRecord(item)) continue;
    if (item.type === 'function_call_output') return { kind: 'tool_output', text: itemText(item) };
    if (item.role === 'user') return { kind: 'user', text: itemText(item) };
  }
  return { kind: 'none', text: '' };
}

/** All text of the request that counts as input: instructions + every input item. */
export function allInputText(request: JsonRecord): string {
  const parts = [contentText(request.instructions)];
  const input = request.input;
  if (Array.isArray(input)) parts.push(...input.map(itemText));
  else parts.push(itemText(input));
  return parts.filter((text) => text !== '').join('\n');
}

/** Deterministic token estimate: ceil(chars / 4), at least 1. */
export function countInputTokens(request: JsonRecord): number {
  return Math.max(1, Math.ceil(allInputText(request).length / 4));
}

// ------------------------------------------------------------- reply content

/** Whether the request asks for structured output (`text.format.type: 'json_schema'`). */
export function wantsJsonSchema(request: JsonRecord): boolean {
  return isRecord(request.text) && isRecord(request.text.format) && request.text.format.type === 'json_schema';
}

/**
 * `Echo: <last user text>` padded with '.' to at least `deltas` characters; for a
 * `json_schema` text format, the JSON text FUNCTION_ARGUMENTS (not padded).
 */
export function replyText(request: JsonRecord, deltas = DEFAULT_DELTAS): string {
  if (wantsJsonSchema(request)) return FUNCTION_ARGUMENTS;
  const base = `Echo: ${lastTurn(request.input).text}`;
  return base.length >= deltas ? base : base + '.'.repeat(deltas - base.length);
}

/** Splits `text` into `n` contiguous, near-equal pieces (non-empty when text.length >= n). */
export function splitDeltas(text: string, n: number): string[] {
  const count = Math.max(1, Math.min(n, Math.max(text.length, 1)));
  const pieces: string[] = [];
  for (let i = 0; i < count; i++) {
    pieces.push(text.slice(Math.floor((i * text.length) / count), Math.floor(((i + 1) * text.length) / count)));
  }
  return pieces;
}

function functionTools(request: JsonRecord): JsonRecord[] {
  const tools = Array.isArray(request.tools) ? request.tools : [];
  return tools.filter((tool): tool is JsonRecord => isRecord(tool) && tool.type === 'function');
}

/**
 * Whether the reply is a function call: forced by scenario, or the request has
 * function tools, its last input turn is a user message, `tool_choice` is not
 * 'none', and either the text mentions "weather" or tool_choice requires a call.
 */
export function shouldCallTool(request: JsonRecord, force = false): boolean {
  if (force) return true;
  if (functionTools(request).length === 0 || request.tool_choice === 'none') return false;
  const turn = lastTurn(request.input);
  if (turn.kind !== 'user') return false;
  const required = request.tool_choice === 'required' || isRecord(request.tool_choice);
  return required || /weather/i.test(turn.text);
}

/** Name of the function to call: tool_choice's, else the first "weather" tool, else the first tool. */
export function chooseFunctionName(request: JsonRecord): string {
  const choice = request.tool_choice;
  if (isRecord(choice) && typeof choice.name === 'string') return choice.name;
  const names = functionTools(request)
    .map((tool) => str(tool.name))
    .filter((name): name is string => name !== undefined);
  return names.find((name) => /weather/i.test(name)) ?? names[0] ?? DEFAULT_FUNCTION_NAME;
}

function messageItem(responseId: string, text: string, status: ItemStatus): MessageItem {
  return {
    id: `msg_${idSuffix(responseId)}`,
    type: 'message',
    status,
    content: [{ type: 'output_text', annotations: [], logprobs: [], text }],
    role: 'assistant',
  };
}

function functionCallItem(responseId: string, name: string, status: ItemStatus): FunctionCallItem {
  const suffix = idSuffix(responseId);
  return {
    id: `fc_${suffix}`,
    type: 'function_call',
    status,
    arguments: FUNCTION_ARGUMENTS,
    call_id: `call_${suffix.slice(0, 24)}`,
    name,
  };
}

function reasoningItem(responseId: string): ReasoningItem {
  return { id: `rs_${idSuffix(responseId)}`, type: 'reasoning', summary: [] };
}

/** Output items of the response (reasoning item first when `reasoning` is set). */
export function buildOutput(request: JsonRecord, opts: BuildResponseOptions): OutputItem[] {
  const status: ItemStatus = (opts.outcome ?? 'completed') === 'completed' ? 'completed' : 'incomplete';
  const output: OutputItem[] = isRecord(request.reasoning) ? [reasoningItem(opts.id)] : [];
  if (shouldCallTool(request, opts.forceToolCall)) {
    output.push(functionCallItem(opts.id, chooseFunctionName(request), status));
  } else {
    output.push(messageItem(opts.id, replyText(request, opts.deltas), status));
  }
  return output;
}

/** Usage: output_tokens = number of deltas + reasoning tokens. */
export function buildUsage(request: JsonRecord, output: OutputItem[], opts: BuildResponseOptions): Usage {
  const input = countInputTokens(request) + (opts.contextTokens ?? 0);
  const cached = opts.cacheHit ? Math.max(1, Math.floor(input / 2)) : 0;
  const reasoning = isRecord(request.reasoning) ? REASONING_TOKENS : 0;
  const generated = output.reduce((sum, item) => sum + deltaPieces(item, opts.deltas ?? DEFAULT_DELTAS).length, 0);
  const outputTokens = generated + reasoning;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: input + outputTokens,
  };
}

function deltaPieces(item: OutputItem, deltas: number): string[] {
  if (item.type === 'message') return splitDeltas(item.content[0]?.text ?? '', deltas);
  if (item.type === 'function_call') return splitDeltas(item.arguments, deltas);
  return [];
}

// ------------------------------------------------------------ response object

function conversationRef(value: unknown): { id: string } | undefined {
  if (typeof value === 'string') return { id: value };
  if (isRecord(value) && typeof value.id === 'string') return { id: value.id };
  return undefined;
}

function promptRef(value: unknown): ResponseObject['prompt'] {
  if (!isRecord(value) || typeof value.id !== 'string') return null;
  return { id: value.id, variables: value.variables ?? null, version: str(value.version) ?? null };
}

function reasoningRef(value: unknown): ResponseObject['reasoning'] {
  if (!isRecord(value)) return { effort: null, summary: null };
  return { effort: str(value.effort) ?? null, summary: str(value.summary) ?? null };
}

function textConfig(value: unknown): unknown {
  const text = isRecord(value) ? value : {};
  return { format: text.format ?? { type: 'text' }, verbosity: text.verbosity ?? 'medium' };
}

function serviceTier(value: unknown): string {
  return typeof value === 'string' && value !== 'auto' ? value : 'default';
}

function outcomeFields(outcome: Outcome): Pick<ResponseObject, 'status' | 'error' | 'incomplete_details'> {
  if (outcome === 'failed') {
    return { status: 'failed', error: { code: 'server_error', message: FAILURE_MESSAGE }, incomplete_details: null };
  }
  if (outcome === 'incomplete') {
    return { status: 'incomplete', error: null, incomplete_details: { reason: 'max_output_tokens' } };
  }
  return { status: 'completed', error: null, incomplete_details: null };
}

/** The final Response object for a create request (request params echoed back). */
export function buildResponse(request: JsonRecord, opts: BuildResponseOptions): ResponseObject {
  const output = buildOutput(request, opts);
  const outcome = outcomeFields(opts.outcome ?? 'completed');
  const conversation = conversationRef(request.conversation);
  const user = str(request.user);
  return {
    id: opts.id,
    object: 'response',
    created_at: opts.createdAt,
    status: outcome.status,
    background: bool(request.background) ?? false,
    completed_at: outcome.status === 'completed' ? opts.createdAt : null,
    ...(conversation ? { conversation } : {}),
    error: outcome.error,
    incomplete_details: outcome.incomplete_details,
    instructions: request.instructions ?? null,
    max_output_tokens: num(request.max_output_tokens) ?? null,
    max_tool_calls: num(request.max_tool_calls) ?? null,
    model: str(request.model) ?? '',
    output,
    parallel_tool_calls: bool(request.parallel_tool_calls) ?? true,
    previous_response_id: str(request.previous_response_id) ?? null,
    prompt: promptRef(request.prompt),
    prompt_cache_key: str(request.prompt_cache_key) ?? null,
    reasoning: reasoningRef(request.reasoning),
    safety_identifier: str(request.safety_identifier) ?? null,
    service_tier: serviceTier(request.service_tier),
    store: bool(request.store) ?? true,
    temperature: num(request.temperature) ?? 1,
    text: textConfig(request.text),
    tool_choice: request.tool_choice ?? 'auto',
    tools: Array.isArray(request.tools) ? request.tools : [],
    top_logprobs: num(request.top_logprobs) ?? 0,
    top_p: num(request.top_p) ?? 1,
    truncation: str(request.truncation) ?? 'disabled',
    usage: buildUsage(request, output, opts),
    ...(user !== undefined ? { user } : {}),
    metadata: isRecord(request.metadata) ? request.metadata : {},
  };
}

/** The response as it looks before generation (`in_progress` / `queued`): no output, no usage. */
export function pendingSnapshot(response: ResponseObject, status: 'in_progress' | 'queued'): ResponseObject {
  return { ...response, status, completed_at: null, error: null, incomplete_details: null, output: [], usage: null };
}

// --------------------------------------------------------------- stream events

type EventDraft = { type: string } & JsonRecord;

function lifecycleEvents(response: ResponseObject): EventDraft[] {
  if (response.background) {
    const queued = pendingSnapshot(response, 'queued');
    return [
      { type: 'response.created', response: queued },
      { type: 'response.queued', response: queued },
      { type: 'response.in_progress', response: pendingSnapshot(response, 'in_progress') },
    ];
  }
  const snapshot = pendingSnapshot(response, 'in_progress');
  return [
    { type: 'response.created', response: snapshot },
    { type: 'response.in_progress', response: snapshot },
  ];
}

function messageEvents(item: MessageItem, index: number, deltas: number, finished: boolean): EventDraft[] {
  const text = item.content[0]?.text ?? '';
  const where = { item_id: item.id, output_index: index, content_index: 0 };
  const emptyPart: OutputTextPart = { type: 'output_text', annotations: [], logprobs: [], text: '' };
  const events: EventDraft[] = [
    { type: 'response.output_item.added', output_index: index, item: { ...item, status: 'in_progress', content: [] } },
    { type: 'response.content_part.added', ...where, part: emptyPart },
    ...splitDeltas(text, deltas).map((delta) => ({ type: 'response.output_text.delta', ...where, delta, logprobs: [] })),
  ];
  if (!finished) return events;
  return [
    ...events,
    { type: 'response.output_text.done', ...where, text, logprobs: [] },
    { type: 'response.content_part.done', ...where, part: { ...emptyPart, text } },
    { type: 'response.output_item.done', output_index: index, item },
  ];
}

function functionCallEvents(item: FunctionCallItem, index: number, deltas: number, finished: boolean): EventDraft[] {
  const where = { item_id: item.id, output_index: index };
  const events: EventDraft[] = [
    { type: 'response.output_item.added', output_index: index, item: { ...item, status: 'in_progress', arguments: '' } },
    ...splitDeltas(item.arguments, deltas).map((delta) => ({
      type: 'response.function_call_arguments.delta',
      ...where,
      delta,
    })),
  ];
  if (!finished) return events;
  return [
    ...events,
    { type: 'response.function_call_arguments.done', ...where, name: item.name, arguments: item.arguments },
    { type: 'response.output_item.done', output_index: index, item },
  ];
}

function itemEvents(item: OutputItem, index: number, deltas: number, finished: boolean): EventDraft[] {
  if (item.type === 'message') return messageEvents(item, index, deltas, finished);
  if (item.type === 'function_call') return functionCallEvents(item, index, deltas, finished);
  return [
    { type: 'response.output_item.added', output_index: index, item },
    { type: 'response.output_item.done', output_index: index, item },
  ];
}

function terminalEvent(response: ResponseObject): EventDraft {
  const type =
    response.status === 'failed'
      ? 'response.failed'
      : response.status === 'incomplete'
        ? 'response.incomplete'
        : 'response.completed';
  return { type, response: { ...response, status: type === 'response.completed' ? 'completed' : response.status } };
}

function isDelta(event: { type: string }): boolean {
  return event.type === 'response.output_text.delta' || event.type === 'response.function_call_arguments.delta';
}

/**
 * Default cut point for drop_after / end_after / error_event / malformed without a
 * value: right after the 2nd delta (or the last delta, or before the terminal event).
 */
export function defaultCutPoint(events: ReadonlyArray<{ type: string }>): number {
  const deltaIndexes = events.map((event, i) => (isDelta(event) ? i : -1)).filter((i) => i >= 0);
  const pick = deltaIndexes[Math.min(1, deltaIndexes.length - 1)];
  return pick === undefined ? Math.max(0, events.length - 1) : pick + 1;
}

function withUnknownEvents(events: EventDraft[]): EventDraft[] {
  const out: EventDraft[] = [];
  let inserted = 0;
  let sawDelta = false;
  for (const event of events) {
    out.push(event);
    const afterFirstDelta = isDelta(event) && !sawDelta;
    sawDelta = sawDelta || isDelta(event);
    if (event.type === 'response.in_progress' || afterFirstDelta) {
      inserted += 1;
      out.push({ type: UNKNOWN_EVENT_TYPE, future_field: { note: 'event type unknown to clients', index: inserted } });
    }
  }
  return out;
}

function withErrorEvent(events: EventDraft[], after: number | null): EventDraft[] {
  const cut = Math.min(after ?? defaultCutPoint(events), events.length);
  const error: EventDraft = { type: 'error', code: 'rate_limit_exceeded', message: STREAM_ERROR_MESSAGE, param: null };
  return [...events.slice(0, cut), error];
}

/** Puts `sequence_number` (0, 1, 2, ...) last on each event. */
function numberEvents(events: EventDraft[]): StreamEvent[] {
  return events.map(({ type, ...rest }, i) => ({ type, ...rest, sequence_number: i }));
}

/** Full event sequence of a streamed response, ending with its terminal event. */
export function buildStreamEvents(response: ResponseObject, opts: BuildStreamOptions = {}): StreamEvent[] {
  const deltas = opts.deltas ?? DEFAULT_DELTAS;
  const lastIndex = response.output.length - 1;
  let drafts: EventDraft[] = [
    ...lifecycleEvents(response),
    ...response.output.flatMap((item, i) =>
      itemEvents(item, i, deltas, response.status !== 'failed' || i < lastIndex),
    ),
    terminalEvent(response),
  ];
  if (opts.unknownEvents) drafts = withUnknownEvents(drafts);
  if (opts.errorEventAfter !== undefined) drafts = withErrorEvent(drafts, opts.errorEventAfter);
  return numberEvents(drafts);
}

/** One SSE frame exactly as the real server writes it. */
export function encodeSseFrame(event: { type: string }): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

// ------------------------------------------------------------------ input items

export interface InputItem extends JsonRecord {
  id: string;
  type: string;
}

const ID_PREFIX: Record<string, string> = {
  message: 'msg',
  function_call: 'fc',
  function_call_output: 'fco',
  reasoning: 'rs',
};

function messageContent(content: unknown, role: string): unknown[] {
  if (Array.isArray(content)) return content;
  const text = typeof content === 'string' ? content : '';
  return role === 'assistant'
    ? [{ type: 'output_text', annotations: [], logprobs: [], text }]
    : [{ type: 'input_text', text }];
}

function normalizeItem(item: unknown, makeId: (prefix: string) => string): InputItem {
  const record = isRecord(item) ? item : { type: 'message', role: 'user', content: String(item) };
  const type = str(record.type) ?? 'message';
  const id = str(record.id) ?? makeId(ID_PREFIX[type] ?? 'item');
  if (type === 'message') {
    const role = str(record.role) ?? 'user';
    return { id, type, status: 'completed', role, content: messageContent(record.content, role) };
  }
  return { ...record, id, type, status: str(record.status) ?? 'completed' };
}

/** Request `input` as stored input items (ids assigned), in request order. */
export function normalizeInputItems(input: unknown, makeId: (prefix: string) => string = newId): InputItem[] {
  if (input === undefined || input === null) return [];
  const items: unknown[] = Array.isArray(input) ? input : [input];
  return items.map((item) => normalizeItem(item, makeId));
}

// ------------------------------------------------------------------ compaction

export interface CompactedResponse {
  id: string;
  object: 'response.compaction';
  created_at: number;
  output: unknown[];
  usage: Usage;
}

/** A compaction: the user messages are kept, everything else becomes one `compaction` item. */
export function buildCompaction(request: JsonRecord, items: InputItem[], id: string, createdAt: number): CompactedResponse {
  const kept = items.filter((item) => item.type === 'message' && item.role === 'user');
  const summary = Buffer.from(`compacted:${items.length}:${allInputText(request)}`).toString('base64');
  const inputTokens = countInputTokens(request);
  const outputTokens = Math.max(1, Math.ceil(summary.length / 16));
  return {
    id,
    object: 'response.compaction',
    created_at: createdAt,
    output: [...kept, { id: `cmp_${idSuffix(id)}`, type: 'compaction', encrypted_content: summary }],
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    },
  };
}

// --------------------------------------------------------------- errors/headers

export interface ErrorPayload {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const ERROR_DEFAULTS: Record<number, [string, string, string]> = {
  400: ['invalid_request_error', 'invalid_value', 'Invalid request (mock 400).'],
  401: ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided (mock 401).'],
  403: ['permission_error', 'forbidden', 'You are not allowed to use this model (mock 403).'],
  404: ['invalid_request_error', 'not_found', 'Not found (mock 404).'],
  409: ['invalid_request_error', 'conflict', 'Conflict (mock 409).'],
  422: ['invalid_request_error', 'unprocessable_entity', 'Unprocessable entity (mock 422).'],
  429: ['requests', 'rate_limit_exceeded', 'Rate limit reached for requests (mock 429).'],
};

/** The OpenAI-shaped error body for an HTTP status. */
export function buildErrorBody(status: number, message?: string, param: string | null = null): ErrorPayload {
  const [type, code, fallback] =
    ERROR_DEFAULTS[status] ??
    (status >= 500
      ? ['server_error', 'server_error', `The server had an error while processing your request (mock ${status}).`]
      : ['api_error', 'api_error', `Mock error ${status}.`]);
  return { error: { message: message ?? fallback, type, param, code } };
}

export function inferenceCost(usage: Usage): string {
  return (usage.input_tokens * INPUT_TOKEN_PRICE + usage.output_tokens * OUTPUT_TOKEN_PRICE).toFixed(6);
}

/** Deterministic fake model latency. */
export function modelLatencyMs(usage: Usage): number {
  return 40 + 5 * usage.output_tokens;
}

/** The Bud gateway headers of a non-streaming create response (x-request-id is added by the server). */
export function gatewayHeaders(response: ResponseObject, projectId: string): Record<string, string> {
  const headers: Record<string, string> = { 'x-tensorzero-project-id': projectId };
  if (response.usage) {
    headers['x-tensorzero-input-tokens'] = String(response.usage.input_tokens);
    headers['x-tensorzero-output-tokens'] = String(response.usage.output_tokens);
    headers['x-tensorzero-total-tokens'] = String(response.usage.total_tokens);
    headers['x-tensorzero-inference-cost'] = inferenceCost(response.usage);
    headers['x-tensorzero-model-latency-ms'] = String(modelLatencyMs(response.usage));
  }
  if (response.prompt) {
    headers['x-tensorzero-prompt-id'] = response.prompt.id;
    headers['x-tensorzero-prompt-version'] = response.prompt.version ?? '1';
  }
  return headers;
}
