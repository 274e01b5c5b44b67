/*
 * Semconv message JSON (src/messages.ts): every value is checked against the JSON Schemas of
 * semantic conventions v1.41.1 (test/fixtures/semconv-v1.41.1) AND part by part against the schema's
 * specific definition of its type (the schemas accept any `{type: string}` as a GenericPart, so
 * a whole-document check alone would let a malformed `text` or `blob` part through).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { cut } from '../src/mapping/content';
import { finishReasons } from '../src/mapping/finish-reasons';
import { inputMessages, outputMessages, parseDataUrl, systemInstructions, toolDefinitions } from '../src/mapping/messages';
import type { ResponseLike } from '../src/types';

const SCHEMA_FILES = {
  input: 'gen-ai-input-messages.json',
  output: 'gen-ai-output-messages.json',
  system: 'gen-ai-system-instructions.json',
  tools: 'gen-ai-tool-definitions.json',
} as const;
type SchemaKey = keyof typeof SCHEMA_FILES;

/** The schemas ship with the tests (test/fixtures/semconv-v1.41.1); tests run from build/test. */
const schemaDir = path.join(__dirname, '..', '..', 'test', 'fixtures', 'semconv-v1.41.1');

/*
 * The schemas declare no `$schema`; their parameters refer to the draft-07 meta-schema, which
 * the default (draft-07) Ajv bundles. `format: binary` (BlobPart.content) is an annotation.
 */
const ajv = new Ajv({ strict: true, allErrors: true });
ajv.addFormat('binary', true);
/** The `$defs` each schema has (system instructions, for one, has no server tool call parts). */
const schemaDefs = new Map<string, ReadonlySet<string>>();
for (const [key, file] of Object.entries(SCHEMA_FILES)) {
  const schema = JSON.parse(fs.readFileSync(path.join(schemaDir, file), 'utf8')) as { $defs: object };
  ajv.addSchema(schema, key);
  schemaDefs.set(key, new Set(Object.keys(schema.$defs)));
}

const validators = new Map<string, ValidateFunction>();
function validator(ref: string): ValidateFunction {
  let v = validators.get(ref);
  if (!v) {
    v = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
    validators.set(ref, v);
  }
  return v;
}

function check(ref: string, value: unknown, what: string): void {
  const v = validator(ref);
  assert.ok(v(value), `${what} does not match ${ref}: ${ajv.errorsText(v.errors)}\n${JSON.stringify(value)}`);
}

/** The specific definition of each part type the schemas define. */
const PART_DEFS: Readonly<Record<string, string>> = {
  text: 'TextPart',
  tool_call: 'ToolCallRequestPart',
  tool_call_response: 'ToolCallResponsePart',
  server_tool_call: 'ServerToolCallPart',
  server_tool_call_response: 'ServerToolCallResponsePart',
  blob: 'BlobPart',
  file: 'FilePart',
  uri: 'UriPart',
  reasoning: 'ReasoningPart',
};

type AnyPart = Record<string, any> & { type: string };
interface Msg {
  role: string;
  parts: AnyPart[];
  finish_reason?: string;
}

function checkParts(schema: SchemaKey, parts: AnyPart[]): void {
  for (const part of parts) {
    const specific = PART_DEFS[part.type];
    const def = specific && schemaDefs.get(schema)!.has(specific) ? specific : 'GenericPart';
    check(`${schema}#/$defs/${def}`, part, `part ${part.type}`);
  }
}

/** Parses and validates a `gen_ai.*` JSON value; fails on undefined. */
function parse<T>(schema: SchemaKey, json: string | undefined): T {
  assert.equal(typeof json, 'string', 'expected a JSON string');
  const value = JSON.parse(json!) as T;
  check(schema, value, schema);
  if (schema === 'input' || schema === 'output') for (const m of value as Msg[]) checkParts(schema, m.parts);
  if (schema === 'system') checkParts(schema, value as AnyPart[]);
  if (schema === 'tools') {
    for (const def of value as AnyPart[]) {
      check(`tools#/$defs/${def.type === 'function' ? 'FunctionToolDefinition' : 'GenericToolDefinition'}`, def, def.type);
    }
  }
  return value;
}

const input = (value: unknown, max = 1000): Msg[] => parse<Msg[]>('input', inputMessages({ input: value }, max));
const output = (response: ResponseLike, max = 1000): Msg[] =>
  parse<Msg[]>('output', outputMessages(response, max));
const system = (value: unknown, max = 1000): AnyPart[] =>
  parse<AnyPart[]>('system', systemInstructions({ instructions: value }, max));
const tools = (value: unknown[], max = 1000): AnyPart[] => parse<AnyPart[]>('tools', toolDefinitions({ tools: value }, max));

