/**
 * Embedded local gateway speaking the Bud / OpenAI Responses API over HTTP
 * (JSON and SSE). Used by the test-suite (real `openai` client with
 * `baseURL: gateway.url + '/v1'`) and by the demo.
 *
 *   const gw = await startGateway();            // random port on 127.0.0.1
 *   const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'test', maxRetries: 0 });
 *   ...; await gw.close();
 *
 * Default behaviour (no scenario): the reply is `"Echo: <last user text>"`
 * (padded with '.' to at least `deltas` characters) split into 3 deltas.
 * A request with function `tools` whose last input item is a user message that
 * mentions "weather" (or with `tool_choice: 'required'` / a specific function)
 * gets a `function_call` output instead (arguments FUNCTION_ARGUMENTS). A last
 * input item of type `function_call_output` always gets a text reply.
 * `text.format` of type `json_schema` (structured output) → the reply text is the
 * JSON FUNCTION_ARGUMENTS (`{"location":"Paris","unit":"celsius"}`).
 * `reasoning` set → a `reasoning` output item and REASONING_TOKENS reasoning tokens.
 * `prompt_cache_key` set, or the same (instructions, input) seen before →
 * cached_tokens = max(1, floor(input_tokens / 2)). Token counts: input =
 * ceil(chars / 4) (+ total_tokens of `previous_response_id`), output = number
 * of deltas (+ reasoning tokens). See builders.ts; all builders are exported.
 *
 * SCENARIOS — header `x-mock-scenario: key,key=value,...` (values URI-decoded).
 *   deltas=N           number of text / function-argument deltas (default 3)
 *   delay=MS           delay between stream events (default opts.chunkDelayMs)
 *   status=CODE        any route: HTTP CODE + `{"error":{message,type,param,code}}`
 *                      (429 adds `retry-after: 0`); streaming or not
 *   error_body=TEXT    error body is `{"error":"TEXT"}` (Bud shape); status defaults to 500
 *   drop_after[=K]     stream: write K frames then destroy the socket (no terminal event)
 *   end_after[=K]      stream: write K frames then end the response cleanly (no terminal event)
 *   fail               stream: terminal `response.failed` (error.code 'server_error', usage);
 *                      non-stream: 200 with a `status: 'failed'` Response
 *   incomplete         terminal `response.incomplete` / Response `status: 'incomplete'`,
 *                      incomplete_details.reason 'max_output_tokens'
 *   error_event[=K]    stream: after K events an `event: error` frame
 *                      `{"type":"error","code":"rate_limit_exceeded",...}`, then end
 *   malformed[=K]      stream: a non-JSON data frame after K events (stream continues)
 *   unknown_events     stream: `response.future_thing` events after response.in_progress
 *                      and after the first delta
 *   tool_call          force the function_call output
 *   hang_headers=MS    any route: wait MS before sending headers
 *   raw_json=TEXT      any route: HTTP 200 with exactly TEXT as the JSON body (odd bodies: fuzzing)
 *   raw_sse=TEXT       any route: HTTP 200 `text/event-stream` with exactly TEXT as the body
 *                      (e.g. only `data: [DONE]`, events without a terminal one)
 *   raw_headers=JSON   with raw_json / raw_sse: extra response headers (an object of strings)
 *                      (TEXT and JSON URI-encoded, as every value)
 * K defaults (bare key) to "right after the 2nd delta event" (defaultCutPoint).
 *
 * The same via the model name (for the demo): `fail-<CODE>` (= status=CODE);
 * `fail`, `incomplete`, `error_event`, `malformed`, `unknown_events`, `tool_call`
 * (the bare key); `scenario:<list>` (e.g. `scenario:tool_call,deltas=5`).
 * Header items override model items.
 *
 * Other behaviour: unknown `previous_response_id` → 404; `background: true`
 * (non-stream) → returns `queued`, a later retrieve returns it `completed`;
 * `conversation` (known id) → input and output items are appended to it
 * (unknown ids are just echoed). List endpoints default to `order=desc`.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import {
  DEFAULT_DELTAS,
  InputItem,
  JsonRecord,
  Outcome,
  ResponseObject,
  StreamEvent,
  buildCompaction,
  buildErrorBody,
  buildResponse,
  buildStreamEvents,
  countInputTokens,
  defaultCutPoint,
  encodeSseFrame,
  gatewayHeaders,
  isRecord,
  newId,
  normalizeInputItems,
  nowSeconds,
  pendingSnapshot,
} from './builders';
import { ConversationStore, paginate } from './conversations';
import { SCENARIO_HEADER, Scenario, parseScenario } from './scenario';

export * from './builders';
export * from './conversations';
export * from './scenario';

export interface GatewayOptions {
  /** Default 0 = random free port. */
  port?: number | undefined;
  /** Default 127.0.0.1. */
  host?: string | undefined;
  /** Default delay between stream events (ms), default 0. */
  chunkDelayMs?: number | undefined;
  /** Value of `x-tensorzero-project-id`, default 'proj_local'. */
  projectId?: string | undefined;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/responses`. */
  path: string;
  /** Parsed query string. */
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Every header line as received, in order (`req.rawHeaders`: name, value, name, value, ...). */
  rawHeaders: string[];
  /** Parsed JSON body, or undefined (empty or invalid JSON). */
  body: unknown;
}

export interface StreamStat {
  responseId: string;
  /** SSE frames handed to the socket (including error / malformed / unknown frames). */
  eventsWritten: number;
  /** The client closed the connection before the stream ended. */
  closedByClient: boolean;
  /** The server ended the response cleanly (res.end()). */
  finished: boolean;
  /** The server destroyed the socket on purpose (drop_after). */
  droppedByServer: boolean;
}

export interface Gateway {
  /** e.g. http://127.0.0.1:43123 (no trailing slash; clients use `${url}/v1`). */
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** One per SSE response, pushed when the stream starts and updated live. */
  streamStats: StreamStat[];
  /** Closes the server and destroys all open sockets. */
  close(): Promise<void>;
  /** Clears requests, streamStats, stored responses, conversations and the prompt cache. */
  reset(): void;
  /** Resolves once every in-flight request handler (streams included) has finished. */
  settled(): Promise<void>;
  /**
   * Fields laid over every Response that create generates from now on (JSON and streamed:
   * `output`, `id`, `model`, `error`, ...), until `reset()` or `patchResponses(undefined)`.
   * For tests of what a server may send.
   */
  patchResponses(patch: JsonRecord | undefined): void;
}

export const MALFORMED_FRAME = 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":\n\n';

interface StoredResponse {
  /** What retrieve / cancel return (cancel mutates the status). */
  response: ResponseObject;
  /** The final response as generated, used to re-stream. */
  generated: ResponseObject;
  deltas: number;
  inputItems: InputItem[];
}

interface ResolvedOptions {
  port: number;
  host: string;
  chunkDelayMs: number;
  projectId: string;
}

interface State {
  readonly opts: ResolvedOptions;
  readonly requests: RecordedRequest[];
  readonly streamStats: StreamStat[];
  readonly responses: Map<string, StoredResponse>;
  readonly conversations: ConversationStore;
  readonly seenInputs: Set<string>;
  readonly inflight: Set<Promise<void>>;
  closing: boolean;
  responsePatch: JsonRecord | undefined;
}

interface Ctx {
  readonly state: State;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly conn: Connection;
  readonly url: URL;
  readonly body: unknown;
  readonly scenario: Scenario;
  readonly requestId: string;
}

// ------------------------------------------------------------------ connection

/** Tracks whether the client went away and offers waits that end early when it does. */
class Connection {
  closed = false;
  closedByClient = false;
  serverDestroyed = false;
  private readonly listeners: Array<() => void> = [];

  constructor(
    private readonly res: ServerResponse,
    state: State,
  ) {
    res.on('error', () => undefined);
    res.on('close', () => {
      this.closed = true;
      this.closedByClient = !res.writableFinished && !this.serverDestroyed && !state.closing;
      this.listeners.splice(0).forEach((listener) => listener());
    });
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.listeners.push(listener);
  }

  /** Sleeps `ms`, or less if the connection closes. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.onClose(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Resolves on 'drain' or close (back-pressure). */
  drain(): Promise<void> {
    return new Promise((resolve) => {
      this.res.once('drain', resolve);
      this.onClose(resolve);
    });
  }
}

// ---------------------------------------------------------------- http helpers

function baseHeaders(ctx: Ctx): Record<string, string> {
  return { 'x-request-id': ctx.requestId, 'openai-processing-ms': '1' };
}

function sendJson(ctx: Ctx, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (ctx.conn.closed || ctx.res.headersSent) return;
  const text = JSON.stringify(body);
  ctx.res.writeHead(status, {
    ...baseHeaders(ctx),
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  ctx.res.end(text);
}

function sendError(ctx: Ctx, status: number, message?: string): void {
  const headers: Record<string, string> = status === 429 ? { 'retry-after': '0' } : {};
  sendJson(ctx, status, buildErrorBody(status, message), headers);
}

function sendParamError(ctx: Ctx, status: number, message: string, param: string, code: string): void {
  const body = buildErrorBody(status, message, param);
  sendJson(ctx, status, { error: { ...body.error, code } });
}

function notFound(ctx: Ctx, what: string, id: string): void {
  sendError(ctx, 404, `${what} with id '${id}' not found.`);
}

/** status= / error_body= scenario. */
function sendScenarioError(ctx: Ctx): void {
  const status = ctx.scenario.status ?? 500;
  const headers: Record<string, string> = status === 429 ? { 'retry-after': '0' } : {};
  const body = ctx.scenario.errorBody !== undefined ? { error: ctx.scenario.errorBody } : buildErrorBody(status);
  sendJson(ctx, status, body, headers);
}

/** raw_json= / raw_sse= scenario: the body exactly as given, with the raw_headers= headers. */
function sendRaw(ctx: Ctx): void {
  const { raw_json: json, raw_sse: sse, raw_headers: extra } = ctx.scenario.raw;
  let headers: Record<string, string> = {};
  if (typeof extra === 'string') {
    const parsed = parseJson(extra).value;
    if (isRecord(parsed)) headers = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  }
  const text = typeof sse === 'string' ? sse : String(json);
  ctx.res.writeHead(200, {
    ...baseHeaders(ctx),
    ...headers,
    'content-type': typeof sse === 'string' ? 'text/event-stream; charset=utf-8' : 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  ctx.res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): { ok: boolean; value: unknown } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, value: undefined };
  }
}

/** The JSON object body, or undefined after answering 400. */
function objectBody(ctx: Ctx): JsonRecord | undefined {
  if (ctx.body === undefined) return {};
  if (isRecord(ctx.body)) return ctx.body;
  sendError(ctx, 400, 'The request body must be a JSON object.');
  return undefined;
}

// -------------------------------------------------------------------- streaming

interface StopPlan {
  mode: 'none' | 'drop' | 'end';
  after: number;
}

function stopPlan(events: StreamEvent[], scenario: Scenario): StopPlan {
  if (scenario.dropAfter !== undefined) return { mode: 'drop', after: scenario.dropAfter ?? defaultCutPoint(events) };
  if (scenario.endAfter !== undefined) return { mode: 'end', after: scenario.endAfter ?? defaultCutPoint(events) };
  return { mode: 'none', after: Number.POSITIVE_INFINITY };
}

function planFrames(events: StreamEvent[], scenario: Scenario): string[] {
  const frames = events.map(encodeSseFrame);
  if (scenario.malformedAfter !== undefined) {
    const at = Math.min(scenario.malformedAfter ?? defaultCutPoint(events), frames.length);
    frames.splice(at, 0, MALFORMED_FRAME);
  }
  return frames;
}

function writeFrame(res: ServerResponse, frame: string): { ok: boolean; flushed: Promise<void> } {
  let ok = false;
  const flushed = new Promise<void>((resolve) => {
    ok = res.write(frame, () => resolve());
  });
  return { ok, flushed };
}

function openStream(ctx: Ctx, responseId: string): StreamStat {
  const stat: StreamStat = { responseId, eventsWritten: 0, closedByClient: false, finished: false, droppedByServer: false };
  ctx.state.streamStats.push(stat);
  ctx.conn.onClose(() => {
    stat.closedByClient = ctx.conn.closedByClient;
  });
  ctx.res.writeHead(200, {
    ...baseHeaders(ctx),
    'x-tensorzero-project-id': ctx.state.opts.projectId,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  ctx.res.flushHeaders();
  return stat;
}

/** Writes the events as SSE frames, honouring delay, back-pressure and the scenario. */
async function streamEvents(ctx: Ctx, responseId: string, events: StreamEvent[]): Promise<void> {
  if (ctx.conn.closed) return;
  const stat = openStream(ctx, responseId);
  const frames = planFrames(events, ctx.scenario);
  const plan = stopPlan(events, ctx.scenario);
  const delay = ctx.scenario.delayMs ?? ctx.state.opts.chunkDelayMs;
  let lastFlush: Promise<void> = Promise.resolve();
  for (let i = 0; i < Math.min(frames.length, plan.after); i++) {
    if (i > 0 && delay > 0) await ctx.conn.wait(delay);
    if (ctx.conn.closed) return;
    const write = writeFrame(ctx.res, frames[i] ?? '');
    stat.eventsWritten += 1;
    lastFlush = write.flushed;
    if (!write.ok) await ctx.conn.drain();
  }
  if (ctx.conn.closed) return;
  if (plan.mode === 'drop') {
    await Promise.race([lastFlush, ctx.conn.wait(1000)]);
    ctx.conn.serverDestroyed = true;
    stat.droppedByServer = true;
    ctx.res.destroy();
    return;
  }
  ctx.res.end();
  stat.finished = true;
}

function streamOptions(scenario: Scenario, deltas: number): Parameters<typeof buildStreamEvents>[1] {
  return { deltas, unknownEvents: scenario.unknownEvents, errorEventAfter: scenario.errorEventAfter };
}

// ------------------------------------------------------------ responses routes

function outcomeOf(scenario: Scenario): Outcome {
  if (scenario.fail) return 'failed';
  return scenario.incomplete ? 'incomplete' : 'completed';
}

function conversationId(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return isRecord(value) && typeof value.id === 'string' ? value.id : undefined;
}

/** Appends the turn to a known conversation (input items, then output items). */
function recordInConversation(state: State, body: JsonRecord, stored: StoredResponse): void {
  const id = conversationId(body.conversation);
  if (id === undefined || !state.conversations.has(id)) return;
  const output: InputItem[] = stored.generated.output.map((item) => ({ ...item }));
  state.conversations.append(id, [...stored.inputItems, ...output]);
}

/** Builds, stores and returns the response for a create request. */
function generate(state: State, body: JsonRecord, scenario: Scenario, previous?: StoredResponse): StoredResponse {
  const deltas = scenario.deltas ?? DEFAULT_DELTAS;
  const fingerprint = JSON.stringify([body.instructions ?? null, body.input ?? null]);
  const cacheHit = typeof body.prompt_cache_key === 'string' || state.seenInputs.has(fingerprint);
  state.seenInputs.add(fingerprint);
  const built = buildResponse(body, {
    id: newId('resp'),
    createdAt: nowSeconds(),
    deltas,
    outcome: outcomeOf(scenario),
    forceToolCall: scenario.toolCall,
    cacheHit,
    contextTokens: previous?.response.usage?.total_tokens ?? 0,
  });
  const response: ResponseObject = state.responsePatch ? { ...built, ...state.responsePatch } : built;
  const stored: StoredResponse = { response, generated: response, deltas, inputItems: normalizeInputItems(body.input) };
  state.responses.set(response.id, stored);
  recordInConversation(state, body, stored);
  return stored;
}

/** Resolves `previous_response_id`; answers 404 and returns false when unknown. */
function previousResponse(ctx: Ctx, body: JsonRecord): { ok: boolean; previous?: StoredResponse } {
  const id = body.previous_response_id;
  if (typeof id !== 'string') return { ok: true };
  const previous = ctx.state.responses.get(id);
  if (previous) return { ok: true, previous };
  sendParamError(ctx, 404, `Previous response with id '${id}' not found.`, 'previous_response_id', 'previous_response_not_found');
  return { ok: false };
}

async function createResponse(ctx: Ctx): Promise<void> {
  const body = objectBody(ctx);
  if (!body) return;
  if (typeof body.model !== 'string' || body.model === '') {
    sendParamError(ctx, 400, "Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
    return;
  }
  const { ok, previous } = previousResponse(ctx, body);
  if (!ok) return;
  const stored = generate(ctx.state, body, ctx.scenario, previous);
  const response = stored.response;
  if (body.stream === true) {
    await streamEvents(ctx, response.id, buildStreamEvents(response, streamOptions(ctx.scenario, stored.deltas)));
    return;
  }
  const reply = response.background ? pendingSnapshot(response, 'queued') : response;
  sendJson(ctx, 200, reply, gatewayHeaders(reply, ctx.state.opts.projectId));
}

function storedOr404(ctx: Ctx, id: string): StoredResponse | undefined {
  const stored = ctx.state.responses.get(id);
  if (!stored) notFound(ctx, 'Response', id);
  return stored;
}

async function retrieveResponse(ctx: Ctx, [id]: string[]): Promise<void> {
  const stored = storedOr404(ctx, id ?? '');
  if (!stored) return;
  if (ctx.url.searchParams.get('stream') !== 'true') {
    sendJson(ctx, 200, stored.response);
    return;
  }
  const after = Number(ctx.url.searchParams.get('starting_after') ?? -1);
  const events = buildStreamEvents(stored.generated, streamOptions(ctx.scenario, stored.deltas));
  await streamEvents(ctx, stored.response.id, events.filter((event) => event.sequence_number > after));
}

function deleteResponse(ctx: Ctx, [id]: string[]): void {
  const stored = storedOr404(ctx, id ?? '');
  if (!stored) return;
  ctx.state.responses.delete(stored.response.id);
  sendJson(ctx, 200, { id: stored.response.id, object: 'response.deleted', deleted: true });
}

function cancelResponse(ctx: Ctx, [id]: string[]): void {
  const stored = storedOr404(ctx, id ?? '');
  if (!stored) return;
  stored.response = { ...stored.response, status: 'cancelled' };
  sendJson(ctx, 200, stored.response);
}

function listInputItems(ctx: Ctx, [id]: string[]): void {
  const stored = storedOr404(ctx, id ?? '');
  if (stored) sendJson(ctx, 200, paginate(stored.inputItems, ctx.url.searchParams));
}

function inputTokens(ctx: Ctx): void {
  const body = objectBody(ctx);
  if (!body) return;
  const { ok, previous } = previousResponse(ctx, body);
  if (!ok) return;
  const context = previous?.response.usage?.total_tokens ?? 0;
  sendJson(ctx, 200, { object: 'response.input_tokens', input_tokens: countInputTokens(body) + context });
}

function compactResponse(ctx: Ctx): void {
  const body = objectBody(ctx);
  if (!body) return;
  const { ok, previous } = previousResponse(ctx, body);
  if (!ok) return;
  const earlier: InputItem[] = previous
    ? [...previous.inputItems, ...previous.generated.output.map((item) => ({ ...item }))]
    : [];
  const items = [...earlier, ...normalizeInputItems(body.input)];
  sendJson(ctx, 200, buildCompaction(body, items, newId('resp'), nowSeconds()));
}

// -------------------------------------------------------- conversation routes

function conversationOr404<T>(ctx: Ctx, id: string, value: T | undefined): value is T {
  if (value === undefined) notFound(ctx, 'Conversation', id);
  return value !== undefined;
}

function createConversation(ctx: Ctx): void {
  const body = objectBody(ctx);
  if (body) sendJson(ctx, 200, ctx.state.conversations.create(body));
}

function getConversation(ctx: Ctx, [id = '']: string[]): void {
  const found = ctx.state.conversations.get(id);
  if (conversationOr404(ctx, id, found)) sendJson(ctx, 200, found);
}

function updateConversation(ctx: Ctx, [id = '']: string[]): void {
  const body = objectBody(ctx);
  if (!body) return;
  const updated = ctx.state.conversations.update(id, body);
  if (conversationOr404(ctx, id, updated)) sendJson(ctx, 200, updated);
}

function deleteConversation(ctx: Ctx, [id = '']: string[]): void {
  const deleted = ctx.state.conversations.delete(id);
  if (conversationOr404(ctx, id, deleted)) sendJson(ctx, 200, deleted);
}

function listConversationItems(ctx: Ctx, [id = '']: string[]): void {
  const page = ctx.state.conversations.listItems(id, ctx.url.searchParams);
  if (conversationOr404(ctx, id, page)) sendJson(ctx, 200, page);
}

function addConversationItems(ctx: Ctx, [id = '']: string[]): void {
  const body = objectBody(ctx);
  if (!body) return;
  const page = ctx.state.conversations.addItems(id, body);
  if (conversationOr404(ctx, id, page)) sendJson(ctx, 200, page);
}

function getConversationItem(ctx: Ctx, [id = '', itemId = '']: string[]): void {
  if (!conversationOr404(ctx, id, ctx.state.conversations.get(id))) return;
  const item = ctx.state.conversations.getItem(id, itemId);
  if (item) sendJson(ctx, 200, item);
  else notFound(ctx, 'Item', itemId);
}

function deleteConversationItem(ctx: Ctx, [id = '', itemId = '']: string[]): void {
  if (!conversationOr404(ctx, id, ctx.state.conversations.get(id))) return;
  const conversation = ctx.state.conversations.deleteItem(id, itemId);
  if (conversation) sendJson(ctx, 200, conversation);
  else notFound(ctx, 'Item', itemId);
}

// ---------------------------------------------------------------------- router

type RouteHandler = (ctx: Ctx, params: string[]) => void | Promise<void>;

const ID = '([^/]+)';
const ROUTES: ReadonlyArray<[string, RegExp, RouteHandler]> = [
  ['POST', /^\/v1\/responses$/, createResponse],
  ['POST', /^\/v1\/responses\/input_tokens$/, inputTokens],
  ['POST', /^\/v1\/responses\/compact$/, compactResponse],
  ['GET', new RegExp(`^/v1/responses/${ID}$`), retrieveResponse],
  ['DELETE', new RegExp(`^/v1/responses/${ID}$`), deleteResponse],
  ['POST', new RegExp(`^/v1/responses/${ID}/cancel$`), cancelResponse],
  ['GET', new RegExp(`^/v1/responses/${ID}/input_items$`), listInputItems],
  ['POST', /^\/v1\/conversations$/, createConversation],
  ['GET', new RegExp(`^/v1/conversations/${ID}$`), getConversation],
  ['POST', new RegExp(`^/v1/conversations/${ID}$`), updateConversation],
  ['DELETE', new RegExp(`^/v1/conversations/${ID}$`), deleteConversation],
  ['GET', new RegExp(`^/v1/conversations/${ID}/items$`), listConversationItems],
  ['POST', new RegExp(`^/v1/conversations/${ID}/items$`), addConversationItems],
  ['GET', new RegExp(`^/v1/conversations/${ID}/items/${ID}$`), getConversationItem],
  ['DELETE', new RegExp(`^/v1/conversations/${ID}/items/${ID}$`), deleteConversationItem],
];

function matchRoute(method: string, path: string): { handler: RouteHandler; params: string[] } | undefined {
  for (const [routeMethod, pattern, handler] of ROUTES) {
    const match = routeMethod === method ? pattern.exec(path) : null;
    if (match) return { handler, params: match.slice(1).map((part) => decodeURIComponent(part)) };
  }
  return undefined;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

async function buildCtx(state: State, req: IncomingMessage, res: ServerResponse): Promise<Ctx & { jsonOk: boolean }> {
  const conn = new Connection(res, state);
  const url = new URL(req.url ?? '/', 'http://gateway.local');
  const parsed = parseJson(await readBody(req));
  state.requests.push({
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...req.headers },
    rawHeaders: [...req.rawHeaders],
    body: parsed.value,
  });
  const model = isRecord(parsed.value) && typeof parsed.value.model === 'string' ? parsed.value.model : undefined;
  const scenario = parseScenario(headerValue(req, SCENARIO_HEADER), model);
  return { state, req, res, conn, url, body: parsed.value, scenario, requestId: newId('req', 16), jsonOk: parsed.ok };
}

async function handle(state: State, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const ctx = await buildCtx(state, req, res);
  if (ctx.scenario.hangHeadersMs !== undefined) await ctx.conn.wait(ctx.scenario.hangHeadersMs);
  if (ctx.conn.closed) return;
  const route = matchRoute(req.method ?? 'GET', ctx.url.pathname);
  if (!route) {
    sendError(ctx, 404, `Unknown route: ${req.method ?? 'GET'} ${ctx.url.pathname}`);
  } else if (typeof ctx.scenario.raw.raw_json === 'string' || typeof ctx.scenario.raw.raw_sse === 'string') {
    sendRaw(ctx);
  } else if (ctx.scenario.status !== undefined || ctx.scenario.errorBody !== undefined) {
    sendScenarioError(ctx);
  } else if (!ctx.jsonOk) {
    sendError(ctx, 400, 'We could not parse the JSON body of your request.');
  } else {
    await route.handler(ctx, route.params);
  }
}

function onRequest(state: State, req: IncomingMessage, res: ServerResponse): void {
  const work = handle(state, req, res).catch((error: unknown) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify(buildErrorBody(500, `Gateway bug: ${message}`)));
  });
  state.inflight.add(work);
  void work.finally(() => state.inflight.delete(work));
}

// ---------------------------------------------------------------------- start

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    sockets.forEach((socket) => socket.destroy());
  });
}

function newState(opts: GatewayOptions): State {
  return {
    opts: {
      port: opts.port ?? 0,
      host: opts.host ?? '127.0.0.1',
      chunkDelayMs: opts.chunkDelayMs ?? 0,
      projectId: opts.projectId ?? 'proj_local',
    },
    requests: [],
    streamStats: [],
    responses: new Map(),
    conversations: new ConversationStore(),
    seenInputs: new Set(),
    inflight: new Set(),
    closing: false,
    responsePatch: undefined,
  };
}

function resetState(state: State): void {
  state.requests.length = 0;
  state.streamStats.length = 0;
  state.responses.clear();
  state.conversations.clear();
  state.seenInputs.clear();
  state.responsePatch = undefined;
}

/** Starts the gateway; resolves once it is listening. */
export async function startGateway(opts: GatewayOptions = {}): Promise<Gateway> {
  const state = newState(opts);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => onRequest(state, req, res));
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const address = await listen(server, state.opts.port, state.opts.host);
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostForUrl}:${address.port}`,
    port: address.port,
    requests: state.requests,
    streamStats: state.streamStats,
    close: async () => {
      state.closing = true;
      await closeServer(server, sockets);
    },
    reset: () => resetState(state),
    patchResponses: (patch) => {
      state.responsePatch = patch;
    },
    settled: async () => {
      while (state.inflight.size > 0) await Promise.allSettled([...state.inflight]);
    },
  };
}
