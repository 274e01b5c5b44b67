/*
 * Small helpers shared by every layer. A leaf: imports nothing of this package.
 */
import { diag, type Attributes, type AttributeValue, type DiagLogger } from '@opentelemetry/api';
import { PACKAGE_NAME } from './version';

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** An object literal (or `Object.create(null)`), not a class instance such as `Headers`. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function setIf(out: Attributes, key: string, value: AttributeValue | undefined): void {
  if (value !== undefined) out[key] = value;
}

/** `true`/`1` and `false`/`0` (any case, trimmed); anything else is undefined. */
export function parseBooleanWord(raw: string | undefined): boolean | undefined {
  const word = raw?.trim().toLowerCase();
  if (word === 'true' || word === '1') return true;
  if (word === 'false' || word === '0') return false;
  return undefined;
}

/**
 * Epoch milliseconds (fractional) of a `performance.now()` time. Span times are given in epoch
 * milliseconds, which every tracer understands (the OpenTelemetry SDK also takes `performance.now()`
 * values; other tracers, such as Sentry's, read any number as an epoch time).
 */
export function epochMillis(performanceTime: number): number {
  return performance.timeOrigin + performanceTime;
}

/** This package's diagnostics: the global `diag`, every line prefixed with the package's name. */
export const logger: Pick<DiagLogger, 'error' | 'warn' | 'info' | 'debug'> = {
  error: (message, ...args) => diag.error(`${PACKAGE_NAME}: ${message}`, ...args),
  warn: (message, ...args) => diag.warn(`${PACKAGE_NAME}: ${message}`, ...args),
  info: (message, ...args) => diag.info(`${PACKAGE_NAME}: ${message}`, ...args),
  debug: (message, ...args) => diag.debug(`${PACKAGE_NAME}: ${message}`, ...args),
};

/** Logs through `logger.error`, never throwing (an application's diag logger may throw). */
function reportHookFailure(message: string, err: unknown): void {
  try {
    logger.error(message, err);
  } catch {
    /* the application's logger failed: nothing more to do */
  }
}

/**
 * Calls a configured hook (`requestHook`, `responseHook`), sync or `async`: a throw, or the
 * rejection of a promise (any thenable) it returns, is logged through `diag`, never thrown and
 * never left unhandled, and nothing waits for that promise.
 */
export function callHook<A extends unknown[]>(name: string, hook: (...args: A) => unknown, ...args: A): void {
  try {
    const result = hook(...args);
    if ((typeof result !== 'object' && typeof result !== 'function') || result === null) return;
    const then = (result as { then?: unknown }).then;
    if (typeof then === 'function') {
      then.call(result, undefined, (err: unknown) => reportHookFailure(`${name} rejected`, err));
    }
  } catch (err) {
    reportHookFailure(`${name} threw`, err);
  }
}
