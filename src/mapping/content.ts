/*
 * The one scrubber: every routine that turns captured content into attribute values goes
 * through here (docs/TELEMETRY.md §4, §5, §8), `bud.*` and `gen_ai.*` alike, and so do the bounds on
 * strings the server controls:
 * - credentials are removed wherever they sit (see isSecretKey for the rule): values under
 *   secret-looking keys at any depth, also inside strings that hold JSON (parsed, scrubbed and
 *   re-encoded), inside each JSON value of a text that is not JSON as a whole (`{..}{..}`,
 *   `prose {..} prose [..]`), in `"secret": value` pairs of text that cannot be parsed, at any
 *   escape level (`\"api_key\":\"...\"`), and the credential parts of URLs anywhere in a
 *   string (user info, values of secret-named query or fragment parameters), which become REDACTED;
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
/**
 * `?name=value`, `&name=value`, `#name=value`, `;name=value` (query, fragment and matrix
 * parameters). The value takes no backslashes that escape a quote or a backslash (`\"` ending the
 * value in JSON held in a JSON string), so the text stays valid JSON at every level.
 */
const URL_PARAMETER = /([?&#;])([^=&#;?\s"'<>]{1,128})=((?:[^&#;\s"'<>\\]|\\+(?![\\"]))*)/g;
function decoded(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** `text` with the credential parts of URLs replaced. */
function redactUrls(text: string): string {
  let out = text;
  if (out.includes('@')) out = out.replace(URL_USER_INFO, `$1${REDACTED}@`);
  if (out.includes('=')) {
    out = out.replace(URL_PARAMETER, (whole, sep: string, name: string, value: string) =>
      value !== '' && isSecretKey(decoded(name)) ? `${sep}${name}=${REDACTED}` : whole,
    );
  }
  return out;
}

/** `text` with the credential parts of URLs and the values of `"secret": ...` pairs (at any quote level) replaced. */
export function redactText(text: string): string {
  const out = redactUrls(text);
  return out.includes('"') ? redactJsonPairs(out) : out;
}

/*
 * `"name": value` pairs in text that is JSON but could not be parsed (cut, streamed, malformed,
 * several values in a row), also JSON held in a JSON string, at any level: there a quote is
 * escaped once per level (`\"api_key\":\"...\"`, `\\\"api_key\\\":...`). A quote preceded by
 * m backslashes belongs to level ctz(m + 1): 0 (m even) delimits a string of the text itself,
 * 1 (m = 1, 5, 9, ...) a string of the JSON inside a string of it, and so on; a quote of a
 * deeper level is a character of a string of that level.
 */

/** Keys longer than this many characters of text per quote level are not looked at (as before: 128). */
const MAX_KEY_LENGTH = 128;

/** The number of backslashes right before `i` (not before `from`). */
function backslashesBefore(text: string, i: number, from: number): number {
  let j = i;
  while (j > from && text.charCodeAt(j - 1) === 0x5c) j--;
  return i - j;
}

/** The quote level of a quote preceded by `m` backslashes: ctz(m + 1). */
function quoteLevel(m: number): number {
  let n = m + 1;
  let level = 0;
  while ((n & 1) === 0) {
    n >>>= 1;
    level++;
  }
  return level;
}

/** The index of the next quote at or after `i` with a level at most `level` (-1: none before `limit`), and where its backslashes start. */
function nextQuote(text: string, i: number, level: number, limit: number, stopAtNewline: boolean): [quote: number, start: number] {
  for (let j = i; j < limit; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22) {
      const m = backslashesBefore(text, j, i);
      if (quoteLevel(m) <= level) return [j, j - m];
    } else if (c === 0x0a && stopAtNewline) return [-1, -1];
  }
  return [-1, -1];
}

/** `i` past white space (also escaped white space, `\n` of a deeper level). */
function skipSpace(text: string, i: number): number {
  let j = i;
  for (;;) {
    const c = text.charCodeAt(j);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) j++;
    else if (c === 0x5c) {
      let k = j;
      while (text.charCodeAt(k) === 0x5c) k++;
      const e = text[k];
      if (e === 'n' || e === 'r' || e === 't') j = k + 1;
      else return j;
    } else return j;
  }
}

/**
 * Where the JSON value of quote level `level` that starts at `i` ends (the end of the text when
 * it is cut; before the quote that closes an enclosing string of a lower level).
 */
function valueEnd(text: string, i: number, level: number): number {
  const first = text[i];
  if (first === '"' || first === '\\') {
    let j = i;
    while (text.charCodeAt(j) === 0x5c) j++;
    if (text[j] === '"') {
      const [quote, start] = nextQuote(text, j + 1, level, text.length, false);
      if (quote < 0) return text.length;
      return quoteLevel(quote - start) === level ? quote + 1 : start;
    }
    return i;
  }
  if (first === '{' || first === '[') {
    let depth = 0;
    let inString = false;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (c === '"') {
        const m = backslashesBefore(text, j, i);
        const quote = quoteLevel(m);
        if (quote < level) return j - m;
        if (quote === level) inString = !inString;
      } else if (inString) continue;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (--depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !',}] \t\r\n\\"'.includes(text[j])) j++;
  return j;
}

/** A key as written at some quote level, its escapes undone well enough for isSecretKey. */
function keyName(raw: string): string {
  if (!raw.includes('\\')) return raw;
  return raw
    .replace(/\\+u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/\\+[bfnrt]/g, ' ')
    .replace(/\\+(.)/g, '$1');
}

/** The values of `"secret": ...` pairs (strings, numbers, objects, lists), at any quote level, replaced by `"REDACTED"`. */
function redactJsonPairs(text: string): string {
  let out = '';
  let last = 0;
  for (let i = text.indexOf('"'); i >= 0; ) {
    const m = backslashesBefore(text, i, last);
    const level = quoteLevel(m);
    const [close, closeStart] = nextQuote(text, i + 1, level, Math.min(text.length, i + 1 + MAX_KEY_LENGTH * (m + 1)), true);
    if (close < 0 || quoteLevel(close - closeStart) !== level) {
      i = text.indexOf('"', i + 1);
      continue;
    }
    const colon = skipSpace(text, close + 1);
    if (text[colon] !== ':' || !isSecretKey(keyName(text.slice(i + 1, closeStart)))) {
      i = text.indexOf('"', i + 1);
      continue;
    }
    const start = skipSpace(text, colon + 1);
    const end = Math.max(start, valueEnd(text, start, level));
    const q = `${'\\'.repeat((1 << Math.min(level, 20)) - 1)}"`;
    out += `${text.slice(last, start)}${q}${REDACTED}${q}`;
    last = end;
    i = text.indexOf('"', end);
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
 * The JSON objects and lists in `text` that are not inside another one: the start and end of
 * each balanced `{...}` / `[...]` (brackets in strings not counted; quotes outside brackets are
 * prose), in order, as a flat list (start, end, start, end, ...). One pass over the text.
 */
function jsonSpans(text: string): number[] {
  const spans: number[] = [];
  const open: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x7b || c === 0x5b) {
      open.push(i);
    } else if (c === 0x7d || c === 0x5d) {
      const at = open.pop();
      if (at === undefined) continue;
      if (text.charCodeAt(at) !== c - 2) {
        open.length = 0; // `{]`: not JSON; what came before is prose
        continue;
      }
      while (spans.length && spans[spans.length - 2] > at) spans.length -= 2;
      spans.push(at, i + 1);
    } else if (c === 0x22 && open.length) inString = true;
  }
  return spans;
}

/**
 * Text with JSON inside (`Result: {...}`, `{...}{...}`, `prose {...} prose [...]`): each JSON
 * object or list in it (not inside another) scrubbed and re-encoded, the text around them
 * redacted; undefined when none parses. Stops once the result is longer than what can be recorded.
 */
function embeddedJson(text: string, rule: CutRule, depth: number): string | undefined {
  if (!text.includes('{') && !text.includes('[')) return undefined;
  const room = Math.min(rule.max, Math.max(0, rule.budget.left)) + REDACTION_WINDOW;
  let out = '';
  let last = 0;
  let found = false;
  const spans = jsonSpans(text);
  for (let k = 0; k < spans.length && out.length <= room; k += 2) {
    const start = spans[k];
    const end = spans[k + 1];
    const parsed = parseJson(text.slice(start, end));
    if (parsed === NOT_PARSED || typeof parsed !== 'object' || parsed === null) continue;
    const left = rule.budget.left;
    const inner = scrub(parsed, rule, 0, depth + 1);
    rule.budget.left = left;
    out += redactUrls(cut(text.slice(last, start), room)) + (inner === undefined ? '' : JSON.stringify(inner));
    last = end;
    found = true;
  }
  if (!found) return undefined;
  if (out.length <= room) out += redactUrls(cut(text.slice(last), room));
  // Pairs are redacted over the whole: the text around may hold the key of a value found as JSON
  // (`"api_key": {...}` of a cut object); the scrubbed JSON holds no secret key, so it stays as it is.
  return out.includes('"') ? redactJsonPairs(out) : out;
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
