/*
 * `npm run bench`: the overhead benchmark (bench/README.md). Installs the openai 6 side into
 * bench/.work when missing, starts the embedded gateway, then runs three phases: the paired
 * in-process measurement (one process per SDK configuration holding bare, floor, ours and the
 * official instrumentation around the same unpatched `create`), the cross-process comparison
 * (one child process per variant, driven round-robin) and the heap growth; prints the tables
 * and the targets, and writes bench/results.json (bench/results.local.json for a quick or partial run).
 * See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startGateway } from '../gateway/server';
import { ensureWorkPackages } from './deps';
import { heapTable, variantLegend, workloadTable } from './format';
import { measureHeap, measureTimings, WORKLOADS, type GatewayLike, type TelemetryCheck, type TimingRun } from './measure';
import { PAIRED_CONFIGS, runPairedConfig, type PairedResult } from './paired';
import { pairedTableText, pairedTables, pairedTelemetryText, type PairedTable } from './paired-report';
import { BENCH_DIR, RESULTS_FILE, ROOT } from './paths';
import type { ChildInfo, VariantSpec } from './protocol';
import { heapRows, workloadReports, type HeapRow, type WorkloadReport } from './report';
import { evaluateTargets, targetLines, type TargetResult } from './targets';
import { benchConfig, PHASES, VARIANTS, type BenchConfig } from './variants';

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

interface PairedMeta {
  seconds: number;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
}

interface Report {
  config: BenchConfig;
  paired?: { meta: PairedMeta; results: PairedResult[]; tables: PairedTable[] };
  timing?: TimingMeta;
  packages: Record<string, VariantPackages>;
  workloads: WorkloadReport[];
  heap: HeapRow[];
  targets: TargetResult[];
}

const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');

/** Recording variants that exported nothing in a paired SDK process. */
function pairedWarnings(results: readonly PairedResult[]): string[] {
  const scopes = ['bench-floor', 'bench-floor-wide', '@budecosystem/instrumentation-responses', '@opentelemetry/instrumentation-openai'];
  return results
    .filter((r) => r.config !== 'no-provider')
    .flatMap((r) => [
      ...scopes.filter((scope) => !r.info.spansByScope[scope]).map((scope) => `paired ${r.config}: no spans from ${scope}`),
      ...(r.config === 'sdk+logs' && r.info.logRecords === 0 ? ['paired sdk+logs: no log records'] : []),
      ...(r.config === 'sdk+events' && r.info.logRecords === 0 ? ['paired sdk+events: no log records'] : []),
    ]);
}

function printPaired(paired: NonNullable<Report['paired']>): void {
  const m = paired.meta;
  log(`\nPAIRED IN-PROCESS MEASUREMENT (openai ${paired.results[0]?.info.openaiVersion ?? '?'}; ${m.seconds.toFixed(0)} s; load average ${load(m.loadAverageBefore)} -> ${load(m.loadAverageAfter)})`);
  log('Added figures are against bare in the same process and rounds: 10%-trimmed mean over rounds, 95% bootstrap interval.');
  for (const table of paired.tables) log(`\n${pairedTableText(table)}`);
  log(`\n${pairedTelemetryText(paired.results)}`);
}

function printReport(report: Report): void {
  log('');
  log(`node ${process.version} on ${String(machine().cpu)} (${os.cpus().length} cores)${report.config.quick ? ' -- QUICK RUN' : ''}`);
  if (report.paired) printPaired(report.paired);
  const t = report.timing;
  if (t) {
    const legend = VARIANTS.map((spec) => ({ id: spec.id, label: spec.label, detail: legendDetail(spec, report.packages[spec.id]) }));
    log(`\nONE PROCESS PER VARIANT: ${t.rounds} measured rounds in ${t.seconds.toFixed(0)} s (${report.config.forks} forks${t.pinned ? ', CPU-pinned' : ''}); load average ${load(t.loadAverageBefore)} -> ${load(t.loadAverageAfter)}`);
    log('');
    log(variantLegend(legend));
    for (const workload of report.workloads) log(`\n${workloadTable(workload)}`);
  }
  if (report.heap.length > 0) log(`\n${heapTable(report.heap)}`);
  log(`\nTargets (benchmark figures, not assertions):\n${targetLines(report.targets)}`);
  for (const warning of warnings(report)) log(`WARNING ${warning}`);
}