describe('messages: schema loading', () => {
  it('finds the v1.41.1 schemas and rejects what they forbid', () => {
    assert.ok(fs.existsSync(path.join(schemaDir, SCHEMA_FILES.tools)));
    assert.equal(validator('output')([{ role: 'assistant', parts: [] }]), false, 'finish_reason is required');
    assert.equal(validator('input#/$defs/TextPart')({ type: 'text' }), false, 'content is required');
    assert.equal(validator('tools')([{ type: 'web_search' }]), false, 'a tool definition needs a name');
  });
});

describe('messages: gen_ai.input.messages', () => {
  it('maps a string input to one user message with a text part', () => {
    assert.deepEqual(input('Hello there'), [{ role: 'user', parts: [{ type: 'text', content: 'Hello there' }] }]);
  });

  it('maps EasyInputMessage roles: developer and system to system, user, assistant', () => {
    const messages = input([
      { role: 'developer', content: 'Be terse.' },
      { role: 'system', content: 'You are a bot.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Part A' }, { type: 'input_text', text: 'Part B' }] },
    ]);
    assert.deepEqual(messages, [
      { role: 'system', parts: [{ type: 'text', content: 'Be terse.' }] },
      { role: 'system', parts: [{ type: 'text', content: 'You are a bot.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Hi' }] },
      { role: 'assistant', parts: [{ type: 'text', content: 'Hello!' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Part A' }, { type: 'text', content: 'Part B' }] },
    ]);
  });

  it('maps input_image: URL to uri, data URL to blob, file id to file', () => {
    const [message] = input([
      {
        role: 'user',
        content: [
          { type: 'input_image', detail: 'auto', image_url: 'https://example.com/cat.png' },
          { type: 'input_image', detail: 'low', image_url: 'data:image/png;base64,iVBORw0KGgo=' },
          { type: 'input_image', detail: 'high', file_id: 'file-img1' },
        ],
      },
    ]);
    assert.deepEqual(message.parts, [
      { type: 'uri', modality: 'image', uri: 'https://example.com/cat.png' },
      { type: 'blob', mime_type: 'image/png', modality: 'image', content: 'iVBORw0KGgo=' },
      { type: 'file', modality: 'image', file_id: 'file-img1' },
    ]);
  });

  it('maps input_file: data to blob, URL to uri, file id to file, keeping the file name', () => {
    const [message] = input([
      {
        role: 'user',
        content: [
          { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQ=' },
          { type: 'input_file', filename: 'raw.pdf', file_data: 'JVBERi0xLjQ=' },
          { type: 'input_file', file_url: 'https://example.com/report.pdf' },
          { type: 'input_file', file_id: 'file-abc', filename: 'b.pdf' },
          { type: 'input_file', file_data: 'data:image/jpeg;base64,/9j/4AAQ' },
        ],
      },
    ]);
    assert.deepEqual(message.parts, [
      { type: 'blob', mime_type: 'application/pdf', modality: 'document', content: 'JVBERi0xLjQ=', filename: 'a.pdf' },
      { type: 'blob', modality: 'document', content: 'JVBERi0xLjQ=', filename: 'raw.pdf' },
      { type: 'uri', modality: 'document', uri: 'https://example.com/report.pdf' },
      { type: 'file', modality: 'document', file_id: 'file-abc', filename: 'b.pdf' },
      { type: 'blob', mime_type: 'image/jpeg', modality: 'image', content: '/9j/4AAQ' },
    ]);
  });

  it('maps input_audio to an audio blob with its MIME type', () => {
    const [message] = input([
      {
        role: 'user',
        content: [
          { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
          { type: 'input_audio', input_audio: { data: 'SUQz', format: 'mp3' } },
        ],
      },
    ]);
    assert.deepEqual(message.parts, [
      { type: 'blob', mime_type: 'audio/wav', modality: 'audio', content: 'UklGRg==' },
      { type: 'blob', mime_type: 'audio/mpeg', modality: 'audio', content: 'SUQz' },
    ]);
  });

  it('maps function_call to an assistant tool_call with parsed arguments, and its output to a tool message', () => {
    const messages = input([
      { role: 'user', content: 'Weather in Paris?' },
      { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'get_weather', arguments: '{"location":"Paris"}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'rainy, 57°F' },
    ]);
    assert.deepEqual(messages.slice(1), [
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { location: 'Paris' } }],
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: 'rainy, 57°F' }] },
    ]);
  });

  it('keeps tool-call arguments that are not JSON as text', () => {
    const [message] = input([{ type: 'function_call', call_id: 'c', name: 'f', arguments: '{"city": "Par' }]);
    assert.deepEqual(message.parts, [{ type: 'tool_call', id: 'c', name: 'f', arguments: '{"city": "Par' }]);
  });

  it('maps a function_call_output content list to semconv parts', () => {
    const [message] = input([
      {
        type: 'function_call_output',
        call_id: 'call_2',
        output: [
          { type: 'input_text', text: 'chart below' },
          { type: 'input_image', image_url: 'https://example.com/chart.png' },
          { type: 'input_file', file_id: 'file-9' },
        ],
      },
    ]);
    assert.equal(message.role, 'tool');
    assert.deepEqual(message.parts, [
      {
        type: 'tool_call_response',
        id: 'call_2',
        response: [
          { type: 'text', content: 'chart below' },
          { type: 'uri', modality: 'image', uri: 'https://example.com/chart.png' },
          { type: 'file', modality: 'document', file_id: 'file-9' },
        ],
      },
    ]);
  });

  it('maps custom_tool_call and custom_tool_call_output', () => {
    const messages = input([
      { type: 'custom_tool_call', call_id: 'ct_1', name: 'run_sql', input: 'SELECT 1' },
      { type: 'custom_tool_call_output', call_id: 'ct_1', output: '1 row' },
    ]);
    assert.deepEqual(messages, [
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'ct_1', name: 'run_sql', arguments: 'SELECT 1' }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'ct_1', response: '1 row' }] },
    ]);
  });

  it('maps a replayed assistant message: output_text (with annotations) and refusal', () => {
    const annotation = { type: 'url_citation', url: 'https://example.com', title: 'Ex', start_index: 0, end_index: 3 };
    const [message] = input([
      {
        type: 'message',
        id: 'msg_1',
        role: 'assistant',
        status: 'completed',
        content: [
          { type: 'output_text', text: 'Sure.', annotations: [annotation] },
          { type: 'output_text', text: 'Plain.', annotations: [] },
          { type: 'refusal', refusal: 'I cannot help with that.' },
        ],
      },
    ]);
    assert.deepEqual(message, {
      role: 'assistant',
      parts: [
        { type: 'text', content: 'Sure.', annotations: [annotation] },
        { type: 'text', content: 'Plain.' },
        { type: 'refusal', content: 'I cannot help with that.' },
      ],
    });
  });

  it('maps reasoning items to reasoning parts (summary, content, encrypted-only)', () => {
    const messages = input([
      {
        type: 'reasoning',
        id: 'rs_1',
        summary: [{ type: 'summary_text', text: 'Thinking about Paris.' }],
        content: [{ type: 'reasoning_text', text: 'Step 1: look up weather.' }],
      },
      { type: 'reasoning', id: 'rs_2', summary: [], encrypted_content: 'gAAAAB...' },
    ]);
    assert.deepEqual(messages, [
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: 'Thinking about Paris.' },
          { type: 'reasoning', content: 'Step 1: look up weather.' },
        ],
      },
      { role: 'assistant', parts: [{ type: 'reasoning', content: '' }] },
    ]);
    assert.ok(!JSON.stringify(messages).includes('gAAAAB'), 'encrypted reasoning is not recorded');
  });

  it('maps replayed server tool calls to server_tool_call + server_tool_call_response parts', () => {
    const messages = input([
      { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'otel' } },
      {
        type: 'file_search_call',
        id: 'fs_1',
        status: 'completed',
        queries: ['refund policy'],
        results: [{ file_id: 'file-1', filename: 'policy.md', score: 0.9, text: 'Refunds within 30 days.' }],
      },
      {
        type: 'code_interpreter_call',
        id: 'ci_1',
        status: 'completed',
        code: 'print(1+1)',
        container_id: 'cntr_1',
        outputs: [{ type: 'logs', logs: '2' }],
      },
      { type: 'image_generation_call', id: 'ig_1', status: 'completed', result: 'iVBORw0KGgo=', size: '1024x1024' },
      {
        type: 'mcp_call',
        id: 'mcp_1',
        server_label: 'deepwiki',
        name: 'ask_question',
        arguments: '{"q":"what is otel"}',
        output: 'An observability framework.',
        status: 'completed',
      },
    ]);
    assert.deepEqual(
      messages.map((m) => m.role),
      ['assistant', 'assistant', 'assistant', 'assistant', 'assistant'],
    );
    assert.deepEqual(messages[0].parts, [
      { type: 'server_tool_call', id: 'ws_1', name: 'web_search', server_tool_call: { type: 'web_search', action: { type: 'search', query: 'otel' } } },
      { type: 'server_tool_call_response', id: 'ws_1', server_tool_call_response: { type: 'web_search', status: 'completed' } },
    ]);
    assert.deepEqual(messages[1].parts, [
      { type: 'server_tool_call', id: 'fs_1', name: 'file_search', server_tool_call: { type: 'file_search', queries: ['refund policy'] } },
      {
        type: 'server_tool_call_response',
        id: 'fs_1',
        server_tool_call_response: {
          type: 'file_search',
          status: 'completed',
          results: [{ file_id: 'file-1', filename: 'policy.md', score: 0.9, text: 'Refunds within 30 days.' }],
        },
      },
    ]);
    assert.deepEqual(messages[2].parts, [
      {
        type: 'server_tool_call',
        id: 'ci_1',
        name: 'code_interpreter',
        server_tool_call: { type: 'code_interpreter', code: 'print(1+1)', container_id: 'cntr_1' },
      },
      {
        type: 'server_tool_call_response',
        id: 'ci_1',
        server_tool_call_response: { type: 'code_interpreter', status: 'completed', outputs: [{ type: 'logs', logs: '2' }] },
      },
    ]);
    assert.deepEqual(messages[3].parts, [
      { type: 'server_tool_call', id: 'ig_1', name: 'image_generation', server_tool_call: { type: 'image_generation', size: '1024x1024' } },
      {
        type: 'server_tool_call_response',
        id: 'ig_1',
        server_tool_call_response: { type: 'image_generation', status: 'completed', result: 'iVBORw0KGgo=' },
      },
    ]);
    assert.deepEqual(messages[4].parts, [
      {
        type: 'server_tool_call',
        id: 'mcp_1',
        name: 'ask_question',
        server_tool_call: { type: 'mcp', server_label: 'deepwiki', arguments: { q: 'what is otel' } },
      },
      {
        type: 'server_tool_call_response',
        id: 'mcp_1',
        server_tool_call_response: { type: 'mcp', output: 'An observability framework.', status: 'completed' },
      },
    ]);
  });

  it('maps client-run built-in calls (computer, local shell, shell, apply_patch) to tool_call / tool_call_response', () => {
    const messages = input([
      { type: 'computer_call', id: 'cu_1', call_id: 'cc_1', status: 'completed', pending_safety_checks: [], action: { type: 'click', button: 'left', x: 10, y: 20 } },
      { type: 'computer_call_output', call_id: 'cc_1', output: { type: 'computer_screenshot', image_url: 'data:image/png;base64,AAAA' } },
      { type: 'local_shell_call', id: 'ls_1', call_id: 'lc_1', status: 'completed', action: { type: 'exec', command: ['ls'], env: {} } },
      { type: 'local_shell_call_output', id: 'lc_1', output: '{"stdout":"a.txt"}' },
      { type: 'shell_call', call_id: 'sh_1', action: { commands: ['echo hi'] } },
      { type: 'shell_call_output', call_id: 'sh_1', output: [{ stdout: 'hi\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } }] },
      { type: 'apply_patch_call', call_id: 'ap_1', status: 'completed', operation: { type: 'delete_file', path: 'old.txt' } },
      { type: 'apply_patch_call_output', call_id: 'ap_1', status: 'completed' },
    ]);
    assert.deepEqual(messages, [
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: 'cc_1', name: 'computer', arguments: { type: 'click', button: 'left', x: 10, y: 20 } }],
      },
      {
        role: 'tool',
        parts: [{ type: 'tool_call_response', id: 'cc_1', response: { type: 'blob', mime_type: 'image/png', modality: 'image', content: 'AAAA' } }],
      },
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: 'lc_1', name: 'local_shell', arguments: { type: 'exec', command: ['ls'], env: {} } }],
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'lc_1', response: '{"stdout":"a.txt"}' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'sh_1', name: 'shell', arguments: { commands: ['echo hi'] } }] },
      {
        role: 'tool',
        parts: [{ type: 'tool_call_response', id: 'sh_1', response: [{ stdout: 'hi\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } }] }],
      },
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: 'ap_1', name: 'apply_patch', arguments: { type: 'delete_file', path: 'old.txt' } }],
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'ap_1', response: { status: 'completed' } }] },
    ]);
  });

  it('carries item_reference (typed or not), MCP approvals and compaction as generic parts', () => {
    const messages = input([
      { type: 'item_reference', id: 'msg_old' },
      { id: 'rs_old' },
      { type: 'mcp_approval_request', id: 'apr_1', name: 'delete_repo', server_label: 'gh', arguments: '{}' },
      { type: 'mcp_approval_response', approval_request_id: 'apr_1', approve: false, reason: 'too risky' },
      { type: 'compaction', id: 'cmp_1', encrypted_content: 'opaque' },
    ]);
    assert.deepEqual(messages, [
      { role: 'user', parts: [{ type: 'item_reference', id: 'msg_old' }] },
      { role: 'user', parts: [{ type: 'item_reference', id: 'rs_old' }] },
      { role: 'assistant', parts: [{ type: 'mcp_approval_request', id: 'apr_1', name: 'delete_repo', server_label: 'gh', arguments: '{}' }] },
      { role: 'user', parts: [{ type: 'mcp_approval_response', approval_request_id: 'apr_1', approve: false, reason: 'too risky' }] },
      { role: 'assistant', parts: [{ type: 'compaction', id: 'cmp_1', encrypted_content: 'opaque' }] },
    ]);
  });

  it('carries an unknown item type and an unknown content part type as generic parts', () => {
    const messages = input([
      { type: 'hologram_call', id: 'h_1', depth: 3, payload: { shape: 'cube' } },
      { type: 'future_thing', role: 'developer', note: 'x' },
      { role: 'user', content: [{ type: 'input_text', text: 'see' }, { type: 'input_video', video_url: 'https://v/1.mp4', fps: 24 }] },
      { role: 'user', content: [{ type: 'text', text: 'chat-style text' }, { type: 'uri', note: 'no uri here' }] },
    ]);
    assert.deepEqual(messages, [
      { role: 'user', parts: [{ type: 'hologram_call', id: 'h_1', depth: 3, payload: { shape: 'cube' } }] },
      { role: 'system', parts: [{ type: 'future_thing', role: 'developer', note: 'x' }] },
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'see' },
          { type: 'input_video', video_url: 'https://v/1.mp4', fps: 24 },
        ],
      },
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'chat-style text' },
          { type: 'openai.uri', note: 'no uri here' },
        ],
      },
    ]);
  });

  it('records additional_tools without MCP credentials', () => {
    const json = inputMessages(
      {
        input: [
          {
            type: 'additional_tools',
            role: 'developer',
            tools: [{ type: 'mcp', server_label: 'gh', authorization: 'SECRET_TOKEN', headers: { 'X-Key': 'SECRET_HEADER' } }],
          },
        ],
      },
      1000,
    );
    assert.ok(!json!.includes('SECRET'), json);
    assert.deepEqual(parse<Msg[]>('input', json), [
      { role: 'system', parts: [{ type: 'additional_tools', role: 'developer', tools: [{ type: 'mcp', name: 'gh', server_label: 'gh' }] }] },
    ]);
  });

  it('cuts every content string to maxContentLength before encoding, keeping valid JSON', () => {
    const long = 'x'.repeat(500);
    const json = inputMessages(
      {
        input: [
          { role: 'user', content: long },
          { role: 'user', content: [{ type: 'input_image', image_url: `data:image/png;base64,${'A'.repeat(500)}` }] },
          { type: 'function_call', call_id: 'call_1', name: 'f', arguments: JSON.stringify({ text: long, n: 1 }) },
          { type: 'function_call', call_id: 'call_2', name: 'g', arguments: `not json ${long}` },
          { type: 'function_call_output', call_id: 'call_1', output: long },
          { type: 'reasoning', id: 'rs', summary: [{ type: 'summary_text', text: long }] },
          { type: 'code_interpreter_call', id: 'ci', status: 'completed', code: long, container_id: 'cntr_1', outputs: [{ type: 'logs', logs: long }] },
          { type: 'brand_new', blob: long },
        ],
      },
      10,
    );
    const messages = parse<Msg[]>('input', json);
    const parts = messages.flatMap((m) => m.parts);
    assert.equal(parts[0].content, 'x'.repeat(10));
    assert.deepEqual(parts[1], { type: 'blob', mime_type: 'image/png', modality: 'image', content: 'A'.repeat(10) });
    assert.deepEqual(parts[2].arguments, { text: 'x'.repeat(10), n: 1 });
    assert.equal(parts[3].arguments, 'not json x');
    assert.equal(parts[4].response, 'x'.repeat(10));
    assert.equal(parts[5].content, 'x'.repeat(10));
    assert.deepEqual(parts[6].server_tool_call, { type: 'code_interpreter', code: 'x'.repeat(10), container_id: 'cntr_1' });
    assert.deepEqual(parts[7].server_tool_call_response.outputs, [{ type: 'logs', logs: 'x'.repeat(10) }]);
    assert.deepEqual(parts[8], { type: 'brand_new', blob: 'x'.repeat(10) });
    // Structural fields stay whole.
    assert.deepEqual(
      parts.map((p) => p.type),
      ['text', 'blob', 'tool_call', 'tool_call', 'tool_call_response', 'reasoning', 'server_tool_call', 'server_tool_call_response', 'brand_new'],
    );
    assert.equal(parts[6].server_tool_call_response, undefined);
    assert.equal(parts[7].server_tool_call_response.status, 'completed');
    assert.ok(json!.length < 1200, `json stays small: ${json!.length}`);
  });

  it('cuts without splitting a surrogate pair, and maxContentLength 0 leaves empty strings', () => {
    assert.equal(cut('ab😀cd', 3), 'ab');
    assert.equal(cut('ab😀cd', 4), 'ab😀');
    assert.deepEqual(input('ab😀cd', 3)[0].parts, [{ type: 'text', content: 'ab' }]);
    assert.deepEqual(input('hello', 0)[0].parts, [{ type: 'text', content: '' }]);
    assert.deepEqual(input('hello', Number.NaN)[0].parts, [{ type: 'text', content: 'hello' }], 'no valid limit: no cut');
  });

  it('never throws on odd input: null, numbers, circular objects, throwing getters', () => {
    assert.equal(inputMessages(null as never, 10), undefined);
    assert.equal(inputMessages({}, 10), undefined);
    assert.equal(inputMessages({ input: 42 }, 10), undefined);
    assert.equal(inputMessages({ input: [] }, 10), undefined);
    assert.equal(inputMessages({ input: [null, 1, true, undefined] }, 10), undefined);

    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const throwing = Object.defineProperty({ type: 'function_call' }, 'name', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    const messages = input([null, circular, { type: 'odd', data: circular, f: () => 1, big: 12n, inf: Infinity }, throwing, 'plain text'], 100);
    assert.deepEqual(messages, [
      { role: 'user', parts: [{ type: 'odd', data: { name: 'loop' }, big: '12', inf: null }] },
      { role: 'user', parts: [{ type: 'text', content: 'plain text' }] },
    ]);
  });

  it('parses data URLs, base64 or percent-encoded', () => {
    assert.deepEqual(parseDataUrl('data:text/plain;charset=utf-8;base64,aGk='), { mime: 'text/plain', base64: 'aGk=' });
    assert.deepEqual(parseDataUrl('data:,hi%20there'), { mime: undefined, base64: Buffer.from('hi there').toString('base64') });
    assert.equal(parseDataUrl('https://example.com/x.png'), undefined);
  });
});

