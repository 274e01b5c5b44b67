/*
 * Trace-context headers on the SDK's requests, and the per-call mark in the context.
 *
 * The headers are added where the SDK sends: a wrapper of the client's own per-request hook
 * `prepareRequest(request, { url, options })` (every major 4-7 calls it before each attempt,
 * with the final `RequestInit`). So the call's arguments are never touched (openai 7 overloads
 * such as `retrieve(id, { timeout })` parse as without instrumentation), and the context injected
 * is the one active while the SDK sends: the call's span, or a span another wrapper below ours
 * made active, so that no propagator sees a context other than the active one.
 *
 * Exactly one `traceparent` (at most one `baggage`) per request, decided per request from what the
 * request carries where the HTTP layer has finished with its headers, never from what is installed:
 * - This package adds its headers to every request of a traced call that has no `traceparent`
 *   yet (config `propagateContext`). A `traceparent` the application set itself is kept, and
 *   nothing is added next to it.
 * - An HTTP instrumentation that propagates for that request wins:
 *   - over `http` (openai 4's node-fetch): it injects into the same name-keyed header map of the
 *     request's options, so its `traceparent` replaces ours;
 *   - over undici (Node's `fetch`, openai 5+): it appends its headers to undici's request in the
 *     `undici:request:create` diagnostics channel. This package follows that channel too and
 *     guards the request's header list of a call it added headers to: whenever the list is read
 *     (last by undici when it writes the request) and holds a second `traceparent`, the lines
 *     this package added go, so what is sent has the HTTP span's. Subscriber order does not
 *     matter, and an instrumentation told to skip the request (`ignoreRequestHook`,
 *     `ignoreOutgoingRequestHook`) or a subscriber that only reads leaves ours in place.
 */
import { context, propagation, type Context } from '@opentelemetry/api';
import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { AnyFunction, WrapperState } from './patching';
import { logger } from './util';

/** Context key of a call traced by this package (a `Symbol.for` key: shared by every copy). */
export const CALL_KEY: unique symbol = Symbol.for('@budecosystem/instrumentation-responses.call') as never;

/** What the context of a traced call says about it. */
export interface CallMark {
  /** Whether this package adds the trace headers for the call (config `propagateContext`). */
  readonly propagate: boolean;
}

const PROPAGATE: CallMark = Object.freeze({ propagate: true });
const NO_PROPAGATE: CallMark = Object.freeze({ propagate: false });

/** `ctx` marked as the context of a traced call. */
export function markCall(ctx: Context, propagate: boolean): Context {
  return ctx.setValue(CALL_KEY, propagate ? PROPAGATE : NO_PROPAGATE);
}

/** Whether `ctx` is the context of a call this package (any instance, any copy) traces. */
export function inTracedCall(ctx: Context): boolean {
  return ctx.getValue(CALL_KEY) !== undefined;
}

/** The diagnostics channel Node's fetch (undici) publishes each new request on. */
export const UNDICI_REQUEST_CHANNEL = 'undici:request:create';

/** The header lines this package added to the requests sent in a context (the call's). */
const added = new WeakMap<Context, Record<string, string>>();

interface HeadersLike {
  has(name: string): boolean;
  set(name: string, value: string): void;
}

function isHeadersLike(value: unknown): value is HeadersLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as HeadersLike).has === 'function' &&
    typeof (value as HeadersLike).set === 'function'
  );
}

function hasHeader(headers: unknown, name: string): boolean {
  if (headers === undefined || headers === null) return false;
  if (isHeadersLike(headers)) return headers.has(name);
  if (Array.isArray(headers)) {
    return headers.some((entry) => Array.isArray(entry) && String(entry[0]).toLowerCase() === name);
  }
  if (typeof headers === 'object') return Object.keys(headers).some((key) => key.toLowerCase() === name);
  return false;
}

/** Adds the headers of `carrier` that `request.headers` lacks; returns those it added. */
function addHeaders(request: { headers?: unknown }, carrier: Record<string, string>): Record<string, string> {
  const headers = request.headers;
  if (headers === undefined || headers === null) {
    request.headers = { ...carrier };
    return carrier;
  }
  const lines: Record<string, string> = {};
  for (const [name, value] of Object.entries(carrier)) {
    if (hasHeader(headers, name)) continue;
    if (isHeadersLike(headers)) headers.set(name, value);
    else if (Array.isArray(headers)) headers.push([name, value]);
    else if (typeof headers === 'object') (headers as Record<string, string>)[name] = value;
    else continue;
    lines[name] = value;
  }
  return lines;
}

