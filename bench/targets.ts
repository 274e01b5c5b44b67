/*
 * The overhead targets (bench/README.md, "Targets"), evaluated on the figures of a run. They are benchmark figures, never
 * assertions: `npm run bench` prints them and exits 0 whatever they say. A target is met when its
 * point estimate is; when the 95% interval reaches across the limit the line says so (within
 * noise of the limit).
 *
 *   (a) enabled with no provider: CPU per call ≤ 1.02x bare (paired, no-provider process)
 *   (b) with an SDK: added CPU per non-streaming call ≤ 1.2x the floor's (paired, both SDK processes)
 *   (c) with an SDK: added CPU below the official instrumentation's (paired, both SDK processes)
 *   (d) streams: ≤ 0.5 µs per event (paired synthetic Stream; cross-process A/B on openai 7)
 *   (e) heap growth after the streamed calls within noise of bare (≤ 1 MB more than bare of the
 *       same openai major, i.e. under 100 bytes retained per call over 10,000 calls)
 */
import { interval, type Estimate, type PairedRow, type PairedTable } from './paired-report';
import type { PairedConfigName, PairedVariant, PairedWorkload } from './paired';
import type { HeapRow, WorkloadReport } from './report';

export interface TargetResult {
  id: string;
  target: string;
  /** Where the figure comes from. */
  scope: string;
  value: string;
  met: boolean;
  /** The 95% interval lies on both sides of the limit. */
  straddles: boolean;
}

export const LIMITS = {
  noProviderRatio: 1.02,
  floorMultiple: 1.2,
  nsPerEvent: 500,
  heapExcessMB: 1,
};

function find(tables: readonly PairedTable[], config: PairedConfigName, workload: PairedWorkload, variant: PairedVariant): { table: PairedTable; row: PairedRow } | undefined {
  const table = tables.find((t) => t.config === config && t.workload === workload);
  const row = table?.rows.find((r) => r.variant === variant);
  return table && row ? { table, row } : undefined;
}

/** The A/A pair of the same table (`bare-aa` − `bare`): how far two identical variants drift apart. */
function aa(tables: readonly PairedTable[], config: PairedConfigName, workload: PairedWorkload): string {
  const e = find(tables, config, workload, 'bare-aa')?.row.addedCpuUs;
  return e ? `; A/A ${interval(e, 1, true)} µs/call` : '';
}

/** Met when value ≤ limit (or < limit when `strict`). */
function judge(e: Estimate, limit: number, strict = false): { met: boolean; straddles: boolean } {
  const within = (v: number) => (strict ? v < limit : v <= limit);
  return { met: within(e.value), straddles: within(e.low) !== within(e.high) };
}

function noProvider(tables: readonly PairedTable[]): TargetResult[] {
  const ours = find(tables, 'no-provider', 'create', 'ours');
  const ratio = ours?.row.cpuRatio;
  if (!ours || !ratio) return [];
  const official = find(tables, 'no-provider', 'create', 'official')?.row;
  const value =
    `CPU ${interval(ratio, 3)} (${interval(ours.row.addedCpuUs, 1, true)} µs/call); wall ${interval(ours.row.wallRatio, 3)}` +
    (official?.cpuRatio ? `; official: CPU ${interval(official.cpuRatio, 3)}` : '') +
    aa(tables, 'no-provider', 'create');
  return [{ id: 'a', target: `enabled, no provider: CPU per call ≤ ${LIMITS.noProviderRatio}x bare`, scope: 'paired, no-provider, create', value, ...judge(ratio, LIMITS.noProviderRatio) }];
}

function sdkConfigs(tables: readonly PairedTable[]): PairedConfigName[] {
  return (['sdk', 'sdk+logs'] as const).filter((c) => tables.some((t) => t.config === c));
}

function versusFloor(tables: readonly PairedTable[]): TargetResult[] {
  return sdkConfigs(tables).flatMap((config) => {
    const ours = find(tables, config, 'create', 'ours')?.row;
    const floor = find(tables, config, 'create', 'floor')?.row;
    if (!ours?.vsFloor || !floor) return [];
    const value = `${interval(ours.vsFloor, 2)} x the floor: ours ${interval(ours.addedCpuUs, 1, true)} µs/call, floor ${interval(floor.addedCpuUs, 1, true)} µs/call${aa(tables, config, 'create')}`;
    return [{ id: 'b', target: `added CPU per non-streaming call ≤ ${LIMITS.floorMultiple}x the floor's`, scope: `paired, ${config}, create`, value, ...judge(ours.vsFloor, LIMITS.floorMultiple) }];
  });
}