function warnings(report: Report): string[] {
  return [...(report.timing ? sanityWarnings(report.packages) : []), ...pairedWarnings(report.paired?.results ?? [])];
}

function writeResults(report: Report): string {
  // Only a full run of every phase replaces the committed results.
  const complete = !report.config.quick && report.config.phases.length === PHASES.length;
  const file = complete ? RESULTS_FILE : path.join(BENCH_DIR, 'results.local.json');
  const json = {
    benchmark: '@budecosystem/instrumentation-responses overhead',
    date: new Date().toISOString(),
    machine: machine(),
    package: { name: '@budecosystem/instrumentation-responses', version: ownVersion(), source: sourceInfo() },
    config: report.config,
    paired: report.paired && { meta: report.paired.meta, info: report.paired.results.map((r) => ({ config: r.config, seconds: r.seconds, ...r.info })), tables: report.paired.tables },
    timing: report.timing,
    variants: VARIANTS,
    packages: report.packages,
    workloads: report.workloads,
    heap: report.heap,
    targets: report.targets,
    warnings: warnings(report),
  };
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(json, null, 2)}\n`);
  renameSync(tmp, file);
  return file;
}

async function pairedPhase(config: BenchConfig, gateway: GatewayLike): Promise<NonNullable<Report['paired']>> {
  const started = Date.now();
  const loadAverageBefore = os.loadavg();
  const results: PairedResult[] = [];
  // The gateway records every request; keep its memory flat while the calls go by.
  const timer = setInterval(() => gateway.reset(), 250);
  try {
    for (const name of PAIRED_CONFIGS) {
      const { rounds, calls } = config.paired;
      log(`paired ${name}: ${rounds.create} rounds x ${calls.create} creates, ${rounds.stream} rounds x ${calls.stream} streams, per variant`);
      results.push(await runPairedConfig({ config: name, settings: config.paired, gatewayUrl: gateway.url }, log));
    }
  } finally {
    clearInterval(timer);
    gateway.reset();
  }
  const meta = { seconds: (Date.now() - started) / 1000, loadAverageBefore, loadAverageAfter: os.loadavg() };
  return { meta, results, tables: pairedTables(results) };
}

async function main(): Promise<void> {
  const config = benchConfig(process.env);
  const started = Date.now();
  ensureWorkPackages(log);
  const gateway = await startGateway();
  try {
    const paired = config.phases.includes('paired') ? await pairedPhase(config, gateway) : undefined;
    const timing = config.phases.includes('processes') ? await measureTimings(VARIANTS, config, gateway, log) : undefined;
    if (config.phases.includes('heap')) log('measuring heap growth');
    const heap = config.phases.includes('heap') ? heapRows(VARIANTS, await measureHeap(VARIANTS, config, gateway, log)) : [];
    const workloads = timing ? workloadReports(VARIANTS, WORKLOADS, timing.measurements) : [];
    const meta: TimingMeta | undefined = timing && {
      rounds: timing.rounds,
      seconds: timing.seconds,
      pinned: timing.pinned,
      loadAverageBefore: timing.loadBefore,
      loadAverageAfter: timing.loadAfter,
    };
    const report: Report = {
      config,
      ...(paired ? { paired } : {}),
      ...(meta ? { timing: meta } : {}),
      packages: timing ? packagesByVariant(timing) : {},
      workloads,
      heap,
      targets: evaluateTargets(paired?.tables ?? [], workloads, heap),
    };
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