/**
 * Adds `traceparent` (and `tracestate`, `baggage`) of the active context to a request the SDK is
 * about to send, when the active context is a traced call's, propagation is on for it, and the
 * request has no `traceparent` yet; an HTTP layer below may still replace them (see above).
 */
export function injectTraceHeaders(request: unknown): void {
  if (typeof request !== 'object' || request === null) return;
  const ctx = context.active();
  const mark = ctx.getValue(CALL_KEY) as CallMark | undefined;
  if (!mark?.propagate) return;
  const req = request as { headers?: unknown };
  if (hasHeader(req.headers, 'traceparent')) return;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  if (carrier.traceparent === undefined) return;
  added.set(ctx, addHeaders(req, carrier));
  followUndiciRequests();
}

let following = false;

/** Subscribes (once per copy of this module) to the channel undici publishes each new request on. */
function followUndiciRequests(): void {
  if (following) return;
  following = true;
  diagnosticsChannel.subscribe(UNDICI_REQUEST_CHANNEL, onUndiciRequest);
}

/** A new undici request: guard its headers if it is sent in a call this package added headers to. */
function onUndiciRequest(message: unknown): void {
  try {
    const lines = added.get(context.active());
    if (lines === undefined) return;
    const request = (message as { request?: unknown } | null)?.request;
    if (typeof request === 'object' && request !== null) guardHeaders(request as { headers?: unknown }, lines);
  } catch (err) {
    logger.debug('could not follow an undici request', err);
  }
}

/**
 * Replaces undici's `request.headers` (a flat `[name, value, ...]` list; a `name: value\r\n`
 * string in undici 5) by an accessor that drops `lines` as soon as a read finds a second
 * `traceparent`, then puts the plain value back. Exported for the tests.
 */
export function guardHeaders(request: { headers?: unknown }, lines: Record<string, string>): void {
  let headers = request.headers;
  if (!Array.isArray(headers) && typeof headers !== 'string') return;
  const settle = (value: unknown) => {
    Object.defineProperty(request, 'headers', { value, writable: true, enumerable: true, configurable: true });
    return value;
  };
  Object.defineProperty(request, 'headers', {
    configurable: true,
    enumerable: true,
    get() {
      try {
        if (Array.isArray(headers)) {
          if (dropFromList(headers, lines)) return settle(headers);
        } else if (typeof headers === 'string') {
          const kept = dropFromString(headers, lines);
          if (kept !== undefined) return settle(kept);
        }
      } catch (err) {
        logger.debug('could not check the headers of a request', err);
      }
      return headers;
    },
    set(value: unknown) {
      headers = value;
    },
  });
}

/** Drops `lines` from a flat `[name, value, ...]` list that holds two `traceparent`; true if it did. */
function dropFromList(list: unknown[], lines: Record<string, string>): boolean {
  let traceparents = 0;
  for (let i = 0; i < list.length; i += 2) if (String(list[i]).toLowerCase() === 'traceparent') traceparents++;
  if (traceparents < 2) return false;
  for (const [name, value] of Object.entries(lines)) {
    for (let i = 0; i < list.length; i += 2) {
      if (list[i + 1] === value && String(list[i]).toLowerCase() === name) {
        list.splice(i, 2);
        break;
      }
    }
  }
  return true;
}

/** The same for undici 5's `name: value\r\n` string; undefined when it holds one `traceparent`. */
function dropFromString(headers: string, lines: Record<string, string>): string | undefined {
  const all = headers.split('\r\n');
  const isTraceparent = (line: string) => line.slice(0, line.indexOf(':')).trim().toLowerCase() === 'traceparent';
  if (all.filter(isTraceparent).length < 2) return undefined;
  for (const [name, value] of Object.entries(lines)) {
    const at = all.findIndex((line) => {
      const colon = line.indexOf(':');
      return line.slice(0, colon).trim().toLowerCase() === name && line.slice(colon + 1).trim() === value;
    });
    if (at >= 0) all.splice(at, 1);
  }
  return all.join('\r\n');
}

/** The wrapper of the client's `prepareRequest`: headers first, then the SDK's (or a subclass's) hook. */
export function prepareRequestWrapper(state: WrapperState, onError: (err: unknown) => void): AnyFunction {
  return function prepareRequestTraced(this: unknown, ...args: unknown[]): unknown {
    try {
      injectTraceHeaders(args[0]);
    } catch (err) {
      onError(err);
    }
    return state.inner.apply(this, args);
  };
}
