/*
 * Helpers shared by the tests that drive real client libraries (@openai/agents, @langchain/openai,
 * @sentry/node, @langfuse/openai) against the embedded gateway.
 */
import * as assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { finishedSpans, gateway, instrumentation, OPENAI_VERSION, testTracer } from './harness';

/** Major of the installed openai (the matrix runs the suite with openai 4 to 7). */
export const OPENAI_MAJOR = Number(OPENAI_VERSION.split('.')[0]);

/**
 * These libraries depend on openai ^7 themselves: with openai 4-6 they would load a second copy
 * (openai 7) beside the installed one and say nothing about it. And they must share the test's
 * copies of `openai` and `@opentelemetry/api`: a matrix cell links its own openai (and
 * OpenTelemetry line) for the test while the libraries, resolved from the project's
 * node_modules, would load the project's copies, so the cell would run two of each (its reporter
 * flags that as an error). Skip in both cases. Call from a `before` hook, before the library is
 * imported (the imports are lazy for that reason).
 */
export function skipUnlessOpenAI7(ctx: Mocha.Context, library: string): void {
  if (OPENAI_MAJOR < 7) ctx.skip();
  const here = createRequire(__filename);
  const fromLibrary = createRequire(here.resolve(library));
  for (const shared of ['openai', '@opentelemetry/api']) {
    if (realpathSync(here.resolve(shared)) !== realpathSync(fromLibrary.resolve(shared))) ctx.skip();
  }
}

/** What the application saw: a value, or a thrown error reduced to what an app can observe. */
export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; error: { class: string; name: string; message: string } };

export async function outcome<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    const err = e as Error;
    return { ok: false, error: { class: err?.constructor?.name ?? typeof e, name: err?.name, message: err?.message } };
  }
}

/** Runs `fn` with the instrumentation disabled (what the application gets without us), then re-enables it. */
export async function withoutInstrumentation<T>(fn: () => Promise<T>): Promise<T> {
  instrumentation.disable();
  try {
    return await fn();
  } finally {
    instrumentation.enable();
  }
}

/**
 * Runs the same scenario once with the instrumentation disabled, then (after clearing the
 * gateway's state, so that its prompt cache and stores see the second run as new) once enabled.
 */
export async function offThenOn<T>(fn: () => Promise<T>): Promise<{ off: Outcome<T>; on: Outcome<T> }> {
  const off = await withoutInstrumentation(() => outcome(fn));
  gateway().reset();
  const on = await outcome(fn);
  return { off, on };
}

export function attr(span: ReadableSpan, key: string): Attributes[string] {
  return span.attributes[key];
}

/** Asserts the span is a direct child of `parent`. */
export function assertChildOf(span: ReadableSpan, parent: ReadableSpan): void {
  const s = span as ReadableSpan & { parentSpanId?: string; parentSpanContext?: { spanId: string } };
  const parentId = s.parentSpanContext?.spanId ?? s.parentSpanId;
  assert.equal(span.spanContext().traceId, parent.spanContext().traceId, `${span.name}: trace id`);
  assert.equal(parentId, parent.spanContext().spanId, `${span.name}: parent span id`);
}

/** Nanoseconds of an OpenTelemetry HrTime. */
export function hrNanos(t: [number, number]): bigint {
  return BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
}

/** Runs `fn` inside a test parent span; returns its result and the parent span. */
export async function underParent<T>(fn: () => Promise<T>): Promise<{ result: T; parent: ReadableSpan }> {
  const result = await testTracer.startActiveSpan('app', async (span) => {
    try {
      return await fn();
    } finally {
      span.end();
    }
  });
  const parent = finishedSpans().find((s) => s.name === 'app');
  assert.ok(parent, 'the test parent span');
  return { result, parent };
}
