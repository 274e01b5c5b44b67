/*
 * The configuration: its public type, and its resolution into the settings the hot path reads.
 * Invalid values are reported once through `diag` and replaced by the default: configuration
 * never throws into the application.
 */
import { diag, type Span } from '@opentelemetry/api';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import {
  CONTENT_INPUT_FIELDS,
  CONTENT_OUTPUT_FIELDS,
  SAFE_INPUT_FIELDS,
  SAFE_OUTPUT_FIELDS,
  type ModelPrice,
  type Params,
  type ResponseLike,
} from './attributes';

/** `true`: the safe fields (plus content ones with `captureContent`); `false`: none; a list: exactly those. */
export type CaptureSetting = boolean | readonly string[];

export type SemconvMode = 'bud' | 'otel';

/** Called with the span and the create() params before the request is sent. */
export type RequestHook = (span: Span, params: Params) => void;
/** Called with the span and the final Response (for streams: the terminal event's response). */
export type ResponseHook = (span: Span, response: ResponseLike) => void;

export interface BudResponsesInstrumentationConfig extends InstrumentationConfig {
  /** Which create() params to record. Default `true` (the safe fields). */
  captureInput?: CaptureSetting;
  /** Which Response fields to record. Default `true` (the safe fields). */
  captureOutput?: CaptureSetting;
  /**
   * Adds the content fields (input, instructions, tools, output text, ...) to the default sets.
   * Default: env `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, else `false`.
   */
  captureContent?: boolean;
  /** Base span name. Default `responses`; streaming spans append `.stream`. */
  spanName?: string;
  /** Value of `gen_ai.system` and `gen_ai.provider.name`. Default `bud`. */
  system?: string;
  /** `otel` names spans `chat {model}` with operation `chat`. Default: `bud`, or `otel` when
   * env `OTEL_SEMCONV_STABILITY_OPT_IN` contains `gen_ai_latest_experimental`. */
  semconvMode?: SemconvMode;
  /** Longest string kept in a content attribute, per part. Default 16384. */
  maxContentLength?: number;
  requestHook?: RequestHook;
  responseHook?: ResponseHook;
  /** Inject `traceparent`/`baggage` into the request headers. Default `true`. */
  propagateContext?: boolean;
  /** Per-million-token prices by model name; enables the cost attributes and metric. */
  pricing?: Readonly<Record<string, ModelPrice>>;
  /**
   * Skip the `Responses.create` wrapper of `@opentelemetry/instrumentation-openai` (one GenAI
   * span per Responses call, this package's; the SDK objects as with openai alone). Default `true`.
   */
  supersedeOpenAIInstrumentation?: boolean;
}

/** The settings the instrumentation reads on every call, computed once per configuration. */
export interface ResolvedConfig {
  inputFields: ReadonlySet<string>;
  outputFields: ReadonlySet<string>;
  spanName: string;
  system: string;
  semconvMode: SemconvMode;
  maxContentLength: number;
  requestHook?: RequestHook;
  responseHook?: ResponseHook;
  propagateContext: boolean;
  pricing?: Readonly<Record<string, ModelPrice>>;
  supersedeOpenAIInstrumentation: boolean;
}

export const DEFAULT_MAX_CONTENT_LENGTH = 16384;
const SEMCONV_OPT_IN = 'gen_ai_latest_experimental';

const reported = new Set<string>();

/** Reports a configuration problem once per distinct message. */
function reportOnce(message: string): void {
  if (reported.has(message)) return;
  reported.add(message);
  diag.warn(`@budecosystem/instrumentation-responses: ${message}`);
}

function envFlag(name: string): boolean | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = raw.trim().toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  reportOnce(`env ${name}=${JSON.stringify(raw)} is not true or false; ignored`);
  return undefined;
}

function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && v.length > 0);
}

function resolveFields(
  name: string,
  value: unknown,
  safe: readonly string[],
  content: readonly string[],
  captureContent: boolean,
): ReadonlySet<string> {
  if (value === undefined || value === true) return new Set(captureContent ? [...safe, ...content] : safe);
  if (value === false) return new Set();
  if (isStringList(value)) return new Set(value);
  reportOnce(`config ${name} must be true, false or a list of field names; got ${describe(value)}, using true`);
  return resolveFields(name, true, safe, content, captureContent);
}

