/*
 * Figures of the paired in-process measurement (paired.ts). Per configuration and workload:
 * each variant's CPU and wall time per call, and against `bare` in the same rounds the added
 * time, the ratio and (with an SDK) the added CPU as a multiple of the floor's. Every figure
 * comes with a 95% bootstrap interval: the rounds are resampled with replacement (percentile
 * method, seeded), the statistic is the 10%-trimmed mean over rounds of the paired per-round
 * differences, so one round disturbed by other work on the machine moves nothing.
 */
import {
  PAIRED_CONFIG_TITLES,
  PAIRED_VARIANTS,
  type PairedConfigName,
  type PairedResult,
  type PairedVariant,
  type PairedWorkload,
  type RoundSeries,
} from './paired';

/** A point estimate with its 95% bootstrap interval. */
export interface Estimate {
  value: number;
  low: number;
  high: number;
}

export interface PairedRow {
  variant: PairedVariant;
  /** Trimmed mean over rounds of the per-call CPU time of this process, µs. */
  cpuUs: number;
  wallUs: number;
  /** Against `bare` in the same rounds (absent for bare). */
  addedCpuUs?: Estimate;
  addedWallUs?: Estimate;
  cpuRatio?: Estimate;
  wallRatio?: Estimate;
  /** Stream workload: added CPU per event, ns (the call's fixed cost included). */
  addedCpuNsPerEvent?: Estimate;
  /** With an SDK: added CPU / the floor's added CPU (absent for bare, bare-aa and floor). */
  vsFloor?: Estimate;
}

export interface PairedTable {
  config: PairedConfigName;
  workload: PairedWorkload;
  rounds: number;
  callsPerRound: number;
  events: number;
  rows: PairedRow[];
  /** ours' added CPU minus the official instrumentation's (negative: ours costs less). */
  oursMinusOfficialCpuUs?: Estimate;
}

const TRIM = 0.1;
const RESAMPLES = 1000;

export function trimmedMean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const cut = Math.floor(sorted.length * TRIM);
  const kept = sorted.slice(cut, sorted.length - cut);
  return kept.reduce((sum, v) => sum + v, 0) / kept.length;
}

/** A small deterministic PRNG (mulberry32), so the intervals of a run can be reproduced. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `stat` on the rounds as measured, and its 2.5% and 97.5% percentiles over resamples of the
 * rounds (each resample: n rounds drawn with replacement; the same resamples for every call).
 */
export function bootstrap(rounds: number, stat: (pick: (values: readonly number[]) => number[]) => number): Estimate {
  const all = (values: readonly number[]) => [...values];
  const value = stat(all);
  const next = random(0x5eed);
  const out: number[] = [];
  const idx = new Array<number>(rounds);
  for (let r = 0; r < RESAMPLES; r++) {
    for (let i = 0; i < rounds; i++) idx[i] = Math.floor(next() * rounds);
    out.push(stat((values) => idx.map((i) => values[i] ?? Number.NaN)));
  }
  out.sort((a, b) => a - b);
  return { value, low: out[Math.floor(0.025 * (RESAMPLES - 1))] ?? Number.NaN, high: out[Math.ceil(0.975 * (RESAMPLES - 1))] ?? Number.NaN };
}

function minus(a: readonly number[], b: readonly number[]): number[] {
  return a.map((v, i) => v - (b[i] ?? Number.NaN));
}

function row(variant: PairedVariant, series: Record<PairedVariant, RoundSeries>, events: number, withSdk: boolean): PairedRow {
  const own = series[variant];
  const bare = series.bare;
  const base: PairedRow = { variant, cpuUs: trimmedMean(own.cpuUs), wallUs: trimmedMean(own.wallUs) };
  if (variant === 'bare') return base;
  const n = own.cpuUs.length;
  const dCpu = minus(own.cpuUs, bare.cpuUs);
  const dWall = minus(own.wallUs, bare.wallUs);
  const dFloor = minus(series.floor.cpuUs, bare.cpuUs);
  const out: PairedRow = {
    ...base,
    addedCpuUs: bootstrap(n, (pick) => trimmedMean(pick(dCpu))),
    addedWallUs: bootstrap(n, (pick) => trimmedMean(pick(dWall))),
    cpuRatio: bootstrap(n, (pick) => 1 + trimmedMean(pick(dCpu)) / trimmedMean(pick(bare.cpuUs))),
    wallRatio: bootstrap(n, (pick) => 1 + trimmedMean(pick(dWall)) / trimmedMean(pick(bare.wallUs))),
  };
  if (events > 0) out.addedCpuNsPerEvent = bootstrap(n, (pick) => (1000 * trimmedMean(pick(dCpu))) / events);
  if (withSdk && variant !== 'floor' && variant !== 'bare-aa') out.vsFloor = bootstrap(n, (pick) => trimmedMean(pick(dCpu)) / trimmedMean(pick(dFloor)));
  return out;
}

