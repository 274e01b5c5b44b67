/*
 * The one scrubber: every routine that turns captured content into attribute values goes
 * through here (docs/TELEMETRY.md §4, §5, §8), `bud.*` and `gen_ai.*` alike, and so do the bounds on
 * strings the server controls:
 * - credentials are removed wherever they sit (see isSecretKey for the rule): values under
 *   secret-looking keys at any depth, also inside strings that hold JSON (parsed, scrubbed and
 *   re-encoded), and the credential parts of URLs anywhere in a string (user info, values of
 *   secret-named query or fragment parameters), which become REDACTED;
 * - every string of content is cut to the per-part limit BEFORE encoding (never inside a
 *   surrogate pair), so a JSON value stays valid JSON;
 * - a span's content attributes share one budget (ContentBudget): strings are cut to what is
 *   left, lists stop when it is spent, and an encoded value is checked against it, so no input
 *   makes a span carry more, and no more work is done than the budget allows;
 * - the copy is JSON-safe: cycles, functions, symbols and `undefined` are omitted, depth is
 *   bounded, `toJSON()` is honoured. Nothing here throws.
 */
import type { AttributeValue } from '@opentelemetry/api';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/**
 * What is left of a span's content budget, in UTF-16 units of encoded attribute values. One
 * object per span, shared by every content attribute of that span (and by its events).
 */
export interface ContentBudget {
  left: number;
}

/** How content is cut: the per-part limit, the span's budget, and (for JSON Schemas) the keys whose strings stay whole. */
export interface CutRule {
  max: number;
  budget: ContentBudget;
  keep?: ReadonlySet<string>;
}

/** What replaces the credential part of a URL. */
export const REDACTED = 'REDACTED';

/**
 * Longest string a server (or any other party than the application's content) controls that is
 * recorded whole: response ids, model names, statuses, error codes, tool names, call ids,
 * service tiers, gateway header values, `error.type` and the span status message.
 */
export const MAX_SERVER_STRING_LENGTH = 256;

/** `value` cut to MAX_SERVER_STRING_LENGTH (a length check on the path every call takes). */
export function bounded(value: string): string {
  return value.length <= MAX_SERVER_STRING_LENGTH ? value : cut(value, MAX_SERVER_STRING_LENGTH);
}

/** `value` when it is a string (bounded), else undefined. */
export function boundedString(value: unknown): string | undefined {
  return typeof value === 'string' ? bounded(value) : undefined;
}

const MAX_DEPTH = 32;

/**
 * Strings under these keys are identifiers or discriminators (`type`, `status`, ids), not
 * content: kept whole up to this length, so a cut payload keeps its meaning.
 */
const STRUCTURAL_LENGTH = 128;

/** Strings that hold JSON are parsed (and scrubbed inside) up to this length; longer ones are cut, then scrubbed as text. */
export const MAX_PARSED_JSON_LENGTH = 1 << 20;

/** Extra characters a string is read past its cut, so that a URL or `"key": value` pair on the cut is still recognised. */
const REDACTION_WINDOW = 1024;

/**
 * THE RULE for key names. A name is normalised by lower-casing it and dropping every character
 * that is not a-z or 0-9 (`OPENAI_API_KEY` → `openaiapikey`, `x-api-key` → `xapikey`,
 * `refreshToken` → `refreshtoken`). It is secret when the normalised name ends with one of
 * SECRET_ENDINGS, optionally followed by a plural `s` — except the plural `tokens`, which
 * counts tokens (`input_tokens`, `max_output_tokens`, `tokens`) unless it is one of
 * SECRET_TOKEN_LISTS (`access_tokens`, ...). So `token_count`, `token_type` and `tokenizer` are
 * kept (they do not end with a secret word), as are `type`, `key`, `author` or `session_id`.
 */
const SECRET_ENDINGS = [
  'apikey',
  'accesskey',
  'secretkey',
  'privatekey',
  'signingkey',
  'token',
  'secret',
  'password',
  'passwd',
  'passphrase',
  'credential',
  'authorization',
  'auth',
  'cookie',
  'headers',
];
const SECRET_NAME = new RegExp(`(?:${SECRET_ENDINGS.join('|')})s?$`);
const SECRET_TOKEN_LISTS = /(?:access|refresh|id|auth|api|bearer|session|oauth)tokens$/;
const NOT_ALPHANUMERIC = /[^a-z0-9]/g;

/** Verdicts of names already seen (a payload repeats a handful of keys), bounded. */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 2048;

/** Whether a key (of an object, a header, a query parameter) names a credential: see SECRET_ENDINGS. */
export function isSecretKey(key: string): boolean {
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    const name = key.toLowerCase().replace(NOT_ALPHANUMERIC, '');
    verdict = SECRET_NAME.test(name) && (!name.endsWith('tokens') || SECRET_TOKEN_LISTS.test(name));
    if (key.length <= 64) {
      if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
      verdicts.set(key, verdict);
    }
  }
  return verdict;
}

/** A budget with nothing spent yet. */
export function contentBudget(total: number): ContentBudget {
  return { left: total };
}

