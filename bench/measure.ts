/*
 * The measuring loop. One child per variant stays alive; the coordinator drives them round by
 * round: for each workload, one batch in every variant, in an order shuffled every round, so
 * slow drift (thermal, other tenants, GC state of the gateway) falls on all variants alike.
 * Heap growth is measured afterwards, each variant in a fresh `--expose-gc` child.
 */
import * as os from 'node:os';
import { pinCoordinator, pinMeasuringChild, unpinCoordinator } from './affinity';
import { VariantProcess } from './children';
import type { ChildInfo, Timings, VariantSpec, WorkloadName } from './protocol';
import type { BenchConfig } from './variants';
import { xorshift } from './stats';

export const WORKLOADS: readonly WorkloadName[] = ['create', 'stream', 'synthetic'];

export interface Batch {
  round: number;
  /** Which fork (set of processes) measured it. */
  fork: number;
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

/**
 * The order of the variants in one round, shuffled (Fisher-Yates, seeded by the round number).
 * A rotation would keep every variant behind the same predecessor, and what the predecessor
 * leaves behind (the gateway's garbage, evicted caches) would then always hit the same variant.
 */
function shuffled<T>(items: readonly T[], round: number): T[] {
  const random = xorshift(0x9e3779b9 ^ (round * 2654435761));
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
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

async function runBatch(child: VariantProcess, workload: WorkloadName, config: BenchConfig): Promise<Omit<Batch, 'round' | 'fork'>> {
  const reply = await child.request({ type: 'run', workload, calls: config.calls[workload], primer: config.primer[workload] });
  if (reply.type !== 'samples') throw new Error(`${child.spec.id}: expected samples, got ${reply.type}`);
  return { calls: reply.calls, ...(reply.original ? { original: reply.original } : {}), events: reply.events };
}

type Sink = (id: string, workload: WorkloadName, batch: Omit<Batch, 'round' | 'fork'>) => void;

/** One round: every workload, every variant that runs it, one batch each (`sink` keeps them). */
async function runRound(children: readonly VariantProcess[], round: number, config: BenchConfig, gateway: GatewayLike, sink?: Sink): Promise<void> {
  for (const workload of WORKLOADS) {
    for (const child of shuffled(children, round)) {
      if (!child.spec.workloads.includes(workload)) continue;
      const batch = await runBatch(child, workload, config);
      gateway.reset();
      sink?.(child.spec.id, workload, batch);
    }
  }
}

export interface TimingRun {
  info: Map<string, ChildInfo>;
  measurements: Measurements;
  telemetry: Map<string, TelemetryCheck>;
  rounds: number;
  seconds: number;
  /** Coordinator on the first CPU, measuring children on the last (see affinity.ts). */
  pinned: boolean;
  /** os.loadavg() (1, 5, 15 min) when the measured rounds started and ended. */
  loadBefore: number[];
  loadAfter: number[];
}

async function startAll(specs: readonly VariantSpec[], config: BenchConfig, gateway: GatewayLike, log: Log): Promise<{ children: VariantProcess[]; info: Map<string, ChildInfo> }> {
  const children: VariantProcess[] = [];
  const info = new Map<string, ChildInfo>();
  for (const spec of specs) {
    const started = await VariantProcess.start(spec, gateway.url);
    if (config.pin && started.child.pid !== undefined) pinMeasuringChild(started.child.pid);
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

async function warmUp(children: readonly VariantProcess[], config: BenchConfig, gateway: GatewayLike): Promise<void> {
  for (let i = 0; i < config.warmupRounds; i++) await runRound(children, -1 - i, config, gateway);
}

interface Segment {
  fork: number;
  /** First round number of this segment (round numbers continue across forks). */
  firstRound: number;
  seconds: number;
  measurements: Measurements;
}

/** Measured rounds until this fork's share of the budget is spent (at least its share of minRounds). */
async function measuredRounds(children: readonly VariantProcess[], config: BenchConfig, gateway: GatewayLike, segment: Segment, log: Log): Promise<number> {
  const started = Date.now();
  const deadline = started + segment.seconds * 1000;
  const minRounds = Math.ceil(config.minRounds / config.forks);
  const maxRounds = Math.ceil(config.maxRounds / config.forks);
  let done = 0;
  let lastLog = started;
  while (done < maxRounds && (done < minRounds || Date.now() < deadline)) {
    const round = segment.firstRound + done;
    await runRound(children, round, config, gateway, (id, workload, batch) =>
      record(segment.measurements, id, workload, { round, fork: segment.fork, ...batch }),
    );
    done++;
    if (Date.now() - lastLog >= 30_000) {
      lastLog = Date.now();
      log(`    ${done} rounds (${((lastLog - started) / 1000).toFixed(0)} s of ${segment.seconds.toFixed(0)} s, load ${os.loadavg()[0]?.toFixed(1)})`);
    }
  }
  return done;
}

function addTelemetry(into: Map<string, TelemetryCheck>, more: Map<string, TelemetryCheck>): void {
  for (const [id, check] of more) {
    const before = into.get(id) ?? { spansExported: 0, metricStreams: 0 };
    into.set(id, { spansExported: before.spansExported + check.spansExported, metricStreams: Math.max(before.metricStreams, check.metricStreams) });
  }
}

/** One fork: fresh children for every variant, warm-up, measured rounds, telemetry counts. */
async function runFork(specs: readonly VariantSpec[], config: BenchConfig, gateway: GatewayLike, segment: Segment, run: TimingRun, log: Log): Promise<number> {
  const { children, info } = await startAll(specs, config, gateway, run.info.size === 0 ? log : () => undefined);
  try {
    if (run.info.size === 0) info.forEach((value, key) => run.info.set(key, value));
    await warmUp(children, config, gateway);
    const rounds = await measuredRounds(children, config, gateway, segment, log);
    addTelemetry(run.telemetry, await telemetryChecks(children));
    return rounds;
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
}

/**
 * The timing phase, in `config.forks` forks: each starts fresh processes for all variants, so
 * what one process happens to get (memory layout, JIT decisions, its socket) averages out.
 */
export async function measureTimings(specs: readonly VariantSpec[], config: BenchConfig, gateway: GatewayLike, log: Log): Promise<TimingRun> {
  const pinned = config.pin && pinCoordinator();
  const run: TimingRun = { info: new Map(), measurements: new Map(), telemetry: new Map(), rounds: 0, seconds: 0, pinned, loadBefore: os.loadavg(), loadAfter: [] };
  const started = Date.now();
  try {
    for (let fork = 0; fork < config.forks; fork++) {
      log(`fork ${fork + 1}/${config.forks}: ${specs.length} variant processes${pinned ? ' (pinned: gateway CPU 0, children last CPU)' : ''}`);
      const segment: Segment = { fork, firstRound: run.rounds, seconds: config.budgetSeconds / config.forks, measurements: run.measurements };
      run.rounds += await runFork(specs, config, gateway, segment, run, log);
    }
  } finally {
    if (pinned) unpinCoordinator();
  }
  run.seconds = (Date.now() - started) / 1000;
  run.loadAfter = os.loadavg();
  return run;
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
