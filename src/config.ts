/*
 * The configuration: its public type, and its resolution into the settings the hot path reads.
 * Invalid values are reported once through `diag` (when the application's logger is in place:
 * see problems.ts) and replaced by the default: configuration never throws into the application.
 */
import { CONTENT_INPUT_FIELDS, CONTENT_OUTPUT_FIELDS, SAFE_INPUT_FIELDS, SAFE_OUTPUT_FIELDS } from './mapping/fields';
import type {
  BudResponsesInstrumentationConfig,
  ModelPrice,
  RequestHookFunction,
  ResponseHookFunction,
  SemconvMode,
} from './types';
import { reportOnce, resetReportedProblems } from './problems';
import { parseBooleanWord } from './util';

/** The settings the instrumentation reads on every call, computed once per configuration. */
export interface ResolvedConfig {
  inputFields: ReadonlySet<string>;
  outputFields: ReadonlySet<string>;
  spanName: string;
  system: string;
  semconvMode: SemconvMode;
  maxContentLength: number;
  requestHook?: RequestHookFunction;
  responseHook?: ResponseHookFunction;
  propagateContext: boolean;
  pricing?: Readonly<Record<string, ModelPrice>>;
  supersedeOpenAIInstrumentation: boolean;
}

export const DEFAULT_MAX_CONTENT_LENGTH = 16384;
const SEMCONV_OPT_IN = 'gen_ai_latest_experimental';

function envFlag(name: string): boolean | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = parseBooleanWord(raw);
  if (value !== undefined) return value;
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
  const fromEnv = envFlag('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT') ?? false;
  // `captureMessageContent` is the official openai instrumentation's name for the same switch.
  const captureContent =
    optionalBoolean('captureContent', raw.captureContent, fromEnv) ||
    (raw.captureMessageContent !== undefined && optionalBoolean('captureMessageContent', raw.captureMessageContent, fromEnv));
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
    requestHook: optionalFunction<RequestHookFunction>('requestHook', raw.requestHook),
    responseHook: optionalFunction<ResponseHookFunction>('responseHook', raw.responseHook),
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
  resetReportedProblems();
}
