/*
 * `npm run bench`: the overhead benchmark of issue 6. Installs the openai 6 side into
 * bench/.work when missing, starts the embedded gateway, times every variant (one child
 * process each, driven round-robin), measures heap growth, prints the tables and the targets,
 * and writes bench/results.json (bench/results.quick.json with BENCH_QUICK=1).
 * See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startGateway } from '../gateway/server';
import { ensureWorkPackages } from './deps';
import { heapTable, targetLines, variantLegend, workloadTable } from './format';
import { measureHeap, measureTimings, WORKLOADS, type TelemetryCheck, type TimingRun } from './measure';
import { BENCH_DIR, RESULTS_FILE, ROOT } from './paths';
import type { ChildInfo, VariantSpec } from './protocol';
import { evaluateTargets, heapRows, workloadReports, type HeapRow, type TargetResult, type WorkloadReport } from './report';
import { benchConfig, VARIANTS, type BenchConfig } from './variants';

const log = (line: string): void => console.log(line);

function ownVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

function git(args: string[]): string | undefined {
  const result = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Which source was measured: HEAD, the last commit touching src/, uncommitted src/ changes. */
function sourceInfo(): Record<string, unknown> {
  return {
    head: git(['rev-parse', '--short', 'HEAD']),
    srcCommit: git(['log', '-1', '--format=%h', '--', 'src']),
    srcUncommittedChanges: (git(['status', '--porcelain', '--', 'src']) ?? '') !== '',
  };
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    memoryGB: Math.round(os.totalmem() / 1e9),
  };
}

interface VariantPackages extends ChildInfo, Partial<TelemetryCheck> {}

function packagesByVariant(run: TimingRun): Record<string, VariantPackages> {
  const out: Record<string, VariantPackages> = {};
  for (const [id, info] of run.info) out[id] = { ...info, ...run.telemetry.get(id) };
  return out;
}

function legendDetail(spec: VariantSpec, packages: VariantPackages | undefined): string {
  if (!packages) return '';
  const sdk = spec.sdk === 'none' ? 'no SDK' : `sdk-metrics ${packages.otel['@opentelemetry/sdk-metrics'] ?? '?'}`;
  const spans = spec.instrumentation === 'none' ? '' : `, patched ${String(packages.patched)}, spans ${packages.spansExported ?? 0}`;
  return `openai ${packages.openaiVersion}, ${sdk}${spans}`;
}

/** Warnings when a variant did not run the way its name says. */
function sanityWarnings(packages: Record<string, VariantPackages>): string[] {
  const warnings: string[] = [];
  for (const spec of VARIANTS) {
    const p = packages[spec.id];
    if (!p) continue;
    const shouldBePatched = spec.instrumentation !== 'none' && spec.mode !== 'disabled';
    if (p.patched !== shouldBePatched) warnings.push(`${spec.id}: create() patched = ${String(p.patched)}, expected ${String(shouldBePatched)}`);
    if (spec.mode === 'enabled' && spec.instrumentation !== 'none' && !p.spansExported) warnings.push(`${spec.id}: no spans exported`);
  }
  return warnings;
}

interface TimingMeta {
  rounds: number;
  seconds: number;
  pinned: boolean;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
}

interface Report {
  config: BenchConfig;
  timing: TimingMeta;
  packages: Record<string, VariantPackages>;
  workloads: WorkloadReport[];
  heap: HeapRow[];
  targets: TargetResult[];
}

function printReport(report: Report): void {
  const legend = VARIANTS.map((spec) => ({ id: spec.id, label: spec.label, detail: legendDetail(spec, report.packages[spec.id]) }));
  log('');
  const t = report.timing;
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
  log(`node ${process.version} on ${String(machine().cpu)} (${os.cpus().length} cores)${report.config.quick ? ' -- QUICK RUN' : ''}`);
  log(`${t.rounds} measured rounds in ${t.seconds.toFixed(0)} s (${report.config.forks} forks${t.pinned ? ', CPU-pinned' : ''}); load average ${load(t.loadAverageBefore)} -> ${load(t.loadAverageAfter)}`);
  log('');
  log(variantLegend(legend));
  for (const workload of report.workloads) log(`\n${workloadTable(workload)}`);
  log(`\n${heapTable(report.heap)}`);
  log(`\nTargets (benchmark figures, not assertions):\n${targetLines(report.targets)}`);
  for (const warning of sanityWarnings(report.packages)) log(`WARNING ${warning}`);
}

function writeResults(report: Report): string {
  const file = report.config.quick ? path.join(BENCH_DIR, 'results.quick.json') : RESULTS_FILE;
  const json = {
    benchmark: '@budecosystem/instrumentation-responses overhead (issue 6)',
    date: new Date().toISOString(),
    machine: machine(),
    package: { name: '@budecosystem/instrumentation-responses', version: ownVersion(), source: sourceInfo() },
    config: report.config,
    timing: report.timing,
    variants: VARIANTS,
    packages: report.packages,
    workloads: report.workloads,
    heap: report.heap,
    targets: report.targets,
    warnings: sanityWarnings(report.packages),
  };
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(json, null, 2)}\n`);
  renameSync(tmp, file);
  return file;
}

async function main(): Promise<void> {
  const config = benchConfig(process.env);
  const started = Date.now();
  ensureWorkPackages(log);
  const gateway = await startGateway();
  try {
    const timing = await measureTimings(VARIANTS, config, gateway, log);
    log('measuring heap growth');
    const heap = heapRows(VARIANTS, await measureHeap(VARIANTS, config, gateway, log));
    const workloads = workloadReports(VARIANTS, WORKLOADS, timing.measurements);
    const meta: TimingMeta = {
      rounds: timing.rounds,
      seconds: timing.seconds,
      pinned: timing.pinned,
      loadAverageBefore: timing.loadBefore,
      loadAverageAfter: timing.loadAfter,
    };
    const report: Report = { config, timing: meta, packages: packagesByVariant(timing), workloads, heap, targets: evaluateTargets(workloads, heap) };
    printReport(report);
    const file = writeResults(report);
    log(`\nwrote ${path.relative(ROOT, file)} in ${((Date.now() - started) / 1000).toFixed(0)} s total`);
  } finally {
    await gateway.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
