/*
 * The one routine that turns captured content into attribute values (docs/TELEMETRY.md §4, §5, §8), used
 * by every content path, `bud.*` and `gen_ai.*` alike:
 * - every string of content is cut to the limit BEFORE encoding (never inside a surrogate pair),
 *   so a JSON value stays valid JSON;
 * - credentials are removed wherever they sit: an MCP tool's `authorization`, any `headers` map,
 *   API keys, cookies;
 * - the copy is JSON-safe: cycles, functions, symbols and `undefined` are omitted, depth is
 *   bounded, `toJSON()` is honoured. Nothing here throws.
 */
import type { AttributeValue } from '@opentelemetry/api';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** How content is cut: the limit, and (for JSON Schemas) the keys whose strings stay whole. */
export interface CutRule {
  max: number;
  keep?: ReadonlySet<string>;
}

const MAX_DEPTH = 32;

/**
 * Strings under these keys are identifiers or discriminators (`type`, `status`, ids), not
 * content: kept whole up to this length, so a cut payload keeps its meaning.
 */
const STRUCTURAL_LENGTH = 128;

/** Keys (any case) whose values are credentials or header maps: never recorded. */
const CREDENTIAL_KEYS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'headers',
  'api_key',
  'apikey',
  'api-key',
  'x-api-key',
  'cookie',
  'set-cookie',
]);

export function isCredentialKey(key: string): boolean {
  return CREDENTIAL_KEYS.has(key.toLowerCase());
}

/** The cut rule of a configured limit (no valid limit: no cut). */
export function cutRule(maxContentLength: number): CutRule {
  const ok = typeof maxContentLength === 'number' && maxContentLength >= 0;
  return { max: ok ? Math.floor(maxContentLength) : Infinity };
}

/** `text` cut to `max` UTF-16 units, never splitting a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = max > 0 ? text.charCodeAt(max - 1) : 0;
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

function isStructuralKey(key: string): boolean {
  return key === 'type' || key === 'status' || key === 'id' || key.endsWith('_id');
}

/** The length up to which strings under `key` are kept whole (0: always cut to the limit). */
export function keepFor(key: string, rule: CutRule): number {
  if (rule.keep?.has(key)) return Infinity;
  return isStructuralKey(key) ? STRUCTURAL_LENGTH : 0;
}

/** A JSON-safe, credential-free copy of `value` with every content string cut to the limit. */
export function scrub(value: unknown, rule: CutRule, keep = 0, ancestors: Set<object> = new Set(), depth = 0): Json | undefined {
  switch (typeof value) {
    case 'string':
      return value.length <= keep ? value : cut(value, rule.max);
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return null;
  if (ancestors.has(value) || depth >= MAX_DEPTH) return undefined;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => scrub(v, rule, keep, ancestors, depth + 1) ?? null);
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return scrub(toJSON.call(value), rule, keep, ancestors, depth + 1);
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      if (isCredentialKey(key)) continue;
      const v = scrub((value as Record<string, unknown>)[key], rule, keepFor(key, rule), ancestors, depth + 1);
      if (v !== undefined) out[key] = v;
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

/**
 * An attribute value of captured content: a string cut to the limit, a number or boolean as it
 * is, anything else as the JSON of its scrubbed copy. `undefined` when there is nothing to record.
 */
export function contentValue(value: unknown, maxContentLength: number): AttributeValue | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  const rule = cutRule(maxContentLength);
  if (typeof value === 'string') return cut(value, rule.max);
  if (value === undefined || value === null || typeof value === 'function' || typeof value === 'symbol') return undefined;
  const json = scrub(value, rule);
  if (json === undefined) return undefined;
  try {
    return JSON.stringify(json);
  } catch {
    return undefined;
  }
}
