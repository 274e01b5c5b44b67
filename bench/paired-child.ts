/*
 * The child of the paired measurement (see paired.ts): sets up one configuration, builds the
 * four variants around the same unpatched `create`, runs the rounds and sends the per-round
 * figures back.
 */
import { metrics, trace, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import { floorWrapper, type CreateFunction } from './floor';
import {
  ENV_PAIRED,
  PAIRED_VARIANTS,
  PAIRED_WORKLOADS,
  type PairedJob,
  type PairedMessage,
  type PairedResult,
  type PairedVariant,
  type PairedWorkload,
  type RoundSeries,
} from './paired';
import { packageVersion, requireFrom } from './paths';
import { loadOpenAI } from './setup';
import { setUpTelemetry, type Telemetry } from './telemetry';
import { bind, createCall, gatewayClient, syntheticCall, syntheticClient, syntheticEvents, type Call, type OpenAIPackage } from './workloads';

function send(message: PairedMessage): void {
  if (!process.send) throw new Error('paired child must be started with an IPC channel');
  process.send(message);
}

interface ModuleDefinition {
  name: string;
  patch?: (exports: unknown, version?: string) => unknown;
  unpatch?: (exports: unknown, version?: string) => unknown;
}

/** What both instrumentations offer (InstrumentationBase). */
interface Instrumentation {
  setTracerProvider(provider: TracerProvider): void;
  setMeterProvider(provider: MeterProvider): void;
  getModuleDefinitions(): ModuleDefinition[];
}

type Wrapped = CreateFunction & { __wrapped?: boolean; __original?: unknown };

function responsesPrototype(pkg: OpenAIPackage): { create: Wrapped } {
  return pkg.OpenAI.Responses.prototype as { create: Wrapped };
}

/**
 * Patches the loaded openai module with one instrumentation's own module definition, keeps the
 * wrapper it put on `Responses.prototype.create`, and unpatches again: the instrumentation stays
 * enabled, and the prototype holds the unpatched `create` for the next one. Fails unless the
 * wrapper wraps exactly `original`.
 */
function wrapperOf(instrumentation: Instrumentation, openaiModule: unknown, pkg: OpenAIPackage, original: CreateFunction, name: string): CreateFunction {
  const definition = instrumentation.getModuleDefinitions().find((d) => d.name === 'openai');
  if (!definition?.patch || !definition.unpatch) throw new Error(`${name}: no module definition for openai`);
  const proto = responsesPrototype(pkg);
  definition.patch(openaiModule, pkg.version);
  const wrapper = proto.create;
  if (wrapper === original || wrapper.__original !== original) throw new Error(`${name}: create() was not wrapped around the unpatched function`);
  definition.unpatch(openaiModule, pkg.version);
  if (proto.create !== original) throw new Error(`${name}: unpatch did not restore create()`);
  return wrapper;
}

interface Variants {
  pkg: OpenAIPackage;
  telemetry: Telemetry | undefined;
  create: Record<PairedVariant, CreateFunction>;
}

async function setUp(job: PairedJob): Promise<Variants> {
  const telemetry = job.config === 'no-provider' ? undefined : setUpTelemetry('work', { logs: job.config === 'sdk+logs' });
  // openai is loaded before any instrumentation exists, so nothing patches it on load.
  const pkg = loadOpenAI('work');
  const openaiModule: unknown = requireFrom('work')('openai');
  const original = responsesPrototype(pkg).create;
  if (original.__wrapped === true) throw new Error('create() is already wrapped');

  const { BudResponsesInstrumentation } = await import('../src');
  const ours = new BudResponsesInstrumentation() as unknown as Instrumentation;
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
  const tracerProvider = main.tracer;
  const meterProvider = main.meter;
  return {
    pkg,
    telemetry,
    create: {
      bare: original,
      floor: floorWrapper(original, tracerProvider, meterProvider),
      ours: wrapperOf(ours, openaiModule, pkg, original, 'ours'),
      official: wrapperOf(official, openaiModule, pkg, original, 'official'),
    },
  };
}

type Calls = Record<PairedWorkload, Record<PairedVariant, Call>>;

function makeCalls(variants: Variants, job: PairedJob): Calls {
  const network = gatewayClient(variants.pkg, job.gatewayUrl);
  const synthetic = syntheticClient(variants.pkg, syntheticEvents(job.settings.streamEvents));
  const calls = (make: (v: PairedVariant) => Call) => Object.fromEntries(PAIRED_VARIANTS.map((v) => [v, make(v)])) as Record<PairedVariant, Call>;
  return {
    create: calls((v) => createCall(bind(network, variants.create[v]))),
    stream: calls((v) => syntheticCall(bind(synthetic, variants.create[v]))),
  };
}

interface Totals {
  cpuUs: number;
  wallNs: number;
  calls: number;
  events: number;
}

async function timeHalf(call: Call, calls: number, into: Totals): Promise<void> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let events = 0;
  for (let i = 0; i < calls; i++) events = await call();
  into.wallNs += Number(process.hrtime.bigint() - start);
  const used = process.cpuUsage(cpu);
  into.cpuUs += used.user + used.system;
  into.calls += calls;
  into.events = events;
}

