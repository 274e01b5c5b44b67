/*
 * Semantic-convention message JSON for content capture (docs/TELEMETRY.md §4, §5, §8): the values of
 * `gen_ai.input.messages`, `gen_ai.system_instructions`, `gen_ai.tool.definitions` and
 * `gen_ai.output.messages` in the shapes of the GenAI JSON Schemas of semconv v1.41.1, built from
 * Responses API params and Response objects.
 *
 * Rules:
 * - Every string of content goes through the one scrubber (content.ts: credentials removed,
 *   JSON inside strings scrubbed) and is cut to `maxContentLength` characters BEFORE encoding,
 *   so the attribute is always valid JSON; lists stop when the span's content budget is spent.
 *   Structural fields are not content and are not cut (only bounded, as server strings): the
 *   part's own `type`, `role`, ids, names, modality, mime type and finish reason; inside
 *   payloads, strings of up to 128 characters under `type`, `status`, `id` and `*_id` keys;
 *   and the keywords of a tool's JSON Schema (`type`, `$ref`, `format`, `required`, ...), so a
 *   cut value keeps its meaning and its schema.
 * - Unknown item and content-part types are carried as GenericPart `{type: <original>, ...}`.
 * - Nothing here throws: odd values are omitted, a failing item is skipped, and a value that
 *   cannot be encoded at all gives `undefined`.
 */
import type { Params, ResponseLike } from '../types';
import {
  bounded,
  boundedString,
  charge,
  cutRule,
  encodeWithin,
  isSecretKey,
  keepFor,
  MAX_PARSED_JSON_LENGTH,
  scrub,
  scrubText,
  spent,
  type ContentBudget,
  type CutRule,
  type Json,
  type JsonObject,
} from './content';
import { isObject } from '../util';
import { finishReasons } from './finish-reasons';

type Part = JsonObject & { type: string };
interface ChatMessage {
  role: string;
  parts: Part[];
}
interface OutputMessage extends ChatMessage {
  finish_reason: string;
}
type Item = Record<string, unknown>;

type Ctx = CutRule;

/** JSON Schema keywords whose string values are structure, not prose: never cut. */
const SCHEMA_KEYWORDS: ReadonlySet<string> = new Set(['type', '$ref', '$id', '$schema', 'format', 'required', 'pattern']);

