/*
 * Turns raw batches into the figures the benchmark reports, per workload and variant:
 *   - the median per-call time (wall clock) and the median client CPU time per call;
 *   - against the bare client of the same openai major, and against the SDK-only control:
 *     ratio of medians (with a 95% interval over forks), added µs per call and ns per stream event;
 *   - in patched children, the in-process A/B: patched vs unpatched `create` alternating call
 *     by call in the same process (median of the paired differences);
 * plus heap growth. The targets are evaluated in targets.ts.
 */
import type { Batch, HeapSample, Measurements } from './measure';
import { AA_VARIANT, type Timings, type VariantSpec, type WorkloadName } from './protocol';
import { median, quantile, summarize } from './stats';

/** One variant against another variant's process, measured in the same rounds. */
export interface Comparison {
  against: string;
  /** median / median of the reference (all samples). */
  ratio: number;
  /** The ratio of medians within each fork (each fork is a fresh set of processes). */
  forkRatios: number[];
  /**
   * Half-width of the 95% confidence interval of the ratio, from the spread between forks
   * (Student t over the fork ratios): differences between processes are the largest noise.
   */
  ratioCi95: number;
  addedUsPerCall: number;
  /** Streaming workloads only. */
  addedNsPerEvent?: number;
  /** From the child's CPU time per call instead of wall time. */
  addedCpuUsPerCall: number;
}

/** Patched vs unpatched `create` in the same process, call by call. */
export interface InProcess {
  pairs: number;
  originalMedianUs: number;
  /** median(patched) / median(unpatched). */
  ratio: number;
  /** Median of the paired differences (patched - unpatched). */
  addedUsPerCall: number;
  addedNsPerEvent?: number;
  addedCpuUsPerCall: number;
}

export interface VariantRow {
  id: string;
  label: string;
  samples: number;
  medianUs: number;
  meanUs: number;
  p10Us: number;
  p25Us: number;
  p75Us: number;
  cpuUsPerCall: number;
  eventsPerCall: number;
  vsBare?: Comparison;
  vsControl?: Comparison;
  inProcess?: InProcess;
}

export interface WorkloadReport {
  name: WorkloadName;
  title: string;
  /** The A/A pair (two identical bare processes): ratio - 1 and its 95% interval, the noise floor. */
  noiseFloor?: { deviation: number; ci95: number };
  rows: VariantRow[];
}

export interface HeapRow {
  id: string;
  label: string;
  calls: number;
  beforeMB: number;
  afterMB: number;
  growthMB: number;
}

export const WORKLOAD_TITLES: Record<WorkloadName, string> = {
  create: '1. non-streaming create (loopback gateway)',
  stream: '2. stream of 200 deltas, fully consumed (loopback gateway)',
  synthetic: '3. synthetic in-process Stream of 10,000 events (no network)',
};

const NS_PER_US = 1000;

function wall(batches: readonly Batch[]): number[] {
  return batches.flatMap((b) => b.calls.ns);
}

function cpu(batches: readonly Batch[]): number[] {
  return batches.flatMap((b) => b.calls.cpuUs);
}

/** Two-sided 95% Student t quantiles by degrees of freedom (1..10); beyond that ~2. */
const T95 = [12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23];

function forkRatios(batches: readonly Batch[], reference: readonly Batch[]): number[] {
  const forks = [...new Set(batches.map((b) => b.fork))];
  return forks.flatMap((fork) => {
    const own = wall(batches.filter((b) => b.fork === fork));
    const ref = wall(reference.filter((b) => b.fork === fork));
    return own.length > 0 && ref.length > 0 ? [median(own) / median(ref)] : [];
  });
}

function ci95(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
  return ((T95[values.length - 2] ?? 2) * sd) / Math.sqrt(values.length);
}

