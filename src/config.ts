/*
 * The configuration: its public type, and its resolution into the settings the hot path reads.
 * Invalid values are reported once through `diag` (when the application's logger is in place:
 * see problems.ts) and replaced by the default: configuration never throws into the application.
 */
import { CONTENT_INPUT_FIELDS, CONTENT_OUTPUT_FIELDS, SAFE_INPUT_FIELDS, SAFE_OUTPUT_FIELDS } from './mapping/fields';
import { amount } from './mapping/numbers';
import type {
  BudResponsesInstrumentationConfig,
  ContentCaptureMode,
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
  /** Config `system`; undefined: `gen_ai.provider.name` follows the endpoint (start-attributes.ts). */
  system?: string;
  semconvMode: SemconvMode;
  maxContentLength: number;
  maxContentTotalLength: number;
  requestHook?: RequestHookFunction;
  responseHook?: ResponseHookFunction;
  propagateContext: boolean;
  pricing?: Readonly<Record<string, ModelPrice>>;
  supersedeOpenAIInstrumentation: boolean;
  /** Emit `gen_ai.client.inference.operation.details` for create calls (a LoggerProvider permitting). */
  emitOperationDetails: boolean;
  /** The details event carries the messages (content capture for events). */
  eventContent: boolean;
}

export const DEFAULT_MAX_CONTENT_LENGTH = 16384;
export const DEFAULT_MAX_CONTENT_TOTAL_LENGTH = 131072;
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
    if (typeof value === 'number') return String(value); // Infinity and NaN too (JSON says null)
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

function optionalNonEmptyString(name: string, value: unknown, otherwise: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.trim() !== '') return value;
  reportOnce(`config ${name} must be a non-empty string; got ${describe(value)}, using ${otherwise}`);
  return undefined;
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

/** A positive integer option (maxContentLength by default, also maxContentTotalLength). */
function resolveMaxContentLength(value: unknown, name = 'maxContentLength', fallback = DEFAULT_MAX_CONTENT_LENGTH): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  reportOnce(`config ${name} must be a positive integer; got ${describe(value)}, using ${fallback}`);
  return fallback;
}

/**
 * The own enumerable options of `value` as a plain object, each read once (a Proxy or getters
 * run once here, never again): an option whose getter throws is reported and left out, so it
 * takes its default, like an invalid value; keys that cannot be listed give `{}`. `what` names
 * the object in the report (`config`, `config pricing`, ...).
 */
export function readOptions(value: object, what: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let keys: string[];
  try {
    keys = Object.keys(value);
  } catch (err) {
    reportOnce(`${what} could not be read (${errorText(err)}); using the defaults`);
    return out;
  }
  for (const key of keys) {
    try {
      out[key] = (value as Record<string, unknown>)[key];
    } catch (err) {
      reportOnce(`${what}${what === 'config' ? '.' + key : `[${JSON.stringify(key)}]`} could not be read (${errorText(err)}); ignored`);
    }
  }
  return out;
}

function errorText(err: unknown): string {
  try {
    return err instanceof Error ? `${err.name}: ${err.message}` : `threw ${describe(err)}`;
  } catch {
    return 'it threw';
  }
}

/** A well-formed price: amounts (numbers.ts) per million tokens, and a currency if any. */
function isPrice(p: Record<string, unknown>): boolean {
  const price = (v: unknown) => amount(v) !== undefined;
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
  for (const [model, given] of Object.entries(readOptions(value, 'config pricing'))) {
    const price = typeof given === 'object' && given !== null ? readOptions(given, `config pricing[${JSON.stringify(model)}]`) : undefined;
    if (price && isPrice(price)) {
      out[model] = Object.freeze({ ...(price as unknown as ModelPrice) });
    } else {
      reportOnce(
        `config pricing[${JSON.stringify(model)}] must be {input, output, cachedInput?, currency?} with ` +
          `non-negative numbers per million tokens; got ${describe(given)}, ignored`,
      );
    }
  }
  return Object.keys(out).length ? Object.freeze(out) : undefined;
}

/** Where content goes: the words of `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`. */
interface ContentPlacement {
  span: boolean;
  event: boolean;
  /** Named with a mode word that asks for the details event (EVENT_ONLY, SPAN_AND_EVENT). */
  wantsEvent: boolean;
}