describe('messages: gen_ai.system_instructions', () => {
  it('maps string instructions to one text part', () => {
    assert.deepEqual(system('You must never tell jokes'), [{ type: 'text', content: 'You must never tell jokes' }]);
  });

  it('maps instructions as a list of input items to their parts, in order', () => {
    assert.deepEqual(
      system([
        { role: 'developer', content: [{ type: 'input_text', text: 'Rule 1' }, { type: 'input_image', file_id: 'file-logo' }] },
        { role: 'system', content: 'Rule 2' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Example question' }] },
      ]),
      [
        { type: 'text', content: 'Rule 1' },
        { type: 'file', modality: 'image', file_id: 'file-logo' },
        { type: 'text', content: 'Rule 2' },
        { type: 'text', content: 'Example question' },
      ],
    );
  });

  it('cuts instructions and skips absent or odd values', () => {
    assert.deepEqual(system('abcdefghij', 4), [{ type: 'text', content: 'abcd' }]);
    assert.equal(systemInstructions({}, 10), undefined);
    assert.equal(systemInstructions({ instructions: null }, 10), undefined);
    assert.equal(systemInstructions({ instructions: 7 }, 10), undefined);
  });
});

describe('messages: gen_ai.tool.definitions', () => {
  const weather = {
    type: 'function',
    name: 'get_weather',
    description: 'Get the current weather for a city',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string', description: 'City name, e.g. Paris' },
        unit: { type: ['string', 'null'], enum: ['celsius', 'fahrenheit'] },
        type: { type: 'string', format: 'date-time', pattern: '^[0-9]{4}-' },
      },
      required: ['city', 'unit', 'type'],
      additionalProperties: false,
    },
    strict: true,
  };

  it('maps function tools with name, description, parameters and strict', () => {
    assert.deepEqual(tools([weather]), [weather]);
    assert.deepEqual(tools([{ type: 'function', name: 'noop', parameters: null, strict: null }]), [
      { type: 'function', name: 'noop', parameters: null },
    ]);
  });

  it('maps every built-in tool type to a generic definition named after it', () => {
    const builtIns = [
      { type: 'file_search', vector_store_ids: ['vs_1'], max_num_results: 5 },
      { type: 'web_search', search_context_size: 'low' },
      { type: 'web_search_2025_08_26' },
      { type: 'web_search_preview', search_context_size: 'high' },
      { type: 'web_search_preview_2025_03_11' },
      { type: 'computer' },
      { type: 'computer_use_preview', display_width: 1024, display_height: 768, environment: 'browser' },
      { type: 'code_interpreter', container: { type: 'auto', file_ids: ['file-1'] } },
      { type: 'image_generation', quality: 'high', size: '1024x1024' },
      { type: 'local_shell' },
      { type: 'shell', environment: { type: 'container_auto' } },
      { type: 'apply_patch' },
      { type: 'tool_search', description: 'find tools' },
      { type: 'programmatic_tool_calling' },
    ];
    const defs = tools(builtIns);
    assert.deepEqual(
      defs,
      builtIns.map((tool) => ({ ...tool, name: tool.type })),
    );
    for (const def of defs) assert.equal(def.name, def.type);
  });

  it('maps mcp (named by its server label, without credentials), custom and namespace tools', () => {
    const defs = tools([
      {
        type: 'mcp',
        server_label: 'deepwiki',
        server_url: 'https://mcp.deepwiki.com/mcp',
        require_approval: 'never',
        authorization: 'SECRET_TOKEN',
        headers: { Authorization: 'Bearer SECRET_HEADER' },
      },
      { type: 'custom', name: 'run_sql', description: 'Runs SQL', format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' } },
      {
        type: 'namespace',
        name: 'crm',
        description: 'CRM tools',
        tools: [
          { type: 'function', name: 'find_customer', description: 'Find', parameters: { type: 'object', properties: {} } },
          { type: 'custom', name: 'note' },
        ],
      },
    ]);
    assert.ok(!JSON.stringify(defs).includes('SECRET'));
    assert.deepEqual(defs, [
      { type: 'mcp', name: 'deepwiki', server_label: 'deepwiki', server_url: 'https://mcp.deepwiki.com/mcp', require_approval: 'never' },
      { type: 'custom', name: 'run_sql', description: 'Runs SQL', format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' } },
      {
        type: 'namespace',
        name: 'crm',
        description: 'CRM tools',
        tools: [
          { type: 'function', name: 'find_customer', description: 'Find', parameters: { type: 'object', properties: {} } },
          { type: 'custom', name: 'note' },
        ],
      },
    ]);
  });

  it('carries an unknown tool type, reads the Chat Completions function shape, skips typeless entries', () => {
    assert.deepEqual(
      tools([
        { type: 'teleport', range_km: 3 },
        { type: 'function', function: { name: 'legacy', description: 'old shape', parameters: { type: 'object' } } },
        { name: 'no_type' },
        null,
        'web_search',
      ]),
      [
        { type: 'teleport', name: 'teleport', range_km: 3 },
        { type: 'function', name: 'legacy', description: 'old shape', parameters: { type: 'object' } },
      ],
    );
    assert.equal(toolDefinitions({ tools: [] }, 10), undefined);
    assert.equal(toolDefinitions({ tools: 'web_search' }, 10), undefined);
  });

  it('cuts descriptions and schema prose but keeps JSON Schema keywords, so parameters stay draft-07', () => {
    const [def] = tools([weather], 3);
    assert.deepEqual(def, {
      type: 'function',
      name: 'get_weather',
      description: 'Get',
      parameters: {
        type: 'object',
        properties: {
          city: { type: 'string', description: 'Cit' },
          unit: { type: ['string', 'null'], enum: ['cel', 'fah'] },
          type: { type: 'string', format: 'date-time', pattern: '^[0-9]{4}-' },
        },
        required: ['city', 'unit', 'type'],
        additionalProperties: false,
      },
      strict: true,
    });
    check('http://json-schema.org/draft-07/schema#', def.parameters, 'cut parameters');
  });
});

describe('messages: gen_ai.output.messages', () => {
  const response = {
    id: 'resp_1',
    status: 'completed',
    output: [
      { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'User wants weather; search first.' }] },
      { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'Paris weather' } },
      {
        type: 'message',
        id: 'msg_1',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Let me check the details.', annotations: [] }],
      },
      { type: 'function_call', id: 'fc_1', call_id: 'call_9', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
      { type: 'sparkle_call', id: 'sp_1', glitter: true },
    ],
  };

  it('maps text, tool call, reasoning, web_search_call and an unknown item to one assistant message', () => {
    assert.deepEqual(output(response), [
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: 'User wants weather; search first.' },
          { type: 'server_tool_call', id: 'ws_1', name: 'web_search', server_tool_call: { type: 'web_search', action: { type: 'search', query: 'Paris weather' } } },
          { type: 'server_tool_call_response', id: 'ws_1', server_tool_call_response: { type: 'web_search', status: 'completed' } },
          { type: 'text', content: 'Let me check the details.' },
          { type: 'tool_call', id: 'call_9', name: 'get_weather', arguments: { city: 'Paris' } },
          { type: 'sparkle_call', id: 'sp_1', glitter: true },
        ],
        finish_reason: 'tool_call',
      },
    ]);
  });

  it('maps a code_interpreter answer as in the semconv example', () => {
    const messages = output({
      status: 'completed',
      output: [
        { type: 'code_interpreter_call', id: 'ci_1', status: 'completed', code: 'import random', container_id: 'cntr_1', outputs: [{ type: 'logs', logs: '(10, 20)' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'The number is 89', annotations: [] }] },
      ],
    });
    assert.deepEqual(messages[0].parts.map((p) => p.type), ['server_tool_call', 'server_tool_call_response', 'text']);
    assert.deepEqual(messages[0].parts[1].server_tool_call_response, {
      type: 'code_interpreter',
      status: 'completed',
      outputs: [{ type: 'logs', logs: '(10, 20)' }],
    });
  });

  it('derives finish_reason like finishReasons(): stop, length, content_filter, error', () => {
    const text = [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi', annotations: [] }] }];
    const cases: Array<[ResponseLike, string]> = [
      [{ status: 'completed', output: text }, 'stop'],
      [{ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: text }, 'length'],
      [{ status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output: text }, 'content_filter'],
      [{ status: 'failed', output: text }, 'error'],
      [{ status: 'completed', output: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' }] }, 'tool_call'],
    ];
    for (const [r, expected] of cases) {
      const [message] = output(r);
      assert.equal(message.finish_reason, expected);
      assert.deepEqual([message.finish_reason], finishReasons(r), 'same as gen_ai.response.finish_reasons');
    }
  });

  it('falls back for statuses finishReasons() leaves empty: missing status as completed, others as the status', () => {
    const text = [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi', annotations: [] }] }];
    assert.equal(output({ output: text })[0].finish_reason, 'stop');
    assert.equal(output({ status: 'cancelled', output: text })[0].finish_reason, 'cancelled');
    assert.equal(output({ status: 'in_progress', output: text })[0].finish_reason, 'in_progress');
  });

  it('maps a refusal and cuts output content', () => {
    const [message] = output(
      {
        status: 'completed',
        output: [
          {
            type: 'message',
            role: 'assistant',
            content: [
              { type: 'output_text', text: 'abcdefghij', annotations: [] },
              { type: 'refusal', refusal: 'No, I will not.' },
            ],
          },
          { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{"q":"0123456789"}' },
        ],
      },
      5,
    );
    assert.deepEqual(message.parts, [
      { type: 'text', content: 'abcde' },
      { type: 'refusal', content: 'No, I' },
      { type: 'tool_call', id: 'call_1', name: 'f', arguments: { q: '01234' } },
    ]);
  });

  it('gives undefined when there is nothing to record or the value is odd', () => {
    assert.equal(outputMessages({ status: 'failed', output: [] }, 10), undefined);
    assert.equal(outputMessages({ status: 'completed' }, 10), undefined);
    assert.equal(outputMessages(null as never, 10), undefined);
    assert.equal(outputMessages({ output: 'text' }, 10), undefined);
    assert.equal(outputMessages({ output: [null, 3] }, 10), undefined);
  });
});

describe('messages: properties (fast-check)', () => {
  const content = fc.oneof(
    fc.string(),
    fc.array(
      fc.oneof(
        fc.record({ type: fc.constant('input_text'), text: fc.string() }),
        fc.record({ type: fc.constant('output_text'), text: fc.string(), annotations: fc.constant([]) }),
        fc.record({ type: fc.constant('input_image'), image_url: fc.oneof(fc.webUrl(), fc.base64String().map((b) => `data:image/png;base64,${b}`)) }),
        fc.record({ type: fc.constant('input_file'), file_id: fc.string({ minLength: 1 }) }),
        fc.record({ type: fc.string(), extra: fc.anything() }),
        fc.anything(),
      ),
    ),
  );
  const item = fc.oneof(
    fc.record({ role: fc.constantFrom('user', 'assistant', 'system', 'developer'), content }),
    fc.record({ type: fc.constant('function_call'), call_id: fc.string(), name: fc.string(), arguments: fc.oneof(fc.string(), fc.json()) }),
    fc.record({ type: fc.constant('function_call_output'), call_id: fc.string(), output: fc.oneof(fc.string(), content) }),
    fc.record({ type: fc.constantFrom('web_search_call', 'mcp_call', 'code_interpreter_call', 'reasoning'), id: fc.string(), status: fc.string(), extra: fc.anything() }),
    fc.record({ type: fc.string(), payload: fc.anything() }),
    fc.anything(),
  );

  it('inputMessages and outputMessages are valid JSON of the schemas, or undefined, and never throw', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), fc.integer({ min: 0, max: 40 }), (items, max) => {
        const inJson = inputMessages({ input: items }, max);
        if (inJson !== undefined) parse<Msg[]>('input', inJson);
        const outJson = outputMessages({ status: 'completed', output: items }, max);
        if (outJson !== undefined) parse<Msg[]>('output', outJson);
        const sysJson = systemInstructions({ instructions: items }, max);
        if (sysJson !== undefined) parse<AnyPart[]>('system', sysJson);
      }),
      { numRuns: 300 },
    );
  });

  it('no text part is longer than the limit', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 80 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 30 }), (texts, max) => {
        const messages = input(texts.map((t) => ({ role: 'user', content: t })), max);
        for (const [i, m] of messages.entries()) {
          assert.ok(m.parts[0].content.length <= max);
          assert.ok(texts[i].startsWith(m.parts[0].content));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('toolDefinitions is valid for any tool list, or undefined', () => {
    const tool = fc.oneof(
      fc.record({ type: fc.constant('function'), name: fc.string(), description: fc.string(), parameters: fc.constant({ type: 'object', properties: { a: { type: 'string', description: 'long text here' } } }) }),
      fc.record({ type: fc.string(), name: fc.option(fc.string(), { nil: undefined }), extra: fc.anything() }),
      fc.anything(),
    );
    fc.assert(
      fc.property(fc.array(tool, { maxLength: 5 }), fc.integer({ min: 0, max: 20 }), (list, max) => {
        const json = toolDefinitions({ tools: list }, max);
        if (json !== undefined) parse<AnyPart[]>('tools', json);
      }),
      { numRuns: 200 },
    );
  });
});
