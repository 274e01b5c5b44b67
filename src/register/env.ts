/*
 * The environment variables of the zero-code entry (`register`), read by one pure function so
 * that their rules can be tested without starting an SDK. Invalid values never throw: each one
 * yields a warning and its default. The standard OTEL_* variables are read by the SDK itself.
 */
import { CONTENT_INPUT_FIELDS, CONTENT_OUTPUT_FIELDS, SAFE_INPUT_FIELDS, SAFE_OUTPUT_FIELDS } from '../mapping/fields';
import type { BudResponsesInstrumentationConfig, CaptureSetting } from '../types';
import { parseBooleanWord } from '../util';

export const ENV_CAPTURE_INPUT = 'BUD_OTEL_CAPTURE_INPUT';
export const ENV_CAPTURE_OUTPUT = 'BUD_OTEL_CAPTURE_OUTPUT';
export const ENV_SYSTEM = 'BUD_OTEL_SYSTEM';
export const ENV_SHUTDOWN_TIMEOUT = 'BUD_OTEL_SHUTDOWN_TIMEOUT_MS';
export const ENV_SDK_DISABLED = 'OTEL_SDK_DISABLED';

/** How long the flush at exit may take before the process goes on exiting without it. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

export type Env = Readonly<Record<string, string | undefined>>;

export interface RegisterSettings {
  /** `OTEL_SDK_DISABLED=true`: the entry starts nothing and patches nothing. */
  disabled: boolean;
  /** Passed to `new BudResponsesInstrumentation(...)`; only the keys set by the environment. */
  config: BudResponsesInstrumentationConfig;
  shutdownTimeoutMs: number;
  /** One message per invalid variable, for the caller to log. */
  warnings: string[];
}

/** The result of reading one variable: its value (undefined = use the default) or a warning. */
type Parsed<T> = { value?: T; warning?: string };

/** The names a capture variable may list: the request params, and the Response fields, the package records. */
export const INPUT_FIELD_NAMES: readonly string[] = Object.freeze([...SAFE_INPUT_FIELDS, ...CONTENT_INPUT_FIELDS]);
export const OUTPUT_FIELD_NAMES: readonly string[] = Object.freeze([...SAFE_OUTPUT_FIELDS, ...CONTENT_OUTPUT_FIELDS]);
const SYSTEM_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The trimmed value, or undefined when the variable is unset or blank. */
function present(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function invalid(name: string, raw: string, expected: string, fallback: string): string {
  return `env ${name}=${JSON.stringify(raw)} is not ${expected}; using the default (${fallback})`;
}


/**
 * `true` / `false` (or `1` / `0`), or a comma-separated list of the field names in `known`, such
 * as `model,temperature,input`. Blank items are ignored; a name not in `known` (a typo, or a word
 * such as `yes` that is neither a flag nor a field) rejects the whole value: recording a list
 * with it would silently drop every default field.
 */
export function parseCapture(name: string, raw: string | undefined, known: readonly string[]): Parsed<CaptureSetting> {
  if (raw === undefined || raw.trim() === '') return {};
  const flag = parseBooleanWord(raw);
  if (flag !== undefined) return { value: flag };
  const fields = raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const unknown = fields.filter((field) => !known.includes(field));
  if (fields.length > 0 && unknown.length === 0) return { value: fields };
  const why = unknown.length > 0 ? ` (not a field: ${unknown.map((f) => JSON.stringify(f)).join(', ')}; fields: ${known.join(', ')})` : '';
  return { warning: invalid(name, raw, `true, false or a comma-separated list of field names${why}`, 'true') };
}

function parseSystem(raw: string | undefined): Parsed<string> {
  if (raw === undefined) return {};
  if (SYSTEM_NAME.test(raw)) return { value: raw };
  return { warning: invalid(ENV_SYSTEM, raw, 'a name of letters, digits, ".", "_" or "-" (at most 64)', 'by endpoint: openai, azure.ai.openai or bud') };
}

function parseTimeout(raw: string | undefined): Parsed<number> {
  if (raw === undefined) return {};
  const value = Number(raw);
  if (/^\d+$/.test(raw) && Number.isSafeInteger(value)) return { value };
  return {
    warning: invalid(ENV_SHUTDOWN_TIMEOUT, raw, 'a whole number of milliseconds', String(DEFAULT_SHUTDOWN_TIMEOUT_MS)),
  };
}

/** Reads the register entry's settings from `env` (usually `process.env`). Pure. */
export function settingsFromEnv(env: Env): RegisterSettings {
  const input = parseCapture(ENV_CAPTURE_INPUT, env[ENV_CAPTURE_INPUT], INPUT_FIELD_NAMES);
  const output = parseCapture(ENV_CAPTURE_OUTPUT, env[ENV_CAPTURE_OUTPUT], OUTPUT_FIELD_NAMES);
  const system = parseSystem(present(env, ENV_SYSTEM));
  const timeout = parseTimeout(present(env, ENV_SHUTDOWN_TIMEOUT));

  const config: BudResponsesInstrumentationConfig = {};
  if (input.value !== undefined) config.captureInput = input.value;
  if (output.value !== undefined) config.captureOutput = output.value;
  if (system.value !== undefined) config.system = system.value;

  return {
    // The same rule as the SDK's own reading of this variable: only `true` disables.
    disabled: present(env, ENV_SDK_DISABLED)?.toLowerCase() === 'true',
    config,
    shutdownTimeoutMs: timeout.value ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
    warnings: [input, output, system, timeout].flatMap((p) => (p.warning ? [p.warning] : [])),
  };
}

/** Where OTLP telemetry goes, for the warnings about a failed or late export. Pure. */
export function exporterHint(env: Env): string {
  const shown = (name: string): string => `${name}=${present(env, name) ?? '(unset)'}`;
  return `check that the exporter is reachable: ${shown('OTEL_EXPORTER_OTLP_ENDPOINT')}, ${shown('OTEL_EXPORTER_OTLP_PROTOCOL')}`;
}
