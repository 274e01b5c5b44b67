/*
 * What runs, and how much of it. Every instrumented variant is compared with the bare client of
 * the same openai major (`baseline`) and with the SDK-only control of the same major and SDK
 * line (`control`), all measured in the same rounds.
 */
import type { PairedSettings } from './paired';
import { AA_VARIANT, type VariantSpec, type WorkloadName } from './protocol';

/**
 * Every variant runs every workload, also where only `create` is reported in the targets: a
 * process that sits idle while the others stream runs its next calls colder and slower, which
 * showed up as a 6-20% "cost" of the disabled instrumentation before this was equalised.
 */
const ALL: readonly WorkloadName[] = ['create', 'stream', 'synthetic'];

function bare(id: string, label: string, openai: VariantSpec['openai']): VariantSpec {
  return { id, label, openai, instrumentation: 'none', mode: 'enabled', sdk: 'none', workloads: ALL, heap: true };
}

function sdkOnly(id: string, label: string, line: VariantSpec['openai'], baseline: string): VariantSpec {
  return { id, label, openai: line, instrumentation: 'none', mode: 'enabled', sdk: line, baseline, workloads: ALL, heap: false };
}

function traced(id: string, label: string, instrumentation: 'ours' | 'official', line: VariantSpec['openai']): VariantSpec {
  const major = line === 'main' ? '7' : '6';
  return {
    id,
    label,
    openai: line,
    instrumentation,
    mode: 'enabled',
    sdk: line,
    baseline: `bare${major}`,
    control: `sdk${major}`,
    workloads: ALL,
    heap: true,
  };
}

function oursWithoutSdk(id: string, label: string, mode: 'disabled' | 'no-provider'): VariantSpec {
  return { id, label, openai: 'main', instrumentation: 'ours', mode, sdk: 'none', baseline: 'bare7', workloads: ALL, heap: false };
}

export const VARIANTS: readonly VariantSpec[] = [
  bare('bare7', 'bare openai 7, no OTel', 'main'),
  // A second, identical bare process: its distance from bare7 is the noise floor of the run.
  { ...bare(AA_VARIANT, 'bare openai 7 again (A/A check)', 'main'), baseline: 'bare7', heap: false },
  sdkOnly('sdk7', 'OTel SDK 2.x only, openai 7', 'main', 'bare7'),
  traced('ours7', 'ours + SDK 2.x, openai 7', 'ours', 'main'),
  bare('bare6', 'bare openai 6, no OTel', 'work'),
  sdkOnly('sdk6', 'OTel SDK 3.x only, openai 6', 'work', 'bare6'),
  traced('ours6', 'ours + SDK 3.x, openai 6', 'ours', 'work'),
  traced('official6', 'official 0.22 + SDK 3.x, openai 6', 'official', 'work'),
  oursWithoutSdk('ours7-disabled', 'ours disable()d, no SDK, openai 7', 'disabled'),
  oursWithoutSdk('ours7-noprovider', 'ours enabled, no provider, openai 7', 'no-provider'),
];

/** `paired`: one process per SDK configuration, every variant in it (the targets); `processes`: one process per variant; `heap`. */
export type Phase = 'paired' | 'processes' | 'heap';
export const PHASES: readonly Phase[] = ['paired', 'processes', 'heap'];

export interface BenchConfig {
  quick: boolean;
  /** BENCH_PHASES=paired,heap runs only those (default: all). */
  phases: readonly Phase[];
  paired: PairedSettings;
  /** Measured rounds: at least `minRounds`, then more while the time budget lasts, up to `maxRounds`. */
  minRounds: number;
  maxRounds: number;
  /** Time budget of the measured rounds (the heap phase comes on top). */
  budgetSeconds: number;
  /** Unmeasured rounds at the start of every fork (JIT, connection pool, lazy initialisation). */
  warmupRounds: number;
  /** The timing phase is split into this many forks, each with fresh processes. */
  forks: number;
  /** Calls per batch, by workload: small batches interleave the variants finely. */
  calls: Record<WorkloadName, number>;
  /** An unmeasured call at the start of each batch, by workload. */
  primer: Record<WorkloadName, boolean>;
  heapWarmup: number;
  heapCalls: number;
  /**
   * BENCH_PIN=1: gateway on the first CPU, measuring children on the last (see affinity.ts).
   * Worth it on an otherwise idle machine; on a busy one a pinned child cannot move away from
   * other people's work, and the figures get worse, not better.
   */
  pin: boolean;
}

/** The first create of a batch runs ~30% slower in every variant (the child sat idle): not measured. */
const PRIMER: Record<WorkloadName, boolean> = { create: true, stream: false, synthetic: false };

function numberFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = Number(env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function phasesFrom(env: NodeJS.ProcessEnv): Phase[] {
  const asked = (env.BENCH_PHASES ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = asked.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`BENCH_PHASES: unknown ${unknown.join(', ')} (known: ${PHASES.join(', ')})`);
  return asked.length === 0 ? [...PHASES] : PHASES.filter((p) => asked.includes(p));
}

type Sizes = Omit<BenchConfig, 'pin' | 'phases'>;

const QUICK: Sizes = {
  quick: true,
  paired: { rounds: { create: 100, stream: 20 }, warmupRounds: 4, calls: { create: 2, stream: 2 }, streamEvents: 10_000 },
  minRounds: 3,
  maxRounds: 40,
  budgetSeconds: 16,
  warmupRounds: 2,
  forks: 2,
  calls: { create: 6, stream: 2, synthetic: 2 },
  primer: PRIMER,
  heapWarmup: 50,
  heapCalls: 500,
};

const FULL: Sizes = {
  quick: false,
  paired: { rounds: { create: 800, stream: 120 }, warmupRounds: 20, calls: { create: 2, stream: 2 }, streamEvents: 10_000 },
  minRounds: 24,
  maxRounds: 3000,
  budgetSeconds: 90,
  warmupRounds: 3,
  forks: 6,
  calls: { create: 6, stream: 2, synthetic: 2 },
  primer: PRIMER,
  heapWarmup: 500,
  heapCalls: 10_000,
};

/** BENCH_LONG=1: about three times the measured calls of the default run (~20-25 min). */
const LONG: Sizes = {
  ...FULL,
  paired: { ...FULL.paired, rounds: { create: 3000, stream: 400 } },
  budgetSeconds: 270,
  forks: 8,
};

export function benchConfig(env: NodeJS.ProcessEnv): BenchConfig {
  const flag = (name: string) => env[name] === '1' || env[name] === 'true';
  const base = flag('BENCH_QUICK') ? QUICK : flag('BENCH_LONG') ? LONG : FULL;
  const even = (n: number) => Math.max(2, 2 * Math.round(n / 2));
  return {
    ...base,
    phases: phasesFrom(env),
    paired: {
      ...base.paired,
      rounds: {
        create: numberFrom(env, 'BENCH_PAIRED_ROUNDS', base.paired.rounds.create),
        stream: numberFrom(env, 'BENCH_PAIRED_STREAM_ROUNDS', base.paired.rounds.stream),
      },
      calls: {
        create: even(numberFrom(env, 'BENCH_PAIRED_CALLS', base.paired.calls.create)),
        stream: even(numberFrom(env, 'BENCH_PAIRED_STREAM_CALLS', base.paired.calls.stream)),
      },
    },
    pin: env.BENCH_PIN === '1',
    budgetSeconds: numberFrom(env, 'BENCH_BUDGET_S', base.budgetSeconds),
    heapCalls: numberFrom(env, 'BENCH_HEAP_CALLS', base.heapCalls),
  };
}
