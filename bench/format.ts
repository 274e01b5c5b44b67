/* Markdown tables of the results: readable in a terminal and pasteable into bench/README.md. */
import type { HeapRow, VariantRow, WorkloadReport } from './report';

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function fixed(value: number | undefined, digits: number): string {
  return value === undefined || Number.isNaN(value) ? '' : value.toFixed(digits);
}

function signed(value: number | undefined, digits: number): string {
  if (value === undefined || Number.isNaN(value)) return '';
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
}

/** The added cost in the unit of the workload: ns per event when streaming, else µs per call. */
function added(value: { addedUsPerCall: number; addedNsPerEvent?: number } | undefined, streaming: boolean): string {
  if (!value) return '';
  return streaming ? signed(value.addedNsPerEvent, 1) : signed(value.addedUsPerCall, 2);
}

function ratioText(row: VariantRow): string {
  const c = row.vsBare;
  if (!c) return '';
  return Number.isNaN(c.ratioCi95) ? fixed(c.ratio, 3) : `${fixed(c.ratio, 3)} ±${fixed(c.ratioCi95, 3)}`;
}

function workloadLine(row: VariantRow, streaming: boolean): string[] {
  return [
    row.id,
    fixed(row.medianUs, 1),
    fixed(row.cpuUsPerCall, 1),
    ratioText(row),
    added(row.vsBare, streaming),
    added(row.vsControl, streaming),
    fixed(row.inProcess?.ratio, 4),
    added(row.inProcess, streaming),
    String(row.samples),
  ];
}

function workloadHeader(streaming: boolean): string[] {
  const unit = streaming ? 'ns/event' : 'µs/call';
  return [
    'variant',
    'median µs/call',
    'client CPU µs/call',
    'ratio vs bare (95% CI)',
    `added ${unit} vs bare`,
    `added ${unit} vs SDK-only`,
    'A/B ratio',
    `A/B added ${unit}`,
    'samples',
  ];
}

export function workloadTable(report: WorkloadReport): string {
  const streaming = report.rows.some((r) => r.eventsPerCall > 0);
  const events = streaming ? ` — ${report.rows[0]?.eventsPerCall ?? 0} events per call` : '';
  const f = report.noiseFloor;
  const floor = f === undefined ? '' : `\n\nA/A check (bare7-aa vs bare7): ${f.deviation >= 0 ? '+' : ''}${(100 * f.deviation).toFixed(2)}% ±${(100 * f.ci95).toFixed(2)}%`;
  return `${report.title}${events}\n\n${table(workloadHeader(streaming), report.rows.map((r) => workloadLine(r, streaming)))}${floor}`;
}

export function heapTable(rows: readonly HeapRow[]): string {
  const lines = rows.map((r) => [r.id, String(r.calls), fixed(r.beforeMB, 2), fixed(r.afterMB, 2), signed(r.growthMB, 2)]);
  return `heap after streamed calls (5 deltas each; own --expose-gc process per variant)\n\n${table(
    ['variant', 'calls', 'heapUsed before MB', 'heapUsed after MB', 'growth MB'],
    lines,
  )}`;
}

export function variantLegend(rows: ReadonlyArray<{ id: string; label: string; detail: string }>): string {
  return table(['variant', 'what', 'loaded'], rows.map((r) => [r.id, r.label, r.detail]));
}