const CONTENT_MODES: Readonly<Record<ContentCaptureMode, ContentPlacement>> = {
  NO_CONTENT: { span: false, event: false, wantsEvent: false },
  SPAN_ONLY: { span: true, event: false, wantsEvent: false },
  EVENT_ONLY: { span: false, event: true, wantsEvent: true },
  SPAN_AND_EVENT: { span: true, event: true, wantsEvent: true },
};
const CONTENT_ON: ContentPlacement = { span: true, event: true, wantsEvent: false };
const CONTENT_OFF: ContentPlacement = { span: false, event: false, wantsEvent: false };
const CONTENT_WORDS = `true, false, ${Object.keys(CONTENT_MODES).join(', ')}`;

/** `true`/`false` (as `parseBooleanWord` reads them) or a mode word, any case; else undefined. */
function contentPlacementOf(value: unknown): ContentPlacement | undefined {
  if (typeof value === 'boolean') return value ? CONTENT_ON : CONTENT_OFF;
  if (typeof value !== 'string') return undefined;
  const flag = parseBooleanWord(value);
  if (flag !== undefined) return flag ? CONTENT_ON : CONTENT_OFF;
  return CONTENT_MODES[value.trim().toUpperCase() as ContentCaptureMode];
}

function envContentPlacement(name: string): ContentPlacement | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const placement = contentPlacementOf(raw);
  if (placement === undefined) reportOnce(`env ${name}=${JSON.stringify(raw)} is not one of ${CONTENT_WORDS}; ignored`);
  return placement;
}

/** config `captureContent` (a boolean or a mode word), else `fallback`. */
function configContentPlacement(value: unknown, fallback: ContentPlacement): ContentPlacement {
  if (value === undefined) return fallback;
  const placement = contentPlacementOf(value);
  if (placement !== undefined) return placement;
  reportOnce(`config captureContent must be one of ${CONTENT_WORDS}; got ${describe(value)}, ignored`);
  return fallback;
}

/** Turns a user configuration (of any shape) into the settings the instrumentation reads. */
export function resolveConfig(config: BudResponsesInstrumentationConfig = {}): ResolvedConfig {
  const raw = typeof config === 'object' && config !== null ? readOptions(config, 'config') : {};
  const fromEnv = envContentPlacement('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT') ?? CONTENT_OFF;
  const content = configContentPlacement(raw.captureContent, fromEnv);
  // `captureMessageContent` is the official openai instrumentation's name for the same switch.
  const alsoOn =
    raw.captureMessageContent !== undefined && optionalBoolean('captureMessageContent', raw.captureMessageContent, fromEnv.span);
  const captureContent = content.span || alsoOn;
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
    system: optionalNonEmptyString('system', raw.system, 'the provider of the endpoint'),
    semconvMode: resolveSemconvMode(raw.semconvMode),
    maxContentLength: resolveMaxContentLength(raw.maxContentLength),
    maxContentTotalLength: resolveMaxContentLength(
      raw.maxContentTotalLength,
      'maxContentTotalLength',
      DEFAULT_MAX_CONTENT_TOTAL_LENGTH,
    ),
    requestHook: optionalFunction<RequestHookFunction>('requestHook', raw.requestHook),
    responseHook: optionalFunction<ResponseHookFunction>('responseHook', raw.responseHook),
    propagateContext: optionalBoolean('propagateContext', raw.propagateContext, true),
    pricing: resolvePricing(raw.pricing),
    supersedeOpenAIInstrumentation: optionalBoolean(
      'supersedeOpenAIInstrumentation',
      raw.supersedeOpenAIInstrumentation,
      true,
    ),
    // Config wins over OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT; unset, a mode word asking for event content turns it on.
    emitOperationDetails: optionalBoolean(
      'emitOperationDetails',
      raw.emitOperationDetails,
      envFlag('OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT') ?? content.wantsEvent,
    ),
    eventContent: content.event || alsoOn,
  };
}

/** For tests: forget which problems were reported, so the next one is reported again. */
export function resetReportedConfigProblems(): void {
  resetReportedProblems();
}
