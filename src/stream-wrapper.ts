/*
 * The stream wrapper. It replaces the `iterator` of the SDK's own `Stream` instance (so
 * `for await`, `tee()`, `toReadableStream()` and the `ResponseStream` helper all go through it),
 * passes every event through untouched as the application pulls it, never reads ahead, never
 * buffers, and ends the call on every exit:
 *
 * | exit                                   | seen here as                          | outcome      |
 * |----------------------------------------|---------------------------------------|--------------|
 * | terminal event (`response.completed`,  | the `next()` that hands it over       | `stream-end` |
 * | `.failed`, `.incomplete`)              | resolves (later exits change nothing) |              |
 * | natural end                            | `next()` → done, signal not aborted   | `stream-end` |
 * | `break` / `return()`                   | `return()`                            | `cancelled`  |
 * | `controller.abort()` / AbortSignal     | the signal's `abort` event (even when | `cancelled`  |
 * |                                        | nobody pulls), or `next()` → done     |              |
 * | mid-stream drop, malformed JSON, error | `next()` rejects                      | `error`      |
 * | `response.failed` / `error` event      | the event, then the end               | `stream-end` (ERROR) |
 * | `error` event, then a stop             | the event, then `return()` or abort   | that event's outcome |
 * | never read                             | the Stream is garbage collected       | `abandoned`  |
 *
 * (`Call.finish` turns `cancelled` into the shown event's outcome, and a user abort error into
 * `cancelled`: see `Call.settle`.)
 */
import type { Call } from './call';

/** The parts of the SDK's `Stream` the wrapper uses; detected by shape, never by `instanceof`. */
export interface StreamLike {
  iterator: (...args: unknown[]) => AsyncIterator<unknown>;
  controller: { signal?: AbortSignal; abort?: () => void };
}

const WRAPPED = Symbol.for('@budecosystem/instrumentation-responses.wrapped');

export function isStreamLike(value: unknown): value is StreamLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as StreamLike).iterator === 'function' &&
    typeof (value as StreamLike).controller === 'object' &&
    (value as StreamLike).controller !== null
  );
}

/** An async iterator that forwards to the SDK's and reports every exit to the call. */
class InstrumentedIterator implements AsyncIterator<unknown>, AsyncIterable<unknown> {
  private readonly onResult: (result: IteratorResult<unknown>) => IteratorResult<unknown>;
  private readonly onError: (error: unknown) => never;

  constructor(
    private readonly inner: AsyncIterator<unknown>,
    private readonly call: Call,
    signal: AbortSignal | undefined,
  ) {
    this.onResult = (result) => {
      if (result.done) {
        call.finish(signal?.aborted ? { kind: 'cancelled' } : { kind: 'stream-end' });
      } else {
        call.onEvent(result.value);
      }
      return result;
    };
    // The SDK ends its iterator silently on an abort and aborts its controller before any error
    // reaches here, so a rejection is always a failure, whatever the signal says.
    this.onError = (error) => {
      call.finish({ kind: 'error', error });
      throw error;
    };
  }

  next(value?: unknown): Promise<IteratorResult<unknown>> {
    // Per event: no rest array; a value is passed on only when the caller gave one.
    const result = arguments.length === 0 ? this.inner.next() : this.inner.next(value);
    return result.then(this.onResult, this.onError);
  }

  return(value?: unknown): Promise<IteratorResult<unknown>> {
    // The application stopped reading. The SDK's cleanup aborts the request; if that cleanup
    // throws (openai 4-6 when the connection broke at that moment), the application sees the
    // error, and so does the span.
    const call = this.call;
    if (!this.inner.return) {
      call.finish({ kind: 'cancelled' });
      return Promise.resolve({ done: true, value });
    }
    return this.inner.return(value).then(
      (result) => {
        call.finish({ kind: 'cancelled' });
        return result;
      },
      (error: unknown) => {
        call.finish({ kind: 'error', error });
        throw error;
      },
    );
  }

  throw(error?: unknown): Promise<IteratorResult<unknown>> {
    this.call.finish({ kind: 'error', error });
    return this.inner.throw ? this.inner.throw(error) : Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** Instruments a Stream in place (idempotent) and hands its lifetime to the call. */
export function instrumentStream(stream: StreamLike, call: Call): void {
  const marked = stream as StreamLike & { [WRAPPED]?: true };
  if (marked[WRAPPED]) return;
  Object.defineProperty(marked, WRAPPED, { value: true });
  const original = stream.iterator;
  const signal = stream.controller.signal;
  let iterated = false;
  stream.iterator = function instrumentedIterator(this: unknown, ...args: unknown[]) {
    const inner = original.apply(this, args);
    // A Stream is single-use: a second iterator only gets the SDK's "consumed stream" error.
    if (iterated) return inner;
    iterated = true;
    call.onBodyRequested();
    const instrumented = new InstrumentedIterator(inner, call, signal);
    // From now on the iterator, not the Stream, is what the application holds.
    call.watch(instrumented);
    return instrumented;
  };
  call.watch(stream);
  call.endOnAbort(signal);
}
