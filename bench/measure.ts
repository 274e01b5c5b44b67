/*
 * The measuring loop. One child per variant stays alive; the coordinator drives them round by
 * round: for each workload, one batch in every variant, in an order rotated every round, so
 * slow drift (thermal, other tenants, GC state of the gateway) falls on all variants alike.
 * Heap growth is measured afterwards, each variant in a fresh `--expose-gc` child.
 */
import * as os from 'node:os';
import { VariantProcess } from './children';
import type { ChildInfo, Timings, VariantSpec, WorkloadName } from './protocol';
import type { BenchConfig } from './variants';

export const WORKLOADS: readonly WorkloadName[] = ['create', 'stream', 'synthetic'];

export interface Batch {
  round: number;
  calls: Timings;
  /** Unpatched calls paired with `calls` (patched children only). */
  original?: Timings;
  events: number;
}

/** Batches by variant id, then workload. */
export type Measurements = Map<string, Map<WorkloadName, Batch[]>>;

export interface HeapSample {
  id: string;
  calls: number;
  beforeBytes: number;
  afterBytes: number;
}

export interface TelemetryCheck {
  spansExported: number;
  metricStreams: number;
}

export interface GatewayLike {
  url: string;
  reset(): void;
}

type Log = (line: string) => void;

function rotated<T>(items: readonly T[], by: number): T[] {
  const n = items.length;
  const k = ((by % n) + n) % n;
  return [...items.slice(k), ...items.slice(0, k)];
}

function record(measurements: Measurements, id: string, workload: WorkloadName, batch: Batch): void {
  let byWorkload = measurements.get(id);
  if (!byWorkload) {
    byWorkload = new Map();
    measurements.set(id, byWorkload);
  }
  const batches = byWorkload.get(workload) ?? [];
  batches.push(batch);
  byWorkload.set(workload, batches);
}

async function runBatch(child: VariantProcess, workload: WorkloadName, calls: number): Promise<Omit<Batch, 'round'>> {
  const reply = await child.request({ type: 'run', workload, calls });
  if (reply.type !== 'samples') throw new Error(`${child.spec.id}: expected samples, got ${reply.type}`);
  return { calls: reply.calls, ...(reply.original ? { original: reply.original } : {}), events: reply.events };
}

/** One round: every workload, every variant that runs it, one batch each. */
async function runRound(
  children: readonly VariantProcess[],
  round: number,
  config: BenchConfig,
  gateway: GatewayLike,
  measurements: Measurements,
): Promise<void> {
  for (const workload of WORKLOADS) {
    for (const child of rotated(children, round)) {
      if (!child.spec.workloads.includes(workload)) continue;
      const batch = await runBatch(child, workload, config.calls[workload]);
      gateway.reset();
      if (round >= 0) record(measurements, child.spec.id, workload, { round, ...batch });
    }
  }
}

export interface TimingRun {
  info: Map<string, ChildInfo>;
  measurements: Measurements;
  telemetry: Map<string, TelemetryCheck>;
  rounds: number;
  seconds: number;
  /** os.loadavg() (1, 5, 15 min) when the measured rounds started and ended. */
  loadBefore: number[];
  loadAfter: number[];
}

async function startAll(specs: readonly VariantSpec[], gateway: GatewayLike, log: Log): Promise<{ children: VariantProcess[]; info: Map<string, ChildInfo> }> {
  const children: VariantProcess[] = [];
  const info = new Map<string, ChildInfo>();
  for (const spec of specs) {
    const started = await VariantProcess.start(spec, gateway.url);
    children.push(started.child);
    info.set(spec.id, started.info);
    log(`  ${spec.id.padEnd(17)} openai ${started.info.openaiVersion}, create() patched: ${String(started.info.patched)}`);
  }
  return { children, info };
}