function versusOfficial(tables: readonly PairedTable[]): TargetResult[] {
  return sdkConfigs(tables).flatMap((config) => {
    const found = find(tables, config, 'create', 'ours');
    const official = find(tables, config, 'create', 'official')?.row;
    const diff = found?.table.oursMinusOfficialCpuUs;
    if (!found || !official || !diff) return [];
    const value = `ours − official ${interval(diff, 1, true)} µs/call: ours ${interval(found.row.addedCpuUs, 1, true)}, official ${interval(official.addedCpuUs, 1, true)}${aa(tables, config, 'create')}`;
    return [{ id: 'c', target: 'added CPU below the official instrumentation’s', scope: `paired, ${config}, create`, value, ...judge(diff, 0, true) }];
  });
}

function streams(tables: readonly PairedTable[], reports: readonly WorkloadReport[]): TargetResult[] {
  const target = `streams add ≤ ${LIMITS.nsPerEvent / 1000} µs per event`;
  const out: TargetResult[] = [];
  for (const config of sdkConfigs(tables)) {
    const ours = find(tables, config, 'stream', 'ours');
    const perEvent = ours?.row.addedCpuNsPerEvent;
    if (!ours || !perEvent) continue;
    const floor = find(tables, config, 'stream', 'floor')?.row.addedCpuNsPerEvent;
    const value = `ours ${interval(perEvent, 0, true)} ns/event CPU (floor ${interval(floor, 0, true)}), ${ours.table.events} events per call, fixed cost included`;
    out.push({ id: 'd', target, scope: `paired, ${config}, synthetic stream`, value, ...judge(perEvent, LIMITS.nsPerEvent) });
  }
  const ours7 = reports.find((r) => r.name === 'synthetic')?.rows.find((r) => r.id === 'ours7')?.inProcess?.addedNsPerEvent;
  if (ours7 !== undefined) {
    out.push({
      id: 'd',
      target,
      scope: 'cross-process run, ours7 in-process A/B, synthetic stream',
      value: `${ours7.toFixed(0)} ns/event wall (median of paired differences, openai 7)`,
      met: ours7 <= LIMITS.nsPerEvent,
      straddles: false,
    });
  }
  return out;
}

function heap(rows: readonly HeapRow[]): TargetResult[] {
  const pairs: Array<[string, string]> = [
    ['ours7', 'bare7'],
    ['ours6', 'bare6'],
  ];
  return pairs.flatMap(([ours, bare]) => {
    const o = rows.find((r) => r.id === ours);
    const b = rows.find((r) => r.id === bare);
    if (!o || !b) return [];
    const excess = o.growthMB - b.growthMB;
    const official = rows.find((r) => r.id === 'official6');
    const value = `${ours} ${o.growthMB >= 0 ? '+' : ''}${o.growthMB.toFixed(2)} MB, ${bare} ${b.growthMB >= 0 ? '+' : ''}${b.growthMB.toFixed(2)} MB: ${excess >= 0 ? '+' : ''}${excess.toFixed(2)} MB${official && ours === 'ours6' ? ` (official6 ${official.growthMB.toFixed(2)} MB)` : ''}`;
    return [{ id: 'e', target: `heap growth after ${o.calls} streamed calls within ${LIMITS.heapExcessMB} MB of bare`, scope: 'heap phase', value, met: excess <= LIMITS.heapExcessMB, straddles: false }];
  });
}

export function evaluateTargets(tables: readonly PairedTable[], reports: readonly WorkloadReport[], heapRows: readonly HeapRow[]): TargetResult[] {
  return [...noProvider(tables), ...versusFloor(tables), ...versusOfficial(tables), ...streams(tables, reports), ...heap(heapRows)];
}

export function targetLines(targets: readonly TargetResult[]): string {
  return targets
    .map((t) => `${t.met ? 'MET   ' : 'MISSED'} (${t.id}) ${t.target} [${t.scope}]: ${t.value}${t.straddles ? ' (the interval straddles the limit)' : ''}`)
    .join('\n');
}