/** An identifier, name or format (not content): bounded like every string the server controls. */
const label = boundedString;

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The scrubbed fields of `item` other than `omit` (credentials never). */
function rest(item: Item, omit: readonly string[], ctx: Ctx): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(item)) {
    if (omit.includes(key) || isSecretKey(key)) continue;
    const v = scrub(item[key], ctx, keepFor(key, ctx));
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** What one entry's own structure (its type, role, keys) is charged to the budget. */
const ENTRY_COST = 24;

/** Runs `fn` on each entry, skipping entries it rejects or fails on, until the budget is spent. */
function mapSafe<T, R>(list: readonly T[], fn: (entry: T) => R | undefined, ctx: Ctx): R[] {
  const out: R[] = [];
  for (const entry of list) {
    if (spent(ctx)) break;
    charge(ctx, ENTRY_COST);
    try {
      const r = fn(entry);
      if (r !== undefined) out.push(r);
    } catch {
      // one bad entry must not cost the others
    }
  }
  return out;
}

/** The JSON of a non-empty list within the budget, or undefined (nothing to record, or it cannot be encoded). */
function encode(
  maxContentLength: number,
  budget: ContentBudget,
  build: (ctx: Ctx) => Json[] | undefined,
): string | undefined {
  return encodeWithin(budget, (share) => {
    const list = build(cutRule(maxContentLength, share));
    return list && list.length ? list : undefined;
  });
}

/* ---------- content parts ---------- */

function textPart(text: string, ctx: Ctx): Part {
  return { type: 'text', content: scrubText(text, ctx) };
}

/** The part types semconv v1.41.1 defines; a generic part must not pose as one of them. */
const SEMCONV_PART_TYPES: ReadonlySet<string> = new Set([
  'text',
  'tool_call',
  'tool_call_response',
  'server_tool_call',
  'server_tool_call_response',
  'blob',
  'file',
  'uri',
  'reasoning',
]);

/**
 * GenericPart: the original type and the other fields, cleaned. An unknown payload whose type
 * is a semconv part type (a `{type: 'uri'}` without a uri) is namespaced as `openai.<type>`.
 */
function genericPart(item: Item, type: string, ctx: Ctx): Part {
  return { type: SEMCONV_PART_TYPES.has(type) ? `openai.${type}` : bounded(type), ...rest(item, ['type'], ctx) };
}

function modalityOf(mime: string | undefined, fallback: string): string {
  const major = mime?.split('/')[0].toLowerCase();
  return major === 'image' || major === 'audio' || major === 'video' ? major : fallback;
}

const DATA_URL = /^data:([^,;]*)((?:;[^,;]*)*),/i;

/** The MIME type and base64 payload of a `data:` URL, or undefined for any other string. */
export function parseDataUrl(url: string): { mime?: string; base64: string } | undefined {
  const match = DATA_URL.exec(url);
  if (!match) return undefined;
  const payload = url.slice(match[0].length);
  const isBase64 = match[2].toLowerCase().split(';').includes('base64');
  let base64 = payload;
  if (!isBase64) {
    try {
      base64 = Buffer.from(decodeURIComponent(payload), 'utf8').toString('base64');
    } catch {
      base64 = Buffer.from(payload, 'utf8').toString('base64');
    }
  }
  return { mime: match[1] || undefined, base64 };
}

function withFilename(part: Part, source: Item): Part {
  const filename = label(source.filename);
  if (filename !== undefined) part.filename = filename;
  return part;
}

function blobPart(base64: string, mime: string | undefined, modality: string, ctx: Ctx): Part {
  return { type: 'blob', ...(mime ? { mime_type: bounded(mime) } : {}), modality, content: scrubText(base64, ctx) };
}

/** A URL as a blob part (data URL) or a uri part. */
function urlPart(url: string, fallbackModality: string, ctx: Ctx): Part {
  const data = parseDataUrl(url);
  if (data) return blobPart(data.base64, data.mime, modalityOf(data.mime, fallbackModality), ctx);
  return { type: 'uri', modality: fallbackModality, uri: scrubText(url, ctx) };
}

/** `input_image` and `computer_screenshot`: URL, data URL or file id. */
function imagePart(part: Item, ctx: Ctx): Part {
  const url = str(part.image_url);
  if (url) return urlPart(url, 'image', ctx);
  const fileId = label(part.file_id);
  if (fileId) return { type: 'file', modality: 'image', file_id: fileId };
  return genericPart(part, String(part.type), ctx);
}

/** `input_file`: inline data, URL or file id. Not image/audio/video: modality `document`. */
function filePart(part: Item, ctx: Ctx): Part {
  const data = str(part.file_data);
  if (data) {
    const parsed = parseDataUrl(data);
    const mime = parsed?.mime;
    return withFilename(blobPart(parsed ? parsed.base64 : data, mime, modalityOf(mime, 'document'), ctx), part);
  }
  const url = str(part.file_url);
  if (url) return withFilename(urlPart(url, 'document', ctx), part);
  const fileId = label(part.file_id);
  if (fileId) return withFilename({ type: 'file', modality: 'document', file_id: fileId }, part);
  return genericPart(part, 'input_file', ctx);
}

const AUDIO_MIME: ReadonlyMap<string, string> = new Map([
  ['mp3', 'audio/mpeg'],
  ['wav', 'audio/wav'],
]);

function audioPart(part: Item, ctx: Ctx): Part {
  const audio = isObject(part.input_audio) ? part.input_audio : {};
  const data = str(audio.data);
  if (data === undefined) return genericPart(part, 'input_audio', ctx);
  const format = label(audio.format);
  const mime = format === undefined ? undefined : (AUDIO_MIME.get(format) ?? `audio/${format}`);
  return blobPart(data, mime, 'audio', ctx);
}

function outputTextPart(part: Item, content: string, ctx: Ctx): Part {
  const text = textPart(content, ctx);
  if (Array.isArray(part.annotations) && part.annotations.length) {
    const annotations = scrub(part.annotations, ctx);
    if (annotations !== undefined) text.annotations = annotations;
  }
  return text;
}

/** One content part of a message (or of a tool output list). */
function contentPart(part: unknown, ctx: Ctx): Part | undefined {
  if (typeof part === 'string') return textPart(part, ctx);
  if (!isObject(part) || typeof part.type !== 'string') return undefined;
  switch (part.type) {
    case 'input_text':
    case 'text':
      if (typeof part.text === 'string') return textPart(part.text, ctx);
      break;
    case 'output_text':
      if (typeof part.text === 'string') return outputTextPart(part, part.text, ctx);
      break;
    case 'refusal':
      // No refusal part in v1.41.1: GenericPart with the text as `content`.
      if (typeof part.refusal === 'string') return { type: 'refusal', content: scrubText(part.refusal, ctx) };
      break;
    case 'input_image':
    case 'computer_screenshot':
      return imagePart(part, ctx);
    case 'input_file':
      return filePart(part, ctx);
    case 'input_audio':
      return audioPart(part, ctx);
  }
  return genericPart(part, part.type, ctx);
}

function contentParts(content: unknown, ctx: Ctx): Part[] {
  if (typeof content === 'string') return [textPart(content, ctx)];
  if (Array.isArray(content)) return mapSafe(content, (p) => contentPart(p, ctx), ctx);
  const single = contentPart(content, ctx);
  return single ? [single] : [];
}

/* ---------- tool calls ---------- */

/** Tool-call arguments: JSON text becomes its (cleaned) value, other text is cut. */
function argumentsOf(value: unknown, ctx: Ctx): Json | undefined {
  if (typeof value === 'string') {
    const head = value.length <= MAX_PARSED_JSON_LENGTH ? value.trimStart()[0] : undefined;
    if (head === '{' || head === '[') {
      try {
        return scrub(JSON.parse(value), ctx);
      } catch {
        // not JSON (or cut by a stream): keep the text
      }
    }
    return scrubText(value, ctx);
  }
  return scrub(value, ctx);
}

function callId(item: Item): string | undefined {
  return label(item.call_id) ?? label(item.id);
}

/** `part` with `id` right after its type (the schema's field order). */
function withId(part: Part, id: string | undefined): Part {
  if (id === undefined) return part;
  const { type, ...fields } = part;
  return { type, id, ...fields };
}

/** Calls the application runs: assistant `tool_call` with the arguments from the first field found. */
function clientCall(...argFields: string[]): ItemRule {
  return {
    role: 'assistant',
    parts: (item, ctx, type) => {
      const name = label(item.name) ?? type.replace(/_call$/, '');
      const field = argFields.find((f) => item[f] !== undefined);
      const part: Part = { type: 'tool_call', name };
      const args = field === undefined ? undefined : argumentsOf(item[field], ctx);
      if (args !== undefined) part.arguments = args;
      return [withId(part, callId(item))];
    },
  };
}

/** What the application sends back: `tool` message with a `tool_call_response`. */
function callResult(field: string, response: (value: unknown, ctx: Ctx) => Json | undefined): ItemRule {
  return {
    role: 'tool',
    parts: (item, ctx) => {
      const value = item[field];
      const out =
        value === undefined ? rest(item, ['type', 'id', 'call_id'], ctx) : (response(value, ctx) ?? null);
      return [withId({ type: 'tool_call_response', response: out }, callId(item))];
    },
  };
}

/** A tool output: text is cut, a list (or one) of content parts becomes semconv parts. */
function partsResponse(value: unknown, ctx: Ctx): Json | undefined {
  if (typeof value === 'string') return scrubText(value, ctx);
  if (Array.isArray(value) || isObject(value)) {
    const list = Array.isArray(value) ? value : [value];
    if (list.every((p) => typeof p === 'string' || (isObject(p) && typeof p.type === 'string'))) {
      const parts = contentParts(list, ctx);
      return Array.isArray(value) ? parts : (parts[0] ?? null);
    }
  }
  return scrub(value, ctx);
}

function rawResponse(value: unknown, ctx: Ctx): Json | undefined {
  return scrub(value, ctx);
}

function toolsResponse(value: unknown, ctx: Ctx): Json | undefined {
  return Array.isArray(value) ? definitions(value, ctx) : scrub(value, ctx);
}

/**
 * Calls the provider runs (call and outcome in one item): `server_tool_call` with the call's
 * fields, then `server_tool_call_response` with the rest (status, results, outputs, ...).
 */
function serverCall(tool: string, callFields: readonly string[]): ItemRule {
  return {
    role: 'assistant',
    parts: (item, ctx) => {
      const id = label(item.id);
      const call: JsonObject = { type: tool };
      for (const field of callFields) {
        const v = field === 'arguments' ? argumentsOf(item[field], ctx) : scrub(item[field], ctx, keepFor(field, ctx));
        if (v !== undefined) call[field] = v;
      }
      const name = tool === 'mcp' ? (label(item.name) ?? tool) : tool;
      const parts: Part[] = [withId({ type: 'server_tool_call', name, server_tool_call: call }, id)];
      const outcome = rest(item, ['type', 'id', 'name', 'call_id', ...callFields], ctx);
      if (Object.keys(outcome).length) {
        const response: Part = {
          type: 'server_tool_call_response',
          server_tool_call_response: { type: tool, ...outcome },
        };
        parts.push(withId(response, id));
      }
      return parts;
    },
  };
}

function reasoningParts(item: Item, ctx: Ctx): Part[] {
  const entries = [
    ...(Array.isArray(item.summary) ? item.summary : []),
    ...(Array.isArray(item.content) ? item.content : []),
  ];
  const parts = mapSafe(
    entries,
    (entry): Part | undefined => {
      if (isObject(entry) && typeof entry.text === 'string') return { type: 'reasoning', content: scrubText(entry.text, ctx) };
      return contentPart(entry, ctx);
    },
    ctx,
  );
  // Encrypted-only reasoning: record that it happened, without its opaque payload.
  return parts.length ? parts : [{ type: 'reasoning', content: '' }];
}

/* ---------- items ---------- */

interface ItemRule {
  role: string;
  /** The item's parts; `type` is the item's type (given, or implied for typeless items). */
  parts: (item: Item, ctx: Ctx, type: string) => Part[];
}

function genericRule(role: string, transform?: (part: Part, item: Item, ctx: Ctx) => Part): ItemRule {
  return {
    role,
    parts: (item, ctx, type) => {
      const part = genericPart(item, type, ctx);
      return [transform ? transform(part, item, ctx) : part];
    },
  };
}

/** Tool lists inside items go through the tool-definition mapper, which drops credentials. */
function withToolDefinitions(part: Part, item: Item, ctx: Ctx): Part {
  if (Array.isArray(item.tools)) part.tools = definitions(item.tools, ctx);
  return part;
}

/** Non-message items by `type`. Types not here become a GenericPart (role from the item, else `user`). */
const ITEM_RULES: ReadonlyMap<string, ItemRule> = new Map<string, ItemRule>([
  ['function_call', clientCall('arguments')],
  ['custom_tool_call', clientCall('input')],
  ['computer_call', clientCall('action', 'actions')],
  ['local_shell_call', clientCall('action')],
  ['shell_call', clientCall('action')],
  ['apply_patch_call', clientCall('operation')],
  ['tool_search_call', clientCall('arguments')],
  ['function_call_output', callResult('output', partsResponse)],
  ['custom_tool_call_output', callResult('output', partsResponse)],
  ['computer_call_output', callResult('output', partsResponse)],
  ['local_shell_call_output', callResult('output', rawResponse)],
  ['shell_call_output', callResult('output', rawResponse)],
  ['apply_patch_call_output', callResult('output', rawResponse)],
  ['tool_search_output', callResult('tools', toolsResponse)],
  ['web_search_call', serverCall('web_search', ['action'])],
  ['file_search_call', serverCall('file_search', ['queries'])],
  ['code_interpreter_call', serverCall('code_interpreter', ['code', 'container_id'])],
  ['image_generation_call', serverCall('image_generation', ['action', 'background', 'output_format', 'quality', 'size'])],
  ['mcp_call', serverCall('mcp', ['server_label', 'arguments', 'approval_request_id'])],
  ['reasoning', { role: 'assistant', parts: reasoningParts }],
  ['mcp_list_tools', genericRule('assistant')],
  ['mcp_approval_request', genericRule('assistant')],
  ['mcp_approval_response', genericRule('user')],
  ['compaction', genericRule('assistant')],
  ['compaction_trigger', genericRule('user')],
  ['item_reference', genericRule('user')],
  ['program', genericRule('assistant')],
  ['program_output', genericRule('tool')],
  ['additional_tools', genericRule('system', withToolDefinitions)],
]);

/** Responses roles to semconv roles: `developer` is a system role; other strings pass through. */
function roleOf(role: unknown): string {
  if (role === 'developer') return 'system';
  return typeof role === 'string' && role ? bounded(role) : 'user';
}

/** The item's type; typeless items are messages (with a role) or item references (with an id). */
function itemType(item: Item): string | undefined {
  if (typeof item.type === 'string') return item.type;
  if (item.role !== undefined) return 'message';
  if (typeof item.id === 'string') return 'item_reference';
  return undefined;
}

/** One input (or output) item as one semconv message. */
function itemMessage(item: unknown, ctx: Ctx): ChatMessage | undefined {
  if (typeof item === 'string') return { role: 'user', parts: [textPart(item, ctx)] };
  if (!isObject(item)) return undefined;
  const type = itemType(item);
  if (type === undefined) return undefined;
  if (type === 'message') return { role: roleOf(item.role), parts: contentParts(item.content, ctx) };
  const rule = ITEM_RULES.get(type);
  if (rule) return { role: rule.role, parts: rule.parts(item, ctx, type) };
  return { role: roleOf(item.role), parts: [genericPart(item, type, ctx)] };
}

function itemList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}

