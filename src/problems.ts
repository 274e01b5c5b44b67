/*
 * Problems with what the application gave this package (options, environment variables, an
 * openai version it does not support), reported where users look: the OpenTelemetry `diag`
 * logger, once each.
 *
 * The rule: a problem found while no diag logger is installed is kept, and logged as soon as one
 * is, at the next of these moments: `enable()`, `setTracerProvider()`, `setMeterProvider()`,
 * `setConfig()`, an openai copy being patched. This matters with the Node SDK, which installs
 * the logger that OTEL_LOG_LEVEL asks for in its constructor, after the application has
 * constructed the instrumentation (and found its problems) but before `sdk.start()` hands the
 * providers over. A problem found while a logger is installed is logged at once. Either way each
 * distinct message is logged once per process.
 */
import { diag } from '@opentelemetry/api';
import { PACKAGE_NAME } from './version';

/** Messages found while no logger was installed, in the order found. */
const pending = new Set<string>();
/** Messages logged (or waiting): never logged again. */
const known = new Set<string>();

/**
 * Whether an application's diag logger is installed. The API keeps the logger given to
 * `diag.setLogger()` in its global registry (one per API major, shared by every copy of the API
 * of that major) and removes it on `diag.disable()`; the API offers no getter for it.
 */
export function diagLoggerInstalled(): boolean {
  const registry = (globalThis as Record<symbol, { diag?: unknown } | undefined>)[Symbol.for('opentelemetry.js.api.1')];
  return registry?.diag !== undefined;
}

function log(message: string): void {
  diag.warn(`${PACKAGE_NAME}: ${message}`);
}

/** Reports a problem once per distinct message: now if a logger is installed, else when one is. */
export function reportOnce(message: string): void {
  if (known.has(message)) return;
  known.add(message);
  if (diagLoggerInstalled()) log(message);
  else pending.add(message);
}

/** Logs the problems kept while no logger was installed, if one is now. Cheap when none wait. */
export function deliverPendingProblems(): void {
  if (pending.size === 0 || !diagLoggerInstalled()) return;
  const messages = [...pending];
  pending.clear();
  for (const message of messages) log(message);
}

/** For tests: forget every problem, logged or waiting. */
export function resetReportedProblems(): void {
  pending.clear();
  known.clear();
}
