/**
 * Scenario parsing for the local gateway (see the top of `server.ts` for the
 * full list of scenarios and what each one does).
 *
 * A scenario is a comma-separated list of `key` or `key=value` items, read from
 * the `x-mock-scenario` request header and/or from the request's model name.
 * Values are URI-decoded, so `error_body=bad%2C%20very%20bad` is allowed.
 */

export const SCENARIO_HEADER = 'x-mock-scenario';

/** Prefix of a model name that carries a full scenario list: `scenario:tool_call,deltas=5`. */
export const MODEL_SCENARIO_PREFIX = 'scenario:';

/** Model names `fail-<CODE>` (e.g. `fail-500`, `fail-429`) mean `status=<CODE>`. */
const MODEL_STATUS_PATTERN = /^fail-(\d{3})$/;

/** Model names that are exactly one of these keys enable that scenario (e.g. `model: 'tool_call'`). */
const MODEL_FLAG_KEYS = ['fail', 'incomplete', 'error_event', 'malformed', 'unknown_events', 'tool_call'];

export interface Scenario {
  /** Number of text (or function-argument) deltas; undefined = gateway default (3). */
  deltas?: number | undefined;
  /** Delay in ms between stream events; undefined = `GatewayOptions.chunkDelayMs`. */
  delayMs?: number | undefined;
  /** Respond with this HTTP status and an error body. */
  status?: number | undefined;
  /** Use the Bud error shape `{"error": "<string>"}`. */
  errorBody?: string | undefined;
  /** Streaming: write K frames, then destroy the socket. `null` = default cut point. */
  dropAfter?: number | null | undefined;
  /** Streaming: write K frames, then end the response cleanly with no terminal event. */
  endAfter?: number | null | undefined;
  /** Streaming: emit an `error` event after K events, then end. */
  errorEventAfter?: number | null | undefined;
  /** Streaming: emit a non-JSON data frame after K events. */
  malformedAfter?: number | null | undefined;
  /** Wait this many ms before sending response headers. */
  hangHeadersMs?: number | undefined;
  fail: boolean;
  incomplete: boolean;
  unknownEvents: boolean;
  toolCall: boolean;
  /** Every parsed item, including unknown keys. `true` for bare keys. */
  raw: Record<string, string | true>;
}

/** Splits `a,b=1,c=x%2Cy` into `{a: true, b: '1', c: 'x,y'}`. */
export function parseScenarioList(list: string | undefined): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (const part of (list ?? '').split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) {
      out[item] = true;
    } else {
      out[item.slice(0, eq).trim()] = safeDecode(item.slice(eq + 1).trim());
    }
  }
  return out;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Scenario items implied by a model name (`fail-500`, `scenario:<list>`, `tool_call`, ...). */
export function scenarioFromModel(model: string | undefined): Record<string, string | true> {
  if (model === undefined) return {};
  if (model.startsWith(MODEL_SCENARIO_PREFIX)) {
    return parseScenarioList(model.slice(MODEL_SCENARIO_PREFIX.length));
  }
  const status = MODEL_STATUS_PATTERN.exec(model);
  if (status?.[1] !== undefined) return { status: status[1] };
  if (MODEL_FLAG_KEYS.includes(model)) return { [model]: true };
  return {};
}

function toInt(value: string | true | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** For keys whose value is optional: absent → undefined, bare key → null (default), `k=N` → N. */
function optionalCount(value: string | true | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  return value === true ? null : (toInt(value) ?? null);
}

/** Builds a Scenario from the header value and the model name (header items win). */
export function parseScenario(header: string | undefined, model?: string): Scenario {
  const raw = { ...scenarioFromModel(model), ...parseScenarioList(header) };
  const errorBody = raw.error_body;
  return {
    deltas: toInt(raw.deltas),
    delayMs: toInt(raw.delay),
    status: toInt(raw.status),
    errorBody: typeof errorBody === 'string' ? errorBody : undefined,
    dropAfter: optionalCount(raw.drop_after),
    endAfter: optionalCount(raw.end_after),
    errorEventAfter: optionalCount(raw.error_event),
    malformedAfter: optionalCount(raw.malformed),
    hangHeadersMs: toInt(raw.hang_headers),
    fail: raw.fail !== undefined,
    incomplete: raw.incomplete !== undefined,
    unknownEvents: raw.unknown_events !== undefined,
    toolCall: raw.tool_call !== undefined,
    raw,
  };
}