/* ---------- tool definitions ---------- */

function functionDefinition(tool: Item, ctx: Ctx): JsonObject {
  // Also reads the Chat Completions shape `{type: 'function', function: {...}}`.
  const fn = isObject(tool.function) ? tool.function : tool;
  const def: JsonObject = { type: 'function', name: label(fn.name) ?? '' };
  if (typeof fn.description === 'string') def.description = scrubText(fn.description, ctx);
  if (fn.parameters === null) def.parameters = null;
  else if (isObject(fn.parameters) && !Array.isArray(fn.parameters)) {
    const parameters = scrub(fn.parameters, { ...ctx, keep: SCHEMA_KEYWORDS });
    if (parameters !== undefined) def.parameters = parameters;
  }
  if (typeof fn.strict === 'boolean') def.strict = fn.strict;
  return def;
}

function toolDefinition(tool: unknown, ctx: Ctx): JsonObject | undefined {
  if (!isObject(tool) || typeof tool.type !== 'string') return undefined;
  const type = tool.type;
  if (type === 'function') return functionDefinition(tool, ctx);
  // GenericToolDefinition requires a name: the tool's own, an MCP server's label, else the type.
  const name = label(tool.name) ?? label(tool.server_label) ?? type;
  const nested = Array.isArray(tool.tools) ? tool.tools : undefined;
  const omit = ['type', 'name', ...(nested ? ['tools'] : [])];
  const def: JsonObject = { type, name, ...rest(tool, omit, ctx) };
  if (nested) def.tools = definitions(nested, ctx);
  return def;
}

