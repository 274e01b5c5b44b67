/*
 * The methods this package traces, where each one lives in an openai module, and how to read
 * its arguments. Feature-checked: a method the installed version lacks is simply not patched.
 */
import type { Params } from './types';
import { isObject } from './util';

/** How a call's arguments are read. */
export interface CallArguments {
  params?: Params;
  streaming: boolean;
  responseId?: string;
  conversationId?: string;
}

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
  read(args: readonly unknown[]): CallArguments;
}

export interface PatchTarget {
  /** e.g. `Responses`, `Beta.Responses`, `Conversations.Items` */
  owner: string;
  method: string;
  spec: OperationSpec;
}

const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const asParams = (value: unknown): Params | undefined => (isObject(value) ? (value as Params) : undefined);

function spec(
  operation: string,
  spanSuffix: string,
  optionsIndex: number,
  read: (args: readonly unknown[]) => Omit<CallArguments, 'streaming'> & { streaming?: boolean },
  options: { underBaseName?: boolean; list?: boolean } = {},
): OperationSpec {
  return {
    operation,
    spanSuffix,
    optionsIndex,
    underBaseName: options.underBaseName ?? true,
    list: options.list ?? false,
    read: (args) => {
      const out = read(args) as CallArguments;
      out.streaming ??= false;
      return out;
    },
  };
}

export const CREATE = spec('responses', '', 1, (args) => {
  const params = asParams(args[0]);
  return { params, streaming: params?.stream === true };
});

const byResponseId = (operation: string, optionsIndex: number, list = false) =>
  spec(operation, `.${operation}`, optionsIndex, (args) => ({ responseId: asString(args[0]) }), { list });

const RETRIEVE = spec('retrieve', '.retrieve', 2, (args) => ({
  responseId: asString(args[0]),
  streaming: asParams(args[1])?.stream === true,
}));

const withBody = (operation: string) =>
  spec(operation, `.${operation}`, 1, (args) => ({ params: asParams(args[0]) }));

type Reader = (args: readonly unknown[]) => Omit<CallArguments, 'streaming'>;

const conversation = (method: string, optionsIndex: number, read: Reader) =>
  spec(`conversations.${method}`, `conversations.${method}`, optionsIndex, read, { underBaseName: false });

const item = (method: string, read: Reader, list = false) =>
  spec(`conversations.items.${method}`, `conversations.items.${method}`, 2, read, { underBaseName: false, list });

const conversationFromFirst = (args: readonly unknown[]) => ({ conversationId: asString(args[0]) });
const conversationFromParams = (args: readonly unknown[]) => ({
  conversationId: asString(asParams(args[1])?.conversation_id),
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
  { owner: 'Conversations', method: 'create', spec: conversation('create', 1, (args) => ({ params: asParams(args[0]) })) },
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
