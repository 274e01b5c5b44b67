/*
 * What a span starts with: its names and the attributes that do not depend on the response (the
 * always-on ones of docs/TELEMETRY.md §3, and the request model where it is recorded), plus the
 * attributes of every metric point. They depend only on the operation, the client's base URL,
 * the request model and streaming, so they are built once per such combination and configuration
 * and shared (frozen) by every call that has it.
 */
import type { Attributes } from '@opentelemetry/api';
import { ATTR_BUD_OPERATION, ATTR_BUD_STREAM } from './attribute-names';
import type { ResolvedConfig } from './config';
import type { OperationSpec } from './operations';
import { CREATE } from './operations';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_SYSTEM,
  ATTR_OPENAI_API_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  GEN_AI_OPERATION_CHAT,
  GEN_AI_PROVIDER_AZURE_OPENAI,
  GEN_AI_PROVIDER_OPENAI,
} from './semconv';

export interface StartAttributes {
  plainName: string;
  streamingName: string;
  /** The span's attributes at its start. */
  span: Readonly<Attributes>;
  /** The attributes of every metric point of the call (before the response model and error type). */
  metric: Readonly<Attributes>;
}

/** Entries kept before the cache starts over (many distinct models or base URLs). */
const LIMIT = 512;

/** `server.address` and `server.port` of a client's base URL. */
export function serverAttributes(baseURL: unknown): Attributes {
  const attributes: Attributes = {};
  if (typeof baseURL !== 'string') return attributes;
  try {
    const url = new URL(baseURL);
    attributes[ATTR_SERVER_ADDRESS] = url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : url.protocol === 'https:' ? 443 : undefined;
    if (port !== undefined) attributes[ATTR_SERVER_PORT] = port;
  } catch {
    /* not a URL: no server attributes */
  }
  return attributes;
}

/** The provider of endpoints that are neither OpenAI's nor Azure OpenAI's: the Bud gateway. */
export const DEFAULT_PROVIDER = 'bud';

/**
 * Host suffixes of Azure OpenAI: resources (`{name}.openai.azure.com`), Azure AI Foundry /
 * Cognitive Services resources, the sovereign clouds, and the spelling openai's `AzureOpenAI`
 * documents (`{name}.azure.openai.com`).
 */
const AZURE_OPENAI_HOSTS: readonly string[] = [
  '.openai.azure.com',
  '.cognitiveservices.azure.com',
  '.openai.azure.us',
  '.openai.azure.cn',
  '.azure.openai.com',
];

/** `gen_ai.provider.name` of a `server.address`: `openai`, `azure.ai.openai`, else `bud`. */
export function providerOfHost(host: unknown): string {
  if (typeof host !== 'string') return DEFAULT_PROVIDER;
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'api.openai.com' || name.endsWith('.api.openai.com')) return GEN_AI_PROVIDER_OPENAI;
  if (AZURE_OPENAI_HOSTS.some((suffix) => name.endsWith(suffix))) return GEN_AI_PROVIDER_AZURE_OPENAI;
  return DEFAULT_PROVIDER;
}

function build(spec: OperationSpec, config: ResolvedConfig, baseURL: unknown, model: string | undefined, streaming: boolean): StartAttributes {
  const isCreate = spec === CREATE;
  const otel = config.semconvMode === 'otel' && isCreate;
  const base = spec.underBaseName ? `${config.spanName}${spec.spanSuffix}` : spec.spanSuffix;
  const plainName = otel ? (model ? `${GEN_AI_OPERATION_CHAT} ${model}` : GEN_AI_OPERATION_CHAT) : base;
  const streamingName = otel || !isCreate ? plainName : `${base}.stream`;
  const server = serverAttributes(baseURL);
  const provider = config.system ?? providerOfHost(server[ATTR_SERVER_ADDRESS]);
  const shared: Attributes = {
    [ATTR_GEN_AI_OPERATION_NAME]: otel ? GEN_AI_OPERATION_CHAT : spec.operation,
    [ATTR_GEN_AI_PROVIDER_NAME]: provider,
    ...server,
  };
  // Metrics always carry the request model; spans when it is captured (always in semconv mode).
  const metric: Attributes = model ? { ...shared, [ATTR_GEN_AI_REQUEST_MODEL]: model } : shared;
  const span: Attributes = {
    ...(otel || config.inputFields.has('model') ? metric : shared),
    [ATTR_GEN_AI_SYSTEM]: provider,
    [ATTR_BUD_OPERATION]: spec.operation,
    [ATTR_OPENAI_API_TYPE]: 'responses',
    [ATTR_BUD_STREAM]: streaming,
  };
  if (streaming) span[ATTR_GEN_AI_REQUEST_STREAM] = true;
  return { plainName, streamingName, span: Object.freeze(span), metric: Object.freeze(metric) };
}

/** The start attributes of calls, built once per (configuration, operation, base URL, model, streaming). */
export class StartAttributesCache {
  private config: ResolvedConfig | undefined;
  private readonly entries = new Map<string, StartAttributes>();

  /** The entry of the previous call, and what it was for: most calls repeat it. */
  private last: { spec: OperationSpec; baseURL: unknown; model: string | undefined; streaming: boolean; entry: StartAttributes } | undefined;

  get(spec: OperationSpec, config: ResolvedConfig, baseURL: unknown, model: string | undefined, streaming: boolean): StartAttributes {
    if (config !== this.config) {
      this.entries.clear();
      this.last = undefined;
      this.config = config;
    }
    const last = this.last;
    if (last && last.spec === spec && last.baseURL === baseURL && last.model === model && last.streaming === streaming) {
      return last.entry;
    }
    const key = `${spec.operation}\u0000${spec.spanSuffix}\u0000${String(baseURL)}\u0000${model ?? ''}\u0000${model === undefined ? 0 : 1}${streaming ? 1 : 0}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = build(spec, config, baseURL, model, streaming);
      if (this.entries.size >= LIMIT) this.entries.clear();
      this.entries.set(key, entry);
    }
    this.last = { spec, baseURL, model, streaming, entry };
    return entry;
  }
}