/** The cut rule of a configured limit (no valid limit: no cut) and a budget (none: unlimited). */
export function cutRule(maxContentLength: number, budget: ContentBudget = { left: Infinity }): CutRule {
  const ok = typeof maxContentLength === 'number' && maxContentLength >= 0;
  return { max: ok ? Math.floor(maxContentLength) : Infinity, budget };
}

/** `text` cut to `max` UTF-16 units, never splitting a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/** Charges `cost` to the rule's budget. */
export function charge(rule: CutRule, cost: number): void {
  rule.budget.left -= cost;
}

/** Whether the budget is spent: lists stop adding entries. */
export function spent(rule: CutRule): boolean {
  return rule.budget.left <= 0;
}

/** `text` cut to the per-part limit and to what is left of the budget, which it is charged. */
function take(text: string, rule: CutRule): string {
  const room = Math.min(rule.max, Math.max(0, rule.budget.left - 2));
  const out = cut(text, room);
  charge(rule, out.length + 2);
  return out;
}

/* ---------- credentials inside strings ---------- */

/** `scheme://user:password@` (the user info of a URL). */
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>]*@/gi;
/** `?name=value`, `&name=value`, `#name=value`, `;name=value` (query, fragment and matrix parameters). */
const URL_PARAMETER = /([?&#;])([^=&#;?\s"'<>]{1,128})=([^&#;\s"'<>]*)/g;
/** `"name":` in text that is JSON but could not be parsed (cut, streamed, malformed): its value follows. */
const JSON_KEY = /"((?:[^"\\\n]|\\.){1,128})"\s*:\s*/g;

function decoded(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** `text` with the credential parts of URLs and the values of `"secret": ...` pairs replaced. */
export function redactText(text: string): string {
  let out = text;
  if (out.includes('@')) out = out.replace(URL_USER_INFO, `$1${REDACTED}@`);
  if (out.includes('=')) {
    out = out.replace(URL_PARAMETER, (whole, sep: string, name: string, value: string) =>
      value !== '' && isSecretKey(decoded(name)) ? `${sep}${name}=${REDACTED}` : whole,
    );
  }
  if (out.includes('"')) out = redactJsonPairs(out);
  return out;
}

/** Where the JSON value that starts at `i` ends (the end of the text when it is cut). */
function valueEnd(text: string, i: number): number {
  const first = text[i];
  if (first === '"' || first === '{' || first === '[') {
    let depth = 0;
    let inString = false;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') {
          inString = false;
          if (depth === 0) return j + 1;
        }
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (--depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !',}] \t\r\n'.includes(text[j])) j++;
  return j;
}

/** The values of `"secret": ...` pairs (strings, numbers, objects, lists) replaced by `"REDACTED"`. */
function redactJsonPairs(text: string): string {
  let out = '';
  let last = 0;
  JSON_KEY.lastIndex = 0;
  for (let match = JSON_KEY.exec(text); match; match = JSON_KEY.exec(text)) {
    if (!isSecretKey(match[1])) continue;
    const start = match.index + match[0].length;
    const end = valueEnd(text, start);
    out += `${text.slice(last, start)}"${REDACTED}"`;
    last = end;
    JSON_KEY.lastIndex = end;
  }
  return last === 0 ? text : out + text.slice(last);
}

function looksLikeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) return true; // { [
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return false;
}

const NOT_PARSED = Symbol('not parsed');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_PARSED;
  }
}

/**
 * A string of content, scrubbed and cut: JSON text (a tool call's arguments, a tool's output)
 * is parsed, scrubbed and re-encoded; any other text (or JSON too long to parse) has its URL
 * credentials and `"secret": ...` values replaced. Charged to the budget.
 */
export function scrubText(text: string, rule: CutRule, depth = 0): string {
  if (text.length <= MAX_PARSED_JSON_LENGTH && looksLikeJson(text) && depth < MAX_DEPTH) {
    const parsed = parseJson(text);
    if (parsed !== NOT_PARSED) {
      // The inner strings are cut and charged while scrubbing (so the work stays bounded); the
      // re-encoded text is then charged once, as the string it is.
      const left = rule.budget.left;
      const inner = scrub(parsed, rule, 0, depth + 1);
      rule.budget.left = left;
      return take(inner === undefined ? '' : JSON.stringify(inner), rule);
    }
  }
  const embedded = text.length <= MAX_PARSED_JSON_LENGTH && depth < MAX_DEPTH ? embeddedJson(text, rule, depth) : undefined;
  if (embedded !== undefined) return take(embedded, rule);
  const room = Math.min(rule.max, Math.max(0, rule.budget.left));
  return take(redactText(cut(text, room + REDACTION_WINDOW)), rule);
}

/**
 * Text with JSON inside (`Result: {...}`): the text around it redacted, the JSON scrubbed and
 * re-encoded; undefined when there is no JSON object or list from the first `{`/`[` to the last `}`/`]`.
 */