function definitions(tools: readonly unknown[], ctx: Ctx): JsonObject[] {
  return mapSafe(tools, (tool) => toolDefinition(tool, ctx), ctx);
}

/* ---------- the four attributes ---------- */
/*
 * Each has a structured form (`*Json`: the scrubbed value, for log events and any other
 * structured sink, cut by `rule` and charged to its budget) and the attribute form (its JSON
 * within the span's budget).
 */

/** The create() param `input` as semconv ChatMessages, one per item. */
export function inputMessagesJson(params: Params, rule: CutRule): Json[] | undefined {
  if (!isObject(params)) return undefined;
  const input = params.input;
  if (typeof input === 'string') return [{ role: 'user', parts: [textPart(input, rule)] }];
  return mapSafe(itemList(input), (item) => itemMessage(item, rule), rule) as unknown as Json[];
}

/** `gen_ai.input.messages`. */
export function inputMessages(params: Params, maxContentLength: number, budget: ContentBudget = { left: Infinity }): string | undefined {
  return encode(maxContentLength, budget, (ctx) => inputMessagesJson(params, ctx));
}

/** The create() param `instructions` as a list of parts. */
export function systemInstructionsJson(params: Params, rule: CutRule): Json[] | undefined {
  if (!isObject(params)) return undefined;
  const instructions = params.instructions;
  if (typeof instructions === 'string') return [textPart(instructions, rule)];
  const messages = mapSafe(itemList(instructions), (item) => itemMessage(item, rule), rule);
  return messages.flatMap((m) => m.parts);
}