function table(result: PairedResult, workload: PairedWorkload): PairedTable {
  const series = result.series[workload];
  const events = workload === 'stream' ? result.streamEvents : 0;
  const withSdk = result.config !== 'no-provider';
  const rounds = series.bare.cpuUs.length;
  const oursVsOfficial = minus(series.ours.cpuUs, series.official.cpuUs);
  return {
    config: result.config,
    workload,
    rounds,
    callsPerRound: result.settings.calls[workload],
    events,
    rows: PAIRED_VARIANTS.map((v) => row(v, series, events, withSdk)),
    oursMinusOfficialCpuUs: bootstrap(rounds, (pick) => trimmedMean(pick(oursVsOfficial))),
  };
}

export function pairedTables(results: readonly PairedResult[]): PairedTable[] {
  return results.flatMap((result) => [table(result, 'create'), table(result, 'stream')]);
}

// ------------------------------------------------------------------------------ formatting

export function interval(e: Estimate | undefined, digits: number, sign = false): string {
  if (!e) return '';
  const f = (v: number) => `${sign && v >= 0 ? '+' : ''}${v.toFixed(digits)}`;
  return `${f(e.value)} [${f(e.low)}, ${f(e.high)}]`;
}

function markdown(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function pairedTableText(t: PairedTable): string {
  const streaming = t.events > 0;
  const what = streaming ? `synthetic Stream of ${t.events} events` : 'non-streaming create, loopback gateway';
  const header = [
    'variant',
    'CPU µs/call',
    'wall µs/call',
    'added CPU µs/call [95% CI]',
    'CPU ratio [95% CI]',
    'added wall µs/call [95% CI]',
    ...(streaming ? ['added CPU ns/event [95% CI]'] : []),
    ...(t.config === 'no-provider' ? [] : ['added CPU / floor [95% CI]']),
  ];
  const rows = t.rows.map((r) => [
    r.variant,
    r.cpuUs.toFixed(1),
    r.wallUs.toFixed(1),
    interval(r.addedCpuUs, 1, true),
    interval(r.cpuRatio, 3),
    interval(r.addedWallUs, 1, true),
    ...(streaming ? [interval(r.addedCpuNsPerEvent, 0, true)] : []),
    ...(t.config === 'no-provider' ? [] : [interval(r.vsFloor, 2)]),
  ]);
  const diff = t.oursMinusOfficialCpuUs ? `\n\nours − official, added CPU: ${interval(t.oursMinusOfficialCpuUs, 1, true)} µs/call` : '';
  return `${PAIRED_CONFIG_TITLES[t.config]} — ${what}; ${t.rounds} rounds × ${t.callsPerRound} calls per variant\n\n${markdown(header, rows)}${diff}`;
}

/** Which spans and log records each configuration exported: proof that every variant recorded. */
export function pairedTelemetryText(results: readonly PairedResult[]): string {
  return results
    .map((r) => {
      const spans = Object.entries(r.info.spansByScope).map(([scope, n]) => `${scope} ${n}`).join(', ') || 'none';
      const calls = r.info.callsPerVariant.create + r.info.callsPerVariant.stream;
      const attributes = Object.entries(r.info.attributeCounts ?? {})
        .map(([key, counts]) => `${key} ${counts.join('/')}`)
        .join(', ');
      return `${r.config}: ${calls} calls per variant (${r.seconds.toFixed(0)} s); spans exported: ${spans}; log records: ${r.info.logRecords}${attributes ? `\n  attributes per span (scope, span name): ${attributes}` : ''}`;
    })
    .join('\n');
}
