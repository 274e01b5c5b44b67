/*
 * The variants of the paired measurement (see paired.ts), built in the current process: one
 * configuration's telemetry, openai 6, and bare, floor, ours and the official instrumentation
 * around the same unpatched `create`. Used by paired-child.ts and by profile.ts.
 */
import { metrics, trace, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import { floorWrapper, FLOOR_WIDE_EXTRA, type CreateFunction } from './floor';
import { PAIRED_VARIANTS, type PairedConfigName, type PairedVariant, type PairedWorkload } from './paired';
import { requireFrom } from './paths';
import { loadOpenAI } from './setup';
import { setUpTelemetry, type Telemetry } from './telemetry';
import { bind, createCall, gatewayClient, syntheticCall, syntheticClient, syntheticEvents, type Call, type OpenAIPackage } from './workloads';

interface ModuleDefinition {
  name: string;
  patch?: (exports: unknown, version?: string) => unknown;
  unpatch?: (exports: unknown, version?: string) => unknown;
}

/** What both instrumentations offer (InstrumentationBase). */
interface Instrumentation {
  setTracerProvider(provider: TracerProvider): void;
  setMeterProvider(provider: MeterProvider): void;
  setLoggerProvider(provider: unknown): void;
  getModuleDefinitions(): ModuleDefinition[];
}

type Wrapped = CreateFunction & { __wrapped?: boolean; __original?: unknown };

function responsesPrototype(pkg: OpenAIPackage): { create: Wrapped } {
  return pkg.OpenAI.Responses.prototype as { create: Wrapped };
}

/**
 * Patches the loaded openai module with one instrumentation's own module definition and keeps
 * the wrapper it put on `Responses.prototype.create`. With `unpatch`, the module is unpatched
 * again: the instrumentation stays enabled, and the prototype holds the unpatched `create` for
 * the next one. Fails unless the wrapper wraps exactly `original`.
 */
function wrapperOf(instrumentation: Instrumentation, openaiModule: unknown, pkg: OpenAIPackage, original: CreateFunction, name: string, unpatch: boolean): CreateFunction {
  const definition = instrumentation.getModuleDefinitions().find((d) => d.name === 'openai');
  if (!definition?.patch || !definition.unpatch) throw new Error(`${name}: no module definition for openai`);
  const proto = responsesPrototype(pkg);
  if (proto.create !== original) throw new Error(`${name}: create() is not the unpatched function before patching`);
  definition.patch(openaiModule, pkg.version);
  const wrapper = proto.create;
  if (wrapper === original || wrapper.__original !== original) throw new Error(`${name}: create() was not wrapped around the unpatched function`);
  if (unpatch) {
    definition.unpatch(openaiModule, pkg.version);
    if (proto.create !== original) throw new Error(`${name}: unpatch did not restore create()`);
  }
  return wrapper;
}

export interface Variants {
  pkg: OpenAIPackage;
  telemetry: Telemetry | undefined;
  create: Record<PairedVariant, CreateFunction>;
}

export async function setUpVariants(config: PairedConfigName): Promise<Variants> {
  const telemetry = config === 'no-provider' ? undefined : setUpTelemetry('work', { logs: config === 'sdk+logs' || config === 'sdk+events' });
  // openai is loaded before any instrumentation exists, so nothing patches it on load.
  const pkg = loadOpenAI('work');
  const openaiModule: unknown = requireFrom('work')('openai');
  const original = responsesPrototype(pkg).create;
  if (original.__wrapped === true) throw new Error('create() is already wrapped');

  const { BudResponsesInstrumentation } = await import('../src');
  const ours = new BudResponsesInstrumentation(config === 'sdk+events' ? { emitOperationDetails: true } : {}) as unknown as Instrumentation;
  const { OpenAIInstrumentation } = requireFrom('work')('@opentelemetry/instrumentation-openai') as { OpenAIInstrumentation: new () => Instrumentation };
  const official = new OpenAIInstrumentation();
  // The providers are given explicitly, as NodeSDK's registerInstrumentations does: the SDK's, or
  // without one, the global (no-op) providers of each instrumentation's own API copy. The official
  // instrumentation finds the LoggerProvider globally.
  const workApi = requireFrom('work')('@opentelemetry/api') as { trace: typeof trace; metrics: typeof metrics };
  const providers = (api: { trace: typeof trace; metrics: typeof metrics }) => ({
    tracer: (telemetry?.tracerProvider as TracerProvider | undefined) ?? api.trace.getTracerProvider(),
    meter: (telemetry?.meterProvider as MeterProvider | undefined) ?? api.metrics.getMeterProvider(),
  });
  const main = providers({ trace, metrics });
  for (const [instrumentation, p] of [[ours, main], [official, providers(workApi)]] as const) {
    instrumentation.setTracerProvider(p.tracer);
    instrumentation.setMeterProvider(p.meter);
  }
  // This package's api-logs copy does not see a provider registered through @opentelemetry/api
  // 1.10's logs API: it is given the LoggerProvider, as registerInstrumentations does.
  if (telemetry?.loggerProvider) ours.setLoggerProvider(telemetry.loggerProvider);
  const tracerProvider = main.tracer;
  const meterProvider = main.meter;
  // The official wrapper is taken first and the module unpatched again; this package's stays on
  // the prototype, as in an application (its wrapper checks that it is still the one there, and
  // its trace headers are added by the client's prepareRequest, which it also patches). The other
  // variants call their own functions, never the prototype's.
  const officialWrapper = wrapperOf(official, openaiModule, pkg, original, 'official', true);
  const oursWrapper = wrapperOf(ours, openaiModule, pkg, original, 'ours', false);
  return {
    pkg,
    telemetry,
    create: {
      bare: original,
      'bare-aa': original,
      floor: floorWrapper(original, tracerProvider, meterProvider),
      'floor-wide': floorWrapper(original, tracerProvider, meterProvider, { extraAttributes: FLOOR_WIDE_EXTRA }),
      ours: oursWrapper,
      official: officialWrapper,
    },
  };
}

export type Calls = Record<PairedWorkload, Record<PairedVariant, Call>>;

export function makeCalls(variants: Variants, gatewayUrl: string, streamEvents: number): Calls {
  const network = gatewayClient(variants.pkg, gatewayUrl);
  const synthetic = syntheticClient(variants.pkg, syntheticEvents(streamEvents));
  const calls = (make: (v: PairedVariant) => Call) => Object.fromEntries(PAIRED_VARIANTS.map((v) => [v, make(v)])) as Record<PairedVariant, Call>;
  return {
    create: calls((v) => createCall(bind(network, variants.create[v]))),
    stream: calls((v) => syntheticCall(bind(synthetic, variants.create[v]))),
  };
}