function comparison(against: string, batches: readonly Batch[], reference: readonly Batch[], events: number): Comparison {
  const own = median(wall(batches));
  const ref = median(wall(reference));
  const perFork = forkRatios(batches, reference);
  return {
    against,
    ratio: own / ref,
    forkRatios: perFork,
    ratioCi95: ci95(perFork),
    addedUsPerCall: (own - ref) / NS_PER_US,
    ...(events > 0 ? { addedNsPerEvent: (own - ref) / events } : {}),
    addedCpuUsPerCall: median(cpu(batches)) - median(cpu(reference)),
  };
}

function compareWith(against: string | undefined, workload: WorkloadName, batches: readonly Batch[], m: Measurements, events: number): Comparison | undefined {
  const reference = against ? m.get(against)?.get(workload) : undefined;
  if (!against || !reference || reference.length === 0) return undefined;
  return comparison(against, batches, reference, events);
}

function differences(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.min(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = (a[i] ?? 0) - (b[i] ?? 0);
  return out;
}

function inProcess(batches: readonly Batch[], events: number): InProcess | undefined {
  const pairs = batches.filter((b): b is Batch & { original: Timings } => b.original !== undefined);
  if (pairs.length === 0) return undefined;
  const wallDiff = pairs.flatMap((b) => differences(b.calls.ns, b.original.ns));
  const cpuDiff = pairs.flatMap((b) => differences(b.calls.cpuUs, b.original.cpuUs));
  const originalMedian = median(pairs.flatMap((b) => b.original.ns));
  const added = median(wallDiff);
  return {
    pairs: wallDiff.length,
    originalMedianUs: originalMedian / NS_PER_US,
    ratio: median(pairs.flatMap((b) => b.calls.ns)) / originalMedian,
    addedUsPerCall: added / NS_PER_US,
    ...(events > 0 ? { addedNsPerEvent: added / events } : {}),
    addedCpuUsPerCall: median(cpuDiff),
  };
}

function variantRow(spec: VariantSpec, workload: WorkloadName, m: Measurements): VariantRow | undefined {
  const batches = m.get(spec.id)?.get(workload);
  if (!batches || batches.length === 0) return undefined;
  const s = summarize(wall(batches));
  const events = batches[batches.length - 1]?.events ?? 0;
  const vsBare = compareWith(spec.baseline, workload, batches, m, events);
  const vsControl = compareWith(spec.control, workload, batches, m, events);
  const ab = inProcess(batches, events);
  return {
    id: spec.id,
    label: spec.label,
    samples: s.samples,
    medianUs: s.median / NS_PER_US,
    meanUs: s.mean / NS_PER_US,
    p10Us: quantile(wall(batches), 0.1) / NS_PER_US,
    p25Us: s.p25 / NS_PER_US,
    p75Us: s.p75 / NS_PER_US,
    cpuUsPerCall: median(cpu(batches)),
    eventsPerCall: events,
    ...(vsBare ? { vsBare } : {}),
    ...(vsControl ? { vsControl } : {}),
    ...(ab ? { inProcess: ab } : {}),
  };
}

function workloadReport(name: WorkloadName, specs: readonly VariantSpec[], m: Measurements): WorkloadReport {
  const rows = specs.map((spec) => variantRow(spec, name, m)).filter((r): r is VariantRow => r !== undefined);
  const aa = rows.find((r) => r.id === AA_VARIANT)?.vsBare;
  return { name, title: WORKLOAD_TITLES[name], ...(aa ? { noiseFloor: { deviation: aa.ratio - 1, ci95: aa.ratioCi95 } } : {}), rows };
}

export function workloadReports(specs: readonly VariantSpec[], workloads: readonly WorkloadName[], m: Measurements): WorkloadReport[] {
  return workloads.map((name) => workloadReport(name, specs, m));
}

export function heapRows(specs: readonly VariantSpec[], samples: readonly HeapSample[]): HeapRow[] {
  const labels = new Map(specs.map((s) => [s.id, s.label]));
  return samples.map((s) => ({
    id: s.id,
    label: labels.get(s.id) ?? s.id,
    calls: s.calls,
    beforeMB: s.beforeBytes / 1e6,
    afterMB: s.afterBytes / 1e6,
    growthMB: (s.afterBytes - s.beforeBytes) / 1e6,
  }));
}