async function telemetryChecks(children: readonly VariantProcess[]): Promise<Map<string, TelemetryCheck>> {
  const out = new Map<string, TelemetryCheck>();
  for (const child of children) {
    const reply = await child.request({ type: 'stats' });
    if (reply.type === 'stats') out.set(child.spec.id, { spansExported: reply.spansExported, metricStreams: reply.metricStreams });
  }
  return out;
}

async function warmUp(children: readonly VariantProcess[], config: BenchConfig, gateway: GatewayLike, log: Log): Promise<void> {
  for (let i = 0; i < config.warmupRounds; i++) {
    await runRound(children, -1 - i, config, gateway, new Map());
    log(`  warm-up round ${i + 1}/${config.warmupRounds} done`);
  }
}

/** Measured rounds until the budget is spent (at least minRounds, at most maxRounds). */
async function measuredRounds(children: readonly VariantProcess[], config: BenchConfig, gateway: GatewayLike, log: Log): Promise<{ rounds: number; measurements: Measurements }> {
  const measurements: Measurements = new Map();
  const started = Date.now();
  const deadline = started + config.budgetSeconds * 1000;
  let round = 0;
  let lastLog = started;
  while (round < config.maxRounds && (round < config.minRounds || Date.now() < deadline)) {
    await runRound(children, round, config, gateway, measurements);
    round++;
    if (Date.now() - lastLog >= 30_000) {
      lastLog = Date.now();
      log(`  ${round} rounds (${((lastLog - started) / 1000).toFixed(0)} s of ${config.budgetSeconds} s, load ${os.loadavg()[0]?.toFixed(1)})`);
    }
  }
  return { rounds: round, measurements };
}

export async function measureTimings(specs: readonly VariantSpec[], config: BenchConfig, gateway: GatewayLike, log: Log): Promise<TimingRun> {
  log(`starting ${specs.length} variant processes`);
  const { children, info } = await startAll(specs, gateway, log);
  try {
    await warmUp(children, config, gateway, log);
    const loadBefore = os.loadavg();
    const started = Date.now();
    const { rounds, measurements } = await measuredRounds(children, config, gateway, log);
    const seconds = (Date.now() - started) / 1000;
    const loadAfter = os.loadavg();
    return { info, measurements, telemetry: await telemetryChecks(children), rounds, seconds, loadBefore, loadAfter };
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
}

async function heapOf(spec: VariantSpec, config: BenchConfig, gateway: GatewayLike): Promise<HeapSample> {
  const { child } = await VariantProcess.start(spec, gateway.url, ['--expose-gc']);
  try {
    const reply = await child.request({ type: 'heap', warmup: config.heapWarmup, calls: config.heapCalls });
    if (reply.type !== 'heap') throw new Error(`${spec.id}: expected heap, got ${reply.type}`);
    return { id: spec.id, calls: reply.calls, beforeBytes: reply.beforeBytes, afterBytes: reply.afterBytes };
  } finally {
    await child.stop();
  }
}

/**
 * Heap growth per variant, each in a fresh `--expose-gc` child. Nothing is timed here, so two
 * children run at once (one per core); each only reads its own heap.
 */
export async function measureHeap(specs: readonly VariantSpec[], config: BenchConfig, gateway: GatewayLike, log: Log): Promise<HeapSample[]> {
  const queue = specs.filter((s) => s.heap);
  const out = new Map<string, HeapSample>();
  // The gateway records every request; keep its own memory flat while the calls go by.
  const timer = setInterval(() => gateway.reset(), 250);
  const worker = async (): Promise<void> => {
    for (let spec = queue.shift(); spec; spec = queue.shift()) {
      const started = Date.now();
      const sample = await heapOf(spec, config, gateway);
      out.set(spec.id, sample);
      const mb = (sample.afterBytes - sample.beforeBytes) / 1e6;
      log(`  heap ${spec.id.padEnd(10)} ${mb.toFixed(2)} MB after ${sample.calls} streamed calls (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
  };
  try {
    await Promise.all([worker(), worker()]);
  } finally {
    clearInterval(timer);
    gateway.reset();
  }
  return specs.flatMap((s) => out.get(s.id) ?? []);
}