/** The variant order of a round: rotated by the round number. */
function order(round: number): PairedVariant[] {
  const n = PAIRED_VARIANTS.length;
  const shift = ((round % n) + n) % n;
  return [...PAIRED_VARIANTS.slice(shift), ...PAIRED_VARIANTS.slice(0, shift)];
}

/** One workload of one round: forward half, backward half (ABBA). */
async function runWorkload(calls: Record<PairedVariant, Call>, perVariant: number, round: number): Promise<Record<PairedVariant, Totals>> {
  const totals = Object.fromEntries(PAIRED_VARIANTS.map((v) => [v, { cpuUs: 0, wallNs: 0, calls: 0, events: 0 }])) as Record<PairedVariant, Totals>;
  const forward = order(round);
  const half = Math.max(1, Math.floor(perVariant / 2));
  for (const v of [...forward, ...forward.slice().reverse()]) await timeHalf(calls[v], half, totals[v]);
  return totals;
}

function emptySeries(): Record<PairedWorkload, Record<PairedVariant, RoundSeries>> {
  const series = (): Record<PairedVariant, RoundSeries> => {
    const out: Partial<Record<PairedVariant, RoundSeries>> = {};
    for (const v of PAIRED_VARIANTS) out[v] = { cpuUs: [], wallUs: [] };
    return out as Record<PairedVariant, RoundSeries>;
  };
  return { create: series(), stream: series() };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.env[ENV_PAIRED] ?? 'null') as PairedJob | null;
  if (!job) throw new Error(`${ENV_PAIRED} must be set`);
  const variants = await setUp(job);
  const calls = makeCalls(variants, job);
  const series = emptySeries();
  const callsPerVariant: Record<PairedWorkload, number> = { create: 0, stream: 0 };
  let streamEvents = 0;
  const started = Date.now();
  let lastProgress = started;
  for (let round = -job.settings.warmupRounds; round < job.settings.rounds; round++) {
    for (const workload of PAIRED_WORKLOADS) {
      const totals = await runWorkload(calls[workload], job.settings.calls[workload], round);
      callsPerVariant[workload] += totals.bare.calls;
      if (workload === 'stream') streamEvents = totals.bare.events;
      if (round < 0) continue;
      for (const v of PAIRED_VARIANTS) {
        const t = totals[v];
        series[workload][v].cpuUs.push(t.cpuUs / t.calls);
        series[workload][v].wallUs.push(t.wallNs / 1000 / t.calls);
      }
    }
    if (Date.now() - lastProgress > 20_000) {
      lastProgress = Date.now();
      send({ type: 'progress', round: round + 1, rounds: job.settings.rounds });
    }
  }
  const seconds = (Date.now() - started) / 1000;
  await variants.telemetry?.flush();
  const result: PairedResult = {
    config: job.config,
    settings: job.settings,
    seconds,
    streamEvents,
    series,
    info: {
      openaiVersion: variants.pkg.version,
      otel: {
        ...(variants.telemetry?.versions ?? { '@opentelemetry/api': packageVersion('work', '@opentelemetry/api') ?? 'unknown' }),
        '@opentelemetry/instrumentation-openai': packageVersion('work', '@opentelemetry/instrumentation-openai') ?? 'unknown',
      },
      spansByScope: variants.telemetry?.spansByScope() ?? {},
      logRecords: variants.telemetry?.logRecordsExported() ?? 0,
      callsPerVariant,
    },
  };
  send({ type: 'result', result });
}

main().catch((error: unknown) => {
  send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
});