function describe(value: unknown): string {
  try {
    return typeof value === 'function' ? 'a function' : JSON.stringify(value) ?? String(value);
  } catch {
    return typeof value;
  }
}

function optionalBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  reportOnce(`config ${name} must be a boolean; got ${describe(value)}, using ${fallback}`);
  return fallback;
}

function nonEmptyString(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && value.trim() !== '') return value;
  reportOnce(`config ${name} must be a non-empty string; got ${describe(value)}, using ${JSON.stringify(fallback)}`);
  return fallback;
}

function optionalFunction<T>(name: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return value as T;
  reportOnce(`config ${name} must be a function; got ${describe(value)}, ignored`);
  return undefined;
}

function resolveSemconvMode(value: unknown): SemconvMode {
  const optIn = (process.env.OTEL_SEMCONV_STABILITY_OPT_IN ?? '')
    .split(',')
    .some((s) => s.trim() === SEMCONV_OPT_IN);
  if (value === undefined) return optIn ? 'otel' : 'bud';
  if (value === 'otel' || value === 'bud') return value === 'otel' || optIn ? 'otel' : 'bud';
  reportOnce(`config semconvMode must be 'bud' or 'otel'; got ${describe(value)}, using ${optIn ? 'otel' : 'bud'}`);
  return optIn ? 'otel' : 'bud';
}

function resolveMaxContentLength(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_CONTENT_LENGTH;
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  reportOnce(
    `config maxContentLength must be a positive integer; got ${describe(value)}, using ${DEFAULT_MAX_CONTENT_LENGTH}`,
  );
  return DEFAULT_MAX_CONTENT_LENGTH;
}

function isPrice(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  const price = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  return (
    price(p.input) &&
    price(p.output) &&
    (p.cachedInput === undefined || price(p.cachedInput)) &&
    (p.currency === undefined || (typeof p.currency === 'string' && p.currency !== ''))
  );
}

/** Keeps the well-formed entries of `pricing`; reports each malformed one. */
function resolvePricing(value: unknown): Readonly<Record<string, ModelPrice>> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    reportOnce(`config pricing must be an object of model name to prices; got ${describe(value)}, ignored`);
    return undefined;
  }
  const out: Record<string, ModelPrice> = {};
  for (const [model, price] of Object.entries(value)) {
    if (isPrice(price)) {
      out[model] = Object.freeze({ ...(price as ModelPrice) });
    } else {
      reportOnce(
        `config pricing[${JSON.stringify(model)}] must be {input, output, cachedInput?, currency?} with ` +
          `non-negative numbers per million tokens; got ${describe(price)}, ignored`,
      );
    }
  }
  return Object.keys(out).length ? Object.freeze(out) : undefined;
}

/** Turns a user configuration (of any shape) into the settings the instrumentation reads. */
export function resolveConfig(config: BudResponsesInstrumentationConfig = {}): ResolvedConfig {
  const raw = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  const captureContent = optionalBoolean(
    'captureContent',
    raw.captureContent,
    envFlag('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT') ?? false,
  );
  return {
    inputFields: resolveFields('captureInput', raw.captureInput, SAFE_INPUT_FIELDS, CONTENT_INPUT_FIELDS, captureContent),
    outputFields: resolveFields(
      'captureOutput',
      raw.captureOutput,
      SAFE_OUTPUT_FIELDS,
      CONTENT_OUTPUT_FIELDS,
      captureContent,
    ),
    spanName: nonEmptyString('spanName', raw.spanName, 'responses'),
    system: nonEmptyString('system', raw.system, 'bud'),
    semconvMode: resolveSemconvMode(raw.semconvMode),
    maxContentLength: resolveMaxContentLength(raw.maxContentLength),
    requestHook: optionalFunction<RequestHook>('requestHook', raw.requestHook),
    responseHook: optionalFunction<ResponseHook>('responseHook', raw.responseHook),
    propagateContext: optionalBoolean('propagateContext', raw.propagateContext, true),
    pricing: resolvePricing(raw.pricing),
    supersedeOpenAIInstrumentation: optionalBoolean(
      'supersedeOpenAIInstrumentation',
      raw.supersedeOpenAIInstrumentation,
      true,
    ),
  };
}

/** For tests: forget which problems were reported, so the next one is reported again. */
export function resetReportedConfigProblems(): void {
  reported.clear();
}