function embeddedJson(text: string, rule: CutRule, depth: number): string | undefined {
  const brace = text.indexOf('{');
  const bracket = text.indexOf('[');
  const open = brace < 0 ? bracket : bracket < 0 ? brace : Math.min(brace, bracket);
  if (open < 0) return undefined;
  const close = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
  if (close <= open) return undefined;
  const parsed = parseJson(text.slice(open, close + 1));
  if (parsed === NOT_PARSED || typeof parsed !== 'object' || parsed === null) return undefined;
  const left = rule.budget.left;
  const inner = scrub(parsed, rule, 0, depth + 1);
  rule.budget.left = left;
  const around = rule.max + REDACTION_WINDOW;
  const before = redactText(cut(text.slice(0, open), around));
  const after = redactText(cut(text.slice(close + 1), around));
  return `${before}${inner === undefined ? '' : JSON.stringify(inner)}${after}`;
}

function isStructuralKey(key: string): boolean {
  return key === 'type' || key === 'status' || key === 'id' || key.endsWith('_id');
}

/** The length up to which strings under `key` are kept whole (0: always cut to the limit). */
export function keepFor(key: string, rule: CutRule): number {
  if (rule.keep?.has(key)) return Infinity;
  return isStructuralKey(key) ? STRUCTURAL_LENGTH : 0;
}

/**
 * A JSON-safe, credential-free copy of `value` with every content string cut to the limit and
 * charged to the budget; lists and objects stop when the budget is spent.
 */
export function scrub(value: unknown, rule: CutRule, keep = 0, depth = 0, ancestors: Set<object> = new Set()): Json | undefined {
  switch (typeof value) {
    case 'string':
      if (value.length <= keep) {
        // Kept whole (an identifier, a schema keyword), but JSON inside it is still scrubbed.
        if (value.includes('{') || value.includes('[')) return scrubText(value, { ...rule, max: Math.max(rule.max, keep) }, depth);
        charge(rule, value.length + 2);
        return redactText(value);
      }
      return scrubText(value, rule, depth);
    case 'number':
      charge(rule, 8);
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      charge(rule, 5);
      return value;
    case 'bigint':
      return take(value.toString(), rule);
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) {
    charge(rule, 4);
    return null;
  }
  if (ancestors.has(value) || depth >= MAX_DEPTH) return undefined;
  ancestors.add(value);
  try {
    charge(rule, 2);
    if (Array.isArray(value)) {
      const out: Json[] = [];
      for (const v of value as unknown[]) {
        if (spent(rule)) break;
        charge(rule, 1);
        out.push(scrub(v, rule, keep, depth + 1, ancestors) ?? null);
      }
      return out;
    }
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return scrub(toJSON.call(value), rule, keep, depth + 1, ancestors);
    const out: JsonObject = {};
    for (const key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key) || isSecretKey(key)) continue;
      if (spent(rule)) break;
      const v = scrub((value as Record<string, unknown>)[key], rule, keepFor(key, rule), depth + 1, ancestors);
      if (v !== undefined) {
        charge(rule, key.length + 4);
        out[key] = v;
      }
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}

/** Tries at most this many times to fit an encoded value into what is left of the budget. */
const FIT_ATTEMPTS = 4;

/**
 * The encoded attribute value of content built by `build` (a string is recorded as it is, any
 * other JSON as its encoding), charged to `budget`: when the encoding would not fit in what is
 * left (escapes and structure cost more than their estimate), it is built again with a smaller
 * share; when nothing fits, `undefined` (nothing recorded). At most the budget is ever built.
 */
export function encodeWithin(budget: ContentBudget, build: (budget: ContentBudget) => Json | undefined): string | undefined {
  let share = budget.left;
  for (let attempt = 0; attempt < FIT_ATTEMPTS && share > 0; attempt++) {
    let text: string | undefined;
    try {
      const json = build({ left: share });
      if (json === undefined) return undefined;
      text = typeof json === 'string' ? json : JSON.stringify(json);
    } catch {
      return undefined;
    }
    if (text === undefined) return undefined;
    if (text.length <= budget.left) {
      budget.left -= text.length;
      return text;
    }
    share = Math.floor((share * budget.left) / text.length) - 64;
  }
  return undefined;
}

/**
 * An attribute value of captured content: a string scrubbed and cut to the limit, a number or
 * boolean as it is, anything else as the JSON of its scrubbed copy; charged to `budget`.
 * `undefined` when there is nothing to record.
 */
export function contentValue(
  value: unknown,
  maxContentLength: number,
  budget: ContentBudget = { left: Infinity },
): AttributeValue | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (value === undefined || value === null || typeof value === 'function' || typeof value === 'symbol') return undefined;
  return encodeWithin(budget, (share) => scrub(value, cutRule(maxContentLength, share)));
}

/**
 * Runs `fn` with a share of `budget` of at most `fraction` of what is left (the rest stays for
 * what comes after, e.g. the semconv copy of the same param), and charges what it used.
 */
export function withShare<T>(budget: ContentBudget, fraction: number, fn: (share: ContentBudget) => T): T {
  if (budget.left === Infinity) return fn(budget);
  const share = { left: Math.floor(Math.max(0, budget.left) * fraction) };
  const before = share.left;
  try {
    return fn(share);
  } finally {
    budget.left -= before - share.left;
  }
}
