/*
 * The methods this package traces, where each one lives in an openai module, and how to read
 * its arguments. Feature-checked: a method the installed version lacks is simply not patched.
 * Arguments are read only through `readParams` (params.ts), only the keys telemetry needs, and
 * `read` never throws.
 */
import { readParams } from './params';
import type { Params } from './types';
import { isObject } from './util';

/** How a call's arguments are read. */
export interface CallArguments {
  /** The body params as plain data (params.ts): the keys the captured fields and the span need. */
  params?: Params;
  /** The application's own body params object, for the request hook (never read by the package). */
  given?: Params;
  streaming: boolean;
  responseId?: string;
  conversationId?: string;
}

/** As `fields` of `read`: every param is read (the details event carries what the span does not). */
export const EVERY_PARAM: ReadonlySet<string> = new Set();

/** Params read whatever the captured fields: the span's name, always-on attributes (`text`: `gen_ai.output.type`), links. */
const ALWAYS_READ: ReadonlySet<string> = new Set(['model', 'stream', 'background', 'previous_response_id', 'conversation', 'text']);

export interface OperationSpec {
  /** `bud.inference.operation` (and `gen_ai.operation.name` outside create). */
  operation: string;
  /** Span name after the base name (`responses`) or the full name (`conversations.*`). */
  spanSuffix: string;
  /** Span name is `{spanName}{spanSuffix}` (responses methods) or `spanSuffix` alone. */
  underBaseName: boolean;
  /** Index of the request-options argument, where trace headers go. */
  optionsIndex: number;
  /** List methods return a PagePromise that must stay async-iterable: the span ends with the first page's headers. */
  list: boolean;
  /** `fields`: the captured input fields (config `captureInput`). Never throws. */
  read(args: readonly unknown[], fields: ReadonlySet<string>): CallArguments;
}

export interface PatchTarget {
  /** e.g. `Responses`, `Beta.Responses`, `Conversations.Items` */
  owner: string;
  method: string;
  spec: OperationSpec;
}

const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
/** One key of a params object (params.ts), or undefined. */
const readKey = (value: unknown, key: string): unknown => readParams(value, (k) => k === key)?.[key];

type Reader = (args: readonly unknown[], fields: ReadonlySet<string>) => Omit<CallArguments, 'streaming'> & { streaming?: boolean };

function spec(
  operation: string,
  spanSuffix: string,
  optionsIndex: number,
  read: Reader,
  options: { underBaseName?: boolean; list?: boolean } = {},
): OperationSpec {
  return {
    operation,
    spanSuffix,
    optionsIndex,
    underBaseName: options.underBaseName ?? true,
    list: options.list ?? false,
    read: (args, fields) => {
      try {
        const out = read(args, fields) as CallArguments;
        out.streaming ??= false;
        return out;
      } catch {
        return { streaming: false }; // nothing could be read (readParams itself never throws)
      }
    },
  };
}

/** The body params of a create-like call (its first argument): what the span and `fields` need. */
function body(args: readonly unknown[], fields: ReadonlySet<string>): Pick<CallArguments, 'params' | 'given'> {
  const given = args[0];
  if (typeof given !== 'object' || given === null) return {};
  const every = fields === EVERY_PARAM;
  const promptVariables = fields.has('prompt.variables');
  const params = readParams(given, (key) => every || ALWAYS_READ.has(key) || fields.has(key) || (promptVariables && key === 'prompt'));
  return { params, given: given as Params };
}

export const CREATE = spec('responses', '', 1, (args, fields) => {
  const read = body(args, fields);
  return { ...read, streaming: read.params?.stream === true };
});

const byResponseId = (operation: string, optionsIndex: number, list = false) =>
  spec(operation, `.${operation}`, optionsIndex, (args) => ({ responseId: asString(args[0]) }), { list });

const RETRIEVE = spec('retrieve', '.retrieve', 2, (args) => ({
  responseId: asString(args[0]),
  streaming: readKey(args[1], 'stream') === true,
}));

const withBody = (operation: string) => spec(operation, `.${operation}`, 1, body);

const conversation = (method: string, optionsIndex: number, read: Reader) =>
  spec(`conversations.${method}`, `conversations.${method}`, optionsIndex, read, { underBaseName: false });

const item = (method: string, read: Reader, list = false) =>
  spec(`conversations.items.${method}`, `conversations.items.${method}`, 2, read, { underBaseName: false, list });

const conversationFromFirst = (args: readonly unknown[]) => ({ conversationId: asString(args[0]) });
const conversationFromParams = (args: readonly unknown[]) => ({
  conversationId: asString(readKey(args[1], 'conversation_id')),
});

const responsesMethods = (owner: string): PatchTarget[] => [
  { owner, method: 'create', spec: CREATE },
  { owner, method: 'retrieve', spec: RETRIEVE },
  { owner, method: 'cancel', spec: byResponseId('cancel', 1) },
  { owner, method: 'delete', spec: byResponseId('delete', 1) },
  { owner, method: 'del', spec: byResponseId('delete', 1) },
  { owner, method: 'compact', spec: withBody('compact') },
  { owner: `${owner}.InputItems`, method: 'list', spec: byResponseId('input_items', 2, true) },
  { owner: `${owner}.InputTokens`, method: 'count', spec: withBody('input_tokens') },
];

/** Every method traced, by owning class (a path from the OpenAI class). */
export const PATCH_TARGETS: readonly PatchTarget[] = Object.freeze([
  ...responsesMethods('Responses'),
  ...responsesMethods('Beta.Responses'),
  { owner: 'Conversations', method: 'create', spec: conversation('create', 1, body) },
  { owner: 'Conversations', method: 'retrieve', spec: conversation('retrieve', 1, conversationFromFirst) },
  { owner: 'Conversations', method: 'update', spec: conversation('update', 2, conversationFromFirst) },
  { owner: 'Conversations', method: 'delete', spec: conversation('delete', 1, conversationFromFirst) },
  { owner: 'Conversations.Items', method: 'create', spec: item('create', conversationFromFirst) },
  { owner: 'Conversations.Items', method: 'retrieve', spec: item('retrieve', conversationFromParams) },
  { owner: 'Conversations.Items', method: 'list', spec: item('list', conversationFromFirst, true) },
  { owner: 'Conversations.Items', method: 'delete', spec: item('delete', conversationFromParams) },
]);

/** The prototype of `owner` (e.g. `Conversations.Items`) under the OpenAI class, if the version has it. */
export function ownerPrototype(openAIClass: unknown, owner: string): Record<string, unknown> | undefined {
  let current: unknown = openAIClass;
  for (const key of owner.split('.')) {
    if (typeof current !== 'function' && !isObject(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  if (typeof current !== 'function') return undefined;
  const proto = (current as { prototype?: unknown }).prototype;
  return isObject(proto) ? proto : undefined;
}
