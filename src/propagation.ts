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
 * Exactly one `traceparent` per request: when an HTTP instrumentation will add its own, none is
 * added here. The rule, decided per request from the client's `fetch`:
 * - Node's global `fetch` (openai 5+; undici): another layer propagates when the diagnostics
 *   channel `undici:request:create` has subscribers (the OpenTelemetry undici instrumentation,
 *   Sentry, ... subscribe to it and add their headers there).
 * - node-fetch (openai 4 on Node; recognised by its `isRedirect`): another layer propagates when
 *   `http.request` / `https.request` (by the URL's protocol) carries an instrumentation's wrapper
 *   (shimmer's `__wrapped` or `__original`), which is how the http instrumentation hooks it.
 * - any other `fetch` the application passed: either of the two above.
 * A `traceparent` the application set itself is kept, and nothing is added next to it.
 */
import { context, propagation, type Context } from '@opentelemetry/api';
import * as diagnosticsChannel from 'node:diagnostics_channel';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AnyFunction, WrapperState } from './patching';

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

interface ShimmerLike {
  __wrapped?: unknown;
  __original?: unknown;
}

function carriesWrapper(fn: unknown): boolean {
  return (
    typeof fn === 'function' &&
    ((fn as ShimmerLike).__wrapped === true || typeof (fn as ShimmerLike).__original === 'function')
  );
}

/** How the client's `fetch` sends. */
export type Transport = 'undici' | 'http' | 'other';

export function transportOf(fetchFunction: unknown): Transport {
  if (fetchFunction === globalThis.fetch) return 'undici';
  if (typeof fetchFunction === 'function' && typeof (fetchFunction as { isRedirect?: unknown }).isRedirect === 'function') {
    return 'http'; // node-fetch, openai 4's default on Node
  }
  return 'other';
}

function undiciPropagates(): boolean {
  return diagnosticsChannel.hasSubscribers(UNDICI_REQUEST_CHANNEL);
}

function httpPropagates(url: string): boolean {
  return carriesWrapper(url.startsWith('https:') ? https.request : http.request);
}

/** Whether an HTTP instrumentation will add the trace headers to a request of this client. */
export function httpLayerPropagates(fetchFunction: unknown, url: string): boolean {
  switch (transportOf(fetchFunction)) {
    case 'undici':
      return undiciPropagates();
    case 'http':
      return httpPropagates(url);
    default:
      return undiciPropagates() || httpPropagates(url);
  }
}

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

/** Adds the headers of `carrier` that `request.headers` lacks; returns false when it cannot. */
function addHeaders(request: { headers?: unknown }, carrier: Record<string, string>): void {
  const headers = request.headers;
  if (headers === undefined || headers === null) {
    request.headers = { ...carrier };
    return;
  }
  for (const [name, value] of Object.entries(carrier)) {
    if (hasHeader(headers, name)) continue;
    if (isHeadersLike(headers)) headers.set(name, value);
    else if (Array.isArray(headers)) headers.push([name, value]);
    else if (typeof headers === 'object') (headers as Record<string, string>)[name] = value;
  }
}

/**
 * Adds `traceparent` (and `tracestate`, `baggage`) of the active context to a request the SDK is
 * about to send, when the active context is a traced call's, propagation is on for it, no HTTP
 * instrumentation will add them, and the request has no `traceparent` yet.
 */
export function injectTraceHeaders(client: unknown, request: unknown, url: unknown): void {
  if (typeof request !== 'object' || request === null) return;
  const ctx = context.active();
  const mark = ctx.getValue(CALL_KEY) as CallMark | undefined;
  if (!mark?.propagate) return;
  const req = request as { headers?: unknown };
  if (hasHeader(req.headers, 'traceparent')) return;
  if (httpLayerPropagates((client as { fetch?: unknown } | null)?.fetch, typeof url === 'string' ? url : '')) return;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  if (carrier.traceparent === undefined) return;
  addHeaders(req, carrier);
}

/** The wrapper of the client's `prepareRequest`: headers first, then the SDK's (or a subclass's) hook. */
export function prepareRequestWrapper(state: WrapperState, onError: (err: unknown) => void): AnyFunction {
  return function prepareRequestTraced(this: unknown, ...args: unknown[]): unknown {
    try {
      injectTraceHeaders(this, args[0], (args[1] as { url?: unknown } | undefined)?.url);
    } catch (err) {
      onError(err);
    }
    return state.inner.apply(this, args);
  };
}
