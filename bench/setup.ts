/*
 * Prepares one variant inside its own process, in the order an application does it: SDK first,
 * then the instrumentation, then `openai` (so the instrumentation's require hook patches it).
 */
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { packageVersion, requireFrom, type ModuleRoot } from './paths';
import type { VariantSpec } from './protocol';
import { setUpTelemetry, type Telemetry } from './telemetry';
import type { CreateFunction, OpenAIPackage } from './workloads';

/** What both instrumentations offer (InstrumentationBase). */
interface InstrumentationLike {
  setTracerProvider(provider: TracerProvider): void;
  setMeterProvider(provider: MeterProvider): void;
  disable(): void;
}

interface OfficialModule {
  OpenAIInstrumentation: new () => InstrumentationLike;
}

export interface PreparedVariant {
  pkg: OpenAIPackage;
  telemetry: Telemetry | undefined;
  patched: boolean;
  /** The unpatched create, when patched. */
  original: CreateFunction | undefined;
  otel: Record<string, string>;
}

async function newInstrumentation(spec: VariantSpec): Promise<InstrumentationLike | undefined> {
  if (spec.instrumentation === 'none') return undefined;
  if (spec.instrumentation === 'official') {
    const { OpenAIInstrumentation } = requireFrom('work')('@opentelemetry/instrumentation-openai') as OfficialModule;
    return new OpenAIInstrumentation();
  }
  const { BudResponsesInstrumentation } = await import('../src');
  return new BudResponsesInstrumentation();
}

/** `openai` and the two SDK classes the workloads use, from one module root. */
export function loadOpenAI(root: ModuleRoot): OpenAIPackage {
  const req = requireFrom(root);
  const main = req('openai') as { OpenAI: OpenAIPackage['OpenAI'] };
  const { APIPromise } = req('openai/core/api-promise') as { APIPromise: OpenAIPackage['APIPromise'] };
  const { Stream } = req('openai/core/streaming') as { Stream: OpenAIPackage['Stream'] };
  const version = packageVersion(root, 'openai') ?? 'unknown';
  return { version, OpenAI: main.OpenAI, APIPromise, Stream };
}

function isPatched(pkg: OpenAIPackage): boolean {
  const create = pkg.OpenAI.Responses.prototype.create as { __wrapped?: unknown };
  return create.__wrapped === true;
}

/** The function a patched `create` wraps (both instrumentations wrap with shimmer: `__original`). */
function originalCreate(pkg: OpenAIPackage): CreateFunction | undefined {
  const create = pkg.OpenAI.Responses.prototype.create as { __wrapped?: unknown; __original?: unknown };
  return create.__wrapped === true && typeof create.__original === 'function' ? (create.__original as CreateFunction) : undefined;
}

function instrumentationVersions(spec: VariantSpec): Record<string, string> {
  const base = '@opentelemetry/instrumentation';
  if (spec.instrumentation === 'official') {
    const name = '@opentelemetry/instrumentation-openai';
    return { [name]: packageVersion('work', name) ?? 'unknown', [`${base} (official)`]: packageVersion('work', base) ?? 'unknown' };
  }
  if (spec.instrumentation === 'ours') {
    return {
      '@opentelemetry/api (ours)': packageVersion('main', '@opentelemetry/api') ?? 'unknown',
      [`${base} (ours)`]: packageVersion('main', base) ?? 'unknown',
    };
  }
  return {};
}

export async function prepareVariant(spec: VariantSpec): Promise<PreparedVariant> {
  const telemetry = spec.sdk === 'none' ? undefined : setUpTelemetry(spec.sdk);
  const instrumentation = await newInstrumentation(spec);
  if (instrumentation && telemetry) {
    instrumentation.setTracerProvider(telemetry.tracerProvider as TracerProvider);
    instrumentation.setMeterProvider(telemetry.meterProvider as MeterProvider);
  }
  const pkg = loadOpenAI(spec.openai);
  if (spec.mode === 'disabled') instrumentation?.disable();
  const otel = { ...(telemetry?.versions ?? {}), ...instrumentationVersions(spec) };
  return { pkg, telemetry, patched: isPatched(pkg), original: originalCreate(pkg), otel };
}
