/*
 * Following the SDK's own objects without changing them: the APIPromise a traced method returns
 * (its request, its body step, the promises derived from it) and the PagePromise of a list
 * method. Every exit they can take ends up in `Call`; the caller gets the same objects back.
 */
import type { Call } from './call';
import type { AnyFunction } from './patching';
import { instrumentStream, isStreamLike } from './stream-wrapper';
import { isObject, logger } from './util';

/** The parts of the SDK's APIPromise the instrumentation uses; detected by shape. */
interface APIPromiseLike {
  responsePromise: Promise<unknown>;
  parseResponse: AnyFunction;
  asResponse: AnyFunction;
  _thenUnwrap?: AnyFunction;
}

function isAPIPromiseLike(value: unknown): value is APIPromiseLike {
  return (
    value instanceof Promise &&
    typeof (value as unknown as APIPromiseLike).parseResponse === 'function' &&
    typeof (value as unknown as APIPromiseLike).asResponse === 'function' &&
    (value as unknown as APIPromiseLike).responsePromise instanceof Promise
  );
}

/**
 * The SDK's request, followed without touching the body: the headers feed the call, a failure
 * (HTTP, connection, abort, after the retries) ends it. Returns a promise that settles exactly
 * like the request, for the consumers of the APIPromise to read instead of the request itself:
 * a failure that no consumer reads then still surfaces as an unhandled rejection, as without us.
 */
function followRequest(request: Promise<unknown>, call: Call, afterHeaders?: () => void): Promise<unknown> {
  return request.then(
    (props: unknown) => {
      call.onHeaders(props);
      afterHeaders?.();
      return props;
    },
    (error: unknown) => {
      call.finish({ kind: 'error', error });
      throw error;
    },
  );
}

/** The methods of a PagePromise through which the application asks for the page (or its Response). */
const PAGE_CONSUMERS = ['then', 'catch', 'finally', 'withResponse', '_thenUnwrap', 'asResponse', 'parse'] as const;

/** Replaces `promise[name]` (if a function) by a wrapper that first sets `asked.page`. */
function markConsumption(promise: Record<string, unknown>, name: string, asked: { page: boolean }): void {
  const method = promise[name];
  if (typeof method !== 'function') return;
  promise[name] = function consumed(this: unknown, ...args: unknown[]): unknown {
    asked.page = true;
    return (method as AnyFunction).apply(this, args);
  };
}

/** Records a parsed body: a Stream gets the stream wrapper, anything else ends the call. */
function onBody(call: Call, data: unknown): void {
  try {
    if (isStreamLike(data)) {
      call.setStreaming(true);
      instrumentStream(data, call);
    } else {
      call.setStreaming(false);
      call.finish({ kind: 'response', response: isObject(data) ? data : undefined });
    }
  } catch (err) {
    logger.error('could not record a response', err);
  }
}

/**
 * Whether the application awaited an APIPromise or asked for its body: every `then`, `catch`,
 * `finally` and `withResponse()` goes through the SDK's `parse()`, which keeps its promise in
 * `parsedPromise` (majors 4-7). A version without that field is simply watched by the registry.
 */
function isBeingConsumed(promise: object): boolean {
  return (promise as { parsedPromise?: unknown }).parsedPromise !== undefined;
}

/**
 * Observes an APIPromise through three of its own fields, which every consumer goes through:
 * - `responsePromise` becomes `observed` (the request, followed), read by `then`, `parse()`,
 *   `asResponse()`;
 * - `parseResponse` (the body step) reports the body, or its failure, to the call;
 * - `_thenUnwrap` (how `responses.parse()` and the stream helper derive their promise) sees the
 *   parsed body before the transform, and the derived promise is observed the same way (openai
 *   7.59+ gives it its own copy of the body step, so the parent's `parseResponse` is not enough).
 * Until the application asks for the body, only garbage collection of every such promise can
 * tell that it dropped the call.
 */
function observeInPlace(promise: APIPromiseLike, call: Call, observed: Promise<unknown>): void {
  promise.responsePromise = observed;
  const parseResponse = promise.parseResponse;
  promise.parseResponse = function parseResponseTraced(this: unknown, ...args: unknown[]): unknown {
    call.onBodyRequested();
    let parsed: unknown;
    try {
      parsed = parseResponse.apply(this, args);
    } catch (error) {
      call.finish({ kind: 'error', error });
      throw error;
    }
    return Promise.resolve(parsed).then(
      (data: unknown) => {
        onBody(call, data);
        return data;
      },
      (error: unknown) => {
        call.finish({ kind: 'error', error });
        throw error;
      },
    );
  };
  const thenUnwrap = promise._thenUnwrap;
  if (typeof thenUnwrap === 'function') {
    promise._thenUnwrap = function thenUnwrapTraced(this: unknown, transform: unknown, ...rest: unknown[]): unknown {
      const traced =
        typeof transform === 'function'
          ? function transformTraced(this: unknown, data: unknown, ...more: unknown[]): unknown {
              onBody(call, data);
              return (transform as AnyFunction).call(this, data, ...more);
            }
          : transform;
      const derived = thenUnwrap.call(this, traced, ...rest);
      if (derived !== promise && isAPIPromiseLike(derived)) observeInPlace(derived, call, observed);
      return derived;
    };
  }
  if (!call.hasBodyRequest) call.watch(promise, isBeingConsumed);
}

/** A list method: its PagePromise stays the caller's (async iteration); the span ends with the first page's headers. */
export function observeList(result: unknown, call: Call): unknown {
  if (!isObject(result) || !(result.responsePromise instanceof Promise)) {
    call.finish({ kind: 'abandoned' });
    return result;
  }
  const observed = followRequest(result.responsePromise, call, () => call.finish({ kind: 'response', response: undefined }));
  if (Object.prototype.hasOwnProperty.call(result, 'then')) {
    // openai 7.59+ settles the page through a private twin that reads the request itself: the
    // application's handlers are attached there, not to `observed`. A failure is handed on as
    // an unhandled rejection only when the application never asked for the page, as the
    // request alone would be without us.
    const asked = { page: false };
    for (const name of PAGE_CONSUMERS) markConsumption(result, name, asked);
    observed.catch((error: unknown) => {
      if (!asked.page) throw error;
    });
  } else {
    result.responsePromise = observed;
  }
  return result;
}

/**
 * Observes the APIPromise in place and returns that same object, so that whatever the SDK or a
 * wrapper beneath us handed back is what the caller gets, and its consumption still reaches
 * that layer's hooks. See observeInPlace.
 */
export function observeAPIPromise(result: unknown, call: Call): unknown {
  if (!isAPIPromiseLike(result)) {
    logger.debug('the openai method did not return an APIPromise; span ended without a response');
    call.finish({ kind: 'abandoned' });
    return result;
  }
  observeInPlace(result, call, followRequest(result.responsePromise, call));
  const asResponse = result.asResponse;
  result.asResponse = function asResponseTraced(this: unknown, ...args: unknown[]): unknown {
    // The Response (or the body too) is on its way to the application: nothing to watch.
    call.unwatch();
    return (asResponse.apply(this, args) as Promise<unknown>).then((response) => {
      // Only the raw Response was wanted: its body is the application's to read.
      if (!call.hasBodyRequest) call.finish({ kind: 'raw' });
      return response;
    });
  };
  return result;
}