/** `gen_ai.system_instructions`. */
export function systemInstructions(
  params: Params,
  maxContentLength: number,
  budget: ContentBudget = { left: Infinity },
): string | undefined {
  return encode(maxContentLength, budget, (ctx) => systemInstructionsJson(params, ctx));
}

/** The create() param `tools`, without credentials. */
export function toolDefinitionsJson(params: Params, rule: CutRule): Json[] | undefined {
  if (!isObject(params) || !Array.isArray(params.tools)) return undefined;
  return definitions(params.tools, rule);
}

/** `gen_ai.tool.definitions`. */
export function toolDefinitions(params: Params, maxContentLength: number, budget: ContentBudget = { left: Infinity }): string | undefined {
  return encode(maxContentLength, budget, (ctx) => toolDefinitionsJson(params, ctx));
}

/** The finish reason of a Response's one output message, as `finishReasons()` derives it. */
function finishReasonOf(response: ResponseLike): string {
  const status = response.status;
  const [reason] = finishReasons(status === undefined ? { ...response, status: 'completed' } : response);
  return reason ?? (typeof status === 'string' && status ? bounded(status) : 'stop');
}

/**
 * A Response's `output` as ONE assistant message (a Response is one candidate) holding the
 * parts of every output item in order, with its finish reason.
 */
export function outputMessagesJson(response: ResponseLike, rule: CutRule): Json[] | undefined {
  if (!isObject(response) || !Array.isArray(response.output)) return undefined;
  const parts = mapSafe(response.output, (item) => itemMessage(item, rule), rule).flatMap((m) => m.parts);
  if (!parts.length) return undefined;
  const message: OutputMessage = { role: 'assistant', parts, finish_reason: finishReasonOf(response) };
  return [message as unknown as Json];
}

/** `gen_ai.output.messages`. */
export function outputMessages(response: ResponseLike, maxContentLength: number, budget: ContentBudget = { left: Infinity }): string | undefined {
  return encode(maxContentLength, budget, (ctx) => outputMessagesJson(response, ctx));
}
