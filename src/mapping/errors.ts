/*
 * `error.type` (docs/TELEMETRY.md §3): of a thrown error, of a failed Response or stream `error` event,
 * of a stream that ended without a terminal event.
 */
import { isObject } from '../util';
import { ERROR_TYPE_OTHER } from '../semconv';
import { bounded } from './content';

/** `error.type` of a stream that ended without `response.completed`, `.failed` or `.incomplete`. */
export const ERROR_TYPE_STREAM_TRUNCATED = 'stream_truncated';

/**
 * `error.type` of a failure: the error class, the HTTP status, an error code, or `_OTHER`;
 * bounded (it is also the span status message and a metric attribute).
 */
export function errorType(error: unknown): string {
  return bounded(rawErrorType(error));
}

function rawErrorType(error: unknown): string {
  if (isObject(error)) {
    const name = typeof error.constructor === 'function' ? error.constructor.name : '';
    if (name && name !== 'Error' && name !== 'APIError' && name !== 'Object') return name;
    if (typeof error.status === 'number') return String(error.status);
    if (typeof error.code === 'string' && error.code) return error.code;
    if (name === 'APIError') return name;
    if (typeof error.name === 'string' && error.name && error.name !== 'Error') return error.name;
  }
  return ERROR_TYPE_OTHER;
}

/** `error.type` of a Response that failed, or of a stream `error` event. */
export function errorTypeOfPayload(payload: { code?: unknown; error?: unknown } | null | undefined): string {
  if (!payload) return ERROR_TYPE_OTHER;
  if (typeof payload.code === 'string' && payload.code) return bounded(payload.code);
  const nested = payload.error;
  if (isObject(nested) && typeof nested.code === 'string' && nested.code) return bounded(nested.code);
  return ERROR_TYPE_OTHER;
}

